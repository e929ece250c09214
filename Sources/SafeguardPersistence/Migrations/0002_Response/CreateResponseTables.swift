import FluentKit
import SQLKit

/// The response to a case: its records (crime record, checks, custody steps, triage …), sign-offs, the per-case
/// chronology, and referrals from schools to police forces. Plain types only, for SQLite and PostgreSQL alike.
struct M0002CreateResponseTables: AsyncMigration {
    var name: String { "0002_CreateResponseTables" }

    func prepare(on database: any Database) async throws {
        try await database.schema("case_records")
            .id()
            .field("case_id", .uuid, .required, .references("cases", "id"))
            .field("sequence", .int, .required)
            .field("kind", .string, .required)
            .field("body_json", .string, .required)
            .field("revision", .int, .required)
            .field("created_by", .uuid, .required, .references("users", "id"))
            .field("created_at", .datetime, .required)
            .field("updated_by", .uuid, .required, .references("users", "id"))
            .field("updated_at", .datetime, .required)
            .unique(on: "case_id", "sequence")
            .create()

        try await database.schema("sign_offs")
            .id()
            .field("case_id", .uuid, .required, .references("cases", "id"))
            .field("kind", .string, .required)
            .field("subject", .string, .required)
            .field("proposal_json", .string, .required)
            .field("status", .string, .required)
            .field("proposed_by", .uuid, .required, .references("users", "id"))
            .field("proposed_at", .datetime, .required)
            .field("reviewed_by", .uuid, .references("users", "id"))
            .field("reviewed_at", .datetime)
            .field("review_json", .string)
            .create()

        try await database.schema("case_events")
            .id()
            .field("case_id", .uuid, .required, .references("cases", "id"))
            .field("sequence", .int, .required)
            .field("at", .datetime, .required)
            .field("actor_id", .uuid)
            .field("actor_role", .string, .required)
            .field("kind", .string, .required)
            .field("summary", .string, .required)
            .unique(on: "case_id", "sequence")
            .create()

        try await database.schema("police_referrals")
            .id()
            .field("from_organisation_id", .uuid, .required, .references("organisations", "id"))
            .field("from_case_id", .uuid, .required, .references("cases", "id"))
            .field("to_organisation_id", .uuid, .required, .references("organisations", "id"))
            .field("to_case_id", .uuid, .required, .references("cases", "id"))
            .field("status", .string, .required)
            .field("shared_json", .string, .required)
            .field("response_reason", .string)
            .field("created_by", .uuid, .required, .references("users", "id"))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()

        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "records_case").on("case_records").column("case_id").run()
            try await sql.create(index: "sign_offs_case").on("sign_offs").column("case_id").run()
            try await sql.create(index: "sign_offs_status").on("sign_offs").column("status").column("kind").run()
            try await sql.create(index: "events_case").on("case_events").column("case_id").run()
            try await sql.create(index: "referrals_from").on("police_referrals").column("from_case_id").run()
            try await sql.create(index: "referrals_to").on("police_referrals").column("to_case_id").run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["police_referrals", "case_events", "sign_offs", "case_records"] {
            try await database.schema(table).delete()
        }
    }
}
