import FluentKit
import SQLKit

/// Web sessions a person can see and end (issue 13): each sign-in on a page gets a row with when it began, when it
/// was last used and when and why it ended, so that idle and absolute time-outs hold on every server process and
/// "sign out everywhere" reaches them all. Organisations get their own idle and absolute limits. Admin-made password
/// reset links are stored as hashes, each usable once within its hour.
struct M0005AddSessionsAndResets: AsyncMigration {
    var name: String { "0005_AddSessionsAndResets" }

    func prepare(on database: any Database) async throws {
        try await database.schema("web_sessions")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id"))
            .field("signed_in_at", .datetime, .required)
            .field("last_seen_at", .datetime, .required)
            .field("ended_at", .datetime)
            .field("ended_reason", .string)
            .field("address", .string, .required)
            .field("browser", .string, .required)
            .create()
        try await database.schema("password_resets")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id"))
            .field("token_hash", .string, .required)
            .field("created_by", .uuid)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await database.schema("organisations")
            .field("session_idle_minutes", .int, .required, .sql(.default(30)))
            .update()
        try await database.schema("organisations")
            .field("session_lifetime_hours", .int, .required, .sql(.default(12)))
            .update()
        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "web_sessions_user").on("web_sessions").column("user_id").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("organisations").deleteField("session_lifetime_hours").update()
        try await database.schema("organisations").deleteField("session_idle_minutes").update()
        try await database.schema("password_resets").delete()
        try await database.schema("web_sessions").delete()
    }
}
