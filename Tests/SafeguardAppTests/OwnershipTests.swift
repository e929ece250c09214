import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// Issue 11, point 1: every case has an owner; its actions land on the owner's home; triage makes the DSL the owner;
/// the owner can be changed with a chronology line; home shows what needs doing today and the cases gone quiet.
@Suite struct OwnershipTests {
    static func chronology(_ app: Application, _ id: String, token: String) async throws -> [String] {
        try await send(app, .GET, "/api/v1/cases/\(id)/chronology", token: token).array.compactMap { $0["summary"] as? String }
    }

    /// The part of a home page under one heading (up to the next).
    static func section(_ html: String, _ heading: String) -> String {
        guard let start = html.range(of: "<h2 class=\"heading-l\">\(heading)</h2>") else { return "" }
        let rest = html[start.upperBound...]
        return String(rest[..<(rest.range(of: "<h2 ")?.lowerBound ?? rest.endIndex)])
    }

    @Test("Triage makes the DSL the owner: the actions leave the home of the staff member who raised the concern")
    func triageMakesTheDSLTheOwner() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let concern = try await createCase(app, token: world.token("school.staff"), summary: "Year 9 pupil sent an image")
            let id = (concern["id"] as! String).lowercased()
            #expect(concern["ownerID"] as? String == world.user("school.staff").id.uuidString, "whoever opens a case owns it first")

