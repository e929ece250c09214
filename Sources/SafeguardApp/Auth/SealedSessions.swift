import Crypto
import Fluent
import Foundation
import SafeguardPersistence
import Vapor

/// Page sessions kept in the database, so that several servers share them, with nothing in the table that lets
/// someone holding the database or a backup take one over or read what it carries.
///
/// Fluent's own driver stored each session under its cookie's value and its data as plain JSON: a copy of the
/// database was a list of live sessions to walk into, with the flash notices (a case's close reason) and a
/// two-factor secret still being set up beside them. Here a session is stored under the SHA-256 of its id (the
/// cookie alone opens it) and its data sealed under the database's data key, like case text.
///
/// ```swift
/// app.sessions.use { app in SealedSessions() }
/// ```
///
/// A session sealed under a data key that has since been retired (`safeguard keys rotate`) reads as no session:
/// its person signs in again.
///
/// A session with nothing in it (a first visit, or a cookie the table no longer holds) is never stored: the
/// sign-in form's token lives in a cookie of its own (`AnonymousFormToken`), so a row is made only once a password
/// has been accepted, and nobody can fill the table by asking for pages. A session read and not changed is not
/// written back (Vapor's middleware writes every session at the end of every request). Each row says when it was
/// made, and `SessionSweeper` deletes those older than any session can last.
struct SealedSessions: AsyncSessionDriver {
    static let column = EncryptedColumn.sessionData

    func createSession(_ data: SessionData, for request: Request) async throws -> SessionID {
        let id = SessionID(string: Data([UInt8].random(count: 32)).base64EncodedString())
        guard !data.snapshot.isEmpty else { return id }
        try await PageSessionStore(db: request.db).create(key: Self.stored(id).string, values: try sealed(data, request), now: Date())
        return id
    }

    func readSession(_ sessionID: SessionID, for request: Request) async throws -> SessionData? {
        guard let stored = try await PageSessionStore(db: request.db).values(key: Self.stored(sessionID).string),
              let data = opened(stored, request) else { return nil }
        request.storage[AsRead.self] = data.snapshot
        return data
    }

    func updateSession(_ sessionID: SessionID, to data: SessionData, for request: Request) async throws -> SessionID {
        if let read = request.storage[AsRead.self], read == data.snapshot { return sessionID }
        try await PageSessionStore(db: request.db).update(key: Self.stored(sessionID).string, values: try sealed(data, request))
        return sessionID
    }

    func deleteSession(_ sessionID: SessionID, for request: Request) async throws {
        try await PageSessionStore(db: request.db).delete(key: Self.stored(sessionID).string)
    }

    /// The session's values as read at the start of the request, to leave the row alone if they are unchanged.
    struct AsRead: StorageKey { typealias Value = [String: String] }

    /// What the table keeps for a session id: its SHA-256, so the table holds no cookie that works.
    static func stored(_ id: SessionID) -> SessionID {
        SessionID(string: "sha256:" + HexDigest.sha256(id.string))
    }

    /// The session's values as one sealed string, in a JSON object as the column expects.
    func sealed(_ data: SessionData, _ request: Request) throws -> [String: String] {
        let json = try JSONEncoder().encode(data.snapshot)
        return ["sealed": try request.cipher.seal(String(decoding: json, as: UTF8.self), in: Self.column)]
    }

    func opened(_ stored: [String: String], _ request: Request) -> SessionData? {
        guard let sealed = stored["sealed"], let json = try? request.cipher.open(sealed, in: Self.column),
              let values = try? JSONDecoder().decode([String: String].self, from: Data(json.utf8)) else { return nil }
        return SessionData(initialData: values)
    }
}

/// Clears page sessions older than any session can last (`PageSessionStore.longestUse`): ones left open in a
/// browser that never came back. Each server runs it, an hour apart; a session cleared by one is simply gone for
/// the next.
struct SessionSweeper: LifecycleHandler {
    let job = RepeatingJob(firstAfter: 300, every: 3600) { application in
        await SessionSweeper.sweep(application, now: Date())
    }

    static func sweep(_ application: Application, now: Date) async {
        do {
            let cleared = try await application.writeGate.run(application.db) { db in
                try await PageSessionStore(db: db).deleteMade(before: now.addingTimeInterval(-PageSessionStore.longestUse))
            }
            if cleared > 0 { application.logger.info("sessions: cleared \(cleared) that had outlived any sign-in") }
        } catch {
            application.logger.error("clearing old sessions failed: \(LoggedError(error))")
        }
    }

    func didBootAsync(_ application: Application) async throws { job.start(application) }
    func shutdownAsync(_ application: Application) async { job.stop() }
}
