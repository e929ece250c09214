import FluentKit
import SQLKit

/// Case ownership (issue 11): every case has an owner, the person whose home its actions land on, who can be changed
/// (DSL to deputy, officer to officer). Existing cases are owned by whoever opened them. The organisation sets after
/// how many days without activity an open case is shown as gone quiet, and by when a MUST action with no timescale
/// in the guidance is due.
struct M0012AddCaseOwners: AsyncMigration {
    var name: String { "0012_AddCaseOwners" }

    func prepare(on database: any Database) async throws {
        try await database.schema("cases").field("owner_id", .uuid).update()
        try await database.schema("organisations").field("quiet_case_days", .int, .required, .sql(.default(14))).update()
        try await database.schema("organisations").field("must_action_days", .int, .required, .sql(.default(1))).update()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("UPDATE cases SET owner_id = created_by").run()
        try await sql.create(index: "cases_owner").on("cases").column("organisation_id").column("owner_id").column("status").run()
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase { try await sql.drop(index: "cases_owner").run() }
        try await database.schema("organisations").deleteField("must_action_days").update()
        try await database.schema("organisations").deleteField("quiet_case_days").update()
        try await database.schema("cases").deleteField("owner_id").update()
    }
}
