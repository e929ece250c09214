import FluentKit
import Foundation
import SQLKit

/// Retention and erasure (issue 13): each organisation's schedule (police by MoPI group; schools until the youngest
/// child is 25, or their own years after closing), when a case was closed, a legal hold that keeps it whatever its
/// date, and a tombstone for each erased case: its reference, its dates and who or which rule erased it, never its
/// content. Cases closed before this are given their last change as their closing date.
struct M0010AddRetention: AsyncMigration {
    var name: String { "0010_AddRetention" }

    func prepare(on database: any Database) async throws {
        try await database.schema("organisations").field("retention_police_group", .int, .required, .sql(.default(2))).update()
        try await database.schema("organisations").field("retention_school_age", .int, .required, .sql(.default(25))).update()
        try await database.schema("organisations").field("retention_school_years", .int).update()
        try await database.schema("cases").field("closed_at", .datetime).update()
        try await database.schema("cases").field("legal_hold_reason", .string).update()
        try await database.schema("cases").field("legal_hold_by", .uuid).update()
        try await database.schema("cases").field("legal_hold_at", .datetime).update()
        try await database.schema("case_tombstones")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id"))
            .field("case_id", .uuid, .required)
            .field("reference", .string, .required)
            .field("opened_at", .datetime, .required)
            .field("closed_at", .datetime)
            .field("erased_at", .datetime, .required)
            .field("erased_by", .uuid)
            .field("rule", .string, .required)
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("UPDATE cases SET closed_at = updated_at WHERE status = 'closed'").run()
        try await sql.create(index: "tombstones_organisation").on("case_tombstones").column("organisation_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("case_tombstones").delete()
        for field in ["legal_hold_at", "legal_hold_by", "legal_hold_reason", "closed_at"] {
            try await database.schema("cases").deleteField(.string(field)).update()
        }
        for field in ["retention_school_years", "retention_school_age", "retention_police_group"] {
            try await database.schema("organisations").deleteField(.string(field)).update()
        }
    }
}
