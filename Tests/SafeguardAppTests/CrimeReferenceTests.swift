import Foundation
@testable import SafeguardApp
import SafeguardPersistence
import Testing
import Vapor

/// Issue 11, point 3: a crime reference already on another case of the force is refused, naming that case, so one
/// crime is not worked as two cases. College of Policing APP, Action 1 (record the crime).
@Suite struct CrimeReferenceTests {
    static func crime(_ reference: String) -> [String: Any] {
        ["kind": "crimeRecord", "crimeReference": reference, "reportedOn": CaseController.today.description,
         "offences": ["poca1978s1", "cja1988part11"]]
    }

    @Test func aCrimeReferenceOnAnotherCaseOfTheForceIsRefusedNamingThatCase() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let first = try await createCase(app, token: token, facts: ResponseJourneyTests.consensualFacts)
            let second = try await createCase(app, token: token, facts: ResponseJourneyTests.consensualFacts)
            let firstID = first["id"] as! String, secondID = second["id"] as! String
            let recorded = try await send(app, .POST, "/api/v1/cases/\(firstID)/records", token: token, json: Self.crime("NP/26/4411"))
            #expect(recorded.status == .created, "\(recorded.text.prefix(300))")
            // The same number, written differently, on the second case.
            let again = try await send(app, .POST, "/api/v1/cases/\(secondID)/records", token: token, json: Self.crime(" np/26/ 4411"))
            #expect(again.status == .conflict)
            #expect(again.errorCode == "duplicate_crime_reference")
            #expect(again.errorField == "crimeReference")
            let message = ((again.json["error"] as? [String: Any])?["message"] as? String) ?? ""
            #expect(message.contains(first["reference"] as! String), "names the case that has it: \(message)")
            #expect(try await ResponseStore(db: app.db, cipher: app.cipher).records(caseID: UUID(uuidString: secondID)!).isEmpty, "nothing stored")
            // Another number is fine; so is the same number in another force.
            #expect(try await send(app, .POST, "/api/v1/cases/\(secondID)/records", token: token, json: Self.crime("NP/26/4412")).status == .created)
            // Another force's cases are its own: the same number there names nothing here.
            let store = ResponseStore(db: app.db, cipher: app.cipher)
            #expect(try await store.caseReference(withCrimeReference: "NP/26/4411", organisationID: world.policeB.id, excluding: nil) == nil)
            #expect(try await store.caseReference(withCrimeReference: "NP/26/4411", organisationID: world.policeA.id, excluding: nil)
                    == first["reference"] as? String)
        }
    }

    @Test func theNewReportPageSaysWhichCaseHasTheCrimeReferenceAndOpensNoSecondCase() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let first = try await createCase(app, token: world.token("policeA.officer"), facts: ResponseJourneyTests.consensualFacts)
            _ = try await send(app, .POST, "/api/v1/cases/\(first["id"] as! String)/records", token: world.token("policeA.officer"),
                               json: Self.crime("PA/26/77"))
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let reply = try await Pages.post(app, "/cases/new", officer, [("summary", "The same incident reported again"), ("kind", "image"),
                                                                          ("ageA", "15"), ("ageB", "15"), ("crimeReference", "PA/26/77")])
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.text.contains("The crime reference PA/26/77 is already on case \(first["reference"] as! String)"))
            #expect(reply.text.contains("href=\"#crimeReference\""), "the error summary links to the field")
            #expect(try await count(app, "cases") == 1)
        }
    }
}
