import FluentKit

/// Teams (issue 11, point 1): an admin puts case leads in a team ("North CID", "Safeguarding team"), and a supervisor,
/// superintendent or DSL sees their team's open cases first on their home page. Optional: without one, the team is
/// the whole organisation.
struct M0016AddUserTeams: AsyncMigration {
    var name: String { "0016_AddUserTeams" }

    func prepare(on database: any Database) async throws {
        try await database.schema("users").field("team", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").deleteField("team").update()
    }
}
