import FluentKit
import Foundation

/// The page sessions' table, for the server's session driver: a row a session, under the hash of its cookie, with
/// its values as the driver seals them and when it was made.
///
/// ```swift
/// let store = PageSessionStore(db: db)
/// try await store.create(key: hashedID, values: ["sealed": text], now: Date())
/// let values = try await store.values(key: hashedID)
/// let cleared = try await store.deleteMade(before: Date().addingTimeInterval(-25 * 3600))
/// ```
public struct PageSessionStore: Sendable {
    public let db: any Database

    public init(db: any Database) { self.db = db }

    /// The longest a session can matter: no organisation lets one last longer than the longest absolute limit
    /// (`SessionPolicy.lifetimeRange`), and one still signing in expires in minutes. An hour's margin for clocks.
    public static var longestUse: TimeInterval { TimeInterval(SessionPolicy.lifetimeRange.upperBound + 1) * 3600 }

    public func create(key: String, values: [String: String], now: Date) async throws {
        let m = PageSessionModel()
        m.key = key
        m.data = values
        m.createdAt = now
        try await m.create(on: db)
    }

    public func values(key: String) async throws -> [String: String]? {
        try await PageSessionModel.query(on: db).filter(\.$key == key).first()?.data
    }

    public func update(key: String, values: [String: String]) async throws {
        try await PageSessionModel.query(on: db).filter(\.$key == key).set(\.$data, to: values).update()
    }

    public func delete(key: String) async throws {
        try await PageSessionModel.query(on: db).filter(\.$key == key).delete()
    }

    /// Deletes every session made before `cutoff`, and says how many there were.
    public func deleteMade(before cutoff: Date) async throws -> Int {
        let old = PageSessionModel.query(on: db).filter(\.$createdAt < cutoff)
        let count = try await old.count()
        if count > 0 { try await PageSessionModel.query(on: db).filter(\.$createdAt < cutoff).delete() }
        return count
    }

    /// How many sessions are stored.
    public func count() async throws -> Int { try await PageSessionModel.query(on: db).count() }
}

/// A row of the page sessions' table (the table Fluent's session driver made, kept for existing databases).
final class PageSessionModel: Model, @unchecked Sendable {
    static let schema = "_fluent_sessions"
    @ID(key: .id) var id: UUID?
    @Field(key: "key") var key: String
    @Field(key: "data") var data: [String: String]
    @OptionalField(key: "created_at") var createdAt: Date?
}
