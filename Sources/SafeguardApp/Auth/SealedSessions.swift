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
struct SealedSessions: AsyncSessionDriver {
    static let column = EncryptedColumn.sessionData

    func createSession(_ data: SessionData, for request: Request) async throws -> SessionID {
        let id = SessionID(string: Data([UInt8].random(count: 32)).base64EncodedString())
        try await SessionRecord(key: Self.stored(id), data: try sealed(data, request)).create(on: request.db)
        return id
    }

    func readSession(_ sessionID: SessionID, for request: Request) async throws -> SessionData? {
        guard let record = try await SessionRecord.query(on: request.db).filter(\.$key == Self.stored(sessionID)).first() else {
            return nil
        }
        return opened(record.data, request)
    }

    func updateSession(_ sessionID: SessionID, to data: SessionData, for request: Request) async throws -> SessionID {
        try await SessionRecord.query(on: request.db).filter(\.$key == Self.stored(sessionID))
            .set(\.$data, to: try sealed(data, request)).update()
        return sessionID
    }

    func deleteSession(_ sessionID: SessionID, for request: Request) async throws {
        try await SessionRecord.query(on: request.db).filter(\.$key == Self.stored(sessionID)).delete()
    }

    /// What the table keeps for a session id: its SHA-256, so the table holds no cookie that works.
    static func stored(_ id: SessionID) -> SessionID {
        SessionID(string: "sha256:" + SHA256.hash(data: Data(id.string.utf8)).map { String(format: "%02x", $0) }.joined())
    }

    /// The session's values as one sealed string, in a JSON object as the column expects.
    func sealed(_ data: SessionData, _ request: Request) throws -> SessionData {
        let json = try JSONEncoder().encode(data.snapshot)
        return SessionData(initialData: ["sealed": try request.cipher.seal(String(decoding: json, as: UTF8.self), in: Self.column)])
    }

    func opened(_ stored: SessionData, _ request: Request) -> SessionData? {
        guard let sealed = stored["sealed"], let json = try? request.cipher.open(sealed, in: Self.column),
              let values = try? JSONDecoder().decode([String: String].self, from: Data(json.utf8)) else { return nil }
        return SessionData(initialData: values)
    }
}
