import FluentKit
import SQLKit

/// Two-factor sign-in (issue 13): a user's TOTP secret, when they enrolled and the last step a code matched (so no
/// code works twice); ten single-use recovery codes, stored as hashes; the roles an organisation requires it of and
/// the age after which opening a case asks for a fresh code; and when a web session last gave a code (step-up).
struct M0007AddTwoFactor: AsyncMigration {
    var name: String { "0007_AddTwoFactor" }

    static let defaultRoles = "supervisor,superintendent,dsl,admin,auditor"

    func prepare(on database: any Database) async throws {
        try await database.schema("users").field("totp_secret", .string).update()
        try await database.schema("users").field("totp_enabled_at", .datetime).update()
        try await database.schema("users").field("totp_last_step", .int64).update()
        try await database.schema("recovery_codes")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id"))
            .field("code_hash", .string, .required)
            .field("used_at", .datetime)
            .unique(on: "code_hash")
            .create()
        try await database.schema("organisations")
            .field("two_factor_roles", .string, .required, .sql(.default(Self.defaultRoles)))
            .update()
        try await database.schema("organisations")
            .field("step_up_case_age_days", .int, .required, .sql(.default(365)))
            .update()
        try await database.schema("web_sessions").field("second_factor_at", .datetime).update()
        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "recovery_codes_user").on("recovery_codes").column("user_id").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("web_sessions").deleteField("second_factor_at").update()
        try await database.schema("organisations").deleteField("step_up_case_age_days").update()
        try await database.schema("organisations").deleteField("two_factor_roles").update()
        try await database.schema("recovery_codes").delete()
        try await database.schema("users").deleteField("totp_last_step").update()
        try await database.schema("users").deleteField("totp_enabled_at").update()
        try await database.schema("users").deleteField("totp_secret").update()
    }
}
