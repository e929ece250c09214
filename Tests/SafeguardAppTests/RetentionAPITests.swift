import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// Issue 13, point 6: retention and erasure, through the API, the pages and the server's run: a case past its date
/// is erased with everything on it and leaves a tombstone; a held one is kept; the audit trail still verifies.
@Suite struct RetentionAPITests {
    static func close(_ app: Application, _ token: String, _ id: String) async throws {
        let current = try await send(app, .GET, "/api/v1/cases/\(id)", token: token).json["version"] as! Int
        let closed = try await send(app, .PATCH, "/api/v1/cases/\(id)", token: token,
                                    json: ["version": current, "status": "closed", "reason": "Dealt with"])
        #expect(closed.status == .ok, "\(closed.text)")
    }

    /// As if the case had opened and closed long ago.
    static func age(_ app: Application, _ id: String, years: Int) async throws {
        let then = Date().addingTimeInterval(-Double(years) * 366 * 86_400)
        try await (app.db as! any SQLDatabase).update("cases").set("created_at", to: then).set("closed_at", to: then)
            .where("id", .equal, UUID(uuidString: id)!).run()
    }

    @Test("Closing a case starts its retention, the admin sees its date, and reopening stops it")
    func closingStartsRetention() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let id = (try await createCase(app, token: token)["id"] as! String).lowercased()
            let reference = try await send(app, .GET, "/api/v1/cases/\(id)", token: token).json["reference"] as! String
            try await Self.close(app, token, id)
            let overview = try await send(app, .GET, "/api/v1/retention", token: world.token("policeA.admin"))
            #expect(overview.status == .ok)
            #expect(overview.json["retentionPoliceGroup"] as? Int == 2)
            let row = try #require((overview.json["cases"] as? [[String: Any]])?.first { $0["reference"] as? String == reference })
            let closedOn = CaseController.today
            #expect(row["closedOn"] as? String == closedOn.description)
            #expect(row["eraseOn"] as? String == closedOn.adding(years: 10).description)
            #expect(row["due"] as? Bool == false)
            #expect(try await send(app, .GET, "/api/v1/retention", token: token).status == .forbidden, "for admins")
            // Reopened, it is no longer a closed case.
            let version = try await send(app, .GET, "/api/v1/cases/\(id)", token: token).json["version"] as! Int
            _ = try await send(app, .PATCH, "/api/v1/cases/\(id)", token: token, json: ["version": version, "status": "open", "reason": "New information"])
            let again = try await send(app, .GET, "/api/v1/retention", token: world.token("policeA.admin"))
            #expect(!((again.json["cases"] as? [[String: Any]]) ?? []).contains { $0["reference"] as? String == reference })
        }
    }

    @Test("The run erases what is due and leaves a tombstone and an audit entry; a held case is kept; the trail verifies")
    func runErasesWhatIsDue() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let admin = world.token("policeA.admin")
            var ids: [String] = []
            var references: [String] = []
            for _ in 0..<2 {
                let created = try await createCase(app, token: token)
                ids.append((created["id"] as! String).lowercased())
                references.append(created["reference"] as! String)
                try await Self.close(app, token, ids.last!)
                _ = try await send(app, .POST, "/api/v1/cases/\(ids.last!)/notes", token: token, json: ["text": "a note that must go"])
                try await Self.age(app, ids.last!, years: 11)
            }
            // Legal hold on the second: a reason is needed, it is audited, and it cannot be set twice.
            #expect(try await send(app, .PUT, "/api/v1/retention/holds/\(references[1])", token: admin, json: ["reason": " "]).status == .unprocessableEntity)
            let held = try await send(app, .PUT, "/api/v1/retention/holds/\(references[1])", token: admin, json: ["reason": "Civil claim pending"])
            #expect(held.status == .ok, "\(held.text)")
            #expect(held.json["onHold"] as? Bool == true)
            #expect(try await send(app, .PUT, "/api/v1/retention/holds/\(references[1])", token: admin, json: ["reason": "again"]).status == .conflict)
            #expect(try await send(app, .PUT, "/api/v1/retention/holds/SG-1999-000001", token: admin, json: ["reason": "x"]).status == .notFound)
            #expect(try await send(app, .PUT, "/api/v1/retention/holds/\(references[1])", token: world.token("policeB.admin"), json: ["reason": "x"]).status == .notFound,
                    "another organisation's case is not found")

            let dry = try await send(app, .POST, "/api/v1/retention/run", token: admin, json: ["dryRun": true])
            #expect((dry.json["erased"] as? [[String: Any]])?.map { $0["reference"] as? String } == [references[0]])
            #expect(try await send(app, .GET, "/api/v1/cases/\(ids[0])", token: token).status == .ok, "a dry run erases nothing")

            let erased = try await app.retentionService.run(dryRun: false, by: nil)
            #expect(erased.map(\.reference) == [references[0]])
            #expect(try await send(app, .GET, "/api/v1/cases/\(ids[0])", token: token).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/cases/\(ids[1])", token: token).status == .ok, "the held case is kept")
            for table in ["case_actions", "case_assessments", "case_events", "case_notes"] {
                let row = try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE case_id = \(bind: UUID(uuidString: ids[0])!)").first()
                #expect(try row?.decode(column: "n", as: Int.self) == 0, "\(table) holds nothing of the erased case")
            }
            let overview = try await send(app, .GET, "/api/v1/retention", token: admin)
            let tombstone = try #require((overview.json["erased"] as? [[String: Any]])?.first)
            #expect(tombstone["reference"] as? String == references[0])
            #expect(tombstone["erasedBy"] as? String == "schedule")
            #expect((tombstone["rule"] as? String)?.contains("MoPI group 2") == true)
            let audit = try await AuditStore(db: app.db).entries(organisationID: world.policeA.id, limit: 200)
            #expect(audit.contains { $0.action == "case.erase" && $0.detail.contains(references[0]) })
            #expect(audit.contains { $0.action == "case.legalHold.set" && !$0.detail.contains("Civil claim") }, "the reason is not in the trail")
            let verify = try await send(app, .GET, "/api/v1/audit/verify", token: world.token("policeA.auditor"))
            #expect(verify.status == .ok)
            #expect(verify.json["valid"] as? Bool == true, "\(verify.text)")

            // Lifted, the second is erased by the next run.
            let lifted = try await send(app, .POST, "/api/v1/retention/holds/\(references[1])/lift", token: admin, json: ["reason": "Claim settled"])
            #expect(lifted.json["onHold"] as? Bool == false)
            let next = try await send(app, .POST, "/api/v1/retention/run", token: admin, json: ["dryRun": false])
            #expect((next.json["erased"] as? [[String: Any]])?.map { $0["reference"] as? String } == [references[1]])
        }
    }

    @Test("Erasing a school's case tells the force's linked case, in its chronology")
    func linkedCaseIsTold() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let dsl = world.token("school.dsl")
            let id = (try await createCase(app, token: dsl)["id"] as! String).lowercased()
            let sent = try await send(app, .POST, "/api/v1/cases/\(id)/referrals", token: dsl,
                                      json: ["toOrganisationID": world.policeA.id.uuidString, "summary": "Shared between pupils", "share": ["people"]])
            #expect(sent.status == .created, "\(sent.text)")
            try await Self.close(app, dsl, id)
            try await (app.db as! any SQLDatabase).update("organisations").set("retention_school_years", to: 1)
                .where("id", .equal, world.school.id).run()
            try await Self.age(app, id, years: 2)
            let erased = try await app.retentionService.run(dryRun: false, by: nil)
            #expect(erased.count == 1)
            let officer = world.token("policeA.officer")
            let cases = try await send(app, .GET, "/api/v1/cases", token: officer).json["cases"] as? [[String: Any]] ?? []
            let forceCase = try #require(cases.first { ($0["summary"] as? String)?.hasPrefix("Referred by") == true }?["id"] as? String)
            let lines = try await send(app, .GET, "/api/v1/cases/\(forceCase)/chronology", token: officer).array.compactMap { $0["summary"] as? String }
            #expect(lines.contains("The linked case at Test School was erased under its retention schedule"))
        }
    }

    @Test("The retention page: the schedule, the closed cases with their dates, and a legal hold set with a reason; not for others")
    func page() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let created = try await createCase(app, token: token)
            let id = (created["id"] as! String).lowercased()
            let reference = created["reference"] as! String
            try await Self.close(app, token, id)
            let admin = try await Pages.signIn(app, "admin@policeA.test")
            let page = try await Pages.get(app, "/retention", admin)
            #expect(page.status == .ok)
            #expect(page.text.contains(reference))
            #expect(page.text.contains("MoPI group 2: 10 years after the case was closed."))
            #expect(PlainWordsWalkTests.rawIdentifiers(page.text) == [])
            let noReason = try await Pages.post(app, "/retention/holds/\(reference)", admin, [("action", "hold"), ("reason", "")])
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.text.contains("Say why the case must be kept"))
            let held = try await Pages.post(app, "/retention/holds/\(reference)", admin, [("action", "hold"), ("reason", "Inquest")])
            #expect(held.status == .seeOther)
            let after = try await Pages.get(app, "/retention", admin)
            #expect(after.text.contains("is on legal hold"))
            #expect(after.text.contains("Inquest"))
            let saved = try await Pages.post(app, "/retention", admin, [("retentionPoliceGroup", "3")])
            #expect(saved.status == .seeOther)
            #expect(try await Pages.get(app, "/retention", admin).text.contains("MoPI group 3: 6 years after the case was closed."))
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            #expect(try await Pages.get(app, "/retention", officer).status == .forbidden)
        }
    }
}

