import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// Issue 11, point 8: case references are unique across organisations, so a school's case and a force's can never
/// be confused when a referral puts them side by side.
@Suite struct ReferenceTests {
    @Test func referencesAreUniqueAcrossOrganisationsAndAReferralNamesBoth() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            var seen = Set<String>()
            for actor in ["policeA.officer", "policeB.officer", "school.dsl", "policeA.officer", "school.staff"] {
                let created = try await createCase(app, token: world.token(actor))
                let reference = created["reference"] as! String
                #expect(seen.insert(reference).inserted, "\(reference) was given twice")
            }
            let year = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date()).year!
            #expect(seen == Set((1...5).map { "SG-\(year)-00000\($0)" }), "one counter for the whole database: \(seen.sorted())")
        }
    }

    /// Numbers are taken in one statement that checks the organisation too: an organisation that does not exist
    /// takes none, and is named as what is missing.
    @Test func noNumberIsTakenForAnOrganisationThatDoesNotExist() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let store = CaseStore(db: app.db, cipher: app.cipher)
            let first = try await store.reserveCaseNumbers(organisationID: world.policeA.id, count: 3)
            #expect(first.count == 3)
            await #expect(throws: StoreError.notFound("organisation")) {
                _ = try await store.reserveCaseNumbers(organisationID: UUID(), count: 1)
            }
            #expect(try await store.reserveCaseNumbers(organisationID: world.policeA.id, count: 1).lowerBound == first.upperBound,
                    "the refused reservation took no number")
            try await (app.db as! any SQLDatabase).raw("DELETE FROM case_numbers").run()
            await #expect(throws: StoreError.notFound("case number counter")) {
                _ = try await store.reserveCaseNumbers(organisationID: world.policeA.id, count: 1)
            }
        }
    }

    @Test func theCounterStartsAboveEveryReferenceAlreadyMade() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            // A database from before the one counter: each organisation had counted on its own, one to 40, another
            // to 7. Migration 0014 is run again on it, as an upgrade would run it.
            let sql = app.db as! any SQLDatabase
            try await sql.raw("UPDATE organisations SET next_case_number = 7").run()
            try await sql.raw("UPDATE organisations SET next_case_number = 40 WHERE id = \(bind: world.policeA.id)").run()
            try await M0014CreateCaseNumbers().revert(on: app.db)
            try await M0014CreateCaseNumbers().prepare(on: app.db)
            let created = try await createCase(app, token: world.token("school.dsl"))
            #expect((created["reference"] as! String).hasSuffix("-000040"), "above every organisation's own numbers")
        }
    }
}