            let triage = try await send(app, .POST, "/api/v1/cases/\(id)/records", token: world.token("school.dsl"), json: [
                "kind": "triage", "content": "image", "sentBy": ["A"], "featured": ["A"], "adultsInvolved": "no",
                "device": "personal", "sharedElsewhere": "no", "triagedOn": CaseController.today.description])
            #expect(triage.status == .created, "\(triage.text)")
            let read = try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("school.dsl")).json
            #expect(read["ownerID"] as? String == world.user("school.dsl").id.uuidString)
            let lines = try await Self.chronology(app, id, token: world.token("school.dsl"))
            #expect(lines.contains("Case given to school dsl, designated safeguarding person (DSP), from school staff (staff): triaged"),
                    "\(lines)")

            let dsl = try await Pages.get(app, "/", try await Pages.signIn(app, "dsl@school.test"))
            #expect(Self.section(dsl.text, "Your open cases").contains(concern["reference"] as! String), "the DSL's home lists it")
            let dslActions = Self.section(dsl.text, "Needs doing today") + Self.section(dsl.text, "Actions to do later")
            #expect(dslActions.contains(concern["reference"] as! String), "and its actions")

            let staff = try await Pages.get(app, "/", try await Pages.signIn(app, "staff@school.test"))
            #expect(Self.section(staff.text, "Concerns you raised").contains(concern["reference"] as! String))
            #expect(!staff.text.contains("Needs doing today") && !staff.text.contains("Actions to do later"),
                    "staff are not given actions they cannot do")
            #expect(staff.text.contains("Your concerns go to the designated safeguarding person, who takes each one on when they triage it"))
        }
    }

    @Test("A supervisor gives a case to another officer, with a reason: chronology, audit and both homes follow")
    func reassignThroughTheAPI() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"), summary: "Shared between two pupils")
            let id = (created["id"] as! String).lowercased(), reference = created["reference"] as! String
            let moved = try await send(app, .PUT, "/api/v1/cases/\(id)/owner", token: world.token("policeA.supervisor"),
                                       json: ["ownerID": world.user("policeA.officer2").id.uuidString, "reason": "PC Smith is on leave"])
            #expect(moved.status == .ok, "\(moved.text)")
            #expect(moved.json["ownerID"] as? String == world.user("policeA.officer2").id.uuidString)
            let lines = try await Self.chronology(app, id, token: world.token("policeA.officer2"))
            #expect(lines.last == "Case given to policeA officer2 (officer), from policeA officer (officer): PC Smith is on leave")
            let audited = try await AuditStore(db: app.db).entries(organisationID: world.policeA.id, limit: 50).filter { $0.action == "case.owner" }
            #expect(audited.map(\.detail) == ["owner=\(world.user("policeA.officer2").id.uuidString.lowercased())"])

            let second = try await Pages.get(app, "/", try await Pages.signIn(app, "officer2@policeA.test"))
            #expect(Self.section(second.text, "Your open cases").contains(reference))
            let first = try await Pages.get(app, "/", try await Pages.signIn(app, "officer@policeA.test"))
            #expect(!Self.section(first.text, "Your open cases").contains(reference), "no longer on the first officer's home")

            // Nobody can be given a case they cannot lead, nor someone of another organisation, nor the owner again.
            for (target, expected) in [(world.user("policeA.admin").id, "who leads cases"), (world.user("policeB.officer").id, "choose someone in"),
                                       (world.user("policeA.officer2").id, "already owns this case")] {
                let refused = try await send(app, .PUT, "/api/v1/cases/\(id)/owner", token: world.token("policeA.supervisor"),
                                             json: ["ownerID": target.uuidString])
                #expect(refused.status == .unprocessableEntity)
                #expect(refused.text.contains(expected), "\(refused.text)")
            }
            // The first officer no longer owns it, so cannot hand it on; the new owner can.
            #expect(try await send(app, .PUT, "/api/v1/cases/\(id)/owner", token: world.token("policeA.officer"),
                                   json: ["ownerID": world.user("policeA.officer").id.uuidString]).status == .forbidden)
            #expect(try await send(app, .PUT, "/api/v1/cases/\(id)/owner", token: world.token("policeA.officer2"),
                                   json: ["ownerID": world.user("policeA.officer").id.uuidString]).status == .ok)
        }
    }

    @Test("The case page names the owner and, for those who may, gives the case to someone else")
    func reassignOnThePage() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"), summary: "Shared between two pupils")
            let id = (created["id"] as! String).lowercased()
            let officer2 = try await Pages.signIn(app, "officer2@policeA.test")
            let notOwner = try await Pages.get(app, "/cases/\(id)", officer2)
            #expect(notOwner.text.contains("owned by policeA officer (officer)"))
            #expect(!notOwner.text.contains("'s now"), "never \"It is policeA officer (officer)'s now\"")
            #expect(!notOwner.text.contains("Give this case to someone else"), "another officer may not hand it on")

            let supervisor = try await Pages.signIn(app, "supervisor@policeA.test")
            let page = try await Pages.get(app, "/cases/\(id)", supervisor)
            #expect(page.text.contains("Give this case to someone else"))
            #expect(page.text.contains(">policeA officer2 (officer)</option>"))
            #expect(!page.text.contains(">policeA admin"), "only case leads are offered")
            #expect(PlainWordsWalkTests.rawIdentifiers(page.text) == [])
            let empty = try await Pages.post(app, "/cases/\(id)/owner", supervisor, [("reason", "cover")])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.text.contains("Choose who the case goes to"))
            let moved = try await Pages.post(app, "/cases/\(id)/owner", supervisor,
                                             [("ownerID", world.user("policeA.officer2").id.uuidString.lowercased()), ("reason", "cover")])
            #expect(moved.status == .seeOther)
            let after = try await Pages.get(app, "/cases/\(id)", supervisor)
            #expect(after.text.contains("The case is now policeA officer2&#39;s") || after.text.contains("The case is now policeA officer2's"))
            #expect(after.text.contains("owned by policeA officer2 (officer)"))
            #expect(after.text.contains("Case given to policeA officer2 (officer), from policeA officer (officer): cover"))
        }
    }

    @Test("The officer who accepts a school's referral owns the case it opened")
    func acceptingAReferralTakesTheCase() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let school = try await createCase(app, token: world.token("school.dsl"), summary: "Concern")
            let sent = try await send(app, .POST, "/api/v1/cases/\((school["id"] as! String).lowercased())/referrals", token: world.token("school.dsl"),
                                      json: ["toOrganisationID": world.policeA.id.uuidString, "summary": "Image shared", "share": ["people"]])
            #expect(sent.status == .created)
            let waiting = try await send(app, .GET, "/api/v1/inbox", token: world.token("policeA.officer2")).json["referralsToAnswer"] as? [[String: Any]] ?? []
            let policeCase = try #require(waiting.first?["toCaseID"] as? String)
            let accepted = try await send(app, .POST, "/api/v1/cases/\(policeCase)/referrals/\(sent.json["id"] as! String)/response",
                                          token: world.token("policeA.officer2"), json: ["status": "accepted"])
            #expect(accepted.status == .ok, "\(accepted.text)")
            let read = try await send(app, .GET, "/api/v1/cases/\(policeCase)", token: world.token("policeA.officer2")).json
            #expect(read["ownerID"] as? String == world.user("policeA.officer2").id.uuidString)
        }
    }

    @Test("Home shows what is due today first, and supervisors see cases gone quiet by the organisation's setting")
    func todayAndQuietCases() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            // MUST actions due the same day: they are at the top of the home page.
            let set = try await send(app, .PATCH, "/api/v1/organisation/settings", token: world.token("policeA.admin"),
                                     json: ["mustActionDays": 0, "quietCaseDays": 10])
            #expect(set.status == .ok, "\(set.text)")
            #expect(set.json["mustActionDays"] as? Int == 0 && set.json["quietCaseDays"] as? Int == 10)
            #expect(try await send(app, .PATCH, "/api/v1/organisation/settings", token: world.token("policeA.admin"),
                                   json: ["quietCaseDays": 0]).status == .unprocessableEntity)
            app.identityCache.removeAll()
            let created = try await createCase(app, token: world.token("policeA.officer"), summary: "Shared between two pupils")
            let actions = created["actions"] as! [[String: Any]]
            let musts = actions.filter { $0["severity"] as? String == "must" }
            #expect(!musts.isEmpty && musts.allSatisfy { $0["dueOn"] as? String == CaseController.today.description })
            #expect(actions.filter { $0["severity"] as? String != "must" }.allSatisfy { $0["dueOn"] == nil || $0["dueOn"] is NSNull })
            let home = try await Pages.get(app, "/", try await Pages.signIn(app, "officer@policeA.test"))
            #expect(Self.section(home.text, "Needs doing today").contains(created["reference"] as! String))

            // A case untouched for 11 days has gone quiet (10 is the setting); one touched 9 days ago has not.
            let old = try await createCase(app, token: world.token("policeA.officer2"), summary: "Old")
            let recent = try await createCase(app, token: world.token("policeA.officer2"), summary: "Recent")
            let sql = app.db as! any SQLDatabase
            for (c, days) in [(old, 11.0), (recent, 9.0)] {
                try await sql.raw("UPDATE cases SET updated_at = \(bind: Date().addingTimeInterval(-days * 86_400)) WHERE id = \(bind: UUID(uuidString: c["id"] as! String)!)").run()
            }
            let supervisorSession = try await Pages.signIn(app, "supervisor@policeA.test")
            let counted = app.caseCounts.counts
            let supervisor = try await Pages.get(app, "/", supervisorSession)
            _ = try await Pages.get(app, "/", supervisorSession)
            // The home page's lists show no totals, so none is counted, kept or looked for: the quiet list's filter
            // holds the time of the request, and a total kept for it would never be asked for again.
            #expect(app.caseCounts.counts == counted, "home counted a list: \(app.caseCounts.counts) after \(counted)")
            let quiet = Self.section(supervisor.text, "Cases gone quiet")
            #expect(quiet.contains(old["reference"] as! String) && quiet.contains("policeA officer2"), "\(quiet)")
            #expect(!quiet.contains(recent["reference"] as! String))
            let officer = try await Pages.get(app, "/", try await Pages.signIn(app, "officer@policeA.test"))
            #expect(!officer.text.contains("Cases gone quiet"), "officers see their own cases, not the organisation's")
        }
    }

    @Test("An action due today is on its owner's home page however many open cases they have, not only those listed")
    func everyOwnedCasesDueActionsAreShown() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            #expect(try await send(app, .PATCH, "/api/v1/organisation/settings", token: world.token("policeA.admin"),
                                   json: ["mustActionDays": 0]).status == .ok)
            app.identityCache.removeAll()
            let token = world.token("policeA.officer")
            let oldest = try await createCase(app, token: token, summary: "The first of many")
            let sql = app.db as! any SQLDatabase
            try await sql.raw("UPDATE cases SET updated_at = \(bind: Date().addingTimeInterval(-86_400)) WHERE id = \(bind: UUID(uuidString: oldest["id"] as! String)!)").run()
            for n in 1...50 { _ = try await createCase(app, token: token, summary: "Newer \(n)") }
            let home = try await Pages.get(app, "/", try await Pages.signIn(app, "officer@policeA.test"))
            let reference = oldest["reference"] as! String
            #expect(!Self.section(home.text, "Your open cases").contains(reference + "<"), "the list shows the 50 changed most recently")
            #expect(Self.section(home.text, "Needs doing today").contains(reference + "<"), "its MUST action, due today, is still shown")
        }
    }

    @Test("Cases gone quiet are listed untouched longest first, and the page says when there are more than it shows")
    func theLongestQuietComeFirst() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let sql = app.db as! any SQLDatabase
            let token = world.token("policeA.officer")
            // One more than the page shows, each untouched a day longer than the one before: 15 to 65 days.
            var references: [String] = []
            for days in 15...(15 + HomePage.quietShown) {
                let c = try await createCase(app, token: token, summary: "Quiet \(days)")
                try await sql.raw("UPDATE cases SET updated_at = \(bind: Date().addingTimeInterval(-Double(days) * 86_400)) WHERE id = \(bind: UUID(uuidString: c["id"] as! String)!)").run()
                references.append(c["reference"] as! String)
            }
            let supervisor = try await Pages.get(app, "/", try await Pages.signIn(app, "supervisor@policeA.test"))
            let quiet = Self.section(supervisor.text, "Cases gone quiet")
            let shown = references.filter { quiet.contains($0) }
            #expect(shown.count == HomePage.quietShown && !quiet.contains(references[0] + "<"), "the one quiet for the shortest time is left off")
            let positions = shown.compactMap { quiet.range(of: $0)?.lowerBound }
            #expect(positions == positions.sorted(by: >), "untouched longest first: the 65-day case at the top")
            #expect(quiet.contains("More than \(HomePage.quietShown) open cases have gone quiet"), "\(quiet.suffix(300))")
            // The team's open cases (with no team, the organisation's others'): as many, and it says where the rest are.
            #expect(supervisor.text.contains("These are the \(HomePage.teamShown) changed most recently; there are more on the"))

            // Fifty or fewer: no such sentence.
            try await sql.raw("UPDATE cases SET updated_at = \(bind: Date()) WHERE reference = \(bind: references[1])").run()
            let fewer = Self.section(try await Pages.get(app, "/", try await Pages.signIn(app, "supervisor@policeA.test")).text, "Cases gone quiet")
            #expect(!fewer.contains("More than") && fewer.contains(references[0]))
        }
    }
}

