import FluentKit

/// Encryption at rest (issue 13): the data keys that case free text is sealed with, each wrapped by a master key
/// kept outside the database. One row per data key and master key that wraps it (`master` is the master key's
/// fingerprint); one data key is active for new text. Text already stored is sealed at the first start with a key.
struct M0011AddDataKeys: AsyncMigration {
    var name: String { "0011_AddDataKeys" }

    func prepare(on database: any Database) async throws {
        try await database.schema("data_keys")
            .field("id", .string, .required)
            .field("master", .string, .required)
            .field("wrapped", .string, .required)
            .field("active", .bool, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "id", "master")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("data_keys").delete()
    }
}
