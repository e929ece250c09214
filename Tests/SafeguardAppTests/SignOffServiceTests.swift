import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import Testing
import Vapor

/// `SignOffService` takes a proposal and a decision from the acting user, with no HTTP request, on its injected clock:
/// the API and the pages both go through it. A refused decision leaves nothing: the sign-off stays pending and no line
/// or entry is written.
@Suite struct SignOffServiceTests {
    @Test func outcome21IsProposedAndDecidedByTheActingUsersOnTheInjectedClock() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer"), supervisor = world.user("policeA.supervisor")
            let record = try await openedCase(app, world, summary: "Image shared between two 16-year-olds", facts: ResponseJourneyTests.consensualFacts)
            let caseID = record.id
            let asOfficer = world.acting("policeA.officer")
            let asSupervisor = world.acting("policeA.supervisor")
            let then = anHourAgo()
            var records = RecordService(cipher: app.cipher, assessor: .bundled)
            records.clock = { then }
            let service = SignOffService(db: app.db, cipher: app.cipher, gate: app.writeGate, records: records)
            let events = ResponseStore(db: app.db, cipher: app.cipher)

            let proposed = try await service.propose(SignOffCreateRequest(kind: .outcome21, rationale: "Willing, no aggravating features"),
                                                     on: record, by: asOfficer)
            #expect(proposed.status == .pending && proposed.proposedBy == officer.id && proposed.proposedAt == then)
            let proposedLine = try #require(try await events.chronology(caseID: caseID).last)
            #expect(proposedLine.kind == "signoff.proposed" && proposedLine.at == then && proposedLine.actorID == officer.id)

            // The proposer may not decide it (nor may any officer); the rule is the service's, not a route's.
            #expect(throws: APIError.self) { try service.checkReviewer(asOfficer, proposed, on: record) }

            // Approving while must-do actions are open needs a reason: refused, and nothing of it is kept.
            let lines = try await events.chronology(caseID: caseID).count
            let entries = try await AuditStore(db: app.db).count()
            await #expect(throws: APIError.self) {
                _ = try await service.decide(proposed, SignOffDecisionRequest(approve: true, reason: "Proportionate"), on: record, by: asSupervisor)
            }
            #expect(try await events.signOff(id: proposed.id, caseID: caseID)?.status == .pending)
            #expect(try await events.chronology(caseID: caseID).count == lines)
            #expect(try await AuditStore(db: app.db).count() == entries)

            let decided = try await service.decide(proposed, SignOffDecisionRequest(approve: true, reason: "Proportionate",
                                                                                    openActionsReason: "The welfare checks are booked"),
                                                   on: record, by: asSupervisor)
            #expect(decided.status == .approved && decided.reviewedBy == supervisor.id && decided.reviewedAt == then)
            let outcome = try #require(try await events.records(caseID: caseID).first { $0.record.kind == .outcome })
            #expect(outcome.createdBy == officer.id, "the approved record is the proposer's")
            let added = try await events.chronology(caseID: caseID).dropFirst(lines)
            #expect(added.first?.kind == "signoff.approved" && added.allSatisfy { $0.at == then && $0.actorID == supervisor.id })
            let actions = try await AuditStore(db: app.db).entries(organisationID: officer.organisationID, limit: 2, caseID: caseID).map(\.action)
            #expect(Set(actions) == ["case.signoff.decide", "case.outcome21.record"])
        }
    }
}
