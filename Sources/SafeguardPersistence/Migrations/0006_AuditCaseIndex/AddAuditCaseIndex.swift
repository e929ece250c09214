import FluentKit
import SQLKit

/// An index on the audit trail by case, so a case's history ("Who has seen this case") reads only its own entries
/// rather than the whole trail. With the sequence second, the newest entries of a case come straight off the index.
struct M0006AddAuditCaseIndex: AsyncMigration {
    var name: String { "0006_AddAuditCaseIndex" }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.create(index: "audit_entries_case").on("audit_entries").column("case_id").column("sequence").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.drop(index: "audit_entries_case").run()
    }
}
