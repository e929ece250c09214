import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import Testing
import Vapor

/// The whole response, walked over HTTP against a real server (started on 127.0.0.1 for each request) and a real
/// database (SQLite, or PostgreSQL when SAFEGUARD_TEST_DATABASE_URL is set) — issue 4's journeys (a) to (e).
@Suite struct ResponseJourneyTests {
    /// A signed-in world and a way to call the running server as one of its users.
    struct Journey {
        let app: Application
        let world: World

        @discardableResult
        func call(_ actor: String, _ method: HTTPMethod, _ path: String, _ json: [String: Any]? = nil,
                  expect status: HTTPStatus? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Reply {
            let reply = try await send(app, method, "/api/v1" + path, token: world.token(actor), json: json,
                                       over: .running(hostname: "127.0.0.1", port: 0))
            if let status {
                #expect(reply.status == status, "\(actor) \(method) \(path): \(reply.text.prefix(400))", sourceLocation: sourceLocation)
            }
            return reply
        }

        func record(_ actor: String, _ caseID: String, _ json: [String: Any], expect status: HTTPStatus = .created,
                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> Reply {
            try await call(actor, .POST, "/cases/\(caseID)/records", json, expect: status, sourceLocation: sourceLocation)
        }

        func chronology(_ actor: String, _ caseID: String) async throws -> [String] {
            try await call(actor, .GET, "/cases/\(caseID)/chronology", expect: .ok).array.map { $0["summary"] as! String }
        }

        func actionStatus(_ actor: String, _ caseID: String, _ recommendation: String) async throws -> String? {
            let c = try await call(actor, .GET, "/cases/\(caseID)", expect: .ok).json
            return (c["actions"] as! [[String: Any]]).first { $0["recommendationID"] as? String == recommendation }?["status"] as? String
        }
    }

    static func journey(_ body: (Journey) async throws -> Void) async throws {
        try await withApp { app in try await body(Journey(app: app, world: try await seedWorld(app))) }
    }

    static var today: String { "\(CaseController.today)" }

    /// Two 16-year-olds, willing and age-appropriate, every fact known: Outcome 21 is eligible (Action 10).
    static var consensualFacts: [String: Any] {
        func person(_ ref: String, _ roles: [String]) -> [String: Any] {
            ["ref": ref, "age": 16, "roles": roles, "learningDisability": false, "inCare": false, "childProtectionPlan": false,
             "selfHarmRisk": false, "immediateDanger": false, "parentalInvolvementRisk": false, "previousIncidents": 0]
        }
        return [
            "people": [person("A", ["depicted", "creator", "sender"]), person("B", ["recipient", "possessor"])],
            "imagery": [["ref": "I1", "kind": "image", "depicts": ["A"], "sexualActs": false, "violent": false,
                         "unusualForDevelopmentalStage": false, "sharedWithoutPermission": false, "sharedBeyondControl": false,
                         "uploadedToAdultSite": false, "platforms": []]],
            "circumstances": ["coercion": false, "blackmail": false, "grooming": false, "exploitation": false, "profitMotive": false,
                              "maliciousIntent": false, "persistent": false, "violence": false, "willing": true,
                              "ageAppropriate": true, "accidental": false],
            "devices": [["ref": "D1", "owner": "B", "seized": false, "containsImageryOf": ["A"]]],
        ]
    }

    func openPoliceCase(_ j: Journey) async throws -> String {
        let reply = try await j.call("policeA.officer", .POST, "/cases", ["summary": "Image shared between two 16-year-olds", "facts": Self.consensualFacts],
                                     expect: .created)
        let assessment = (reply.json["assessment"] as! [String: Any])["assessment"] as! [String: Any]
        #expect((assessment["decisions"] as! [String: Any])["outcome21"] as? String == "eligible")
        return reply.json["id"] as! String
    }

    // MARK: (a) Report to approved Outcome 21, letter and deletion direction

    @Test func aPoliceCaseFromReportToApprovedOutcome21LetterAndDeletionDirection() async throws {
        try await Self.journey { j in
            let id = try await openPoliceCase(j)
            let today = Self.today
            // Action 1: the crime recorded, with the offences the engine suggests; the classification is filled in.
            let crime = try await j.record("policeA.officer", id, ["kind": "crimeRecord", "crimeReference": "NP/26/4411", "reportedOn": today,
                                                                   "offences": ["poca1978s1", "cja1988part11"]])
            let stored = (crime.json["record"] as! [String: Any])["record"] as! [String: Any]
            #expect(stored["homeOfficeClassification"] as? String == "86/2")
            #expect(crime.json["completedActions"] as? [String] == ["recordCrime"])
            // Action 2: welfare checks on both children complete the welfare action only when both are done.
            let w1 = try await j.record("policeA.officer", id, ["kind": "welfareCheck", "person": "A", "checkedOn": today, "result": "Safe at home with mother"])
            #expect((w1.json["completedActions"] as? [String]) == [])
            let w2 = try await j.record("policeA.officer", id, ["kind": "welfareCheck", "person": "B", "checkedOn": today, "result": "Safe, upset"])
            #expect((w2.json["completedActions"] as? [String]) == ["welfareCheck"])
            // Action 2: everyone involved is told not to copy the imagery: A's parents, then B.
            let advisedA = try await j.record("policeA.officer", id, ["kind": "advice", "to": "parents of A", "givenOn": today, "topics": ["notToCopy", "whereToFindSupport"]])
            #expect((advisedA.json["completedActions"] as? [String]) == [])
            let advisedB = try await j.record("policeA.officer", id, ["kind": "advice", "to": "B", "givenOn": today, "topics": ["notToCopy"]])
            #expect((advisedB.json["completedActions"] as? [String]) == ["adviseNotToCopy"])
            // Action 3: checks on both children, then the family conversation needs no reason.
            for person in ["A", "B"] {
                for system in ["pnc", "mash"] {
                    try await j.record("policeA.officer", id, ["kind": "backgroundCheck", "person": person, "system": system, "status": "done",
                                                               "checkedOn": today, "result": "No trace"])
                }
            }
            #expect(try await j.actionStatus("policeA.officer", id, "backgroundChecks") == "done")
            let meeting = try await j.record("policeA.officer", id, ["kind": "meeting", "meetingKind": "conversationWithFamily", "on": today, "with": ["A", "parents of A"]])
            #expect((meeting.json["warnings"] as? [Any])?.isEmpty == true)
            // Action 5: an account, and the decision not to record A as a suspect.
            try await j.record("policeA.officer", id, ["kind": "account", "person": "A", "takenOn": today, "takenBy": "PC 4521 Patel"])
            try await j.record("policeA.officer", id, ["kind": "suspectDecision", "person": "A", "recordAsSuspect": false, "basis": "willingParticipation",
                                                       "rationale": "Willing, age-appropriate sharing between peers", "decidedOn": today])
            // Action 11: the officer proposes Outcome 21; a supervisor approves it.
            let proposal = try await j.call("policeA.officer", .POST, "/cases/\(id)/sign-offs",
                                            ["kind": "outcome21", "rationale": "Non-abusive, willing, no aggravating features"], expect: .created)
            #expect(proposal.json["engineDecision"] as? String == "eligible")
            let inbox = try await j.call("policeA.supervisor", .GET, "/inbox", expect: .ok)
            #expect((inbox.json["signOffsToReview"] as! [[String: Any]]).map { $0["id"] as! String } == [proposal.json["id"] as! String])
            let approved = try await j.call("policeA.supervisor", .POST, "/cases/\(id)/sign-offs/\(proposal.json["id"] as! String)/decision",
                                            ["approve": true, "reason": "Agree: Outcome 21 is proportionate"], expect: .ok)
            #expect(approved.json["status"] as? String == "approved")
            let outcomes = try await j.call("policeA.officer", .GET, "/cases/\(id)/records?kind=outcome", expect: .ok).array
            #expect(outcomes.count == 1)
            #expect((outcomes.first?["record"] as? [String: Any])?["code"] as? String == "21")
            #expect(try await j.actionStatus("policeA.officer", id, "seniorReviewOutcome21") == "done")
            try await j.call("policeA.officer2", .POST, "/cases/\(id)/sign-offs", ["kind": "outcome21", "rationale": "again"], expect: .conflict)
            // Action 12: the outcome explained to the parents, with the edition's DBS explanation attached.
            let told = try await j.record("policeA.officer", id, ["kind": "communication", "audience": "parentsOrCarers", "person": "A", "on": today,
                                                                  "method": "inPerson", "topics": ["outcome", "dbs"]])
            let dbs = ((told.json["record"] as! [String: Any])["record"] as! [String: Any])["dbsExplanation"] as? String
            #expect(dbs?.contains("youth cautions are exempt") == true)
            // Action 13: the letter, to the parent ("your child"), quoting the crime reference.
            let letter = try await j.call("policeA.officer", .POST, "/cases/\(id)/documents/outcome21-letter",
                                          ["to": "parent", "person": "A", "name": "Ms Jones", "childName": "Sam", "phone": "101"], expect: .ok)
            #expect(letter.headers.contentType == .html)
            #expect(letter.text.contains("NP/26/4411"))
            #expect(letter.text.contains("Sam"))
            #expect(letter.headers.first(name: .cacheControl) == "no-store")
            let text = try await j.call("policeA.officer", .POST, "/cases/\(id)/documents/outcome21-letter",
                                        ["to": "youngPerson", "person": "A", "name": "Sam", "format": "text"], expect: .ok)
            #expect(text.text.contains("You have been recorded"))
            // Printing is not giving: the letter's action is done when its giving is recorded (issue 11, point 6).
            #expect(try await j.actionStatus("policeA.officer", id, "outcome21Letter") == "open")
            try await j.record("policeA.officer", id, ["kind": "communication", "audience": "parentsOrCarers", "person": "A", "on": today,
                                                       "method": "letter", "topics": ["outcome"]])
            // Explained in person to A's parents, not yet to B: Action 13 asks it of everyone involved.
            #expect(try await j.actionStatus("policeA.officer", id, "outcome21Letter") == "open")
            try await j.record("policeA.officer", id, ["kind": "communication", "audience": "child", "person": "B", "on": today,
                                                       "method": "inPerson", "topics": ["outcome"]])
            #expect(try await j.actionStatus("policeA.officer", id, "outcome21Letter") == "done")
            // Action 14: a direction to B to delete copies; proof of deletion added later completes the action.
            let direction = try await j.record("policeA.officer", id, ["kind": "deletionDirection", "holder": "B", "directedOn": today, "directedBy": "PC 4521 Patel"])
            #expect((direction.json["completedActions"] as? [String]) == [])
            let recordID = (direction.json["record"] as! [String: Any])["id"] as! String
            let proof = try await j.call("policeA.officer", .PUT, "/cases/\(id)/records/\(recordID)",
                                         ["revision": 1, "record": ["kind": "deletionDirection", "holder": "B", "directedOn": today,
                                                                    "directedBy": "PC 4521 Patel", "deletedOn": today,
                                                                    "proof": "Deleted in the officer's presence; recently deleted folder emptied",
                                                                    "verifiedBy": "PC 4521 Patel"]], expect: .ok)
            #expect(proof.json["completedActions"] as? [String] == ["deletionDirection"])
            // A stale revision is refused and changes nothing.
            try await j.call("policeA.officer", .PUT, "/cases/\(id)/records/\(recordID)",
                             ["revision": 1, "record": ["kind": "deletionDirection", "holder": "A", "directedOn": today, "directedBy": "x"]], expect: .conflict)
            // Action 17: the child contact form for partners.
            try await j.record("policeA.officer", id, ["kind": "childContactForm", "raisedOn": today, "sharedWith": ["Children's social care", "School"]])
            let form = try await j.call("policeA.officer", .GET, "/cases/\(id)/documents/child-contact-form?format=text", expect: .ok)
            #expect(form.text.contains("Child contact with police"))
            #expect(form.text.contains("Outcome 21"))
            // Action 17: what partners are asked is theirs to do; the force's own must-dos are under its own heading.
            let asked = try #require(form.text.range(of: "WHAT PARTNERS ARE ASKED TO DO"))
            #expect(form.text.contains("WHAT TEST POLICE A MUST DO"))
            #expect(form.text[asked.upperBound...].contains("share with Test Police A anything you hold"))
            #expect(!form.text[asked.upperBound...].contains("Record the report"), "the force's own tasks are not asked of partners")
            // Chronology: everything, in order.
            let lines = try await j.chronology("policeA.officer", id)
            let order = ["Case opened", "Crime recorded", "Welfare check", "Outcome 21 proposed", "Outcome 21 approved", "Outcome recorded: Outcome 21",
                         "Outcome 21 letter produced", "Deletion direction changed"]
            var cursor = 0
            for line in lines where cursor < order.count && line.hasPrefix(order[cursor]) { cursor += 1 }
            #expect(cursor == order.count, "chronology out of order or missing \(order[min(cursor, order.count - 1)]): \(lines)")
            // Every step is audited and the chain still verifies.
            let verify = try await j.call("policeA.auditor", .GET, "/audit/verify", expect: .ok)
            #expect(verify.json["valid"] as? Bool == true)
        }
    }

    // MARK: (b) Refused Outcome 21

    @Test func bARefusedOutcome21ReturnsTheCaseToTheOfficer() async throws {
        try await Self.journey { j in
            let id = try await openPoliceCase(j)
            let proposal = try await j.call("policeA.officer", .POST, "/cases/\(id)/sign-offs", ["kind": "outcome21", "rationale": "First incident"], expect: .created)
            // Only one proposal waits at a time.
            try await j.call("policeA.officer2", .POST, "/cases/\(id)/sign-offs", ["kind": "outcome21", "rationale": "Again"], expect: .conflict)
            let refused = try await j.call("policeA.supervisor", .POST, "/cases/\(id)/sign-offs/\(proposal.json["id"] as! String)/decision",
                                           ["approve": false, "reason": "Speak to the school about earlier incidents first"], expect: .ok)
            #expect(refused.json["status"] as? String == "refused")
            let outcomes = try await j.call("policeA.officer", .GET, "/cases/\(id)/records?kind=outcome", expect: .ok).array
            #expect(outcomes.isEmpty)
            let inbox = try await j.call("policeA.officer", .GET, "/inbox", expect: .ok)
            let returned = inbox.json["refusedProposals"] as! [[String: Any]]
            #expect(returned.map { $0["id"] as! String } == [proposal.json["id"] as! String])
            #expect((returned[0]["review"] as? [String: Any])?["reason"] as? String == "Speak to the school about earlier incidents first")
            try await j.call("policeA.officer", .POST, "/cases/\(id)/documents/outcome21-letter",
                             ["to": "youngPerson", "person": "A", "name": "Sam"], expect: .conflict)
            // Deciding twice is refused; the officer may propose again.
            try await j.call("policeA.supervisor", .POST, "/cases/\(id)/sign-offs/\(proposal.json["id"] as! String)/decision",
                             ["approve": true, "reason": "changed my mind"], expect: .conflict)
            try await j.call("policeA.officer", .POST, "/cases/\(id)/sign-offs", ["kind": "outcome21", "rationale": "School confirms no earlier incidents"], expect: .created)
            let lines = try await j.chronology("policeA.officer", id)
            #expect(lines.contains { $0.hasPrefix("Outcome 21 refused by the supervisor: Speak to the school") && $0.contains("returns to the proposing officer") })
        }
    }

    // MARK: (c) Self-approval refused

    /// Outcome 21 is decided by "a suitably senior and/or experienced officer" (College of Policing, Action 11): a
    /// supervisor or a superintendent, never its proposer. A hands-on review found a supervisor's own proposal stuck
    /// for good in a force with one supervisor, the superintendent refused.
    @Test func cNobodyApprovesTheirOwnOutcome21AndOnlyASupervisorOrSuperintendentDecides() async throws {
        try await Self.journey { j in
            let id = try await openPoliceCase(j)
            let own = try await j.call("policeA.supervisor", .POST, "/cases/\(id)/sign-offs", ["kind": "outcome21", "rationale": "Proposed by a supervisor"], expect: .created)
            let path = "/cases/\(id)/sign-offs/\(own.json["id"] as! String)/decision"
            let selfApproval = try await j.call("policeA.supervisor", .POST, path, ["approve": true, "reason": "Looks fine"], expect: .forbidden)
            #expect(selfApproval.text.contains("you proposed this"))
            for actor in ["policeA.officer", "policeA.officer2"] {
                let refused = try await j.call(actor, .POST, path, ["approve": true, "reason": "Looks fine"], expect: .forbidden)
                #expect(refused.text.contains("only a supervisor or superintendent may approve or refuse Outcome 21"), "\(refused.text)")
            }
            try await j.call("policeB.officer", .POST, path, ["approve": true, "reason": "Looks fine"], expect: .notFound)
            // The proposer does not see it in their own inbox to review; the superintendent does, as no one else can.
            let inbox = try await j.call("policeA.supervisor", .GET, "/inbox", expect: .ok)
            #expect((inbox.json["signOffsToReview"] as! [Any]).isEmpty)
            let senior = try await j.call("policeA.superintendent", .GET, "/inbox", expect: .ok)
            #expect((senior.json["signOffsToReview"] as! [[String: Any]]).map { $0["id"] as? String } == [own.json["id"] as? String])
            let still = try await j.call("policeA.officer", .GET, "/cases/\(id)/sign-offs", expect: .ok).array
            #expect(still.map { $0["status"] as! String } == ["pending"])
            try await j.call("policeA.superintendent", .POST, path, ["approve": true, "reason": "Willing, age-appropriate, first time: agreed",
                                                                    "openActionsReason": "The officer completes them this shift"], expect: .ok)
            let decided = try await j.call("policeA.officer", .GET, "/cases/\(id)/sign-offs", expect: .ok).array
            #expect(decided.map { $0["status"] as! String } == ["approved"])

            // An officer's proposal goes to the supervisors; the superintendent may decide it but is not asked to.
            let other = try await openPoliceCase(j)
            _ = try await j.call("policeA.officer", .POST, "/cases/\(other)/sign-offs", ["kind": "outcome21", "rationale": "Proposed by an officer"], expect: .created)
            let notAsked = try await j.call("policeA.superintendent", .GET, "/inbox", expect: .ok)
            #expect((notAsked.json["signOffsToReview"] as! [Any]).isEmpty)
            let asked = try await j.call("policeA.supervisor", .GET, "/inbox", expect: .ok)
            #expect((asked.json["signOffsToReview"] as! [Any]).count == 1)
        }
    }

    // MARK: (d) Device return needs a superintendent

    @Test func dADeviceThatHeldImageryIsReturnedOnlyWithASuperintendentsSignOff() async throws {
        try await Self.journey { j in
            let id = try await openPoliceCase(j)
            let today = Self.today
            // Actions 5–6: seizure needs the power and the National Decision Model rationale.
            let noPower = try await j.record("policeA.officer", id, ["kind": "deviceCustody", "device": "D1", "step": "seized", "on": today, "by": "PC 4521",
                                                                     "rationale": "Needed to establish onward sharing"], expect: .unprocessableEntity)
            #expect(noPower.errorField == "power")
            let seized = try await j.record("policeA.officer", id, ["kind": "deviceCustody", "device": "D1", "step": "seized", "on": today, "by": "PC 4521",
                                                                    "power": "pace32", "rationale": "Needed to establish onward sharing"])
            // Lower risk: the guidance warns against routine seizure (Action 6), and the rationale is kept.
            #expect((seized.json["warnings"] as! [[String: Any]]).contains { ($0["message"] as! String).contains("not have devices seized as a matter of routine") })
            // The facts follow the custody chain: D1 is now seized, at a new version, and the case re-assessed.
            let afterSeizure = try await j.call("policeA.officer", .GET, "/cases/\(id)", expect: .ok).json
            #expect(((afterSeizure["facts"] as! [String: Any])["devices"] as! [[String: Any]])[0]["seized"] as? Bool == true)
            #expect(afterSeizure["version"] as? Int == 2)
            try await j.record("policeA.officer", id, ["kind": "deviceCustody", "device": "D1", "step": "examined", "on": today, "by": "DFU"])
            // Action 15: recording the return directly is refused.
            let direct = try await j.record("policeA.officer", id, ["kind": "deviceCustody", "device": "D1", "step": "returned", "on": today, "by": "PC 4521",
                                                                    "rationale": "Imagery only of A"], expect: .unprocessableEntity)
            #expect(direct.text.contains("superintendent"))
            #expect(direct.text.contains("Action 15"))
            let proposal = try await j.call("policeA.officer", .POST, "/cases/\(id)/sign-offs",
                                            ["kind": "deviceReturn", "device": "D1", "rationale": "Examined: imagery was only of A"], expect: .created)
            let path = "/cases/\(id)/sign-offs/\(proposal.json["id"] as! String)/decision"
            for actor in ["policeA.officer", "policeA.officer2", "policeA.supervisor"] {
                let refused = try await j.call(actor, .POST, path, ["approve": true, "reason": "Fine to return it", "imagerySolelyOfOwner": true], expect: .forbidden)
                #expect(refused.text.contains("superintendent"))
            }
            let superintendentInbox = try await j.call("policeA.superintendent", .GET, "/inbox", expect: .ok)
            #expect((superintendentInbox.json["signOffsToReview"] as! [[String: Any]]).count == 1)
            let unanswered = try await j.call("policeA.superintendent", .POST, path, ["approve": true, "reason": "Fine to return it"], expect: .unprocessableEntity)
            #expect(unanswered.errorField == "imagerySolelyOfOwner")
            // Imagery not solely of the owner: approving needs to say how that imagery was removed (Action 15).
            let unsaid = try await j.call("policeA.superintendent", .POST, path,
                                          ["approve": true, "reason": "Examination complete", "imagerySolelyOfOwner": false], expect: .unprocessableEntity)
            #expect(unsaid.errorField == "imageryRemoval" && unsaid.text.contains("Action 15"))
            try await j.call("policeA.superintendent", .POST, path,
                             ["approve": true, "reason": "Examination complete", "imagerySolelyOfOwner": false,
                              "imageryRemoval": "Imagery of the owner's friend deleted; device wiped and checked by the DFU"], expect: .ok)
            // The approval is not the return: nothing is handed back until the officer records it.
            var custody = try await j.call("policeA.officer", .GET, "/cases/\(id)/records?kind=deviceCustody", expect: .ok).array
            #expect(custody.map { ($0["record"] as! [String: Any])["step"] as! String } == ["seized", "examined"])
            let handedBack = try await j.record("policeA.officer", id, ["kind": "deviceCustody", "device": "D1", "step": "returned", "on": today,
                                                                        "by": "PC 4521", "toWhom": "B's mother", "rationale": "Wiped by the DFU"])
            #expect((handedBack.json["warnings"] as? [[String: Any]] ?? []).contains { ($0["message"] as? String)?.contains("not solely of its owner") == true })
            custody = try await j.call("policeA.officer", .GET, "/cases/\(id)/records?kind=deviceCustody", expect: .ok).array
            let steps = custody.map { ($0["record"] as! [String: Any])["step"] as! String }
            #expect(steps == ["seized", "examined", "returned"])
            #expect((custody.last?["record"] as? [String: Any])?["imagerySolelyOfOwner"] as? Bool == false, "the superintendent's answer goes with it")
            #expect((custody.last?["record"] as? [String: Any])?["by"] as? String == "PC 4521", "recorded by whoever handed it back")
            // Returned is the end of police custody: it cannot be examined again.
            try await j.record("policeA.officer", id, ["kind": "deviceCustody", "device": "D1", "step": "examined", "on": today, "by": "DFU"],
                               expect: .unprocessableEntity)
            let lines = try await j.chronology("policeA.officer", id)
            #expect(lines.contains { $0.hasPrefix("Device return of D1 approved by the superintendent") && $0.contains("Imagery of others removed: Imagery of the owner") })
            #expect(lines.contains { $0.hasPrefix("The return of D1 may now be recorded when the device is handed back") })
        }
    }

    // MARK: (e) A school concern through triage to a referral that opens a linked police case

    @Test func eASchoolConcernThroughDSLTriageToAReferralThatOpensALinkedPoliceCase() async throws {
        try await Self.journey { j in
            let today = Self.today
            // Staff raise a concern: a short form, no image.
            let concern = try await j.call("school.staff", .POST, "/cases", ["summary": "Overheard pupils saying an image of A is going round"], expect: .created)
            let id = concern.json["id"] as! String
            try await j.call("school.staff2", .GET, "/cases/\(id)", expect: .notFound)
            try await j.record("school.staff", id, ["kind": "triage", "content": "image", "sentBy": [], "featured": [], "adultsInvolved": "notKnownYet",
                                                    "device": "personal", "sharedElsewhere": "notKnownYet", "triagedOn": today], expect: .forbidden)
            // The DSL is alerted.
            let inbox = try await j.call("school.dsl", .GET, "/inbox", expect: .ok)
            #expect((inbox.json["awaitingTriage"] as! [[String: Any]]).map { $0["id"] as! String } == [id])
            // Triage: the DSL records who is involved, then the six answers (NSPCC, Gathering information).
            let version = concern.json["version"] as! Int
            let facts: [String: Any] = [
                "people": [["ref": "A", "age": 14, "roles": ["depicted", "sender"], "selfHarmRisk": false, "immediateDanger": false], ["ref": "X", "age": 24, "roles": ["requester", "recipient"]]],
                "imagery": [["ref": "I1", "kind": "image", "depicts": ["A"], "platforms": ["snapchat"]]],
                "circumstances": ["grooming": true],
            ]
            let updated = try await j.call("school.dsl", .PUT, "/cases/\(id)/facts", ["version": version, "facts": facts], expect: .ok)
            let decisions = ((updated.json["assessment"] as! [String: Any])["assessment"] as! [String: Any])["decisions"] as! [String: Any]
            #expect(decisions["childProtectionReferral"] as? String == "required")
            #expect(decisions["policeReferral"] as? String == "required")
            #expect(decisions["ceopReport"] as? String == "recommended")
            let triage = try await j.record("school.dsl", id, ["kind": "triage", "content": "image", "sentBy": ["A"], "featured": ["A"], "adultsInvolved": "yes",
                                                               "device": "personal", "sharedElsewhere": "no", "triagedOn": today])
            #expect(triage.json["completedActions"] as? [String] == ["gatherInformation"])
            // The decisions the DSL acts on next, with their reasons (NSPCC, Reporting; When to make a referral).
            let next = Dictionary(uniqueKeysWithValues: (triage.json["decisions"] as! [[String: Any]]).map { ($0["decision"] as! String, $0) })
            #expect(Set(next.keys) == ["emergency", "childProtectionReferral", "policeReferral", "ceopReport"])
            #expect(next["policeReferral"]?["value"] as? String == "required")
            #expect(next["emergency"]?["value"] as? String == "false")
            #expect((next["ceopReport"]?["because"] as? [String])?.contains { $0.contains("grooming") } == true)
            let after = try await j.call("school.dsl", .GET, "/inbox", expect: .ok)
            #expect((after.json["awaitingTriage"] as! [Any]).isEmpty)
            try await j.record("school.dsl", id, ["kind": "conversation", "person": "A", "on": today, "by": "Mrs Evans (DSL)", "supportNeeded": "Wants her mum told"])
            // NSPCC: a search is refused unless the DSL records the immediate risk of harm.
            try await j.call("school.dsl", .PUT, "/cases/\(id)/devices/D1", ["version": updated.json["version"] as! Int,
                                                                               "device": ["owner": "A", "containsImageryOf": ["A"]]], expect: .ok)
            let search = try await j.record("school.dsl", id, ["kind": "deviceCustody", "device": "D1", "step": "searched", "on": today, "by": "Mrs Evans"],
                                            expect: .unprocessableEntity)
            #expect(search.errorField == "immediateRiskOfHarm")
            // The referral to the force, sharing people and imagery only.
            let forces = try await j.call("school.dsl", .GET, "/organisations?kind=police", expect: .ok).array
            let force = forces.first { $0["name"] as? String == "Test Police A" }!["id"] as! String
            try await j.call("school.staff", .POST, "/cases/\(id)/referrals", ["toOrganisationID": force, "summary": "x", "share": []], expect: .forbidden)
            let referral = try await j.call("school.dsl", .POST, "/cases/\(id)/referrals",
                                            ["toOrganisationID": force, "summary": "Pupil A (14) sent an image to an adult met online",
                                             "share": ["people", "imagery"]], expect: .created)
            #expect(referral.json["status"] as? String == "sent")
            #expect(try await j.actionStatus("school.dsl", id, "informPolice") == "done")
            // The force receives a new police case holding only what was shared.
            let waiting = try await j.call("policeA.officer", .GET, "/inbox", expect: .ok).json["referralsToAnswer"] as! [[String: Any]]
            #expect(waiting.count == 1)
            let policeCaseID = waiting[0]["toCaseID"] as! String
            let policeCase = try await j.call("policeA.officer", .GET, "/cases/\(policeCaseID)", expect: .ok).json
            #expect(policeCase["setting"] as? String == "police")
            #expect(policeCase["jurisdiction"] as? String == "england")
            #expect((policeCase["summary"] as! String).hasPrefix("Referred by Test School"))
            let shared = policeCase["facts"] as! [String: Any]
            #expect((shared["people"] as! [Any]).count == 2)
            #expect((shared["devices"] as! [Any]).isEmpty)
            #expect((shared["circumstances"] as! [String: Any])["grooming"] as? Bool == nil)
            try await j.call("policeB.officer", .GET, "/cases/\(policeCaseID)", expect: .notFound)
            try await j.call("school.dsl", .GET, "/cases/\(policeCaseID)", expect: .notFound)
            // The force accepts; both sides see the status.
            try await j.call("policeA.officer", .POST, "/cases/\(policeCaseID)/referrals/\(referral.json["id"] as! String)/response",
                             ["status": "declined"], expect: .unprocessableEntity)
            try await j.call("policeA.officer", .POST, "/cases/\(policeCaseID)/referrals/\(referral.json["id"] as! String)/response",
                             ["status": "accepted"], expect: .ok)
            let schoolSide = try await j.call("school.dsl", .GET, "/cases/\(id)/referrals", expect: .ok).array
            #expect(schoolSide.map { $0["status"] as! String } == ["accepted"])
            #expect(schoolSide.first?["direction"] as? String == "outgoing")
            let policeSide = try await j.call("policeA.officer", .GET, "/cases/\(policeCaseID)/referrals", expect: .ok).array
            #expect(policeSide.first?["direction"] as? String == "incoming")
            #expect(policeSide.first?["fromOrganisation"] as? String == "Test School")
            let schoolLines = try await j.chronology("school.dsl", id)
            #expect(schoolLines.contains { $0.hasPrefix("Referred to Test Police A") })
            #expect(schoolLines.contains { $0.hasPrefix("Referral accepted by Test Police A") })
            // Audited on both sides: each organisation's auditor sees its half.
            let forceAudit = try await j.call("policeA.auditor", .GET, "/audit?limit=1000", expect: .ok)
            let forceActions = (forceAudit.json["entries"] as! [[String: Any]]).map { $0["action"] as! String }
            #expect(forceActions.contains("case.referral.receive"))
            let schoolAudit = try await j.call("school.auditor", .GET, "/audit?limit=1000", expect: .ok)
            let schoolActions = (schoolAudit.json["entries"] as! [[String: Any]]).map { $0["action"] as! String }
            #expect(schoolActions.contains("case.referral.send"))
            #expect(schoolActions.contains("case.referral.answered"))
            // Parents, support and the review (NSPCC, Supporting; Recording and reviewing).
            try await j.record("school.dsl", id, ["kind": "parentsInformed", "person": "A", "informed": false, "on": today], expect: .unprocessableEntity)
            try await j.record("school.dsl", id, ["kind": "parentsInformed", "person": "A", "informed": true, "on": today])
            try await j.record("school.dsl", id, ["kind": "supportReferral", "person": "A", "service": "counselling", "referredOn": today])
            let review = try await j.record("school.dsl", id, ["kind": "postIncidentReview", "reviewedOn": today, "whatHappened": "Handled within a day",
                                                               "learned": "Staff knew to tell the DSL", "policyReviewBy": "2099-01-31"])
            #expect((review.json["warnings"] as! [[String: Any]]).contains { ($0["message"] as! String).contains("review the setting's sharing nudes policy") })
            let due = try await j.call("school.dsl", .GET, "/inbox", expect: .ok).json["policyReviewsDue"] as! [[String: Any]]
            #expect(due.first?["due"] as? String == "2099-01-31")
            let written = try await j.call("school.dsl", .GET, "/cases/\(id)/documents/case-record?format=text", expect: .ok)
            #expect(written.text.contains("Post-incident review"))
            #expect(written.text.contains("CHRONOLOGY"))
            // NSPCC, Recording and reviewing: "a written record of the incident and all the actions taken": what was
            // written in each record, each action's note, and the referral with what the force was told (a hands-on
            // review as a Welsh DSP found the reasons and notes stored but printed nowhere).
            #expect(written.text.contains("What happened and how it was dealt with: Handled within a day."), "\(written.text)")
            #expect(written.text.contains("What was learned: Staff knew to tell the DSL."))
            #expect(written.text.contains("REFERRALS"))
            #expect(written.text.contains("Referred to Test Police A on "))
            #expect(!written.text.contains("— open"), "open actions in words, and none the guidance no longer asks for")
        }
    }
}

/// A force's overlay replaces the letter's wording and adds its contacts to the family's information sheet.
@Suite struct OverlayDocumentTests {
    static let overlayYAML = """
    organisation: Test Police A
    appliesTo: [college-of-policing]
    contacts:
      - id: testforce-hub
        name: Test Force Family Liaison (example)
        forWhom: families
        description: Questions about what happens next.
        phone: "01632 960111"
    outcome21Letter:
      youngPerson:
        - "Dear {name}, this is Test Police A's own wording about {reference}."
      parent:
        - "Dear {name}, this is Test Police A's own wording about {childName} and {reference}."
    """

