import Foundation
@testable import SafeguardApp
import SafeguardCore
import SQLKit
import SafeguardPersistence
import Testing
import Vapor

@Suite struct CaseAPITests {
    @Test func creatingACaseAssessesItAndTurnsRecommendationsIntoActions() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let year = Calendar(identifier: .gregorian).component(.year, from: Date())
            #expect(created["reference"] as? String == "SG-\(year)-000001")
            #expect(created["jurisdiction"] as? String == "england")
            #expect(created["setting"] as? String == "police")
            #expect(created["version"] as? Int == 1)
            let assessment = (created["assessment"] as? [String: Any])?["assessment"] as? [String: Any]
            let recommendations = (assessment?["recommendations"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(recommendations.contains("recordCrime"))
            let actions = (created["actions"] as? [[String: Any]] ?? [])
            #expect(Set(actions.compactMap { $0["recommendationID"] as? String }) == Set(recommendations))
            #expect(actions.allSatisfy { $0["status"] as? String == "open" })
            #expect(created["openActions"] as? Int == actions.count)
            // The answer lists the actions in the order a read of the case lists them (oldest first, then by
            // recommendation), not another: a client that opens a case and reads it back sees one list.
            let read = try await send(app, .GET, "/api/v1/cases/\(created["id"] as! String)", token: world.token("policeA.officer"))
            let readActions = (read.json["actions"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(actions.compactMap { $0["id"] as? String } == readActions)

            // The second case of the organisation gets the next reference.
            let second = try await createCase(app, token: world.token("policeA.supervisor"))
            #expect(second["reference"] as? String == "SG-\(year)-000002")
        }
    }

    @Test func jurisdictionAndSettingComeFromTheOrganisation() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            var facts = sampleFacts
            facts["jurisdiction"] = "scotland"
            let reply = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"),
                                       json: ["summary": "x", "facts": facts])
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.errorField == "facts.jurisdiction")
            let school = try await createCase(app, token: world.token("school.dsl"))
            #expect(school["jurisdiction"] as? String == "wales")
            #expect(school["setting"] as? String == "education")
        }
    }

    @Test func invalidFactsNameThePathToFix() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            var facts = sampleFacts
            facts["people"] = [["ref": "A", "age": "fifteen", "roles": ["depicted"]]]
            let reply = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"),
                                       json: ["summary": "x", "facts": facts])
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.errorCode == "invalid_facts")
            #expect(reply.errorField?.hasPrefix("facts.people[0].age") == true, "field: \(reply.errorField ?? "nil")")
            #expect(try await count(app, "cases") == 0)

            let missing = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: ["facts": [:]])
            #expect(missing.status == .badRequest)
            #expect(missing.errorField == "summary")

            // A fact update's facts are checked as a new case's are, and a mistake changes nothing.
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let id = created["id"] as! String
            for (body, field) in [(["version": 1, "facts": ["people": [["ref": "A", "rolls": []]]]] as [String: Any], "facts.people[0].rolls"),
                                  (["version": 1, "facts": "everything"], "facts"),
                                  (["version": 1, "facts": ["setting": "education"]], "facts.setting"),
                                  (["version": 1, "facts": ["imagery": [["ref": "I1", "kind": "image", "depicts": ["Z"]]]]], "facts.imagery[0].depicts[0]")] {
                let update = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: world.token("policeA.officer"), json: body)
                #expect(update.status == .unprocessableEntity && update.errorCode == "invalid_facts", "\(update.text)")
                #expect(update.errorField == field, "\(update.text)")
            }
            let after = try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("policeA.officer"))
            #expect(after.json["version"] as? Int == 1)
            let json = missing.json["error"] as? [String: Any]
            #expect(json?["message"] is String && json?["code"] is String)

            // A value of the wrong kind, a body that is not an object, and no body at all: each says what to send, in
            // JSON's words, never a Swift type ("should be Dictionary<String, Any>") or a bare status.
            func message(_ reply: Reply) -> String { (reply.json["error"] as? [String: Any])?["message"] as? String ?? "" }
            let number = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: ["summary": 5, "facts": [:]])
            #expect(number.status == .badRequest && number.errorField == "summary")
            #expect(message(number) == "summary should be text", "\(number.text)")
            let list = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: "[1,2]")
            #expect(list.status == .badRequest && list.errorField == nil)
            #expect(message(list) == "the body should be a JSON object", "\(list.text)")
            let nothing = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: "")
            #expect(nothing.status == .unprocessableEntity)
            #expect(message(nothing).hasPrefix("the request has no body: send the JSON this route takes"), "\(nothing.text)")
            // A form-encoded body, which an HTML form on any site can send, is not taken: the API reads JSON only.
            let form = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: "summary=Shared",
                                      contentType: "application/x-www-form-urlencoded")
            #expect(form.status == .unsupportedMediaType && message(form) == "send the body as JSON, with Content-Type: application/json",
                    "\(form.text)")
            #expect(try await count(app, "cases") == 1, "none of them stored anything")
        }
    }

    @Test func updatingFactsReassessesKeepsHistoryAndRefusesStaleVersions() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let created = try await createCase(app, token: token)
            let id = created["id"] as! String
            let actionsBefore = (created["actions"] as! [[String: Any]]).count

            var facts = sampleFacts
            facts["circumstances"] = ["willing": false, "ageAppropriate": true, "coercion": true]
            let updated = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: token, json: ["version": 1, "facts": facts])
            #expect(updated.status == .ok, "\(updated.text)")
            #expect(updated.json["version"] as? Int == 2)
            let decisions = ((updated.json["assessment"] as? [String: Any])?["assessment"] as? [String: Any])?["decisions"] as? [String: Any]
            #expect(decisions?["route"] as? String == "fullInvestigation")
            let actions = updated.json["actions"] as! [[String: Any]]
            let ids = actions.compactMap { $0["recommendationID"] as? String }
            #expect(ids.count == Set(ids).count, "no duplicated actions")
            #expect(actions.count >= actionsBefore)

            // Stale version: 409, nothing changed.
            var other = sampleFacts
            other["circumstances"] = ["willing": true, "ageAppropriate": true, "coercion": false, "blackmail": true]
            let stale = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: token, json: ["version": 1, "facts": other])
            #expect(stale.status == .conflict)
            #expect(stale.errorCode == "version_conflict")
            let now = try await send(app, .GET, "/api/v1/cases/\(id)", token: token)
            #expect(now.json["version"] as? Int == 2)
            let circumstances = (now.json["facts"] as? [String: Any])?["circumstances"] as? [String: Any]
            #expect(circumstances?["coercion"] as? Bool == true, "the winning write is kept")
            #expect(circumstances?["blackmail"] is NSNull, "the stale write changed nothing")

            let history = try await send(app, .GET, "/api/v1/cases/\(id)/assessments", token: token)
            #expect(history.status == .ok)
            #expect(history.array.map { $0["caseVersion"] as? Int } == [1, 2])
            #expect(history.array.allSatisfy { ($0["editions"] as? [String])?.isEmpty == false })
            let latest = try await send(app, .GET, "/api/v1/cases/\(id)/assessment", token: token)
            #expect(latest.json["caseVersion"] as? Int == 2)
        }
    }

    /// A `PUT` that nginx sends again after the server that stored it died before answering (deploy/two_servers.py)
    /// reaches the case at the version it made: it is answered with the case, not refused as someone else's change.
    @Test func aFactsUpdateSentAgainAfterItWasStoredIsAnsweredNotRefused() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let (id, facts, first) = try await caseWithChangedFacts(app, token: token)
            let chronology = try await send(app, .GET, "/api/v1/cases/\(id)/chronology", token: token)
            let updatesBefore = try await count(app, "audit_entries WHERE action = 'case.facts.update'")

            let again = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: token, json: ["version": 1, "facts": facts])
            #expect(again.status == .ok, "\(again.text)")
            #expect(again.json["version"] as? Int == 2, "nothing new was stored")
            #expect(again.json["facts"] as? NSDictionary == first.json["facts"] as? NSDictionary)
            #expect(again.json["assessment"] as? NSDictionary == first.json["assessment"] as? NSDictionary)
            let history = try await send(app, .GET, "/api/v1/cases/\(id)/assessments", token: token)
            #expect(history.array.map { $0["caseVersion"] as? Int } == [1, 2], "no second assessment")
            let chronologyAfter = try await send(app, .GET, "/api/v1/cases/\(id)/chronology", token: token)
            #expect(chronologyAfter.array.count == 3 && chronologyAfter.array as NSArray == chronology.array as NSArray,
                    "no second chronology line")
            // Audited as what it was: the same update, sent again, which found its facts already held.
            #expect(try await count(app, "audit_entries WHERE action = 'case.facts.update'") == updatesBefore + 1)
            #expect(try await count(app, "audit_entries WHERE action = 'case.facts.update' AND detail = 'version=2 repeat=alreadyHeld'") == 1)
            #expect(AuditWords.detail("version=2 repeat=alreadyHeld", names: [:]) == "version: 2; sent again: already held")

            // One entry of the facts, sent again, the same way.
            let person = ["version": 2, "person": ["age": 19, "roles": ["requester"]]] as [String: Any]
            let added = try await send(app, .PUT, "/api/v1/cases/\(id)/people/C", token: token, json: person)
            #expect(added.json["version"] as? Int == 3)
            let addedAgain = try await send(app, .PUT, "/api/v1/cases/\(id)/people/C", token: token, json: person)
            #expect(addedAgain.status == .ok, "\(addedAgain.text)")
            #expect(addedAgain.json["version"] as? Int == 3)

            // Different facts at an old version are still a conflict, and so is a summary sent at one.
            var other = facts
            other["circumstances"] = ["willing": true, "ageAppropriate": true, "coercion": false]
            let stale = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: token, json: ["version": 1, "facts": other])
            #expect(stale.status == .conflict)
            let staleSummary = try await send(app, .PATCH, "/api/v1/cases/\(id)", token: token,
                                              json: ["version": 1, "summary": "Image shared between two pupils"])
            #expect(staleSummary.status == .conflict, "\(staleSummary.text)")
            // Another force's officer sending the same facts learns nothing: the case is not theirs to find.
            let outsider = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: world.token("policeB.officer"),
                                          json: ["version": 1, "facts": facts])
            #expect(outsider.status == .notFound)
        }
    }

    @Test func peopleImageryAndDevicesAreAddedAndChangedByReference() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let id = try await createCase(app, token: token)["id"] as! String
            let added = try await send(app, .PUT, "/api/v1/cases/\(id)/people/C", token: token,
                                       json: ["version": 1, "person": ["age": 19, "roles": ["requester"]]])
            #expect(added.status == .ok, "\(added.text)")
            let people = (added.json["facts"] as! [String: Any])["people"] as! [[String: Any]]
            #expect(people.map { $0["ref"] as? String } == ["A", "B", "C"])
            let decisions = ((added.json["assessment"] as? [String: Any])?["assessment"] as? [String: Any])?["decisions"] as? [String: Any]
            #expect(decisions?["route"] as? String == "fullInvestigation", "an adult is involved")

            let changed = try await send(app, .PUT, "/api/v1/cases/\(id)/people/C", token: token,
                                         json: ["version": 2, "person": ["age": 16, "roles": ["requester"]]])
            #expect(changed.status == .ok)
            let peopleAfter = (changed.json["facts"] as! [String: Any])["people"] as! [[String: Any]]
            #expect(peopleAfter.count == 3)
            #expect(peopleAfter.last?["age"] as? Int == 16)

            let imagery = try await send(app, .PUT, "/api/v1/cases/\(id)/imagery/I2", token: token,
                                         json: ["version": 3, "imagery": ["kind": "video", "depicts": ["A"], "sharedWithoutPermission": true]])
            #expect(imagery.status == .ok, "\(imagery.text)")
            let device = try await send(app, .PUT, "/api/v1/cases/\(id)/devices/D2", token: token,
                                        json: ["version": 4, "device": ["owner": "C", "seized": true, "containsImageryOf": ["A"]]])
            #expect(device.status == .ok, "\(device.text)")
            #expect(device.json["version"] as? Int == 5)

            let dangling = try await send(app, .PUT, "/api/v1/cases/\(id)/devices/D3", token: token,
                                          json: ["version": 5, "device": ["owner": "Z"]])
            #expect(dangling.status == .unprocessableEntity)
            #expect(dangling.errorField?.hasPrefix("facts.devices") == true, "\(dangling.text)")
            let mismatch = try await send(app, .PUT, "/api/v1/cases/\(id)/people/D", token: token,
                                          json: ["version": 5, "person": ["ref": "E", "age": 15]])
            #expect(mismatch.status == .unprocessableEntity)
        }
    }

    @Test func actionsAreCompletedOrMarkedNotApplicableWithAReason() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let created = try await createCase(app, token: token)
            let id = created["id"] as! String
            let actions = created["actions"] as! [[String: Any]]
            let first = actions[0]["id"] as! String
            let second = actions[1]["id"] as! String

            // A must-do marked done by hand says where and how; without that it is refused, pointing to its record.
            #expect(actions[0]["severity"] as? String == "must", "the case this test needs")
            let bare = try await send(app, .POST, "/api/v1/cases/\(id)/actions/\(first)", token: token, json: ["status": "done"])
            #expect(bare.status == .unprocessableEntity && bare.text.contains("where and how"), "\(bare.text)")
            let done = try await send(app, .POST, "/api/v1/cases/\(id)/actions/\(first)", token: token, json: ["status": "done", "reason": "Done at the scene"])
            #expect(done.status == .ok)
            #expect(done.json["status"] as? String == "done")
            #expect(done.json["completedBy"] as? String == world.user("policeA.officer").id.uuidString)
            #expect(done.json["completedAt"] != nil)

            let noReason = try await send(app, .POST, "/api/v1/cases/\(id)/actions/\(second)", token: token, json: ["status": "notApplicable"])
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.errorField == "reason")
            let withReason = try await send(app, .POST, "/api/v1/cases/\(id)/actions/\(second)", token: token,
                                            json: ["status": "notApplicable", "reason": "already done by the school"])
            #expect(withReason.status == .ok)

            let read = try await send(app, .GET, "/api/v1/cases/\(id)", token: token)
            #expect(read.json["openActions"] as? Int == actions.count - 2)
            let openList = try await send(app, .GET, "/api/v1/cases?hasOpenActions=true", token: token)
            #expect(openList.json["total"] as? Int == 1)

            let unknown = try await send(app, .POST, "/api/v1/cases/\(id)/actions/\(UUID())", token: token, json: ["status": "done"])
            #expect(unknown.status == .notFound)
        }
    }

    @Test func notesAreKeptInTimeOrder() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let id = try await createCase(app, token: token)["id"] as! String
            for text in ["first", "second", "third"] {
                let r = try await send(app, .POST, "/api/v1/cases/\(id)/notes", token: token, json: ["text": text])
                #expect(r.status == .created)
            }
            let notes = try await send(app, .GET, "/api/v1/cases/\(id)/notes", token: token)
            #expect(notes.array.map { $0["text"] as? String } == ["first", "second", "third"])
            #expect(notes.array.map { $0["sequence"] as? Int } == [1, 2, 3])
            let empty = try await send(app, .POST, "/api/v1/cases/\(id)/notes", token: token, json: ["text": "  "])
            #expect(empty.status == .unprocessableEntity)
        }
    }

    /// A member of staff sees the concern they raised and their own notes on it; the DSL's notes are the DSL's, as
    /// on the concern's page (found in a security review: the API gave staff every note).
    @Test func staffReadTheirOwnNotesNotTheDSLs() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try #require(try await createCase(app, token: world.token("school.staff"))["id"] as? String)
            #expect(try await send(app, .POST, "/api/v1/cases/\(id)/notes", token: world.token("school.staff"), json: ["text": "what I saw"]).status == .created)
            #expect(try await send(app, .POST, "/api/v1/cases/\(id)/notes", token: world.token("school.dsl"), json: ["text": "the DSL's working note"]).status == .created)
            let staff = try await send(app, .GET, "/api/v1/cases/\(id)/notes", token: world.token("school.staff"))
            #expect(staff.array.map { $0["text"] as? String } == ["what I saw"])
            let dsl = try await send(app, .GET, "/api/v1/cases/\(id)/notes", token: world.token("school.dsl"))
            #expect(dsl.array.map { $0["text"] as? String } == ["what I saw", "the DSL's working note"])
        }
    }

    @Test func listingFiltersAndPaginates() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            var ids: [String] = []
            for i in 0..<5 { ids.append(try await createCase(app, token: token, summary: "case \(i)")["id"] as! String) }
            let closed = try await send(app, .PATCH, "/api/v1/cases/\(ids[0])", token: token, json: ["version": 1, "status": "closed", "reason": "Duplicate of an earlier report"])
            #expect(closed.status == .ok)

            let page1 = try await send(app, .GET, "/api/v1/cases?perPage=2&page=1", token: token)
            #expect(page1.json["total"] as? Int == 5)
            #expect((page1.json["cases"] as? [Any])?.count == 2)
            let page3 = try await send(app, .GET, "/api/v1/cases?perPage=2&page=3", token: token)
            #expect((page3.json["cases"] as? [Any])?.count == 1)
            let seen = Set(try await (1...3).asyncMap { page in
                try await send(app, .GET, "/api/v1/cases?perPage=2&page=\(page)", token: token).json["cases"] as! [[String: Any]]
            }.flatMap { $0 }.compactMap { $0["id"] as? String })
            #expect(seen == Set(ids))

            let onlyClosed = try await send(app, .GET, "/api/v1/cases?status=closed", token: token)
            #expect((onlyClosed.json["cases"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[0]])
            let future = try await send(app, .GET, "/api/v1/cases?updatedSince=2999-01-01", token: token)
            #expect(future.json["total"] as? Int == 0)
            let past = try await send(app, .GET, "/api/v1/cases?updatedSince=2000-01-01T00:00:00Z", token: token)
            #expect(past.json["total"] as? Int == 5)
            let noneOpen = try await send(app, .GET, "/api/v1/cases?hasOpenActions=false", token: token)
            #expect(noneOpen.json["total"] as? Int == 0)
            let bad = try await send(app, .GET, "/api/v1/cases?status=pending", token: token)
            #expect(bad.status == .badRequest)
            #expect(bad.errorField == "status")

            // By the reference on the paperwork, in any case and with spaces round it, as the pages find one.
            let reference = try #require(try await send(app, .GET, "/api/v1/cases/\(ids[2])", token: token).json["reference"] as? String)
            let byReference = try await send(app, .GET, "/api/v1/cases?reference=%20\(reference.lowercased())%20", token: token)
            #expect((byReference.json["cases"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[2]])
            #expect(byReference.json["total"] as? Int == 1)
            // Another force's officer, or a reference no case has: an empty list, the same either way.
            let theirs = try await send(app, .GET, "/api/v1/cases?reference=\(reference)", token: world.token("policeB.officer"))
            let none = try await send(app, .GET, "/api/v1/cases?reference=SG-1999-000001", token: token)
            #expect(theirs.json["total"] as? Int == 0 && none.json["total"] as? Int == 0)
            #expect(try await send(app, .GET, "/api/v1/cases?reference=\(String(repeating: "X", count: 41))", token: token).errorField == "reference")
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

