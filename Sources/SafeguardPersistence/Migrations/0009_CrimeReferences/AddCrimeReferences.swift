import FluentKit
import Foundation
import SQLKit

/// A crime record's reference in a column of its own (issue 11), so that a reference already on another case of
/// the force is found with one indexed query rather than by reading every record. Existing crime records are
/// filled in from their stored JSON.
struct M0009AddCrimeReferences: AsyncMigration {
    var name: String { "0009_AddCrimeReferences" }

    func prepare(on database: any Database) async throws {
        try await database.schema("case_records").field("crime_reference", .string).update()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "records_crime_reference").on("case_records").column("crime_reference").run()
        let rows = try await sql.select().column("id").column("body_json").from("case_records").where("kind", .equal, "crimeRecord").all()
        for row in rows {
            let id = try row.decode(column: "id", as: UUID.self)
            let body = try row.decode(column: "body_json", as: String.self)
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                  let reference = object["crimeReference"] as? String else { continue }
            try await sql.update("case_records").set("crime_reference", to: ResponseStore.normalise(crimeReference: reference))
                .where("id", .equal, id).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("case_records").deleteField("crime_reference").update()
    }
}
