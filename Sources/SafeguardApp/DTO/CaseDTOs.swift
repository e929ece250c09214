import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

struct CaseCreateRequest: Content {
    var summary: String
    var status: CaseStatus?
    /// The case facts of the contract, decoded strictly in the same pass as the body (see
    /// `CaseController.decode(_:_:place:)`); jurisdiction and setting come from the organisation and may be left out.
    var facts: CaseFacts?
}

/// The decoder a request's content type asks for, carrying the `CaseFacts.Place` of the facts in the body: Vapor's
/// own way of adding `userInfo` to a decoder is not public.
struct PlacedDecoder: ContentDecoder {
    let base: any ContentDecoder
    let place: CaseFacts.Place

    func decode<D: Decodable>(_: D.Type, from body: ByteBuffer, headers: HTTPHeaders) throws -> D {
        try base.decode(D.self, from: body, headers: headers, userInfo: [CaseFacts.placeKey: place])
    }

    func decode<D: Decodable>(_: D.Type, from body: ByteBuffer, headers: HTTPHeaders,
                              userInfo: [CodingUserInfoKey: any Sendable]) throws -> D {
        try base.decode(D.self, from: body, headers: headers, userInfo: userInfo.merging([CaseFacts.placeKey: place]) { $1 })
    }
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
    /// Decoded as `CaseCreateRequest.facts` is.
    var facts: CaseFacts
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

/// A page of cases as the API says it. `CaseListBody` writes it without `JSONEncoder`; this is the shape it must
/// match, and what a test encodes to check that it does.
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

/// The body of `GET /api/v1/cases/{id}`: the same JSON as `CaseDTO` (a test holds them equal), written straight into
/// bytes. The stored facts and assessment are put in as the JSON they were stored as, never decoded only to be
/// encoded again (two thirds of a read's work once), and the rest is written field by field: going through
/// `JSONEncoder` was the largest part of a read's own CPU left after that.
enum CaseReadBody {
    static func response(_ view: CaseReadView, jurisdiction: Jurisdiction, setting: Setting, status: HTTPStatus = .ok,
                         asRaised: Bool = false) throws -> Response {
        var out = JSONBytes(capacity: 2_048 + view.factsJSON.utf8.count + (view.assessment?.json.utf8.count ?? 0) + view.actions.count * 400)
        let h = view.header
        out.open()
        out.field("id", h.id)
        out.field("reference", h.reference)
        out.field("status", h.status.rawValue)
        out.field("summary", h.summary)
        out.field("jurisdiction", jurisdiction.rawValue)
        out.field("setting", setting.rawValue)
        out.field("version", h.version)
        out.field("createdBy", h.createdBy)
        out.field("ownerID", h.ownerID)
        out.field("createdAt", h.createdAt)
        out.field("updatedAt", h.updatedAt)
        out.field("openActions", h.openActions)
        // Staff who raised the concern: the facts are only those they raised (`CaseController.asRaised`).
        if asRaised { out.field("asRaised", true) }
        out.key("facts")
        out.raw(view.factsJSON)
        out.key("actions")
        out.startArray()
        let today = CaseController.today
        for (i, a) in view.actions.enumerated() {
            if i > 0 { out.comma() }
            out.open()
            out.field("id", a.id)
            out.field("recommendationID", a.recommendationID)
            out.field("severity", a.severity)
            out.field("text", a.text)
            out.field("status", a.status.rawValue)
            out.field("reason", a.reason)
            out.field("recommended", a.recommended)
            out.field("completedBy", a.completedBy)
            out.field("completedAt", a.completedAt)
            out.field("createdAt", a.createdAt)
            out.field("dueOn", a.dueOn)
            out.field("overdue", a.isOverdue(today: today))
            out.close()
        }
        out.endArray()
        if let assessment = view.assessment {
            out.key("assessment")
            out.open()
            out.field("id", assessment.id)
            out.field("caseVersion", assessment.caseVersion)
            out.key("editions")
            out.startArray()
            for (i, edition) in assessment.editions.enumerated() {
                if i > 0 { out.comma() }
                out.string(edition)
            }
            out.endArray()
            out.field("createdBy", assessment.createdBy)
            out.field("createdAt", assessment.createdAt)
            out.key("assessment")
            out.raw(assessment.json)
            out.close()
        }
        out.close()
        return out.response(status: status)
    }
}

/// `GET /api/v1/cases`: a page of cases written straight into bytes, saying exactly what `CaseListDTO` through
/// Vapor's `JSONEncoder` says (`CaseReadBodyTests` holds them to that). `JSONEncoder` was a fifth of a list's time.
enum CaseListBody {
    static func response(_ cases: [CaseHeader], page: Int, perPage: Int, total: Int) -> Response {
        var out = JSONBytes(capacity: 128 + cases.count * 360)
        out.open()
        out.key("cases")
        out.startArray()
        for (i, c) in cases.enumerated() {
            if i > 0 { out.comma() }
            out.open()
            out.field("id", c.id)
            out.field("reference", c.reference)
            out.field("status", c.status.rawValue)
            out.field("summary", c.summary)
            out.field("version", c.version)
            out.field("ownerID", c.ownerID)
            out.field("openActions", c.openActions)
            out.field("createdAt", c.createdAt)
            out.field("updatedAt", c.updatedAt)
            out.close()
        }
        out.endArray()
        out.field("page", page)
        out.field("perPage", perPage)
        out.field("total", total)
        out.close()
        return out.response()
    }
}

/// A JSON object written straight into bytes, as Vapor's `JSONEncoder` writes it: keys in the order given, a nil left
/// out, strings escaped (`/` as `\/` too), UUIDs in capitals, dates in ISO 8601 to the second in UTC.
///
/// Everything goes into one array, escaped in place, and into the response's buffer in one copy at the end: writing
/// into the `ByteBuffer` byte by byte, and each value through a scratch array, was a third of the body's time.
/// Keys are `StaticString`s, written as they are: none needs escaping.
///
/// ```swift
/// var out = JSONBytes(capacity: 256)
/// out.open(); out.field("reference", "SG-2026-000001"); out.close()
/// let response = Response(status: .ok, body: .init(buffer: out.buffer))
/// ```
struct JSONBytes {
    /// What has been written.
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// What has been written, in a buffer a response sends.
    var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    /// A JSON response whose body is what has been written.
    func response(status: HTTPResponseStatus = .ok) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        let response = Response(status: status, headers: headers)
        response.body = .init(buffer: buffer)
        return response
    }