    @Test func theOrganisationsOverlayGivesTheLetterItsWordingAndTheSheetItsContacts() async throws {
        let overlay = try GuidanceLibrary.decodeOverlay(yaml: Self.overlayYAML)
        try await withApp({ $0.overlays = [overlay] }) { app in
            let j = ResponseJourneyTests.Journey(app: app, world: try await seedWorld(app))
            let created = try await j.call("policeA.officer", .POST, "/cases", ["summary": "Overlay", "facts": ResponseJourneyTests.consensualFacts], expect: .created)
            let id = created.json["id"] as! String
            try await j.record("policeA.officer", id, ["kind": "crimeRecord", "crimeReference": "TP/1", "reportedOn": "\(CaseController.today)",
                                                       "offences": ["poca1978s1", "cja1988part11"]])
            let proposal = try await j.call("policeA.officer", .POST, "/cases/\(id)/sign-offs", ["kind": "outcome21", "rationale": "r"], expect: .created)
            // Must-do actions are still open here (a welfare check, the advice not to copy): approving needs a reason.
            let path = "/cases/\(id)/sign-offs/\(proposal.json["id"] as! String)/decision"
            let refused = try await j.call("policeA.supervisor", .POST, path, ["approve": true, "reason": "Agreed: proportionate"], expect: .unprocessableEntity)
            #expect(refused.text.contains("openActionsReason") && refused.text.contains("Check the welfare"))
            // One sentence: each action's own full stop dropped before the separator.
            #expect(!refused.text.contains(".;") && !refused.text.contains("..") && refused.text.contains("; "), "\(refused.text)")
            #expect(try await j.call("policeA.officer", .GET, "/cases/\(id)/records?kind=outcome", expect: .ok).array.isEmpty, "nothing half-written")
            try await j.call("policeA.supervisor", .POST, path, ["approve": true, "reason": "Agreed: proportionate", "openActionsReason": "Welfare visit booked"], expect: .ok)
            let lines = try await j.chronology("policeA.officer", id)
            #expect(lines.contains { $0.contains("still open (") && $0.hasSuffix("because: Welfare visit booked") })
            let letter = try await j.call("policeA.officer", .POST, "/cases/\(id)/documents/outcome21-letter",
                                          ["to": "youngPerson", "person": "A", "name": "Sam", "format": "text"], expect: .ok)
            #expect(letter.text.contains("Test Police A's own wording about TP/1"))
            let sheet = try await j.call("policeA.officer", .GET, "/cases/\(id)/documents/information-sheet?format=text", expect: .ok)
            #expect(sheet.text.contains("Test Force Family Liaison"))
            // Another organisation's documents are untouched by it.
            let other = try await j.call("policeB.officer", .POST, "/cases", ["summary": "Other", "facts": ResponseJourneyTests.consensualFacts], expect: .created)
            let otherSheet = try await j.call("policeB.officer", .GET, "/cases/\(other.json["id"] as! String)/documents/information-sheet?format=text", expect: .ok)
            #expect(!otherSheet.text.contains("Test Force Family Liaison"))
        }
    }