/// A shorter schedule that would erase closed cases at the next run is saved only when that is confirmed, by number,
/// on the API and the page (found in an administrator's review: "6 years after closing" saved with a plain "Saved",
/// and the next day's run erased cases for good).
@Suite struct RetentionConfirmationTests {
    @Test func aScheduleThatWouldEraseCasesAtOnceNeedsTheirNumberConfirmed() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer"), admin = world.token("policeA.admin")
            let id = (try await createCase(app, token: token)["id"] as! String).lowercased()
            let reference = try await send(app, .GET, "/api/v1/cases/\(id)", token: token).json["reference"] as! String
            try await RetentionAPITests.close(app, token, id)
            try await RetentionAPITests.age(app, id, years: 8)
            // Group 2 keeps it 10 years; group 3 only 6, so the change would make it due at once.
            let refused = try await send(app, .PATCH, "/api/v1/organisation/settings", token: admin, json: ["retentionPoliceGroup": 3])
            #expect(refused.status == .conflict && refused.errorCode == "erasure_not_confirmed", "\(refused.text)")
            #expect(refused.text.contains("1 closed case due for erasure at the next run") && refused.text.contains(reference))
            #expect(try await send(app, .GET, "/api/v1/organisation/settings", token: admin).json["retentionPoliceGroup"] as? Int == 2, "unchanged")
            #expect(try await send(app, .PATCH, "/api/v1/organisation/settings", token: admin,
                                   json: ["retentionPoliceGroup": 3, "confirmErasure": 2]).status == .conflict, "the number must match")

            let page = try await Pages.signIn(app, "admin@policeA.test")
            let form = try await Pages.post(app, "/retention", page, [("retentionPoliceGroup", "3")])
            #expect(form.status == .conflict)
            #expect(form.text.contains("Yes: erase this closed case, for good, at the next run"))
            #expect(form.text.contains(#"id="retentionPoliceGroup-3" name="retentionPoliceGroup" type="radio" value="3" checked"#), "the choice is kept")
            let confirmed = try await Pages.post(app, "/retention", page, [("retentionPoliceGroup", "3"), ("confirmErasure", "1")])
            #expect(confirmed.status == .seeOther)
            #expect(try await send(app, .GET, "/api/v1/organisation/settings", token: admin).json["retentionPoliceGroup"] as? Int == 3)
            // Back to a longer schedule needs no confirming: nothing more becomes due.
            #expect(try await send(app, .PATCH, "/api/v1/organisation/settings", token: admin, json: ["retentionPoliceGroup": 2]).status == .ok)
        }
    }
}