/// Issue 11, point 7: the case page says the next thing to do first.
@Suite struct NextStepTests {
    @Test("The case page opens with the single next step and how the case stands; an overdue action comes first")
    func nextStepFirst() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"), summary: "Shared between two pupils")
            let id = (created["id"] as! String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let page = try await Pages.get(app, "/cases/\(id)", officer)
            let open = (created["actions"] as! [[String: Any]]).filter { $0["status"] as? String == "open" }
            // An action done by a record leads to that record's form, not to its tick box (a hands-on review found the
            // immediate referral ticked done from there, with nothing recorded); any other to its tick box.
            let next = try #require(page.text.range(of: ##"<p class="heading-m"><a href="(#action-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-done|/cases/"## + id + ##"/record/[a-zA-Z]+)">Next: [^<]+</a></p>"##,
                                                    options: .regularExpression))
            #expect(page.text[next].contains("/record/"), "the most pressing must-do of a new police case has a record: \(page.text[next])")
            #expect(next.lowerBound < page.text.range(of: "id=\"decisions\"")!.lowerBound, "before the decisions")
            #expect(page.text.contains("\(open.count) actions to do"), "how many are open")
            // The most pressing is a MUST: every one of them is due the day after it was raised.
            let musts = open.filter { $0["severity"] as? String == "must" }.compactMap { $0["text"] as? String }
            #expect(musts.contains { page.text[next].contains(PagesHTML.escape($0)) }, "a MUST comes first")

            // An action gone overdue is the next step, whatever its importance.
            let should = try #require(open.first { $0["severity"] as? String == "should" })
            try await (app.db as! any SQLDatabase).raw("UPDATE case_actions SET due_on = \(bind: CaseController.today.adding(days: -2).description) WHERE id = \(bind: UUID(uuidString: should["id"] as! String)!)").run()
            let later = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(later.text.contains("Next: \(PagesHTML.escape(should["text"] as! String)) (overdue: due by"))
            #expect(later.text.contains("actions to do (1 overdue)"))

            // Staff, and a closed case, get no next step.
            let closed = try await send(app, .PATCH, "/api/v1/cases/\(id)", token: world.token("policeA.officer"),
                                        json: ["version": created["version"] as! Int, "status": "closed", "reason": "Resolved"])
            #expect(closed.status == .ok)
            let after = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(!after.text.contains("aria-label=\"Next step\""), "a closed case has no next step")
            let concern = try await createCase(app, token: world.token("school.staff"), summary: "A concern")
            let staff = try await Pages.get(app, "/cases/\((concern["id"] as! String).lowercased())", try await Pages.signIn(app, "staff@school.test"))
            #expect(staff.status == .ok && !staff.text.contains("aria-label=\"Next step\""), "staff do not act on it")
            let dsl = try await Pages.get(app, "/cases/\((concern["id"] as! String).lowercased())", try await Pages.signIn(app, "dsl@school.test"))
            #expect(dsl.text.contains("aria-label=\"Next step\""), "the DSL does")
        }
    }
}

/// HTML escaping as Leaf does it, for comparing text a page shows.
enum PagesHTML {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
