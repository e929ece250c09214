import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

struct CaseCreateRequest: Content {
    var summary: String
    var status: CaseStatus?
    /// The case facts of the contract; jurisdiction and setting come from the organisation and may be left out.
    var facts: JSONValue?
}

struct CaseUpdateRequest: Content {
    var version: Int
    var summary: String?
    var status: CaseStatus?
    /// Why the case is closed or reopened: needed whenever `status` changes, and kept in the chronology.
    var reason: String?
}

struct FactsUpdateRequest: Content {
    var version: Int
    var facts: JSONValue
}

struct PersonPutRequest: Content {
    var version: Int
    var person: JSONValue
}

struct ImageryPutRequest: Content {
    var version: Int
    var imagery: JSONValue
}

struct DevicePutRequest: Content {
    var version: Int
    var device: JSONValue
}

struct ActionUpdateRequest: Content {
    var status: ActionStatus
    var reason: String?
}

struct ActionDueRequest: Content {
    /// YYYY-MM-DD, today or later; null clears it. Required, so that a body that forgot it clears nothing.
    var dueOn: String?

    enum CodingKeys: String, CodingKey { case dueOn }

    init(dueOn: String?) { self.dueOn = dueOn }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.contains(.dueOn) else {
            throw DecodingError.keyNotFound(CodingKeys.dueOn, .init(codingPath: [], debugDescription: "give dueOn, or null to clear it"))
        }
        dueOn = try c.decodeNil(forKey: .dueOn) ? nil : try c.decode(String.self, forKey: .dueOn)
    }
}

struct NoteCreateRequest: Content {
    var text: String
}

struct ActionDTO: Content {
    var id: UUID
    var recommendationID: String
    var severity: String
    var text: String
    var status: ActionStatus
    var reason: String?
    var recommended: Bool
    var completedBy: UUID?
    var completedAt: Date?
    var createdAt: Date?
    var dueOn: CalendarDate?
    var overdue: Bool
    init(_ a: CaseAction) {
        id = a.id; recommendationID = a.recommendationID; severity = a.severity; text = a.text; status = a.status
        reason = a.reason; recommended = a.recommended; completedBy = a.completedBy; completedAt = a.completedAt
        createdAt = a.createdAt
        dueOn = a.dueOn
        overdue = a.isOverdue(today: CaseController.today)
    }
}

struct NoteDTO: Content {
    var id: UUID
    var sequence: Int
    var authorID: UUID
    var text: String
    var createdAt: Date?
    init(_ n: CaseNote) { id = n.id; sequence = n.sequence; authorID = n.authorID; text = n.text; createdAt = n.createdAt }
}

/// Who has seen a case: the latest entries about it, newest first, and how many there are in all.
struct CaseAccessDTO: Content {
    var entries: [CaseAccessEntryDTO]
    var total: Int
    /// The most entries a reply holds (the newest are given).
    var limit: Int
    init(_ h: CaseAccessHistory) { entries = h.entries.map(CaseAccessEntryDTO.init); total = h.total; limit = AuditStore.caseAccessLimit }
}

struct CaseAccessEntryDTO: Content {
    var sequence: Int
    var at: Date?
    var actorID: UUID?
    var actorName: String?
    var actorRole: String
    var action: String
    var outcome: String
    init(_ e: CaseAccessEntry) {
        sequence = e.sequence; at = e.at; actorID = e.actorID; actorName = e.actorName; actorRole = e.actorRole
        action = e.action; outcome = e.outcome
    }
}

struct AssessmentRecordDTO: Content {
    var id: UUID
    var caseVersion: Int
    var editions: [String]
    var createdBy: UUID
    var createdAt: Date?
    var assessment: Assessment
    init(_ s: StoredAssessment) {
        id = s.id; caseVersion = s.caseVersion; editions = s.editions; createdBy = s.createdBy; createdAt = s.createdAt
        assessment = s.assessment
    }
}

struct CaseSummaryDTO: Content {
    var id: UUID
    var reference: String
    var status: CaseStatus
    var summary: String
    var version: Int
    var ownerID: UUID
    var openActions: Int
    var createdAt: Date?
    var updatedAt: Date?
    init(_ c: CaseHeader) {
        id = c.id; reference = c.reference; status = c.status; summary = c.summary; version = c.version
        ownerID = c.ownerID; openActions = c.openActions; createdAt = c.createdAt; updatedAt = c.updatedAt
    }
    init(_ c: CaseRecord) { self.init(c.header) }
}

