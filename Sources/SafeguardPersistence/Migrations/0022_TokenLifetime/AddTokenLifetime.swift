import FluentKit

/// The longest an API token of the organisation may last, in days, set by its admin within the server's own maximum.
/// Existing organisations keep what the server allowed them before (365 days, the server's default maximum).
struct M0022AddTokenLifetime: AsyncMigration {
    var name: String { "0022_AddTokenLifetime" }

    func prepare(on database: any Database) async throws {
        try await database.schema("organisations")
            .field("api_token_max_days", .int, .required, .sql(.default(TokenLifetime.standard.maxDays))).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("organisations").deleteField("api_token_max_days").update()
    }
}