    @Test func aBrokenOverlayStopsTheStartNamingTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("overlays-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "organisation: X\ncontacs: []\n".write(to: directory.appendingPathComponent("x.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try SafeguardOptions.loadOverlays(directory: directory)
            Issue.record("a broken overlay was accepted")
        } catch {
            #expect("\(error)".contains("x.yaml"))
            #expect("\(error)".contains("contacts"))
        }
    }
}

/// Every Action and criterion issue 4 names, reached through the API on a real server: the record is accepted, or
/// refused with the field to fix and the source cited.
@Suite struct ResponseReachabilityTests {
    struct Step: CustomTestStringConvertible, Sendable {
        var source: String
        var actor: String
        var record: String
        var status: HTTPStatus
        var mentions: String?
        var testDescription: String { "\(source) via \(actor)" }
    }

    static let today = "\(CaseController.today)"
    static let police: [Step] = [
        Step(source: "Action 1", actor: "policeA.officer", record: #"{"kind":"crimeRecord","crimeReference":"NP/9","reportedOn":"\#(today)","offences":["poca1978s1","cja1988part11"]}"#, status: .created),
        Step(source: "Action 2", actor: "policeA.officer", record: #"{"kind":"advice","to":"parents of A","givenOn":"\#(today)","topics":["notToCopy","reportRemove"]}"#, status: .created),
        Step(source: "Action 3", actor: "policeA.officer", record: #"{"kind":"meeting","meetingKind":"multiAgencyMeeting","on":"\#(today)","with":["MASH"]}"#, status: .unprocessableEntity, mentions: "Action 3"),
        Step(source: "Action 3", actor: "policeA.officer", record: #"{"kind":"backgroundCheck","location":"the park","system":"localPoliceSystems","status":"pending"}"#, status: .created),
        Step(source: "Action 4", actor: "policeA.supervisor", record: #"{"kind":"childProtectionReferral","to":"Children's social care","referredOn":"\#(today)","reference":"CSC-1","people":["A"]}"#, status: .created),
        Step(source: "Action 4", actor: "policeA.officer", record: #"{"kind":"meeting","meetingKind":"strategyMeeting","on":"\#(today)","with":["CSC"],"proceedBeforeChecksReason":"CSC called it today"}"#, status: .created),
        Step(source: "Action 5", actor: "policeA.officer", record: #"{"kind":"account","person":"B","takenOn":"\#(today)","takenBy":"PC 2"}"#, status: .created),
        Step(source: "Action 6", actor: "policeA.officer", record: #"{"kind":"interviewDecision","person":"A","planned":false,"reason":"Lower risk, willing","decidedOn":"\#(today)"}"#, status: .created),
        Step(source: "Action 5", actor: "policeA.officer", record: #"{"kind":"deviceCustody","device":"D1","step":"leftWithOwner","on":"\#(today)","by":"PC 2","rationale":"NDM: lower risk, no routine seizure"}"#, status: .created),
        Step(source: "Action 8", actor: "policeA.officer", record: #"{"kind":"contentRemoval","service":"snapchat","imagery":["I1"],"requestedOn":"\#(today)","status":"requested"}"#, status: .created),
        Step(source: "Action 8", actor: "policeA.officer", record: #"{"kind":"contentRemoval","service":"reportRemove","imagery":["I1"],"requestedOn":"\#(today)","status":"acknowledged"}"#, status: .created),
        Step(source: "Action 9", actor: "policeA.officer", record: #"{"kind":"outcome","code":"22","decidedOn":"\#(today)","rationale":"Educational session completed"}"#, status: .created),
        Step(source: "Action 11", actor: "policeA.officer", record: #"{"kind":"outcome","code":"21","decidedOn":"\#(today)","rationale":"r"}"#, status: .unprocessableEntity, mentions: "Action 11"),
        Step(source: "Action 12", actor: "policeA.officer", record: #"{"kind":"communication","audience":"school","on":"\#(today)","method":"phone","topics":["outcome"]}"#, status: .created),
        Step(source: "Action 7", actor: "policeA.officer", record: #"{"kind":"welfareCheck","person":"B","checkedOn":"\#(today)","result":"low mood","concerns":true}"#, status: .created, mentions: "Action 7"),
        Step(source: "Action 14", actor: "policeA.officer", record: #"{"kind":"deletionDirection","holder":"B","directedOn":"\#(today)","directedBy":"PC 2"}"#, status: .created),
        Step(source: "Action 16", actor: "policeA.officer", record: #"{"kind":"caidLiaison","unit":"Force HTCU","on":"\#(today)","status":"requested","imagery":["I1"]}"#, status: .created),
        Step(source: "Action 17", actor: "policeA.officer", record: #"{"kind":"childContactForm","raisedOn":"\#(today)","sharedWith":["MASH"]}"#, status: .created),
    ]
    static let school: [Step] = [
        Step(source: "Gathering information", actor: "school.dsl", record: #"{"kind":"triage","content":"video","sentBy":["A"],"featured":["A"],"adultsInvolved":"no","device":"organisational","sharedElsewhere":"notKnownYet","triagedOn":"\#(today)"}"#, status: .created),
        Step(source: "Talking to a young person", actor: "school.dsl", record: #"{"kind":"conversation","person":"B","on":"\#(today)","by":"DSL"}"#, status: .created),
        Step(source: "Reporting", actor: "school.dsl", record: #"{"kind":"externalReport","to":"police999","on":"\#(today)"}"#, status: .created),
        Step(source: "When to make a child protection referral", actor: "school.dsl", record: #"{"kind":"childProtectionReferral","to":"Local authority children's services","referredOn":"\#(today)","people":["A"]}"#, status: .created),
        Step(source: "What to do with a sexting image", actor: "school.dsl", record: #"{"kind":"deviceCustody","device":"D1","step":"confiscated","on":"\#(today)","by":"DSL"}"#, status: .created),
        Step(source: "What to do with a sexting image", actor: "school.dsl", record: #"{"kind":"deviceCustody","device":"D1","step":"disconnected","on":"\#(today)","by":"DSL"}"#, status: .created),
        Step(source: "What to do with a sexting image", actor: "school.dsl", record: #"{"kind":"deviceCustody","device":"D1","step":"switchedOff","on":"\#(today)","by":"DSL"}"#, status: .created),
        Step(source: "What to do with a sexting image", actor: "school.dsl", record: #"{"kind":"deviceCustody","device":"D1","step":"storedSecurely","on":"\#(today)","by":"DSL","where":"Locked safe, DSL office"}"#, status: .created),
        Step(source: "What to do with a sexting image", actor: "school.dsl", record: #"{"kind":"deviceCustody","device":"D1","step":"searched","on":"\#(today)","by":"DSL"}"#, status: .unprocessableEntity, mentions: "immediate risk of harm"),
        Step(source: "What to do with a sexting image", actor: "school.dsl", record: #"{"kind":"deviceCustody","device":"D1","step":"handedToPolice","on":"\#(today)","by":"DSL","toWhom":"PC 4521"}"#, status: .created),
        Step(source: "Supporting children and young people", actor: "school.dsl", record: #"{"kind":"supportReferral","person":"A","service":"therapeutic","referredOn":"\#(today)"}"#, status: .created),
        Step(source: "Getting an explicit image removed", actor: "school.dsl", record: #"{"kind":"contentRemoval","service":"reportRemove","imagery":["I1"],"requestedOn":"\#(today)","status":"requested"}"#, status: .created),
    ]

    @Test func everyPoliceActionIsReachableThroughTheAPI() async throws {
        try await walk(Self.police, caseActor: "policeA.officer")
    }

    @Test func everySchoolStepIsReachableThroughTheAPI() async throws {
        try await walk(Self.school, caseActor: "school.dsl")
    }

    func walk(_ steps: [Step], caseActor: String) async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let j = ResponseJourneyTests.Journey(app: app, world: world)
            var facts = ResponseJourneyTests.consensualFacts
            facts["devices"] = [["ref": "D1", "owner": "A", "containsImageryOf": ["A"]]]
            let created = try await j.call(caseActor, .POST, "/cases", ["summary": "Reachability", "facts": facts], expect: .created)
            let id = created.json["id"] as! String
            for step in steps {
                let body = try JSONSerialization.jsonObject(with: Data(step.record.utf8)) as! [String: Any]
                let reply = try await j.call(step.actor, .POST, "/cases/\(id)/records", body)
                #expect(reply.status == step.status, "\(step.source): \(reply.text.prefix(300))")
                if let mentions = step.mentions { #expect(reply.text.contains(mentions), "\(step.source): \(reply.text.prefix(300))") }
            }
            let kinds = try await j.call(caseActor, .GET, "/cases/\(id)/records", expect: .ok).array.map { $0["kind"] as! String }
            #expect(kinds.count == steps.filter { $0.status == .created }.count)
            let chronology = try await j.chronology(caseActor, id)
            // Each stored record has its line in the chronology, under its kind's label.
            for kind in kinds {
                let label = RecordKind(rawValue: kind)!.label
                let stored = kinds.filter { $0 == kind }.count
                #expect(chronology.filter { $0.hasPrefix(label + ": ") }.count == stored, "\(kind) in the chronology: \(chronology)")
            }
            // Issue 11: the chronology is in plain words, with no code (camel case), offence id or ISO day in it.
            for line in chronology {
                for (what, pattern) in [("a code", #"\b[a-z]+[A-Z][A-Za-z]*\b"#), ("an ISO day", #"\b\d{4}-\d{2}-\d{2}\b"#),
                                        ("an offence id", #"\b[a-z]{2,}\d{4}[a-z0-9]*\b"#)] {
                    #expect(line.range(of: pattern, options: .regularExpression) == nil, "\(what) in the chronology line: \(line)")
                }
            }
            let sheet = try await j.call(caseActor, .GET, "/cases/\(id)/documents/information-sheet", expect: .ok)
            #expect(sheet.text.contains("What happens next"))
            #expect(sheet.headers.first(name: "Content-Security-Policy")?.contains("default-src 'none'") == true)
        }
    }
}