    private mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func open() { separate(); byte(UInt8(ascii: "{")); needsComma = false }
    mutating func close() { byte(UInt8(ascii: "}")); needsComma = true }
    mutating func startArray() { byte(UInt8(ascii: "[")); needsComma = false }
    mutating func endArray() { byte(UInt8(ascii: "]")); needsComma = true }
    /// Array elements are separated by the caller (`open` does it for objects).
    mutating func comma() { needsComma = false; byte(UInt8(ascii: ",")) }

    private mutating func separate() {
        if needsComma { byte(UInt8(ascii: ",")) }
        needsComma = false
    }

    /// `"name":`. A key is one of this file's literals, letters only, so it is written without escaping.
    mutating func key(_ name: StaticString) {
        separate()
        byte(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        byte(UInt8(ascii: "\""))
        byte(UInt8(ascii: ":"))
        needsComma = false
    }

    /// JSON already written (stored facts, a stored assessment), put in as it is.
    mutating func raw(_ json: String) { bytes.append(contentsOf: json.utf8); needsComma = true }

    mutating func field(_ name: StaticString, _ value: String?) { if let value { key(name); string(value) } }
    mutating func field(_ name: StaticString, _ value: Int) { key(name); integer(value); needsComma = true }
    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        (value ? "true" : "false" as StaticString).withUTF8Buffer { bytes.append(contentsOf: $0) }
        needsComma = true
    }
    mutating func field(_ name: StaticString, _ value: UUID?) { if let value { key(name); uuid(value) } }
    mutating func field(_ name: StaticString, _ value: Date?) { if let value { key(name); date(value) } }
    /// A day as `CalendarDate.description` writes it (`"2026-12-03"`), digit by digit.
    mutating func field(_ name: StaticString, _ value: CalendarDate?) {
        guard let value else { return }
        key(name)
        byte(UInt8(ascii: "\""))
        digits(value.year, 4); byte(UInt8(ascii: "-"))
        digits(value.month, 2); byte(UInt8(ascii: "-"))
        digits(value.day, 2)
        byte(UInt8(ascii: "\""))
        needsComma = true
    }

    /// `n` in exactly `count` digits (leading zeros): parts of dates.
    private mutating func digits(_ n: Int, _ count: Int) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        while divisor > 0 { byte(UInt8(ascii: "0") + UInt8(n / divisor % 10)); divisor /= 10 }
    }

    /// An integer as `String(n)` writes it.
    private mutating func integer(_ n: Int) {
        if n < 0 { byte(UInt8(ascii: "-")) }
        var magnitude = n.magnitude
        let start = bytes.count
        repeat {
            byte(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// A date as `JSONEncoder`'s `.iso8601` writes it (`"2026-12-01T15:10:42Z"`: whole seconds, rounded down, UTC),
    /// digit by digit: a case read writes a score of them.
    mutating func date(_ value: Date) {
        var seconds = time_t(value.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        // Years of more or fewer than four digits do not occur in a case; Foundation writes them as it likes.
        guard (0...9999).contains(year) else { string(value.formatted(.iso8601)); return }
        byte(UInt8(ascii: "\""))
        digits(year, 4); byte(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2); byte(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2); byte(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2); byte(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2); byte(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2); byte(UInt8(ascii: "Z"))
        byte(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A string, quoted and escaped as `JSONEncoder` escapes it (`/` too).
    mutating func string(_ text: String) {
        SortedJSON.appendString(text, escapingSlashes: true, into: &bytes)
        needsComma = true
    }

    /// A UUID as `uuidString` writes it (capitals, 8-4-4-4-12), through `UUID.appendText` rather than Foundation's
    /// formatter.
    mutating func uuid(_ id: UUID) {
        byte(UInt8(ascii: "\""))
        id.appendText(to: &bytes)
        byte(UInt8(ascii: "\""))
        needsComma = true
    }
}

/// `PUT /api/v1/cases/{id}/owner`: give the case to another case lead of the organisation.
struct OwnerRequest: Content {
    var ownerID: UUID
    var reason: String?
}

/// `POST /api/v1/cases/{id}/merge`: this case (a duplicate, at `version`) into another of the organisation, by its id
/// or reference, with why they are one case.
struct MergeRequest: Content {
    var into: String
    var version: Int
    var reason: String?
}