/// Actions can be given a day they are due by; the home page shows what is due and overdue.
@Suite struct ActionDueDateTests {
    @Test func aCaseLeadSetsAndClearsADueDateAndItIsInTheChronology() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let caseID = created["id"] as! String
            let actionID = (created["actions"] as! [[String: Any]])[0]["id"] as! String
            let path = "/api/v1/cases/\(caseID)/actions/\(actionID)/due"
            let set = try await send(app, .PUT, path, token: world.token("policeA.officer"), json: ["dueOn": "2099-01-31"])
            #expect(set.status == .ok)
            #expect(set.json["dueOn"] as? String == "2099-01-31")
            #expect(set.json["overdue"] as? Bool == false)
            let past = try await send(app, .PUT, path, token: world.token("policeA.officer"), json: ["dueOn": "2001-01-01"])
            #expect(past.status == .unprocessableEntity)
            #expect(past.errorField == "dueOn")
            let nonsense = try await send(app, .PUT, path, token: world.token("policeA.officer"), json: ["dueOn": "31/01/2099"])
            #expect(nonsense.errorField == "dueOn")
            let cleared = try await send(app, .PUT, path, token: world.token("policeA.officer"), json: ["dueOn": NSNull()])
            #expect(cleared.status == .ok)
            #expect(cleared.json["dueOn"] == nil || cleared.json["dueOn"] is NSNull)
            let lines = try await send(app, .GET, "/api/v1/cases/\(caseID)/chronology", token: world.token("policeA.officer")).array
            #expect(lines.contains { ($0["summary"] as? String)?.hasSuffix("due by 31 January 2099") == true })
            // Overdue is computed against today, never stored: an action whose day has passed is overdue until done.
            try await (app.db as! any SQLDatabase).raw("UPDATE case_actions SET due_on = '2001-01-01' WHERE id = \(bind: UUID(uuidString: actionID)!)").run()
            let read = try await send(app, .GET, "/api/v1/cases/\(caseID)", token: world.token("policeA.officer"))
            let action = (read.json["actions"] as! [[String: Any]]).first { $0["id"] as? String == actionID }
            #expect(action?["overdue"] as? Bool == true)
            try await send(app, .POST, "/api/v1/cases/\(caseID)/actions/\(actionID)", token: world.token("policeA.officer"), json: ["status": "done", "reason": "Done at the scene"])
            let done = try await send(app, .GET, "/api/v1/cases/\(caseID)", token: world.token("policeA.officer"))
            #expect((done.json["actions"] as! [[String: Any]]).first { $0["id"] as? String == actionID }?["overdue"] as? Bool == false)
        }
    }
}
