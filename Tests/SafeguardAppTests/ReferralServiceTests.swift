import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import Testing
import Vapor

/// `ReferralService` takes a school's referral and the force's answer from the acting users, with no HTTP request, on
/// its injected clock: the API and the pages both go through it. A refused answer leaves nothing.
@Suite struct ReferralServiceTests {
    @Test func aReferralIsSentAndAnsweredByTheActingUsersOnTheInjectedClock() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let dsl = world.user("school.dsl"), officer = world.user("policeA.officer")
            let concern = try await send(app, .POST, "/api/v1/cases", token: world.token("school.dsl"),
                                         json: ["summary": "Overheard pupils saying an image of A is going round"])
            #expect(concern.status == .created, "\(concern.text)")
            let schoolCaseID = try #require(UUID(uuidString: concern.json["id"] as! String))
            let store = CaseStore(db: app.db, cipher: app.cipher)
            let schoolCase = try #require(try await store.findCase(id: schoolCaseID, organisationID: world.school.id))
            let asDSL = world.acting("school.dsl")
            let asOfficer = world.acting("policeA.officer")
            let then = anHourAgo()
            var records = RecordService(cipher: app.cipher, assessor: .bundled)
            records.clock = { then }
            let service = ReferralService(db: app.db, cipher: app.cipher, gate: app.writeGate, records: records, assessor: .bundled)
            let events = ResponseStore(db: app.db, cipher: app.cipher)

            let referral = try await service.send(ReferralCreateRequest(toOrganisationID: world.policeA.id, summary: "Pupil A sent an image",
                                                                        share: []), from: schoolCase, by: asDSL)
            #expect(referral.status == .sent && referral.createdAt == then && referral.createdBy == dsl.id)
            let policeCase = try #require(try await store.findCase(id: referral.toCaseID, organisationID: world.policeA.id))
            #expect(policeCase.summary == "Referred by Test School: Pupil A sent an image")
            let opened = try await events.chronology(caseID: policeCase.id)
            #expect(opened.map(\.kind) == ["case.created"] && opened.allSatisfy { $0.at == then && $0.actorID == dsl.id })
            #expect(try await events.chronology(caseID: schoolCaseID).contains { $0.kind == "referral.sent" && $0.at == then })
            // Opened as every case is (`CaseStore.open`): its first assessment, an action for each recommendation, the
            // count of open ones and its first line, all on the service's clock.
            #expect(opened.map(\.summary) == ["Case opened from a referral by Test School, case \(schoolCase.reference)"])
            let assessed = try #require(try await store.latestAssessment(caseID: policeCase.id))
            #expect(assessed.caseVersion == 1 && assessed.createdAt == then && assessed.createdBy == dsl.id)
            let actions = try await store.actions(caseID: policeCase.id)
            #expect(Set(actions.map(\.recommendationID)) == Set(assessed.assessment.recommendations.filter { !$0.standing }.map(\.id)))
            #expect(policeCase.openActions == actions.count && policeCase.createdAt == then && policeCase.ownerID == dsl.id)

            // Declining without a reason is refused, and nothing of it is kept.
            let entries = try await AuditStore(db: app.db).count()
            await #expect(throws: APIError.self) {
                _ = try await service.answer(referral, ReferralResponseRequest(status: .declined, reason: " "), on: policeCase, by: asOfficer)
            }
            #expect(try await events.referral(id: referral.id)?.status == .sent)
            #expect(try await AuditStore(db: app.db).count() == entries)

            let accepted = try await service.answer(referral, ReferralResponseRequest(status: .accepted, reason: nil), on: policeCase, by: asOfficer)
            #expect(accepted.status == .accepted && accepted.updatedAt == then)
            #expect(try await store.findCase(id: policeCase.id, organisationID: world.policeA.id)?.ownerID == officer.id,
                    "the officer who accepts owns the case")
            #expect(try await events.chronology(caseID: schoolCaseID).contains { $0.kind == "referral.accepted" && $0.actorID == officer.id })
        }
    }
}
