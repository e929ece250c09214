import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import Testing
import Vapor

/// Marking an action done or not applicable, its due date and a note go through `CaseService` from the acting user,
/// with no HTTP request, on its injected clock: the API and the case page both call it.
@Suite struct CaseServiceActionTests {
    @Test func actionsAndNotesAreChangedByTheActingUserOnTheInjectedClock() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let record = try await openedCase(app, world)
            let caseID = record.id
            let store = CaseStore(db: app.db, cipher: app.cipher)
            let actor = world.acting("policeA.officer")
            let then = anHourAgo()
            var clocked = CaseService(db: app.db, cipher: app.cipher, gate: app.writeGate, audit: app.auditWriter, assessor: .bundled)
            clocked.clock = { then }
            let service = clocked
            let actions = try await store.actions(caseID: caseID)
            try #require(actions.count >= 2)
            let events = ResponseStore(db: app.db, cipher: app.cipher)
            let before = try await events.chronology(caseID: caseID).count

            let due = CalendarDate(utcDayOf: Date()).adding(days: 3)
            try await app.writeGate.run(app.db) { db in
                let done = try await service.markAction(actions[0].id, of: record, status: .done, reason: "Done at the scene", by: actor, on: db)
                #expect(done.status == .done && done.completedBy == officer.id && done.completedAt == then)
                let notApplicable = try await service.markAction(actions[1].id, of: record, status: .notApplicable,
                                                                 reason: "No device was taken", by: actor, on: db)
                #expect(notApplicable.reason == "No device was taken")
                _ = try await service.setActionDue(actions[1].id, of: record, due: due, by: actor, on: db)
            }
            let note = try await service.addNote("Spoke to the head of year", to: record, by: actor)
            #expect(try await store.notes(caseID: caseID).map(\.text) == ["Spoke to the head of year"] && note.sequence == 1)

            let lines = try await events.chronology(caseID: caseID).dropFirst(before)
            #expect(lines.map(\.kind) == ["action.done", "action.notApplicable", "action.due", "note.added"])
            #expect(lines.allSatisfy { $0.at == then && $0.actorID == officer.id })
            let audited = try await AuditStore(db: app.db).entries(organisationID: officer.organisationID, limit: 4, caseID: caseID)
            #expect(audited.map(\.action) == ["case.note.add", "case.action.due", "case.action.update", "case.action.update"])
            #expect(try await store.findCase(id: caseID, organisationID: officer.organisationID)?.openActions == record.openActions - 2)

            // Not applicable without a reason is refused by the store, and nothing of it is kept.
            let count = try await AuditStore(db: app.db).count()
            await #expect(throws: StoreError.self) {
                _ = try await app.writeGate.run(app.db) { db in
                    try await service.markAction(actions[0].id, of: record, status: .notApplicable, reason: " ", by: actor, on: db)
                }
            }
            #expect(try await AuditStore(db: app.db).count() == count)
            #expect(try await store.actions(caseID: caseID).first { $0.id == actions[0].id }?.status == .done)
        }
    }
}

/// A change of facts that finds the case moved on between its read and its write: when the case now holds exactly
/// those facts (the same change, sent again by a proxy while its first server was storing it), it is answered with
/// the case; anything else is still refused as stale.
@Suite struct RepeatedFactChangeTests {
    @Test func aChangeRacedByItsOwnFirstSendingIsAnsweredWithTheCase() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let actor = world.acting("policeA.officer")
            let service = CaseService(db: app.db, cipher: app.cipher, gate: app.writeGate, audit: app.auditWriter, assessor: .bundled)
            let stale = try await openedCase(app, world)
            var facts = stale.facts
            facts.circumstances.coercion = .true
            // The first sending, stored.
            let first = try await service.change(by: actor, stale, version: 1, facts: facts, action: "case.facts.update")
            #expect(first.record.version == 2)
            // The second reaches the write with the case as it was read before the first was stored.
            let second = try await service.change(by: actor, stale, version: 1, facts: facts, action: "case.facts.update")
            #expect(second.record.version == 2 && second.record.facts == facts)
            #expect(try await count(app, "audit_entries WHERE detail = 'version=2 repeat=alreadyHeld'") == 1)
            // Other facts at the old version are refused as stale, and change nothing.
            var other = facts
            other.circumstances.blackmail = .true
            await #expect(throws: StoreError.self) {
                _ = try await service.change(by: actor, stale, version: 1, facts: other, action: "case.facts.update")
            }
            let now = try #require(try await service.find(by: actor, id: stale.id))
            #expect(now.version == 2 && now.facts == facts)
        }
    }
}
