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
                let done = try await service.markAction(actions[0].id, of: record, status: .done, reason: nil, by: actor, on: db)
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
