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

    @Test("On PostgreSQL a fact update reads the case's actions before the write and uses them inside it only while the case is still at the revision they were read at: an action marked done in between is seen, not overwritten by what was read (issue 9, point 6: fewer statements in the write)",
          PostgresPreparedOpeningTests.needsPostgres)
    func actionsReadBeforeTheWriteAreUsedOnlyAtTheirRevision() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let record = try await openedCase(app, world)
            let id = record.id
            let store = CaseStore(db: app.db, cipher: app.cipher)
            let known = try #require(try await store.actionsBeforeWrite(caseID: id))
            let opened = try await store.actions(caseID: id)
            #expect(known.actions == opened, "the case's actions, every field as a read gives it, in a read's order")
            #expect(try await store.actionsBeforeWrite(caseID: UUID()) == nil, "no case, nothing")

            // Someone marks an action done after the read: the case moves to another revision.
            _ = try await store.setAction(id: opened[0].id, caseID: id, status: .done, reason: "Spoke to both families",
                                          by: officer.id, now: Date())
            let facts = { var f = record.facts; f.circumstances.coercion = .true; return f }()
            // Whole seconds, as both databases keep them, so that actions made now compare equal when read.
            let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) + 1)
            let assessment = GuidanceLibrary.bundled.assess(facts, today: CaseController.today)
            let recorded = try await app.db.transaction { tx in
                let txStore = CaseStore(db: tx, cipher: app.cipher)
                let (updated, revision) = try await txStore.updateCase(
                    id: id, organisationID: officer.organisationID, expectedVersion: record.version, facts: facts,
                    summary: nil, status: nil, now: now)
                #expect(known.still(at: revision) == nil, "the revision moved with the action")
                return try await txStore.recordAssessment(caseID: id, caseVersion: updated.version, assessment: assessment,
                                                          by: officer.id, mustActionDays: 5, now: now,
                                                          known: known.still(at: revision))
            }
            #expect(recorded.actions.first { $0.id == opened[0].id }?.status == .done, "the action done in between stays done")
            #expect(recorded.actions == (try await store.actions(caseID: id)))

            // Nothing in between: what was read is used, and gives what a fresh read gives.
            let again = try #require(try await store.actionsBeforeWrite(caseID: id))
            let current = try #require(try await store.findCase(id: id, organisationID: officer.organisationID))
            let back = GuidanceLibrary.bundled.assess(record.facts, today: CaseController.today)
            let second = try await app.db.transaction { tx in
                let txStore = CaseStore(db: tx, cipher: app.cipher)
                let (updated, revision) = try await txStore.updateCase(
                    id: id, organisationID: officer.organisationID, expectedVersion: current.version, facts: record.facts,
                    summary: nil, status: nil, now: now)
                let still = again.still(at: revision)
                #expect(still != nil, "nothing changed the actions since they were read")
                return try await txStore.recordAssessment(caseID: id, caseVersion: updated.version, assessment: back,
                                                          by: officer.id, mustActionDays: 5, now: now, known: still)
            }
            #expect(second.actions == (try await store.actions(caseID: id)))
            #expect(try await store.findCase(id: id, organisationID: officer.organisationID)?.openActions == second.openActions)
        }
    }

    @Test("On SQLite no actions are read before the write: there a read inside it is a call, not a round trip",
          .enabled(if: TestDatabase.postgresURL == nil, "runs on SQLite"))
    func sqliteReadsNoActionsBeforeTheWrite() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let record = try await openedCase(app, world)
            #expect(try await CaseStore(db: app.db, cipher: app.cipher).actionsBeforeWrite(caseID: record.id) == nil)
        }
    }
}
