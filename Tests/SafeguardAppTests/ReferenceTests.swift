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

    /// Numbers are taken in one statement that checks the organisations too: an organisation that does not exist
    /// takes none, even beside one that does, and is named as what is missing.
    @Test func noNumberIsTakenForAnOrganisationThatDoesNotExist() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let store = CaseStore(db: app.db, cipher: app.cipher)
            let first = try await store.reserveCaseNumbers(organisationIDs: [world.policeA.id, world.school.id], count: 3)
            #expect(first.count == 3)
            await #expect(throws: StoreError.notFound("organisation")) {
                _ = try await store.reserveCaseNumbers(organisationIDs: [UUID()], count: 1)
            }
            await #expect(throws: StoreError.notFound("organisation")) {
                _ = try await store.reserveCaseNumbers(organisationIDs: [world.policeA.id, UUID()], count: 2)
            }
            #expect(try await store.reserveCaseNumbers(organisationIDs: [world.policeA.id], count: 1).lowerBound == first.upperBound,
                    "the refused reservation took no number")
            try await (app.db as! any SQLDatabase).raw("DELETE FROM case_numbers").run()
            await #expect(throws: StoreError.notFound("case number counter")) {
                _ = try await store.reserveCaseNumbers(organisationIDs: [world.policeA.id], count: 1)
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

    /// A reference has at least six digits and never loses one: on PostgreSQL an opening's reference is made by the
    /// database, in the statement that takes its number, so it must say exactly what `CaseStore.reference` says.
    @Test func referencesPastSixDigitsAreWholeAndStoredAsReturned() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let sql = app.db as! any SQLDatabase
            let year = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date()).year!
            for (start, expected) in [(7, ["000007", "000008"]), (999_999, ["999999", "1000000"]), (12_345_678, ["12345678", "12345679"])] {
                try await sql.raw("UPDATE case_numbers SET next_number = \(bind: start)").run()
                for suffix in expected {
                    let created = try await createCase(app, token: world.token("policeA.officer"))
                    #expect(created["reference"] as? String == "SG-\(year)-\(suffix)")
                    let stored = try await sql.raw("SELECT reference FROM cases WHERE id = \(bind: UUID(text: created["id"] as! String)!)").first()
                    #expect(try stored?.decode(column: "reference", as: String.self) == "SG-\(year)-\(suffix)", "stored as returned")
                }
                let next = try await sql.raw("SELECT next_number FROM case_numbers").first()
                #expect(try next?.decode(column: "next_number", as: Int.self) == start + 2, "one number an opening")
            }
        }
    }

    /// An opening for an organisation that does not exist fails whole: no number taken, nothing written.
    @Test func anOpeningForNoOrganisationTakesNoNumberAndWritesNothing() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let sql = app.db as! any SQLDatabase
            let before = try await sql.raw("SELECT next_number FROM case_numbers").first()?.decode(column: "next_number", as: Int.self)
            let facts = try CaseFacts.decode(json: Data(#"""
                {"setting":"police","jurisdiction":"england","people":[{"ref":"A","age":15,"roles":["depicted","sender"]}]}
                """#.utf8))
            let assessment = GuidanceLibrary.bundled.assess(facts, today: CaseController.today)
            let officer = try #require(world.users["policeA.officer"])
            await #expect(throws: (any Error).self) {
                _ = try await CaseStore(db: app.db, cipher: app.cipher).openCase(
                    organisationID: UUID(), createdBy: officer.id, summary: "No such organisation", status: .open, facts: facts,
                    assessment: assessment, chronology: ("case.created", "Case opened", "officer"), mustActionDays: 1, now: Date())
            }
            let after = try await sql.raw("SELECT next_number FROM case_numbers").first()?.decode(column: "next_number", as: Int.self)
            #expect(after == before, "no number taken")
            for table in ["cases", "case_assessments", "case_actions", "case_events"] {
                #expect(try await count(app, table) == 0, "nothing written to \(table)")
            }
        }
    }
}
