import FluentKit

/// The audit head gets a seal: an HMAC of its sequence and hash under a key kept outside the database, so that
/// someone who can write to the database cannot rewrite the trail and recompute the hashes unnoticed.
struct M0004AddAuditSeal: AsyncMigration {
    var name: String { "0004_AddAuditSeal" }

    func prepare(on database: any Database) async throws {
        try await database.schema("audit_head").field("mac", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("audit_head").deleteField("mac").update()
    }
}
