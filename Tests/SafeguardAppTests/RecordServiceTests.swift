import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import Testing
import Vapor

/// `RecordService` takes a record for a case from the acting user, with no HTTP request, on its injected clock: the API,
/// the pages and a sign-off's decision all go through it. Its lines and entry are written in the caller's transaction,
/// so a refused record leaves none of them.
@Suite struct RecordServiceTests {
    @Test func aRecordIsTakenFromTheActingUserOnTheInjectedClock() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let record = try await openedCase(app, world)
            let caseID = record.id
            let actor = world.acting("policeA.officer")
            // Nothing in the service may read the time but through its clock.
            let then = anHourAgo()
            let service = RecordService(cipher: app.cipher, assessor: .bundled, clock: { then })
            // The service checks dates on its own clock, so the record is dated by it too.
            let today = CalendarDate(utcDayOf: then).description
            let crime = try ResponseRecord.decode(json: Data("""
                {"kind": "crimeRecord", "crimeReference": "NP/26/4411", "reportedOn": "\(today)", "offences": ["poca1978s1", "cja1988part11"]}
                """.utf8))
            let events = ResponseStore(db: app.db, cipher: app.cipher)
            let linesBefore = try await events.chronology(caseID: caseID).count
            let result = try await app.writeGate.run(app.db) { db in try await service.add(crime, to: record, by: actor, on: db) }
            #expect(result.completedActions == ["recordCrime"], "the record fulfils the guidance's action to record the crime")

            let lines = try await events.chronology(caseID: caseID).dropFirst(linesBefore)
            #expect(lines.map(\.kind) == ["record.added", "action.done"])
            #expect(lines.allSatisfy { $0.at == then && $0.actorID == officer.id && $0.actorRole == "officer" })
            let entry = try #require(try await AuditStore(db: app.db).entries(organisationID: officer.organisationID, limit: 1,
                                                                                caseID: caseID).first)
            #expect(entry.action == "case.record.add" && entry.actorID == officer.id.uuidString.lowercased())
            #expect(entry.detail == "kind=crimeRecord record=1 completed=1")

            // A welfare check of a person the case does not have is refused by the rules: nothing of it is kept, no
            // line and no entry.
            let entries = try await AuditStore(db: app.db).count()
            let unknown = try ResponseRecord.decode(json: Data("""
                {"kind": "welfareCheck", "person": "Z", "checkedOn": "\(today)", "result": "Safe at home"}
                """.utf8))
            await #expect(throws: APIError.self) {
                _ = try await app.writeGate.run(app.db) { db in try await service.add(unknown, to: record, by: actor, on: db) }
            }
            #expect(try await events.chronology(caseID: caseID).count == linesBefore + 2)
            #expect(try await AuditStore(db: app.db).count() == entries)
            #expect(try await events.records(caseID: caseID).count == 1)
        }
    }

    /// A custody record that seizes a device changes the case's facts through the same change a route makes
    /// (`CaseService.Change`), in the record's transaction: a new version, the facts' line and a re-assessment at it,
    /// and a read that shows it at once. A step that leaves the device where it was changes nothing.
    @Test func aSeizureChangesTheFactsThroughTheRoutesOwnChange() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let record = try await openedCase(app, world, summary: "Image shared between two 16-year-olds", facts: ResponseJourneyTests.consensualFacts)
            let actor = world.acting("policeA.officer")
            let cases = CaseStore(db: app.db, cipher: app.cipher)
            let events = ResponseStore(db: app.db, cipher: app.cipher)
            let service = RecordService(cipher: app.cipher, assessor: .bundled)
            let before = try await events.chronology(caseID: record.id).count
            let entries = try await AuditStore(db: app.db).count()
            let seizure = try ResponseRecord.decode(json: Data("""
                    {"kind": "deviceCustody", "device": "D1", "step": "seized", "on": "\(CaseController.today)", "by": "PC 4521",
                     "power": "pace32", "rationale": "Needed to establish onward sharing"}
                    """.utf8))
            _ = try await app.writeGate.run(app.db) { db in try await service.add(seizure, to: record, by: actor, on: db) }

            let changed = try #require(try await cases.findCase(id: record.id, organisationID: record.organisationID))
            #expect(changed.version == 2 && changed.facts.devices.first?.seized == .true)
            let assessed = try #require(try await cases.latestAssessment(caseID: record.id))
            #expect(assessed.caseVersion == 2, "re-assessed at the new version")
            let lines = try await events.chronology(caseID: record.id).dropFirst(before)
            #expect(lines.map(\.summary).contains("Facts changed (version 2): device D1 seized, from the custody record"))
            #expect(lines.first?.kind == "record.added")
            // One entry: the record's own, which says why the case changed.
            #expect(try await AuditStore(db: app.db).count() == entries + 1)
            // A read (the case view cache on PostgreSQL, the reader's on SQLite) shows the new version at once.
            let caseService = CaseService(db: app.db, cipher: app.cipher, gate: app.writeGate, audit: app.auditWriter, assessor: .bundled,
                                          reader: app.sqliteReader, direct: app.directWrites, views: app.caseViews)
            let view = try #require(try await caseService.readView(by: actor, id: record.id))
            #expect(view.header.version == 2 && view.factsJSON.contains("\"seized\":true"))
            #expect(view.assessment?.caseVersion == 2)
            #expect(view.actions.map(\.recommendationID) == (try await cases.actions(caseID: record.id)).map(\.recommendationID))

            // A step that does not change where the device is (examined) leaves the facts, and the version, alone.
            let examined = try ResponseRecord.decode(json: Data("""
                {"kind": "deviceCustody", "device": "D1", "step": "examined", "on": "\(CaseController.today)", "by": "DFU"}
                """.utf8))
            _ = try await app.writeGate.run(app.db) { db in try await service.add(examined, to: changed, by: actor, on: db) }
            #expect(try await cases.findCase(id: record.id, organisationID: record.organisationID)?.version == 2)
        }
    }
}