struct CaseListDTO: Content {
    var cases: [CaseSummaryDTO]
    var page: Int
    var perPage: Int
    var total: Int
}

struct CaseDTO: Content {
    var id: UUID
    var reference: String
    var status: CaseStatus
    var summary: String
    var jurisdiction: Jurisdiction
    var setting: Setting
    var version: Int
    var createdBy: UUID
    /// Whose home its actions land on (issue 11).
    var ownerID: UUID
    var createdAt: Date?
    var updatedAt: Date?
    var openActions: Int
    var facts: CaseFacts
    var actions: [ActionDTO]
    /// The latest assessment, when there is one.
    var assessment: AssessmentRecordDTO?

    init(_ c: CaseRecord, actions: [CaseAction], assessment: StoredAssessment?) {
        id = c.id; reference = c.reference; status = c.status; summary = c.summary
        jurisdiction = c.facts.jurisdiction; setting = c.facts.setting; version = c.version; createdBy = c.createdBy
        ownerID = c.ownerID; createdAt = c.createdAt; updatedAt = c.updatedAt; openActions = c.openActions; facts = c.facts
        self.actions = actions.map(ActionDTO.init)
        self.assessment = assessment.map(AssessmentRecordDTO.init)
    }
}

/// The body of `GET /api/v1/cases/{id}`: the same JSON as `CaseDTO`, written without decoding the stored facts and
/// assessment only to encode them again (two thirds of a read's work before). The rest of the case is encoded as
/// usual with stand-ins for those two, and the stored JSON is put in their place.
///
/// The stand-ins are random per process, so no text a user typed can be taken for one.
enum CaseReadBody {
    private static let factsMarker = "sg-facts-" + UUID().uuidString
    private static let assessmentMarker = "sg-assessment-" + UUID().uuidString

    private struct Shell: Encodable {
        var id: UUID
        var reference: String
        var status: CaseStatus
        var summary: String
        var jurisdiction: Jurisdiction
        var setting: Setting
        var version: Int
        var createdBy: UUID
        var ownerID: UUID
        var createdAt: Date?
        var updatedAt: Date?
        var openActions: Int
        var facts: String
        var actions: [ActionDTO]
        var assessment: AssessmentShell?
    }

    private struct AssessmentShell: Encodable {
        var id: UUID
        var caseVersion: Int
        var editions: [String]
        var createdBy: UUID
        var createdAt: Date?
        var assessment: String
    }

    static func response(_ view: CaseReadView, jurisdiction: Jurisdiction, setting: Setting, status: HTTPStatus = .ok) throws -> Response {
        let h = view.header
        let shell = Shell(id: h.id, reference: h.reference, status: h.status, summary: h.summary, jurisdiction: jurisdiction,
                          setting: setting, version: h.version, createdBy: h.createdBy, ownerID: h.ownerID, createdAt: h.createdAt,
                          updatedAt: h.updatedAt, openActions: h.openActions, facts: factsMarker,
                          actions: view.actions.map(ActionDTO.init),
                          assessment: view.assessment.map {
                              AssessmentShell(id: $0.id, caseVersion: $0.caseVersion, editions: $0.editions,
                                              createdBy: $0.createdBy, createdAt: $0.createdAt, assessment: assessmentMarker)
                          })
        var headers = HTTPHeaders()
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        try ContentConfiguration.global.requireEncoder(for: .json).encode(shell, to: &buffer, headers: &headers)
        var bytes = Array(buffer.readableBytesView)
        // Byte searches from the end: the stand-ins come after every field a user can type.
        func put(_ marker: String, _ json: String) {
            let needle = Array("\"\(marker)\"".utf8)
            guard bytes.count >= needle.count else { return }
            var start = bytes.count - needle.count
            while start >= 0 {
                if bytes[start] == needle[0], bytes[start..<(start + needle.count)].elementsEqual(needle) {
                    bytes.replaceSubrange(start..<(start + needle.count), with: json.utf8)
                    return
                }
                start -= 1
            }
        }
        if let assessment = view.assessment { put(assessmentMarker, assessment.json) }
        put(factsMarker, view.factsJSON)
        let response = Response(status: status, headers: headers)
        response.body = .init(buffer: ByteBuffer(bytes: bytes))
        return response
    }
}

/// `PUT /api/v1/cases/{id}/owner`: give the case to another case lead of the organisation.
struct OwnerRequest: Content {
    var ownerID: UUID
    var reason: String?
}
