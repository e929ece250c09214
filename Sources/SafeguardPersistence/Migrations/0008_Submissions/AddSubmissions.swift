import FluentKit

/// Submissions already answered (issue 11): a create sent twice — a double click, Back and submit again, a client
/// retrying with the same `Idempotency-Key` — is answered with the first one's result instead of creating twice.
/// One row per person and key, with the request's hash and the answer once there is one.
struct M0008AddSubmissions: AsyncMigration {
    var name: String { "0008_AddSubmissions" }

    func prepare(on database: any Database) async throws {
        try await database.schema("submissions")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id"))
            .field("key", .string, .required)
            .field("request_hash", .string, .required)
            .field("created_at", .datetime, .required)
            .field("status", .int)
            .field("location", .string)
            .field("content_type", .string)
            .field("body", .string)
            .unique(on: "user_id", "key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("submissions").delete()
    }
}
