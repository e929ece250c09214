import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import Testing
import Vapor

/// The case read's body is written straight into bytes (issue 9): it must say exactly what `CaseDTO` through Vapor's
/// `JSONEncoder` says, for every kind of value a case holds.
@Suite struct CaseReadBodyTests {
    static let encoder = JSONEncoder.custom(dates: .iso8601)

    @Test("Strings are escaped byte for byte as JSONEncoder escapes them")
    func stringsAsJSONEncoder() throws {
        for text in ["plain", "quote \" and backslash \\", "a/b </script>", "line\nbreak\ttab\r\u{8}\u{c}", "\u{1}\u{1f}\u{7f}",
                     "Zoë 📱 — “quoted”", "", "\u{2028}"] {
            var out = JSONBytes(capacity: 16)
            out.string(text)
            let expected = try Self.encoder.encode([text]).dropFirst().dropLast()
            #expect(Data(out.bytes) == Data(expected), "\(text.debugDescription): \(String(decoding: out.bytes, as: UTF8.self))")
        }
    }

    @Test("Integers, booleans and UUIDs are written as JSONEncoder writes them")
    func numbersAsJSONEncoder() throws {
        // One field an object: JSONEncoder does not keep a struct's keys in order, so several would not compare.
        struct Version: Encodable { var version: Int }
        struct Overdue: Encodable { var overdue: Bool }
        struct ID: Encodable { var id: UUID }
        func written(_ write: (inout JSONBytes) -> Void) -> String {
            var out = JSONBytes(capacity: 8)
            out.open()
            write(&out)
            out.close()
            #expect(Array(out.buffer.readableBytesView) == out.bytes)
            return String(decoding: out.bytes, as: UTF8.self)
        }
        func encoded(_ value: some Encodable) throws -> String { String(decoding: try Self.encoder.encode(value), as: UTF8.self) }
        for n in [0, 7, 10, 99, 100, 1_000_003, -1, -10, -987_654, .max, .min] {
            #expect(written { $0.field("version", n) } == (try encoded(Version(version: n))), "\(n)")
        }
        for flag in [true, false] {
            #expect(written { $0.field("overdue", flag) } == (try encoded(Overdue(overdue: flag))))
        }
        for _ in 0..<20 {
            let id = UUID()
            #expect(written { $0.field("id", id) } == (try encoded(ID(id: id))))
        }
    }

    @Test("Dates are written as JSONEncoder's iso8601 writes them, to the second")
    func datesAsJSONEncoder() throws {
        for seconds in [0, 1_764_601_842.999, 1_000_000_000, 253_402_300_799, -2_208_988_800, 1_764_601_842.5, 1_764_601_842.0001, 951_782_400.75, -86_400.5, 4_102_444_799.9] {
            let date = Date(timeIntervalSince1970: seconds)
            let expected = String(decoding: try Self.encoder.encode([date]), as: UTF8.self)
            var out = JSONBytes(capacity: 32)
            out.startArray()
            out.date(date)
            out.endArray()
            #expect(String(decoding: out.bytes, as: UTF8.self) == expected, "\(seconds)")
        }
    }

