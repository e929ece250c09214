import FluentKit
import SQLKit

/// The case revision of migration 0017 on PostgreSQL too, so that PostgreSQL's case reads can keep the actions and
/// latest assessment of recently read cases (`CaseViewCache`) as a SQLite file's do. Every server process keeps its
/// own cache and checks it against the revision in the database, so several app servers stay right.
///
/// The revision moves on by statement-level triggers that see the rows a statement wrote (transition tables): one
/// update of each case however many of its actions a statement writes. PostgreSQL allows transition tables only on a
/// trigger for one event, hence three triggers a table.
struct M0018AddPostgresCaseRevisions: AsyncMigration {
    var name: String { "0018_AddPostgresCaseRevisions" }

    static let tables = ["case_actions", "case_assessments"]

    /// The trigger functions, by the rows they read: those written, those removed, or both (an update may move a row
    /// from one case to another).
    static let functions = [
        (name: "safeguard_revise_cases_inserted", rows: "SELECT case_id FROM new_rows"),
        (name: "safeguard_revise_cases_deleted", rows: "SELECT case_id FROM old_rows"),
        (name: "safeguard_revise_cases_updated", rows: "SELECT case_id FROM new_rows UNION SELECT case_id FROM old_rows"),
    ]

    static let triggers = [
        (event: "INSERT", tables: "NEW TABLE AS new_rows", function: "safeguard_revise_cases_inserted"),
        (event: "UPDATE", tables: "OLD TABLE AS old_rows NEW TABLE AS new_rows", function: "safeguard_revise_cases_updated"),
        (event: "DELETE", tables: "OLD TABLE AS old_rows", function: "safeguard_revise_cases_deleted"),
    ]

    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        try await sql.raw("ALTER TABLE cases ADD COLUMN revision BIGINT NOT NULL DEFAULT 0").run()
        for function in Self.functions {
            try await sql.raw("""
                CREATE FUNCTION \(unsafeRaw: function.name)() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE cases SET revision = revision + 1 WHERE id IN (\(unsafeRaw: function.rows));
                    RETURN NULL;
                END $$
                """).run()
        }
        for table in Self.tables {
            for trigger in Self.triggers {
                try await sql.raw("""
                    CREATE TRIGGER \(unsafeRaw: table)_revision_\(unsafeRaw: trigger.event.lowercased()) \
                    AFTER \(unsafeRaw: trigger.event) ON \(unsafeRaw: table) REFERENCING \(unsafeRaw: trigger.tables) \
                    FOR EACH STATEMENT EXECUTE FUNCTION \(unsafeRaw: trigger.function)()
                    """).run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        for table in Self.tables {
            for trigger in Self.triggers {
                let name = "\(table)_revision_\(trigger.event.lowercased())"
                try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: name) ON \(unsafeRaw: table)").run()
            }
        }
        for function in Self.functions {
            try await sql.raw("DROP FUNCTION IF EXISTS \(unsafeRaw: function.name)()").run()
        }
        try await sql.raw("ALTER TABLE cases DROP COLUMN revision").run()
    }
}