/// An erased case's history can still be traced by its reference on the auditor's page (found in an administrator's
/// review: "No case of your organisation has the reference", and every entry "An erased or other case").
@Suite struct ErasedCaseAuditTests {
    @Test func theAuditorFindsAnErasedCasesEntriesByItsReference() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let id = (try await createCase(app, token: token)["id"] as! String).lowercased()
            let reference = try await send(app, .GET, "/api/v1/cases/\(id)", token: token).json["reference"] as! String
            try await RetentionAPITests.close(app, token, id)
            try await RetentionAPITests.age(app, id, years: 11)
            let run = try await send(app, .POST, "/api/v1/retention/run", token: world.token("policeA.admin"), json: ["dryRun": false])
            #expect(run.status == .ok, "\(run.text)")
            #expect(try await send(app, .GET, "/api/v1/cases/\(id)", token: token).status == .notFound, "erased")
            let auditor = try await Pages.signIn(app, "auditor@policeA.test")
            let spaced = reference.replacingOccurrences(of: "-", with: " ")
            let page = try await Pages.get(app, "/audit?case=\(spaced.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", auditor)
            #expect(page.status == .ok, "\(page.status)")
            #expect(!page.text.contains("No case of your organisation has the reference"))
            #expect(page.text.contains("\(reference) (erased)"))
            #expect(page.text.contains("Opened the case") && page.text.contains("Erased the case at the end of its retention"))
        }
    }
}