    @Test("The read body says what CaseDTO says, with and without an assessment, with every optional field set or not")
    func sameAsCaseDTO() throws {
        let facts = try CaseFacts.decode(json: Data(#"""
            {"setting":"police","jurisdiction":"england","people":[{"ref":"A","age":15,"roles":["depicted","sender"]},
             {"ref":"B","age":15,"roles":["recipient"]}],"circumstances":{"willing":true}}
            """#.utf8))
        let assessment = GuidanceLibrary.bundled.assess(facts, today: CaseController.today)
        let now = Date(timeIntervalSince1970: 1_764_601_842.377)
        let record = CaseRecord(id: UUID(), organisationID: UUID(), reference: "SG-2026-000042", status: .open,
                                summary: "Shared \"privately\" / then\nforwarded — Zoë", facts: facts, version: 3, createdBy: UUID(),
                                ownerID: UUID(), openActions: 1, createdAt: now, updatedAt: now.addingTimeInterval(61.6))
        let actions = [
            CaseAction(id: UUID(), caseID: record.id, recommendationID: "welfareCheck", severity: "must", text: "Check A's welfare",
                       status: .open, reason: nil, recommended: true, completedBy: nil, completedAt: nil, createdAt: now,
                       dueOn: CaseController.today.adding(days: -1)),
            CaseAction(id: UUID(), caseID: record.id, recommendationID: "advice", severity: "should", text: "Advise \\ on copies",
                       status: .notApplicable, reason: "Done by the school\tyesterday", recommended: false, completedBy: UUID(),
                       completedAt: now.addingTimeInterval(0.9), createdAt: nil, dueOn: nil),
        ]
        let stored = StoredAssessment(id: UUID(), caseID: record.id, caseVersion: 3, editions: ["college-of-policing@2023", "law@2024"],
                                      assessment: assessment, createdBy: record.createdBy, createdAt: now)
        let assessmentJSON = String(decoding: try JSONEncoder().encode(assessment), as: UTF8.self)
        for withAssessment in [true, false] {
            let view = CaseReadView(header: record.header, factsJSON: String(decoding: facts.jsonData(), as: UTF8.self), actions: actions,
                                    assessment: withAssessment ? (stored.id, 3, stored.editions, stored.createdBy, stored.createdAt, assessmentJSON) : nil)
            let response = try CaseReadBody.response(view, jurisdiction: .england, setting: .police)
            #expect(response.headers.contentType == .json)
            let written = try JSONSerialization.jsonObject(with: Data(buffer: response.body.buffer!)) as! NSDictionary
            let dto = CaseDTO(record, actions: actions, assessment: withAssessment ? stored : nil)
            let expected = try JSONSerialization.jsonObject(with: try Self.encoder.encode(dto)) as! NSDictionary
            #expect(written == expected, "with assessment: \(withAssessment)")
            #expect((written["actions"] as? [NSDictionary])?.first?["overdue"] as? Bool == true, "the test covers an overdue action")
        }
    }

    @Test("The list body says what CaseListDTO says: empty, one case, several, with and without times")
    func listSameAsCaseListDTO() throws {
        let now = Date(timeIntervalSince1970: 1_764_601_842.377)
        func header(_ n: Int, summary: String, times: Bool) -> CaseHeader {
            CaseHeader(id: UUID(), organisationID: UUID(), reference: "SG-2026-00000\(n)", status: n.isMultiple(of: 2) ? .open : .closed,
                       summary: summary, version: n + 1, createdBy: UUID(), ownerID: UUID(), openActions: n,
                       createdAt: times ? now : nil, updatedAt: times ? now.addingTimeInterval(Double(n) * 61.6) : nil)
        }
        let lists: [[CaseHeader]] = [
            [],
            [header(1, summary: "Shared \"privately\" / then\nforwarded — Zoë", times: true)],
            [header(2, summary: "plain", times: true), header(3, summary: "", times: false), header(4, summary: "\u{1}\\", times: true)],
        ]
        for cases in lists {
            let response = CaseListBody.response(cases, page: 3, perPage: 50, total: 123)
            #expect(response.headers.contentType == .json)
            #expect(response.status == .ok)
            let written = try JSONSerialization.jsonObject(with: Data(buffer: response.body.buffer!)) as! NSDictionary
            let dto = CaseListDTO(cases: cases.map(CaseSummaryDTO.init), page: 3, perPage: 50, total: 123)
            let expected = try JSONSerialization.jsonObject(with: try Self.encoder.encode(dto)) as! NSDictionary
            #expect(written == expected, "\(cases.count) cases")
        }
    }

    @Test("Who you are (GET /api/v1/me), written into bytes, says what MeDTO encoded says: with and without the optional fields, text that needs escaping")
    func meSameAsMeDTO() throws {
        let organisation = Organisation(id: UUID(), name: "Test \"Police\" / Gwent — Zoë", kind: .police, jurisdiction: .wales, createdAt: nil)
        var plain = User(id: UUID(), organisationID: organisation.id, email: "a@b.test", displayName: "A", role: .officer,
                         disabled: false, createdAt: nil)
        var full = plain
        full.rank = "Police Constable"; full.collarNumber = "4521"; full.team = "Response\n\u{1}"; full.disabled = true
        full.role = .dsl
        plain.displayName = "Ann \\ O'Neil"
        for user in [plain, full] {
            let me = MeDTO(user: UserDTO(user), organisation: OrganisationDTO(organisation))
            let response = me.response
            #expect(response.headers.contentType == .json && response.status == .ok)
            let written = try JSONSerialization.jsonObject(with: Data(buffer: response.body.buffer!)) as! NSDictionary
            let expected = try JSONSerialization.jsonObject(with: try Self.encoder.encode(me)) as! NSDictionary
            #expect(written == expected, "user \(user.displayName)")
        }
    }
}
