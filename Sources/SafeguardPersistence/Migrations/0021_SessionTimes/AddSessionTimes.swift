import FluentKit
import Foundation
import SQLKit

/// When each page session was made, so that sessions nobody came back to can be cleared (`PageSessionStore.deleteMade`).
///
/// Fluent's session table kept a row until its browser signed out: a session left open, or one that timed out and
/// was never seen again, stayed for ever, each with its sealed values. This migration also takes over making the table
/// (it was Fluent's own `SessionRecord` migration, run after ours): a new database gets it here with the column; an
/// existing one gains the column, and its sessions count as made now, so nobody in the middle of their work is
/// signed out by the upgrade.
struct M0021AddSessionTimes: AsyncMigration {
    var name: String { "0021_AddSessionTimes" }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if try await Self.tableExists("_fluent_sessions", on: sql) {
            try await database.schema(PageSessionModel.schema).field("created_at", .datetime).update()
            try await PageSessionModel.query(on: database).set(\.$createdAt, to: Date()).update()
        } else {
            try await database.schema(PageSessionModel.schema)
                .id()
                .field("key", .string, .required)
                .field("data", .json, .required)
                .field("created_at", .datetime)
                .unique(on: "key")
                .create()
        }
        try await sql.create(index: "fluent_sessions_created").on(PageSessionModel.schema).column("created_at").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.drop(index: "fluent_sessions_created").run()
        try await database.schema(PageSessionModel.schema).deleteField("created_at").update()
    }

    /// Whether a table of that name is on the connection's search path.
    static func tableExists(_ name: String, on sql: any SQLDatabase) async throws -> Bool {
        struct Found: Decodable { var present: Int }
        let query: SQLQueryString = sql.dialect.name == "sqlite"
            ? "SELECT count(*) AS present FROM sqlite_master WHERE type = 'table' AND name = \(bind: name)"
            : "SELECT CAST(count(*) AS INTEGER) AS present FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(\(bind: name))"
        return try await sql.raw(query).first(decoding: Found.self)?.present ?? 0 > 0
    }
}
