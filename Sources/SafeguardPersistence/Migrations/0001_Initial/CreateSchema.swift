import FluentKit
import SQLKit

/// The first schema: organisations, accounts, tokens, cases with their actions, notes and assessments,
/// and the audit trail with its head row. Plain types only, so it runs on SQLite and PostgreSQL alike.
struct M0001CreateSchema: AsyncMigration {
    var name: String { "0001_CreateSchema" }

    func prepare(on database: any Database) async throws {
        try await database.schema("organisations")
            .id()
            .field("name", .string, .required)
            .field("kind", .string, .required)
            .field("jurisdiction", .string, .required)
            .field("next_case_number", .int, .required)
            .field("created_at", .datetime)
            .unique(on: "name")
            .create()

        try await database.schema("users")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id"))
            .field("email", .string, .required)
            .field("display_name", .string, .required)
            .field("role", .string, .required)
            .field("password_hash", .string, .required)
            .field("disabled", .bool, .required)
            .field("failed_sign_ins", .int, .required)
            .field("locked_until", .datetime)
            .field("created_at", .datetime)
            .unique(on: "email")
            .create()

        try await database.schema("sign_in_throttles")
            .id()
            .field("key", .string, .required)
            .field("failures", .int, .required)
            .field("window_started", .datetime, .required)
            .field("locked_until", .datetime)
            .unique(on: "key")
            .create()

        try await database.schema("api_tokens")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id"))
            .field("name", .string, .required)
            .field("token_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .create()

        try await database.schema("cases")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id"))
            .field("reference", .string, .required)
            .field("status", .string, .required)
            .field("summary", .string, .required)
            .field("facts_json", .string, .required)
            .field("version", .int, .required)
            .field("created_by", .uuid, .required, .references("users", "id"))
            .field("open_actions", .int, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "organisation_id", "reference")
            .create()

        try await database.schema("case_actions")
            .id()
            .field("case_id", .uuid, .required, .references("cases", "id"))
            .field("recommendation_id", .string, .required)
            .field("severity", .string, .required)
            .field("text", .string, .required)
            .field("status", .string, .required)
            .field("reason", .string)
            .field("recommended", .bool, .required)
            .field("completed_by", .uuid)
            .field("completed_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "case_id", "recommendation_id")
            .create()

        try await database.schema("case_notes")
            .id()
            .field("case_id", .uuid, .required, .references("cases", "id"))
            .field("sequence", .int, .required)
            .field("author_id", .uuid, .required, .references("users", "id"))
            .field("text", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "case_id", "sequence")
            .create()

        try await database.schema("case_assessments")
            .id()
            .field("case_id", .uuid, .required, .references("cases", "id"))
            .field("case_version", .int, .required)
            .field("editions", .string, .required)
            .field("assessment_json", .string, .required)
            .field("created_by", .uuid, .required)
            .field("created_at", .datetime)
            .create()

        try await database.schema("audit_entries")
            .id()
            .field("sequence", .int, .required)
            .field("at", .string, .required)
            .field("actor_id", .string, .required)
            .field("actor_role", .string, .required)
            .field("organisation_id", .string, .required)
            .field("action", .string, .required)
            .field("case_id", .string, .required)
            .field("outcome", .string, .required)
            .field("detail", .string, .required)
            .field("previous_hash", .string, .required)
            .field("hash", .string, .required)
            .unique(on: "sequence")
            .create()

        // One row holding the chain's head: taking its lock first serialises appends across processes.
        try await database.schema("audit_head")
            .field("id", .int, .identifier(auto: false))
            .field("sequence", .int, .required)
            .field("hash", .string, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.insert(into: "audit_head")
            .columns("id", "sequence", "hash")
            .values(SQLBind(1), SQLBind(0), SQLBind(AuditChain.genesisHash))
            .run()

        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "cases_org_updated").on("cases").column("organisation_id").column("updated_at").run()
            try await sql.create(index: "actions_case").on("case_actions").column("case_id").run()
            try await sql.create(index: "assessments_case").on("case_assessments").column("case_id").run()
            try await sql.create(index: "tokens_user").on("api_tokens").column("user_id").run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["audit_head", "audit_entries", "case_assessments", "case_notes", "case_actions", "cases",
                      "api_tokens", "sign_in_throttles", "users", "organisations"] {
            try await database.schema(table).delete()
        }
    }
}
