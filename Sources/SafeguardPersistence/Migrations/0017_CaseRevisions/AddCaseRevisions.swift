import FluentKit
import SQLKit

/// A revision number on each case that the database itself moves on whenever one of the case's actions or
/// assessments is written, by any path at all (issue 9). A SQLite file's case reads keep the actions and latest
/// assessment of recently read cases (`CaseViewCache`) and use them again only while the revision is unchanged.
///
/// SQLite only: PostgreSQL reads never cache, so they need neither the column nor the triggers.
struct M0017AddCaseRevisions: AsyncMigration {
    var name: String { "0017_AddCaseRevisions" }

    static let triggers: [(name: String, sql: String)] = ["case_actions", "case_assessments"].flatMap { table in [
        (name: "\(table)_revision_insert",
         sql: "AFTER INSERT ON \(table) BEGIN UPDATE cases SET revision = revision + 1 WHERE id = NEW.case_id; END"),
        (name: "\(table)_revision_update",
         sql: "AFTER UPDATE ON \(table) BEGIN UPDATE cases SET revision = revision + 1 WHERE id IN (OLD.case_id, NEW.case_id); END"),
        (name: "\(table)_revision_delete",
         sql: "AFTER DELETE ON \(table) BEGIN UPDATE cases SET revision = revision + 1 WHERE id = OLD.case_id; END"),
    ] }

    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase, sql.dialect.name == "sqlite" else { return }
        try await sql.raw("ALTER TABLE cases ADD COLUMN revision INTEGER NOT NULL DEFAULT 0").run()
        for trigger in Self.triggers {
            try await sql.raw("CREATE TRIGGER \(unsafeRaw: trigger.name) \(unsafeRaw: trigger.sql)").run()
        }
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase, sql.dialect.name == "sqlite" else { return }
        for trigger in Self.triggers {
            try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: trigger.name)").run()
        }
        try await sql.raw("ALTER TABLE cases DROP COLUMN revision").run()
    }
}
