import FluentKit
import SQLKit

/// Merging two cases (issue 11, point 3): a case opened twice for one incident is merged into the other. The merged
/// case is closed and points to the case it went into, so both chronologies are kept and read together there.
struct M0015AddCaseMerges: AsyncMigration {
    var name: String { "0015_AddCaseMerges" }

    func prepare(on database: any Database) async throws {
        try await database.schema("cases").field("merged_into_id", .uuid).update()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "cases_merged_into").on("cases").column("merged_into_id").run()
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase { try await sql.drop(index: "cases_merged_into").run() }
        try await database.schema("cases").deleteField("merged_into_id").update()
    }
}
