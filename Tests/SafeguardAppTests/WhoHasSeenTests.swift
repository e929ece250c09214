import Foundation
@testable import SafeguardApp
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// "Who has seen this case" (issue 13): every read and write of a case from its audit trail, for the person who
/// opened it, supervisors, superintendents, the DSL and auditors of its organisation, in the API and on the case page.
@Suite struct WhoHasSeenTests {
    /// A police case opened by policeA.officer, read and changed by a few people, and a supervisor in another force.
    struct Scene {
        var world: World
        var caseID: String
        var otherSupervisor: String   // a token
    }

    static func scene(_ app: Application) async throws -> Scene {
        let world = try await seedWorld(app)
        let created = try await createCase(app, token: world.token("policeA.officer"))
        let id = try #require(created["id"] as? String)
        #expect(try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("policeA.officer")).status == .ok)
        #expect(try await send(app, .POST, "/api/v1/cases/\(id)/notes", token: world.token("policeA.officer"),
                               json: ["text": "Spoke to the school"]).status == .created)
        #expect(try await send(app, .GET, "/api/v1/cases/\(id)/notes", token: world.token("policeA.superintendent")).status == .ok)
        let version = try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("policeA.officer2")).json["version"] as! Int
        #expect(try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: world.token("policeA.officer2"),
                               json: ["version": version, "facts": sampleFacts]).status == .ok)
        let store = AccountStore(db: app.db)
        let supervisor = try await store.createUser(organisationID: world.policeB.id, email: "supervisor@policeb.test",
                                                    displayName: "policeB supervisor", role: .supervisor, passwordHash: testPasswordHash)
        let (_, secret) = try await store.createToken(userID: supervisor.id, name: "test", expiresAt: Date().addingTimeInterval(3600))
        return Scene(world: world, caseID: id, otherSupervisor: secret)
    }

    static func access(_ app: Application, _ scene: Scene, _ token: String) async throws -> Reply {
        try await send(app, .GET, "/api/v1/cases/\(scene.caseID)/access", token: token)
    }

    /// The "Who has seen this case" section of a case page, or nil when it is not there.
    static func section(_ html: String) -> String? {
        guard let start = html.range(of: "id=\"seen\""), let end = html.range(of: "</details>", range: start.upperBound..<html.endIndex) else {
            return nil
        }
        return String(html[start.lowerBound..<end.upperBound])
    }

    // MARK: The API

    @Test func theAPIListsEveryReadAndWriteNewestFirstWithNamesAndRoles() async throws {
        try await withApp { app in
            let scene = try await Self.scene(app)
            let reply = try await Self.access(app, scene, scene.world.token("policeA.supervisor"))
            #expect(reply.status == .ok, "\(reply.text)")
            let entries = try #require(reply.json["entries"] as? [[String: Any]])
            #expect(reply.json["total"] as? Int == entries.count)
            #expect(reply.json["limit"] as? Int == 200)
            let sequences = entries.compactMap { $0["sequence"] as? Int }
            #expect(sequences == sequences.sorted(by: >), "newest first")
            func has(_ action: String, _ name: String, _ role: String) -> Bool {
                entries.contains { $0["action"] as? String == action && $0["actorName"] as? String == name
                    && $0["actorRole"] as? String == role && $0["outcome"] as? String == "ok" }
            }
            #expect(has("case.create", "policeA officer", "officer"))
            #expect(has("case.read", "policeA officer", "officer"))
            #expect(has("case.note.add", "policeA officer", "officer"))
            #expect(has("case.notes.read", "policeA superintendent", "superintendent"))
            #expect(has("case.read", "policeA officer2", "officer"))
            #expect(has("case.facts.update", "policeA officer2", "officer"))
            #expect(entries.first?["action"] as? String == "case.facts.update", "the latest change comes first")
            #expect(entries.allSatisfy { ($0["at"] as? String).map { !$0.isEmpty } == true })
            #expect(entries.allSatisfy { $0["actorID"] is String })

            // Reading it is audited, like any read: the next reply starts with it.
            let again = try await Self.access(app, scene, scene.world.token("policeA.supervisor"))
            let first = try #require((again.json["entries"] as? [[String: Any]])?.first)
            #expect(first["action"] as? String == "case.access.read")
            #expect(first["actorName"] as? String == "policeA supervisor")
            #expect(first["actorID"] as? String == scene.world.user("policeA.supervisor").id.uuidString)
        }
    }

    @Test func theOpenerSupervisorSuperintendentAuditorAndDSLMaySeeIt() async throws {
        try await withApp { app in
            let scene = try await Self.scene(app)
            for actor in ["policeA.officer", "policeA.supervisor", "policeA.superintendent", "policeA.auditor"] {
                let reply = try await Self.access(app, scene, scene.world.token(actor))
                #expect(reply.status == .ok, "\(actor): \(reply.status)")
                #expect((reply.json["entries"] as? [[String: Any]])?.isEmpty == false, "\(actor)")
            }
            let concern = try await createCase(app, token: scene.world.token("school.staff"))
            let concernID = try #require(concern["id"] as? String)
            for actor in ["school.dsl", "school.auditor"] {
                let reply = try await send(app, .GET, "/api/v1/cases/\(concernID)/access", token: scene.world.token(actor))
                #expect(reply.status == .ok, "\(actor): \(reply.status)")
                let entries = try #require(reply.json["entries"] as? [[String: Any]])
                #expect(entries.contains { $0["action"] as? String == "case.create" && $0["actorName"] as? String == "school staff"
                    && $0["actorRole"] as? String == "staff" })
            }
            // Staff do not, even on the concern they raised.
            let staff = try await send(app, .GET, "/api/v1/cases/\(concernID)/access", token: scene.world.token("school.staff"))
            #expect(staff.status == .forbidden)
        }
    }

    @Test func anotherOfficerStaffAdminsAndOtherOrganisationsAreRefused() async throws {
        try await withApp { app in
            let scene = try await Self.scene(app)
            for actor in ["policeA.officer2", "policeA.admin", "school.staff", "school.dsl"] {
                let reply = try await Self.access(app, scene, scene.world.token(actor))
                // Another organisation's people learn nothing, not even that the case exists (404), as for every case route.
                let expected: HTTPStatus = actor.hasPrefix("school.dsl") ? .notFound : .forbidden
                #expect(reply.status == expected, "\(actor): \(reply.status)")
                #expect(reply.json["entries"] == nil, "\(actor)")
                #expect(reply.errorCode != nil, "\(actor)")
            }
            let other = try await Self.access(app, scene, scene.otherSupervisor)
            #expect(other.status == .notFound)
            #expect(other.json["entries"] == nil)
            #expect(try await send(app, .GET, "/api/v1/cases/\(scene.caseID)/access").status == .unauthorized)
            // A refusal reads nothing: no access read is audited for the case.
            let reads = try await AuditStore(db: app.db).entries(organisationID: nil, limit: 1_000, caseID: UUID(uuidString: scene.caseID))
            #expect(!reads.contains { $0.action == "case.access.read" })
        }
    }

    @Test func theLatestTwoHundredAreGivenWithTheTotal() async throws {
        try await withApp { app in
            let scene = try await Self.scene(app)
            let officer = scene.world.user("policeA.officer")
            let events = (0..<250).map { _ in
                AuditEvent(actorID: officer.id, actorRole: "officer", organisationID: scene.world.policeA.id, action: "case.read",
                           caseID: UUID(uuidString: scene.caseID))
            }
            try await app.auditWriter.append(events[0])
            _ = try await app.write { db in try await AuditChain.append(Array(events.dropFirst()), on: db) }
            let reply = try await Self.access(app, scene, scene.world.token("policeA.supervisor"))
            let entries = try #require(reply.json["entries"] as? [[String: Any]])
            #expect(entries.count == 200)
            let total = try #require(reply.json["total"] as? Int)
            #expect(total > 250)
            let history = try await AuditStore(db: app.db).caseAccess(caseID: UUID(uuidString: scene.caseID)!,
                                                                      organisationID: scene.world.policeA.id, limit: 5)
            #expect(history.entries.count == 5)
            #expect(history.total == total + 1, "the reply's own read is counted now")
            #expect(!history.isComplete)
            // The page says how many it shows.
            let browser = try await Pages.signIn(app, "supervisor@policeA.test")
            let page = try await Pages.get(app, "/cases/\(scene.caseID)", browser)
            let section = try #require(Self.section(page.text))
            #expect(section.contains("the latest 200 of \((total + 1).withThousands) times"), "\(section.prefix(400))")
        }
    }

    @Test func theTrailIsIndexedByCase() async throws {
        try await withApp { app in
            let sql = app.db as! any SQLDatabase
            let row = sql.dialect.name == "sqlite"
                ? try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'audit_entries_case'").first()
                : try await sql.raw("SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'audit_entries_case'").first()
            #expect(try row?.decode(column: "name", as: String.self) == "audit_entries_case")
        }
    }

    // MARK: The case page

    @Test func thePageShowsTheSectionFoldedAndInPlainWords() async throws {
        try await withApp { app in
            let scene = try await Self.scene(app)
            // An action the page has no words for is shown as "Other change", never as its code.
            try await app.auditWriter.append(AuditEvent(actorID: scene.world.user("policeA.officer").id, actorRole: "officer",
                                                        organisationID: scene.world.policeA.id, action: "case.mystery.thing",
                                                        caseID: UUID(uuidString: scene.caseID)))
            for email in ["supervisor@policeA.test", "superintendent@policeA.test", "officer@policeA.test"] {
                let browser = try await Pages.signIn(app, email)
                let page = try await Pages.get(app, "/cases/\(scene.caseID)", browser)
                #expect(page.status == .ok)
                let section = try #require(Self.section(page.text), "\(email) sees the section")
                #expect(section.contains("Who has seen this case"))
                #expect(section.contains("<details"))
                #expect(page.text.contains("href=\"#seen\""))
                for words in ["policeA officer (officer)", "Opened the case", "Read the case", "Added a note",
                              "policeA superintendent (superintendent)", "Read the notes", "policeA officer2 (officer)",
                              "Changed the facts", "Other change"] {
                    #expect(section.contains(words), "\(email): \(words)")
                }
                // No codes, ids or machine timestamps: every action code in the trail is absent.
                for code in ["case.create", "case.read", "case.note.add", "case.notes.read", "case.facts.update", "case.mystery",
                             "case.access.read", ">ok<"] {
                    #expect(!section.contains(code), "\(email): \(code)")
                }
                #expect(section.range(of: #"\d{4}-\d{2}-\d{2}"#, options: .regularExpression) == nil, "\(email): an ISO date")
                #expect(section.range(of: #"\d{2}:\d{2}:\d{2}"#, options: .regularExpression) == nil, "\(email): a clock time with seconds")
                #expect(section.range(of: #"[0-9a-f]{8}-[0-9a-f]{4}-"#, options: .regularExpression) == nil, "\(email): an id")
                // Times in the case page's own style, e.g. "1 December 2026, 6:05am".
                #expect(section.range(of: #"\d{1,2} [A-Z][a-z]+ \d{4}, \d{1,2}:\d{2}(am|pm)"#, options: .regularExpression) != nil)
            }
            // Each view that showed the section is audited as such, in the one entry of the view (a second entry at every
            // view had filled the list itself with "Looked at who has seen the case").
            let entries = try await AuditStore(db: app.db).entries(organisationID: nil, limit: 1_000, caseID: UUID(uuidString: scene.caseID))
            #expect(entries.filter { $0.action == "case.read" && $0.detail == "via=page seen=shown" }.count == 3)
            #expect(!entries.contains { $0.action == "case.access.read" && $0.detail == "via=page" })
        }
    }

    @Test func theDSLSeesItOnASchoolCase() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let concern = try await createCase(app, token: world.token("school.staff"))
            let id = try #require(concern["id"] as? String)
            let dsl = try await Pages.signIn(app, "dsl@school.test")
            let page = try await Pages.get(app, "/cases/\(id)", dsl)
            let section = try #require(Self.section(page.text))
            #expect(section.contains("school staff (staff)"))
            #expect(section.contains("Opened the case"))
            // The staff member who raised it sees the concern, but not the section.
            let staff = try await Pages.signIn(app, "staff@school.test")
            let own = try await Pages.get(app, "/cases/\(id)", staff)
            #expect(own.status == .ok)
            #expect(Self.section(own.text) == nil)
            #expect(!own.text.contains("Who has seen this case"))
        }
    }

    @Test func thePageLeavesTheSectionOutForEveryoneElse() async throws {
        try await withApp { app in
            let scene = try await Self.scene(app)
            let officer2 = try await Pages.signIn(app, "officer2@policeA.test")
            let page = try await Pages.get(app, "/cases/\(scene.caseID)", officer2)
            #expect(page.status == .ok, "another officer still reads the case")
            #expect(Self.section(page.text) == nil)
            #expect(!page.text.contains("Who has seen this case"))
            #expect(!page.text.contains("href=\"#seen\""))
            let policeB = try await Pages.signIn(app, "officer@policeB.test")
            let other = try await Pages.get(app, "/cases/\(scene.caseID)", policeB)
            #expect(other.status == .notFound)
            #expect(!other.text.contains("Who has seen this case"))
            // An auditor reads no case content: the page refuses them, as before; they use the API or the audit trail page.
            let auditor = try await Pages.signIn(app, "auditor@policeA.test")
            let refused = try await Pages.get(app, "/cases/\(scene.caseID)", auditor)
            #expect(refused.status == .forbidden)
            #expect(!refused.text.contains("Who has seen this case"))
            // No view was audited as showing it to those who were not shown it.
            let entries = try await AuditStore(db: app.db).entries(organisationID: nil, limit: 1_000, caseID: UUID(uuidString: scene.caseID))
            #expect(!entries.contains { $0.action == "case.access.read" || ($0.detail ?? "").contains("seen=shown") })
        }
    }

    // MARK: Words

    @Test func everyActionHasWordsAndUnknownOnesNeverShowTheirCode() {
        for (action, words) in [("case.read", "Read the case"), ("case.facts.update", "Changed the facts"),
                                ("case.record.add", "Added a record"), ("case.something.new", "Other change"),
                                ("case.something.read", "Read part of the case")] {
            #expect(CaseAccessView.what(action: action, outcome: "ok") == words)
        }
        #expect(CaseAccessView.what(action: "case.read", outcome: "rejected") == "Read the case (refused)")
        #expect(!CaseAccessView.what(action: "request.rejected.imagery", outcome: "rejected").contains("request"))
        let nobody = CaseAccessEntry(sequence: 1, at: nil, actorID: nil, actorName: nil, actorRole: "system", action: "x", outcome: "ok")
        #expect(CaseAccessView.who(nobody, in: .england) == "Safeguard itself")
        var gone = nobody
        gone.actorRole = "dsl"
        #expect(CaseAccessView.who(gone, in: .england) == "Someone whose account no longer exists (designated safeguarding lead)")
        // In the nation's own words, as the rest of the page names the role; never nested brackets.
        #expect(CaseAccessView.who(gone, in: .northernIreland) == "Someone whose account no longer exists (designated teacher for child protection)")
        var named = gone
        named.actorName = "Scot Lead"
        #expect(CaseAccessView.who(named, in: .wales) == "Scot Lead, designated safeguarding person (DSP)")
    }
}
