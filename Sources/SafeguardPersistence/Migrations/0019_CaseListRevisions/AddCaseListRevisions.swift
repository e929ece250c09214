import FluentKit
import SQLKit

/// A revision number on each organisation that the database itself moves on whenever any of its cases is written,
/// by any path at all (issue 9). A case list keeps the totals it counted (`CaseCountCache`) and uses one again only
/// while the revision is unchanged: counting an organisation's cases read every one of them, which at 100,000 cases
/// was nearly all the work of showing a page of 50.
///
/// Both databases: row-level triggers on SQLite; on PostgreSQL statement-level ones that see the rows a statement
/// wrote (transition tables), so that a statement writing many cases moves each organisation on once.
struct M0019AddCaseListRevisions: AsyncMigration {
    var name: String { "0019_AddCaseListRevisions" }

    static let sqliteTriggers: [(name: String, sql: String)] = [
        (name: "cases_list_revision_insert",
         sql: "AFTER INSERT ON cases BEGIN UPDATE organisations SET case_list_revision = case_list_revision + 1 WHERE id = NEW.organisation_id; END"),
        (name: "cases_list_revision_update",
         sql: "AFTER UPDATE ON cases BEGIN UPDATE organisations SET case_list_revision = case_list_revision + 1 WHERE id IN (OLD.organisation_id, NEW.organisation_id); END"),
        (name: "cases_list_revision_delete",
         sql: "AFTER DELETE ON cases BEGIN UPDATE organisations SET case_list_revision = case_list_revision + 1 WHERE id = OLD.organisation_id; END"),
    ]

    /// PostgreSQL: the trigger functions by the rows they read, and the triggers (transition tables are allowed only
    /// on a trigger for one event, hence three).
    static let postgresFunctions = [
        (name: "safeguard_revise_case_lists_inserted", rows: "SELECT organisation_id FROM new_rows"),
        (name: "safeguard_revise_case_lists_deleted", rows: "SELECT organisation_id FROM old_rows"),
        (name: "safeguard_revise_case_lists_updated", rows: "SELECT organisation_id FROM new_rows UNION SELECT organisation_id FROM old_rows"),
    ]
    static let postgresTriggers = [
        (event: "INSERT", tables: "NEW TABLE AS new_rows", function: "safeguard_revise_case_lists_inserted"),
        (event: "UPDATE", tables: "OLD TABLE AS old_rows NEW TABLE AS new_rows", function: "safeguard_revise_case_lists_updated"),
        (event: "DELETE", tables: "OLD TABLE AS old_rows", function: "safeguard_revise_case_lists_deleted"),
    ]

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE organisations ADD COLUMN case_list_revision BIGINT NOT NULL DEFAULT 0").run()
        if sql.dialect.name == "postgresql" {
            for function in Self.postgresFunctions {
                try await sql.raw("""
                    CREATE FUNCTION \(unsafeRaw: function.name)() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        UPDATE organisations SET case_list_revision = case_list_revision + 1 WHERE id IN (\(unsafeRaw: function.rows));
                        RETURN NULL;
                    END $$
                    """).run()
            }
            for trigger in Self.postgresTriggers {
                try await sql.raw("""
                    CREATE TRIGGER cases_list_revision_\(unsafeRaw: trigger.event.lowercased()) \
                    AFTER \(unsafeRaw: trigger.event) ON cases REFERENCING \(unsafeRaw: trigger.tables) \
                    FOR EACH STATEMENT EXECUTE FUNCTION \(unsafeRaw: trigger.function)()
                    """).run()
            }
        } else {
            for trigger in Self.sqliteTriggers {
                try await sql.raw("CREATE TRIGGER \(unsafeRaw: trigger.name) \(unsafeRaw: trigger.sql)").run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "postgresql" {
            for trigger in Self.postgresTriggers {
                try await sql.raw("DROP TRIGGER IF EXISTS cases_list_revision_\(unsafeRaw: trigger.event.lowercased()) ON cases").run()
            }
            for function in Self.postgresFunctions {
                try await sql.raw("DROP FUNCTION IF EXISTS \(unsafeRaw: function.name)()").run()
            }
        } else {
            for trigger in Self.sqliteTriggers {
                try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: trigger.name)").run()
            }
        }
        try await sql.raw("ALTER TABLE organisations DROP COLUMN case_list_revision").run()
    }
}
