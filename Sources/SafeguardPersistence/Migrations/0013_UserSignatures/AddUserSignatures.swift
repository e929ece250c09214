import FluentKit

/// What a letter's signature block needs beyond a name (issue 11, point 6): the officer's rank and collar number,
/// kept on their profile and set on their account page. Both optional: a school's staff have neither.
struct M0013AddUserSignatures: AsyncMigration {
    var name: String { "0013_AddUserSignatures" }

    func prepare(on database: any Database) async throws {
        try await database.schema("users").field("rank", .string).update()
        try await database.schema("users").field("collar_number", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").deleteField("collar_number").update()
        try await database.schema("users").deleteField("rank").update()
    }
}
