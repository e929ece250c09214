import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import Testing
import Vapor

/// The services check and cite by the guidance they are given (`Assessor.library`), never by the bundled packs behind
/// their back: records, sign-offs and documents run by a police edition that differs from the bundled one only in its
/// title, its publisher and the sections its record rules cite, and every refusal names that edition.
@Suite struct InjectedGuidanceTests {
    /// The bundled library with the College of Policing's current edition replaced by a copy whose title, publisher
    /// and record-rule sections are changed (a 9 written before each number: "Action 1" becomes "Action 91", "Action 10" "Action 910").
    static let injected: GuidanceLibrary = {
        let bundled = GuidanceLibrary.bundled
        let file = GuidanceLibrary.bundledDirectory.appendingPathComponent("college-of-policing-current.yaml")
        var text = try! String(contentsOf: file, encoding: .utf8)
        text = text.replacingOccurrences(of: "\ntitle: Responding to the taking or sharing of nude and semi-nude images by young people\n",
                                         with: "\ntitle: A test edition of the police guidance\n")
        text = text.replacingOccurrences(of: "\npublisher: College of Policing\n", with: "\npublisher: The test publisher\n")
        let rules = text.range(of: "\nrecordRules:\n")!, questions = text.range(of: "\nquestions:\n")!
        let renumbered = text[rules.upperBound..<questions.lowerBound].replacingOccurrences(of: "\"Action ", with: "\"Action 9")
        text.replaceSubrange(rules.upperBound..<questions.lowerBound, with: renumbered)
        let pack = try! GuidanceLibrary.decodePack(yaml: text)
        precondition(pack.title == "A test edition of the police guidance" && pack.recordRules["recordCrime"] == "Action 91")
        let others = bundled.packs.filter { !($0.id == pack.id && $0.edition == pack.edition) }
        precondition(others.count == bundled.packs.count - 1, "the edition replaced is in the bundled library")
        return GuidanceLibrary(packs: others + [pack], law: bundled.law)
    }()

    /// The APIError `body` throws, or nil (recorded as a failure) when it throws none.
    func refusal(_ body: () async throws -> Void) async -> APIError? {
        do { try await body() } catch let error as APIError { return error } catch { Issue.record("not an APIError: \(error)"); return nil }
        Issue.record("expected a refusal")
        return nil
    }

    @Test func recordsSignOffsAndDocumentsCiteTheGuidanceTheyAreGiven() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let record = try await openedCase(app, world)
            let officer = world.acting("policeA.officer")
            for (guidance, title, publisher, renumbered) in [(Assessor(library: Self.injected), "A test edition of the police guidance", "The test publisher", true),
                                                             (Assessor.bundled, "Responding to the taking or sharing of nude and semi-nude images by young people", "College of Policing", false)] {
                let records = RecordService(cipher: app.cipher, assessor: guidance)
                #expect(records.guidance(for: record).title == title)
                let action: (Int) -> String = { "Action \(renumbered ? "9" : "")\($0)" }

                // A record the rules refuse (College of Policing, Action 1: a crime names its offences) cites the
                // edition the service was given.
                let crime = try ResponseRecord.decode(json: Data("""
                    {"kind": "crimeRecord", "crimeReference": "NP/26/4411", "reportedOn": "\(CalendarDate(utcDayOf: Date()))", "offences": []}
                    """.utf8))
                let refusedRecord = await refusal {
                    _ = try await app.writeGate.run(app.db) { db in try await records.add(crime, to: record, by: officer, on: db) }
                }
                #expect(refusedRecord?.message.hasSuffix("(\(title), \(action(1)))") == true, "\(refusedRecord?.message ?? "")")

                // Outcome 21 proposed while the guidance cannot yet say it is available (Action 10's criteria).
                let signOffs = SignOffService(db: app.db, cipher: app.cipher, gate: app.writeGate, records: records)
                let refusedProposal = await refusal {
                    _ = try await signOffs.propose(SignOffCreateRequest(kind: .outcome21, rationale: "Willing"), on: record, by: officer)
                }
                #expect(refusedProposal?.message.hasSuffix("(\(title), \(action(10)))") == true, "\(refusedProposal?.message ?? "")")

                // The letter before a supervisor has approved Outcome 21 (Action 11), in the publisher's name.
                let documents = DocumentService(db: app.db, cipher: app.cipher, gate: app.writeGate, records: records, overlays: { _ in nil })
                let refusedLetter = await refusal {
                    _ = try await documents.outcome21Letter(OutcomeLetterRequest(to: .youngPerson, person: "A", name: "Sam"), for: record, by: officer)
                }
                #expect(refusedLetter?.message.hasSuffix("(\(publisher), \(action(11)))") == true, "\(refusedLetter?.message ?? "")")
            }
            // None of it was kept.
            #expect(try await ResponseStore(db: app.db, cipher: app.cipher).records(caseID: record.id).isEmpty)
            #expect(try await ResponseStore(db: app.db, cipher: app.cipher).signOffs(caseID: record.id).isEmpty)
        }
    }

    /// The pages ask and cite by the server's own library too (`PageGuidance`, bound by `GuidanceMiddleware`): the new
    /// report page and a case's crime record form cite the injected edition's renumbered Action 1, and the bundled
    /// edition's own where the server runs on the bundled library.
    @Test func pagesCiteTheGuidanceTheServerIsGiven() async throws {
        for (assessor, cited) in [(Assessor(library: Self.injected), "Action 91"), (Assessor.bundled, "Action 1")] {
            try await withApp(assessor: assessor) { app in
                let world = try await seedWorld(app)
                let record = try await openedCase(app, world)
                let browser = try await Pages.signIn(app, world.user("policeA.officer").email)
                let newCase = try await Pages.get(app, PageRoute.newCase.path, browser)
                #expect(newCase.status == .ok)
                #expect(newCase.text.contains("Every report is recorded as a crime (\(cited))."), "\(cited) on the new report page")
                let form = try await Pages.get(app, PageRoute.caseRecordForm(.id(record.id), .value("crimeRecord")).path, browser)
                #expect(form.status == .ok, "\(form.status)")
                #expect(form.text.contains("Every report is recorded as a crime (\(cited))."), "\(cited) on the crime record form")
            }
        }
        // Outside a request, the bundled library.
        #expect(PageGuidance.library.packs.count == GuidanceLibrary.bundled.packs.count)
    }
}
