import FluentKit
import SQLKit

/// Case references unique across organisations (issue 11, point 8): a school's SG-2026-000001 and a force's could
/// both exist, and a referral put them side by side. New references take their number from one counter for the
/// whole database, starting above every organisation's own, so no new reference repeats any reference already made.
/// References made before keep their numbers.
struct M0014CreateCaseNumbers: AsyncMigration {
    var name: String { "0014_CreateCaseNumbers" }

    func prepare(on database: any Database) async throws {
        try await database.schema("case_numbers")
            .field("id", .int, .identifier(auto: false))
            .field("next_number", .int, .required)
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("INSERT INTO case_numbers (id, next_number) SELECT 1, COALESCE(MAX(next_case_number), 1) FROM organisations").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("case_numbers").delete()
    }
}
