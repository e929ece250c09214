import FluentKit

/// Actions get an optional due date (YYYY-MM-DD), set by the case lead, so home pages can show what is due and
/// overdue. Adding a nullable column is the one ALTER TABLE both SQLite and PostgreSQL do alike.
struct M0003AddActionDueDates: AsyncMigration {
    var name: String { "0003_AddActionDueDates" }

    func prepare(on database: any Database) async throws {
        try await database.schema("case_actions").field("due_on", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("case_actions").deleteField("due_on").update()
    }
}
