import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import Testing
import Vapor

/// Issue 11, point 4: nothing a person reads shows an internal name. Every record kind is saved on a case, then every
/// page of the case and every document it produces is read as a person sees it (the text between the tags) and
/// refused on a code (`notKnownYet`, `poca1978s1`), an ISO day or an ISO time.
@Suite struct PlainWordsWalkTests {
    static let identifier = #"\b[a-z]+[A-Z][A-Za-z]*\b|\b[a-z]+\d{2,}[a-z0-9]*\b|\b\d{4}-\d{2}-\d{2}\b|\d{2}:\d{2}:\d{2}|T\d{2}:\d{2}"#

    /// The words of a page: no tags, no attribute values, no style or script.
    static func words(_ html: String) -> String {
        var text = html.replacingOccurrences(of: #"<style[\s\S]*?</style>"#, with: " ", options: .regularExpression)
        text = text.replacingOccurrences(of: #"<[^>]+>"#, with: " ", options: .regularExpression)
        return text.replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func rawIdentifiers(_ html: String) -> [String] {
        // The test organisations' people are named after their keys ("policeA officer"): names, not codes.
        let text = words(html).replacingOccurrences(of: #"\b(policeA|policeB)\b"#, with: "Police", options: .regularExpression)
        let regex = try! Regex(identifier)
        return text.matches(of: regex).map { String(text[$0.range]) }
    }

    func walk(creator: String, email: String, records: [(RecordKind, [(String, String)])], documents: [String]) async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            try await enrolTwoFactor(app, world.user(creator))
            let id = (try await createCase(app, token: world.token(creator), facts: Pages.knownFacts)["id"] as! String).lowercased()
            let browser = try await Pages.signIn(app, email)
            for (kind, fields) in records {
                let saved = try await Pages.post(app, "/cases/\(id)/record/\(kind.rawValue)", browser, fields)
                #expect(saved.status == .seeOther, "\(kind.rawValue): \(saved.text.prefix(300))")
            }
            var pages = ["/cases/\(id)", "/", "/cases"] + documents.map { "/cases/\(id)/documents/\($0)" }
            pages += ["/cases/\(id)/subject-access/A", "/cases/\(id)/subject-access/B"]
            pages += RecordKind.allCases.filter { $0.settings.contains(creator.hasPrefix("police") ? .police : .education) }
                .map { "/cases/\(id)/record/\($0.rawValue)" }
            for path in pages {
                let page = try await Pages.get(app, path, browser)
                #expect(page.status == .ok, "\(path): \(page.status)")
                let found = Self.rawIdentifiers(page.text)
                #expect(found == [], "\(path): \(found)")
            }
        }
    }

    @Test("A police case's pages and documents, with every record kind saved, read in plain words")
    func police() async throws {
        try await walk(creator: "policeA.officer", email: "officer@policeA.test", records: EveryRecordPageTests.police,
                       documents: ["information-sheet", "child-contact-form", "case-record"])
    }

    @Test("A school case's pages and documents, with every record kind saved, read in plain words")
    func school() async throws {
        try await walk(creator: "school.dsl", email: "dsl@school.test", records: EveryRecordPageTests.school,
                       documents: ["information-sheet", "case-record"])
    }

    /// Found in a hands-on review as an officer: the case page gave Outcome 21's exclusion as the engine's paths
    /// ("circumstances.maliciousIntent = true"), and two record errors named wire values ("mensRea", "pace32").
    @Test("Why Outcome 21 cannot be used, and a refused record's reason, read in words")
    func exclusionAndRefusalsInWords() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = (try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts(with: "maliciousIntent"))["id"] as! String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let page = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(page.text.contains("Outcome 21 cannot be used for this case: "))
            #expect(Self.rawIdentifiers(page.text) == [], "\(Self.rawIdentifiers(page.text))")
            #expect(!page.text.contains("circumstances.") && !page.text.contains(" = true"))
            let today = CaseController.today.description
            let basis = try await Pages.post(app, "/cases/\(id)/record/suspectDecision", officer,
                                             [("person", "A"), ("recordAsSuspect", "no"), ("basis", "mensRea"), ("rationale", "Sent it on purpose"),
                                              ("decidedOn", today)])
            #expect(basis.status == .unprocessableEntity)
            #expect(basis.text.contains("give willing participation, an accident or lack of evidence as the basis"), "\(Self.words(basis.text))")
            let power = try await Pages.post(app, "/cases/\(id)/record/deviceCustody", officer,
                                             [("device", "D1"), ("step", "seized"), ("on", today), ("by", "PC 4521"), ("rationale", "Onward sharing")])
            #expect(power.status == .unprocessableEntity)
            #expect(power.text.contains("the power used: PACE section 32, PACE section 54, PACE section 19, with the owner"), "\(Self.words(power.text))")
            for reply in [basis, power] { #expect(Self.rawIdentifiers(reply.text) == [], "\(Self.rawIdentifiers(reply.text))") }
        }
    }

    @Test("The chronology says which facts changed, from what to what, in words")
    func factsChangedSaysWhat() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let created = try await createCase(app, token: token)
            let id = (created["id"] as! String).lowercased()
            let changed = try await send(app, .PUT, "/api/v1/cases/\(id)/people/A", token: token,
                                         json: ["version": created["version"] as! Int, "person": ["age": 16, "roles": ["depicted", "creator", "sender"], "selfHarmRisk": true]])
            #expect(changed.status == .ok, "\(changed.text)")
            let lines = try await send(app, .GET, "/api/v1/cases/\(id)/chronology", token: token).array.compactMap { $0["summary"] as? String }
            let line = try #require(lines.first { $0.hasPrefix("Facts changed (version 2): ") })
            #expect(line.contains("A's age: 15 → 16"))
            #expect(line.contains("A's self harm risk: not known → yes"))
            #expect(Self.rawIdentifiers(line) == [])

            // The decisions that changed, from the earlier assessment as stored (read for its decisions alone) to the
            // new one: the same words as from the two whole assessments read back.
            let stored = try await CaseStore(db: app.db, cipher: app.cipher).assessments(caseID: UUID(text: id)!)
            #expect(stored.count == 2)
            let changes = RecordText.decisionChanges(from: stored[0].assessment.decisions, to: stored[1].assessment)
            #expect(!changes.isEmpty, "a self-harm risk changes a decision")
            #expect(lines.contains("Decisions changed: " + changes.joined(separator: "; ")), "\(lines)")
        }
    }

    @Test("The walk finds what it looks for")
    func theWalkCanFail() {
        #expect(Self.rawIdentifiers("<p>Answer: notKnownYet</p>") == ["notKnownYet"])
        #expect(Self.rawIdentifiers("<p>poca1978s1 on 2026-11-30 at 10:00:00</p>") == ["poca1978s1", "2026-11-30", "10:00:00"])
        #expect(Self.rawIdentifiers("<a href=\"/cases/x?kind=notKnownYet\">Case SG-2026-000001, PA/26/77</a>") == [])
    }
}
