import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import Testing
import Vapor

/// `CaseStore.recordAssessment` works out the case's actions as they stand after a re-assessment, and counts the open
/// ones, from the actions it read and what it wrote, where it used to read them again and count in the database (two
/// more round trips inside the serialised write). What it returns must be what a fresh read gives, on both databases.
@Suite struct RecordAssessmentTests {
    @Test func aReassessmentGivesTheActionsAndCountAFreshReadGives() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let id = try #require(UUID(uuidString: created["id"] as! String))
            let store = CaseStore(db: app.db, cipher: app.cipher)
            let record = try #require(try await store.findCase(id: id, organisationID: officer.organisationID))
            let opened = try await store.actions(caseID: id)
            try #require(opened.count >= 2)
            // One action done and one set aside, each with a reason: sealed in the database, opened in what comes back.
            _ = try await store.setAction(id: opened[0].id, caseID: id, status: .done, reason: "Spoke to both families",
                                          by: officer.id, now: Date())
            _ = try await store.setAction(id: opened[1].id, caseID: id, status: .notApplicable, reason: "No device was taken",
                                          by: officer.id, now: Date())

            // Coercion and blackmail change what the guidance recommends: actions are added; then the
            // first facts again drop them, and coercion once more brings them back (an UPDATE of each).
            var coerced = record.facts
            coerced.circumstances.coercion = .true
            coerced.circumstances.blackmail = .true
            coerced.circumstances.willing = .false
            var seen: (added: Bool, dropped: Bool, restored: Bool) = (false, false, false)
            for (version, facts) in [(2, coerced), (3, record.facts), (4, coerced)] {
                let before = try await store.actions(caseID: id)
                let assessment = GuidanceLibrary.bundled.assess(facts, today: CaseController.today)
                // A whole second, as both databases keep it, so that the actions made now compare equal when read.
                let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) + 1)
                let recorded = try await app.db.transaction { tx in
                    try await CaseStore(db: tx, cipher: app.cipher).recordAssessment(
                        caseID: id, caseVersion: version, assessment: assessment, by: officer.id, mustActionDays: 5, now: now)
                }
                let fresh = try await store.actions(caseID: id)
                #expect(recorded.actions == fresh, "the actions as a read gives them, in its order, reasons opened")
                #expect(recorded.openActions == fresh.count { $0.status == .open && $0.recommended })
                #expect(try await store.findCase(id: id, organisationID: officer.organisationID)?.openActions == recorded.openActions,
                        "the case's stored count is the one returned")
                #expect(fresh.contains { $0.reason == "Spoke to both families" } && fresh.contains { $0.reason == "No device was taken" })
                seen.added = seen.added || fresh.count > before.count
                seen.dropped = seen.dropped || fresh.contains { a in !a.recommended && before.contains { $0.id == a.id && $0.recommended } }
                seen.restored = seen.restored || fresh.contains { a in a.recommended && before.contains { $0.id == a.id && !$0.recommended } }
            }
            #expect(seen.added && seen.dropped && seen.restored, "the facts chosen exercise every kind of write")
        }
    }
}
