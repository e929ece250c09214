import FluentKit
import Foundation

/// A submission already made by one person under one key, and its answer once there is one.
public struct Submission: Sendable, Hashable {
    public var requestHash: String
    public var createdAt: Date
    /// Nil while the first request is still being answered.
    public var status: Int?
    public var location: String?
    public var contentType: String?
    public var body: String?
}

/// Remembers answered creates so that the same one sent again is answered, not done twice.
///
/// ```swift
/// let store = SubmissionStore(db: db, cipher: cipher)
/// if try await store.claim(userID: me, key: k, requestHash: h, now: now, window: 600) == nil {
///     … do it …; try await store.answer(userID: me, key: k, status: 303, location: "/cases/…")
/// }
/// ```
public struct SubmissionStore: Sendable {
    let db: any Database
    /// Seals the answers kept: they hold what the case holds (a summary, a record).
    let cipher: FreeTextCipher
    public init(db: any Database, cipher: FreeTextCipher) {
        self.db = db
        self.cipher = cipher
    }

    /// Claims the key for a new request, or returns the submission already made under it within `window` seconds.
    /// Older ones are forgotten first. Two server processes racing for one key: one claims it; the other's insert
    /// fails on the unique (person, key) pair, and it should read the row with `submission(userID:key:)` in a new
    /// transaction (PostgreSQL ends a transaction whose statement failed).
    public func claim(userID: UUID, key: String, requestHash: String, now: Date, window: TimeInterval) async throws -> Submission? {
        try await SubmissionModel.query(on: db).filter(\.$userID == userID).filter(\.$key == key)
            .filter(\.$createdAt < now.addingTimeInterval(-window)).delete()
        if let existing = try await SubmissionModel.query(on: db).filter(\.$userID == userID).filter(\.$key == key).first() {
            return try value(existing)
        }
        let m = SubmissionModel()
        m.id = UUID.timeOrdered()
        m.userID = userID
        m.key = key
        m.requestHash = requestHash
        m.createdAt = now
        try await m.create(on: db)
        return nil
    }

    public func submission(userID: UUID, key: String) async throws -> Submission? {
        try await SubmissionModel.query(on: db).filter(\.$userID == userID).filter(\.$key == key).first().map(value)
    }

    /// Keeps the answer, to give again to the same submission.
    public func answer(userID: UUID, key: String, status: Int, location: String?, contentType: String?, body: String?) async throws {
        try await SubmissionModel.query(on: db).filter(\.$userID == userID).filter(\.$key == key)
            .set(\.$status, to: status).set(\.$location, to: location).set(\.$contentType, to: contentType).set(\.$body, to: try cipher.seal(optional: body, in: .submissionBody))
            .update()
    }

    /// Lets the key go (the request failed, so sending it again should try again).
    public func release(userID: UUID, key: String) async throws {
        try await SubmissionModel.query(on: db).filter(\.$userID == userID).filter(\.$key == key).filter(\.$status == nil).delete()
    }

    func value(_ m: SubmissionModel) throws -> Submission {
        Submission(requestHash: m.requestHash, createdAt: m.createdAt, status: m.status, location: m.location,
                   contentType: m.contentType, body: try cipher.open(optional: m.body, in: .submissionBody))
    }
}
