import FluentKit
import FluentPostgresDriver
import NIOConcurrencyHelpers
import Foundation
import SafeguardCore
import SQLKit

/// Cases, their actions, notes and stored assessments. Free text (the summary, notes, reasons, chronology lines)
/// is sealed by `cipher` on the way in and opened on the way out; nothing outside this store sees it sealed.
public struct CaseStore: Sendable {
    /// The database, made only when asked for: a case read on a SQLite file goes through `reader` and never needs
    /// Fluent's, and making one for every read was about 2 % of the server's CPU on case reads.
    var db: any Database { database() }
    private let database: @Sendable () -> any Database
    let cipher: FreeTextCipher
    /// Where a SQLite file's reads can run without Fluent's thread hops (`readView`); nil on PostgreSQL, in memory,
    /// and inside a transaction, whose own writes a separate connection would not see.
    let reader: SQLiteFileReader?
    /// Recently read cases' actions and assessments for reads through SQLKit (PostgreSQL); a SQLite file's reader
    /// keeps its own. Nil inside a transaction, whose own writes the cache would not have seen yet.
    let views: CaseViewCache?
    /// The totals of recently shown lists (`listCases`); nil inside a transaction, whose own writes it would not see.
    let counts: CaseCountCache?
    /// Whether case reads and lists on PostgreSQL read their rows by position through PostgresNIO (`PostgresStatement`)
    /// rather than through SQLKit's rows; a test turns it off to compare the two.
    var readsRowsByPosition = true
    /// Case row reads on PostgreSQL that share a round trip when they come together (`CaseRowReads`); only with
    /// `views`, outside a transaction.
    let rowReads: CaseRowReads?
    public init(db: @autoclosure @escaping @Sendable () -> any Database, cipher: FreeTextCipher, reader: SQLiteFileReader? = nil,
                views: CaseViewCache? = nil, counts: CaseCountCache? = nil, rowReads: CaseRowReads? = nil) {
        database = db
        self.cipher = cipher
        self.reader = reader
        self.views = views
        self.counts = counts
        self.rowReads = rowReads
    }

    func value(_ m: CaseModel) throws -> CaseRecord {
        let facts = try Self.storedFacts(m.factsJSON, of: m.reference)
        return CaseRecord(id: m.id!, organisationID: m.organisationID, reference: m.reference,
                          status: CaseStatus(rawValue: m.status) ?? .open, summary: try cipher.open(m.summary, in: .caseSummary), facts: facts,
                          version: m.version, createdBy: m.createdBy, ownerID: m.ownerID ?? m.createdBy, openActions: m.openActions,
                          createdAt: m.createdAt, updatedAt: m.updatedAt)
    }

    /// A case's facts as stored, decoded strictly; stored facts that no longer decode are named by the case's reference.
    static func storedFacts(_ json: String, of reference: String) throws -> CaseFacts {
        do { return try CaseFacts.decode(json: Data(json.utf8)) } catch {
            throw StoreError.invalid(field: "facts", message: "stored facts of case \(reference) no longer decode: \(error)")
        }
    }

    /// Facts as stored: sorted keys, the bytes `CaseFacts.jsonData()` gives (a test holds the two equal), by `SortedJSON`.
    public static func factsText(_ facts: CaseFacts) -> String {
        // Plain value types with no dates or numbers JSONEncoder formats itself: encoding them cannot fail.
        try! SortedJSON.string(facts)
    }

    /// A reference as people type it from paperwork, read as the reference it is: the spaces around it dropped, small
    /// letters made capitals, and spaces between its parts read as hyphens ("sg 2026 000001" is SG-2026-000001). Every
    /// place a person types a reference (the case search, a merge, the audit trail's filter, a legal hold) reads it so.
    public static func reference(typed: String) -> String {
        typed.uppercased().split(whereSeparator: \.isWhitespace).joined(separator: "-")
    }

    public static func reference(year: Int, number: Int) -> String {
        referencePrefix(year: year) + String(repeating: "0", count: max(0, 6 - String(number).count)) + String(number)
    }

    /// What every reference of `year` begins with (also written by `referenceSQL`).
    static func referencePrefix(year: Int) -> String { "SG-\(year)-" }

    /// A case as opened: the record, its first assessment and the actions made from it.
    public struct Opened: Sendable {
        public var record: CaseRecord
        public var assessment: StoredAssessment
        public var actions: [CaseAction]
        /// The same, with facts and assessment as the JSON just stored: what the API answers with.
        public var view: CaseReadView
    }

    /// Opens a case with its first assessment and one action per recommendation, in few statements: the next case
    /// number from the database's one counter (one UPDATE … RETURNING), the case, the assessment, the actions (one multi-row
    /// INSERT) and the chronology line. Run it inside the caller's transaction; the caller audits.
    ///
    /// SQLKit only, so that it can run on `sql` (a SQLite file's own write connection, `DirectSQLiteDatabase`) as well
    /// as on the store's database. `assessmentText`, the assessment as stored, may be made before the write begins
    /// (it is the largest part of the work, and writes are serialised).
    public func openCase(organisationID: UUID, createdBy: UUID, summary: String, status: CaseStatus, facts: CaseFacts,
                         assessment: Assessment, assessmentText: String? = nil,
                         chronology: (kind: String, summary: String, actorRole: String),
                         mustActionDays: Int, now: Date, on sql: (any SQLDatabase)? = nil) async throws -> Opened {
        let opening = try opening(organisationID: organisationID, createdBy: createdBy, summary: summary, status: status,
                                  facts: facts, assessment: assessment, assessmentText: assessmentText,
                                  chronology: chronology, mustActionDays: mustActionDays, now: now)
        return try await open([opening], on: sql)[0]
    }

    /// A case opening made ready before the write that stores it: its ids, actions, sealed text and stored JSON, all
    /// but its number, which only the write can take. Writes are serialised, so everything made here is work the
    /// write gate is not held for.
    ///
    /// ```swift
    /// let opening = try store.opening(organisationID: org, createdBy: me, summary: "Image shared", status: .open,
    ///                                 facts: facts, assessment: assessment, chronology: line, mustActionDays: 1, now: now)
    /// let opened = try await store.open([opening], on: write.sql)
    /// ```
    public struct Opening: Sendable {
        public let caseID: UUID
        let organisationID: UUID
        let createdBy: UUID
        let summary: String
        let sealedSummary: String
        let status: CaseStatus
        let facts: CaseFacts
        let factsJSON: String
        let assessment: Assessment
        let assessmentID: UUID
        let assessmentText: String
        let editions: [String]
        let actions: [CaseAction]
        let eventID: UUID
        let chronology: (kind: String, actorRole: String)
        let sealedLine: String
        let now: Date
        let year: Int
    }

    /// Makes an opening ready to store (`open`); see `openCase` for what it writes.
    public func opening(organisationID: UUID, createdBy: UUID, summary: String, status: CaseStatus, facts: CaseFacts,
                        assessment: Assessment, assessmentText: String? = nil,
                        chronology: (kind: String, summary: String, actorRole: String),
                        mustActionDays: Int, now: Date) throws -> Opening {
        let caseID = UUID.timeOrdered()
        return Opening(
            caseID: caseID, organisationID: organisationID, createdBy: createdBy, summary: summary,
            sealedSummary: try cipher.seal(summary, in: .caseSummary), status: status, facts: facts,
            factsJSON: Self.factsText(facts), assessment: assessment, assessmentID: UUID.timeOrdered(),
            assessmentText: try assessmentText ?? Self.assessmentText(assessment),
            editions: assessment.guidance.map { "\($0.id)@\($0.edition)" },
            // In the order a read gives them (`actionsOrder`: all made now, so by recommendation), so that the answer
            // to an opening lists them as reading the case back does.
            actions: Self.newActions(caseID: caseID, assessment: assessment, now: now, mustActionDays: mustActionDays)
                .sorted { $0.recommendationID < $1.recommendationID },
            eventID: UUID.timeOrdered(), chronology: (chronology.kind, chronology.actorRole),
            sealedLine: try ResponseStore.sealedLine(chronology.summary, cipher: cipher), now: now,
            year: Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: now).year!)
    }

    /// Stores `openings`, numbered in order, and returns each as opened. Run it inside the caller's transaction; if any
    /// of them cannot be stored, none is. Several go together: on PostgreSQL as one statement (`combinedOpening`), so a
    /// group of openings queued together at the write gate costs one round trip and one firing of each revision
    /// trigger, not one each; on SQLite as a few multi-row inserts (`insertOpenings`: `safeguard demo-data`). One
    /// alone goes as `openCase` describes.
    public func open(_ openings: [Opening], on sql: (any SQLDatabase)? = nil) async throws -> [Opened] {
        let sql = sql ?? (db as! any SQLDatabase)
        if openings.count == 1 { return [try await open(openings[0], on: sql)] }
        guard !openings.isEmpty else { return [] }
        let first = sql.dialect.name == "postgresql"
            ? try await Self.combinedOpening(openings, on: sql)
            : try await insertOpenings(openings, on: sql)
        return openings.enumerated().map { Self.opened($0.element, number: first + $0.offset) }
    }

    /// Elsewhere than PostgreSQL: takes consecutive case numbers for `openings` in one statement (checking their
    /// organisations inside it) and stores them, 500 cases to a statement, under SQLite's 32,766 bound values. Returns
    /// the first number.
    func insertOpenings(_ openings: [Opening], on sql: any SQLDatabase) async throws -> Int {
        let numbers = try await reserveCaseNumbers(organisationIDs: Set(openings.map(\.organisationID)), count: openings.count, on: sql)
        for chunk in stride(from: 0, to: openings.count, by: 500) {
            let part = Array(openings[chunk..<min(chunk + 500, openings.count)])
            let references = part.indices.map { SQLBind(Self.reference(year: part[$0].year, number: numbers.lowerBound + chunk + $0)) }
            try await StatementBatch(Self.insertions(of: part, references: references, on: sql)).run(on: sql)
        }
        return numbers.lowerBound
    }

    /// The INSERTs that store `openings`, each case with its reference from `references` (a value, or on PostgreSQL the
    /// expression that makes it from the number its statement takes): the cases, their assessments, their actions (at
    /// most 1,000 to a statement) and their first chronology lines. The one description of an opening's rows for a
    /// lone opening on PostgreSQL and for any on SQLite (`combinedOpening` sends the same rows as arrays).
    static func insertions(of openings: [Opening], references: [any SQLExpression], on sql: any SQLDatabase) -> [any SQLExpression] {
        var cases = sql.insert(into: "cases", columns: ["id", "organisation_id", "reference", "status", "summary", "facts_json",
                                                        "version", "created_by", "owner_id", "open_actions", "created_at", "updated_at"])
        var assessments = sql.insert(into: "case_assessments",
                                     columns: ["id", "case_id", "case_version", "editions", "assessment_json", "created_by", "created_at"])
        var events = sql.insert(into: "case_events", columns: ["id", "case_id", "sequence", "at", "actor_id", "actor_role", "kind", "summary"])
        for (o, reference) in zip(openings, references) {
            cases = cases.values(SQLBind(o.caseID), SQLBind(o.organisationID), reference, SQLBind(o.status.rawValue),
                                 SQLBind(o.sealedSummary), SQLBind(o.factsJSON), SQLBind(1), SQLBind(o.createdBy),
                                 SQLBind(o.createdBy), SQLBind(o.actions.count), SQLBind(o.now), SQLBind(o.now))
            assessments = assessments.values(SQLBind(o.assessmentID), SQLBind(o.caseID), SQLBind(1), SQLBind(o.editions.joined(separator: ",")),
                                             SQLBind(o.assessmentText), SQLBind(o.createdBy), SQLBind(o.now))
            events = events.values(SQLBind(o.eventID), SQLBind(o.caseID), SQLBind(1), SQLBind(o.now), SQLBind(o.createdBy),
                                   SQLBind(o.chronology.actorRole), SQLBind(o.chronology.kind), SQLBind(o.sealedLine))
        }
        let actions = openings.flatMap(\.actions)
        let insertActions = stride(from: 0, to: actions.count, by: 1_000).compactMap {
            insertion(of: Array(actions[$0..<min($0 + 1_000, actions.count)]), on: sql)
        }
        return [cases.query, assessments.query] + insertActions + [events.query]
    }

    private func open(_ opening: Opening, on sql: any SQLDatabase) async throws -> Opened {
        guard sql.dialect.name == "postgresql" else {
            return Self.opened(opening, number: try await insertOpenings([opening], on: sql))
        }
        // Plain SQLKit inserts (Fluent builds each model's row by reflecting over its properties, which was the
        // largest share of opening a case), sent together: one round trip on PostgreSQL. The case number is taken in
        // the same statement as the rest: a round trip fewer for every opening, made while the write gate is held. No
        // organisation or no counter row fails the statement (the case's foreign key, or a reference that is NULL),
        // so nothing is written.
        let statements = Self.insertions(of: [opening], references: [Self.referenceSQL(year: opening.year)], on: sql)
        let number = try await Self.openingTakingItsNumber(StatementBatch(statements), prepared: !opening.actions.isEmpty, on: sql)
        return Self.opened(opening, number: number)
    }

    /// What an opening stored, once it has its number.
    private static func opened(_ o: Opening, number: Int) -> Opened {
        let record = CaseRecord(id: o.caseID, organisationID: o.organisationID,
                                reference: reference(year: o.year, number: number), status: o.status,
                                summary: o.summary, facts: o.facts, version: 1, createdBy: o.createdBy, ownerID: o.createdBy,
                                openActions: o.actions.count, createdAt: o.now, updatedAt: o.now)
        return Opened(record: record, assessment: StoredAssessment(
            id: o.assessmentID, caseID: o.caseID, caseVersion: 1, editions: o.editions,
            assessment: o.assessment, createdBy: o.createdBy, createdAt: o.now), actions: o.actions,
            view: CaseReadView(header: record.header, factsJSON: o.factsJSON, actions: o.actions,
                               assessment: (o.assessmentID, 1, o.editions, o.createdBy, o.now, o.assessmentText)))
    }

    /// PostgreSQL: stores several openings in one statement and returns the first of the consecutive numbers they
    /// took, in order. Each column of the openings is one array (`unnest … WITH ORDINALITY` numbers them), so the
    /// statement's text is the same however many there are; every opening's actions go in one INSERT, as a lone
    /// opening's do. The counter moves on by all of them at once; a missing organisation fails the statement (the
    /// case's foreign key), and so stores none of them.
    static func combinedOpening(_ openings: [Opening], on sql: any SQLDatabase) async throws -> Int {
        let count = openings.count
        let numbering = SQLQueryString(
            "UPDATE case_numbers SET next_number = next_number + \(bind: count) WHERE id = 1 RETURNING next_number - \(bind: count) AS first")
        let rows = SQLQueryString("""
            SELECT * FROM unnest(\(bind: openings.map(\.caseID))::uuid[], \(bind: openings.map(\.organisationID))::uuid[], \
            \(bind: openings.map { referencePrefix(year: $0.year) })::text[], \(bind: openings.map(\.status.rawValue))::text[], \
            \(bind: openings.map(\.sealedSummary))::text[], \(bind: openings.map(\.factsJSON))::text[], \
            \(bind: openings.map(\.createdBy))::uuid[], \(bind: openings.map(\.actions.count))::bigint[], \
            \(bind: PostgresNullableArray(openings.map(\.now)))::timestamptz[], \(bind: openings.map(\.assessmentID))::uuid[], \
            \(bind: openings.map { $0.editions.joined(separator: ",") })::text[], \(bind: openings.map(\.assessmentText))::text[], \
            \(bind: openings.map(\.eventID))::uuid[], \(bind: openings.map(\.chronology.actorRole))::text[], \
            \(bind: openings.map(\.chronology.kind))::text[], \(bind: openings.map(\.sealedLine))::text[]) \
            WITH ORDINALITY AS o(id, organisation_id, prefix, status, summary, facts_json, created_by, open_actions, opened_at, \
            assessment_id, editions, assessment_json, event_id, actor_role, kind, line, n)
            """)
        let number = "(t.first + o.n - 1)"
        let cases = SQLQueryString("""
            INSERT INTO cases (id, organisation_id, reference, status, summary, facts_json, version, created_by, owner_id, \
            open_actions, created_at, updated_at) \
            SELECT o.id, o.organisation_id, \
            o.prefix || CASE WHEN \(unsafeRaw: number) < 1000000 THEN lpad(\(unsafeRaw: number)::text, 6, '0') ELSE \(unsafeRaw: number)::text END, \
            o.status, o.summary, o.facts_json, 1, o.created_by, o.created_by, o.open_actions, o.opened_at, o.opened_at \
            FROM \(ident: "opening") o, \(ident: taken) t
            """)
        let assessments = SQLQueryString("""
            INSERT INTO case_assessments (id, case_id, case_version, editions, assessment_json, created_by, created_at) \
            SELECT assessment_id, id, 1, editions, assessment_json, created_by, opened_at FROM \(ident: "opening")
            """)
        let events = SQLQueryString("""
            INSERT INTO case_events (id, case_id, sequence, at, actor_id, actor_role, kind, summary) \
            SELECT event_id, id, 1, opened_at, created_by, actor_role, kind, line FROM \(ident: "opening")
            """)
        let actions = insertion(of: openings.flatMap(\.actions), on: sql)
        let parts: [(name: String, statement: any SQLExpression)] =
            [(taken, numbering), ("opening", rows), ("cases", cases), ("assessments", assessments), ("events", events)]
            + (actions.map { [("actions", $0)] } ?? [])
        let statement = StatementBatch.Joined(parts: parts, last: SQLQueryString("SELECT first FROM \(ident: taken)"))
        let first = NIOLockedValueBox<Int?>(nil)
        try await sql.execute(sql: statement) { row in
            let value = try? row.decode(column: "first", as: Int.self)
            first.withLockedValue { $0 = value }
        }
        guard let first = first.withLockedValue({ $0 }) else { throw StoreError.notFound("case number counter") }
        return first
    }

    /// On PostgreSQL: takes the next case number and runs `opening` in one statement, and returns the number taken.
    /// With `prepared`, the statement is prepared once per connection where it can be (`PreparedOpening`: only an
    /// opening with actions, whose text is the same every time); else, and if that fails, it is sent unnamed.
    static func openingTakingItsNumber(_ opening: StatementBatch, prepared: Bool, on sql: any SQLDatabase) async throws -> Int {
        let counter = SQLQueryString("UPDATE case_numbers SET next_number = next_number + 1 WHERE id = 1 RETURNING next_number - 1 AS number")
        let result = SQLQueryString("SELECT number FROM \(ident: taken)")
        func unnamed() async throws -> Int? {
            try await opening.run(after: counter, named: taken, returning: result, on: sql).first?.decode(column: "number", as: Int.self)
        }
        let number: Int?
        if prepared, let postgres = sql as? any PostgresDatabase,
           let prepared = PreparedOpening(opening.statement(after: counter, named: taken, returning: result), on: sql) {
            number = try await PreparedInTransaction.run(prepared, on: postgres, {
                try $0.first.map { try PostgresRandomAccessRow($0)[0].decode(Int.self) }
            }, unnamed: unnamed)
        } else {
            number = try await unnamed()
        }
        guard let number else { throw StoreError.notFound("case number counter") }
        return number
    }

    /// `reference(year:number:)` in PostgreSQL's SQL, of the number the opening's statement takes. (`lpad` alone
    /// would cut a seventh digit off.)
    static func referenceSQL(year: Int) -> any SQLExpression {
        SQLQueryString("""
            (SELECT \(bind: referencePrefix(year: year)) || CASE WHEN number < 1000000 THEN lpad(number::text, 6, '0') ELSE number::text END \
            FROM \(ident: taken))
            """)
    }

    /// The name under which an opening's statement holds the number it took.
    private static let taken = "taken"

    /// New actions, open and recommended, in one INSERT (none: no statement).
    static func insert(_ actions: [CaseAction], on sql: any SQLDatabase) async throws {
        guard let insertion = insertion(of: actions, on: sql) else { return }
        try await sql.execute(sql: insertion) { _ in }
    }

    /// The INSERT of new actions, to run or to send with others; nil for none. A multi-row VALUES on SQLite; on
    /// PostgreSQL the rows come from one array a column (`unnest`), so that the statement's text is the same however
    /// many actions there are, and a case opening can be prepared once (`PreparedOpening`). (Unprepared, the two
    /// forms cost PostgreSQL the same: 1,048 against 1,067 µs of its CPU an opening, six interleaved rounds.)
    static func insertion(of actions: [CaseAction], on sql: any SQLDatabase) -> (any SQLExpression)? {
        guard !actions.isEmpty else { return nil }
        if sql.dialect.name == "postgresql" {
            return SQLQueryString("""
                INSERT INTO case_actions (id, case_id, recommendation_id, severity, text, status, recommended, created_at, due_on) \
                SELECT id, case_id, recommendation_id, severity, text, \(bind: ActionStatus.open.rawValue), true, created_at, due_on \
                FROM unnest(\(bind: actions.map(\.id))::uuid[], \(bind: actions.map(\.caseID))::uuid[], \
                \(bind: actions.map(\.recommendationID))::text[], \(bind: actions.map(\.severity))::text[], \
                \(bind: actions.map(\.text))::text[], \(bind: PostgresNullableArray(actions.map(\.createdAt)))::timestamptz[], \
                \(bind: PostgresNullableArray(actions.map { $0.dueOn?.description }))::text[]) \
                AS a(id, case_id, recommendation_id, severity, text, created_at, due_on)
                """)
        }
        var insert = sql.insert(into: "case_actions",
                                columns: ["id", "case_id", "recommendation_id", "severity", "text", "status", "recommended", "created_at", "due_on"])
        for a in actions {
            insert = insert.values(SQLBind(a.id), SQLBind(a.caseID), SQLBind(a.recommendationID), SQLBind(a.severity),
                                   SQLBind(a.text), SQLBind(ActionStatus.open.rawValue), SQLBind(true), SQLBind(a.createdAt),
                                   SQLBind(a.dueOn?.description))
        }
        return insert.query
    }

    /// Takes `count` consecutive case numbers in one statement, from the one counter of the whole database, so that
    /// references are unique across organisations (issue 11, point 8). Each of the organisations must exist.
    func reserveCaseNumbers(organisationIDs: Set<UUID>, count: Int, on sql: (any SQLDatabase)? = nil) async throws -> Range<Int> {
        let sql = sql ?? (db as! any SQLDatabase)
        // One statement, the organisations' check inside it.
        let organisations = organisationIDs.sorted { $0.uuidString < $1.uuidString }.map { id in
            SQLQueryString("SELECT 1 FROM \(PlainName(OrganisationModel.schema)) WHERE id = \(bind: id)")
        }
        var update = sql.update(PlainName("case_numbers"))
            .set(PlainName("next_number"), to: SQLRaw("next_number + \(count)"))
            .where(PlainName("id"), .equal, SQLBind(1))
        for organisation in organisations { update = update.where(SQLQueryString("EXISTS (\(organisation))")) }
        if let row = try await update.returning(PlainName("next_number")).first() {
            let next = try row.decode(column: "next_number", as: Int.self)
            return (next - count)..<next
        }
        // Nothing taken: say which is missing.
        for organisation in organisations where try await sql.raw(organisation).first() == nil {
            throw StoreError.notFound("organisation")
        }
        throw StoreError.notFound("case number counter")
    }

    /// An assessment as it is stored: JSON with sorted keys, as `JSONEncoder` with `.sortedKeys` writes it.
    public static func assessmentText(_ assessment: Assessment) throws -> String {
        try SortedJSON.string(assessment)
    }

    /// One open action per distinct recommendation, for a case that has none yet.
    static func newActions(caseID: UUID, assessment: Assessment, now: Date, mustActionDays: Int) -> [CaseAction] {
        var seen = Set<String>()
        return assessment.recommendations.compactMap { recommendation in
            // A standing instruction is shown with the assessment, never made a to-do.
            guard !recommendation.standing, seen.insert(recommendation.id).inserted else { return nil }
            return newAction(caseID: caseID, recommendation: recommendation, now: now, mustActionDays: mustActionDays)
        }
    }

    /// An open, recommended action for a recommendation: one description for opening a case and re-assessing one.
    /// A MUST action is due `mustActionDays` after it is raised (the organisation's setting), so that "overdue"
    /// means something; SHOULD and CONSIDER actions have no date until a case lead gives one.
    static func newAction(caseID: UUID, recommendation: Recommendation, now: Date, mustActionDays: Int) -> CaseAction {
        // The guidance's own timescale where it states one ("immediately": the same day); else a MUST action is
        // due after the organisation's number of days (issue 11, point 1).
        let dueOn = recommendation.dueWithinDays.map { CalendarDate(utcDayOf: now).adding(days: $0) }
            ?? (recommendation.severity == .must ? CalendarDate(utcDayOf: now).adding(days: mustActionDays) : nil)
        return CaseAction(id: UUID.timeOrdered(), caseID: caseID, recommendationID: recommendation.id,
                          severity: recommendation.severity.rawValue, text: recommendation.actionText, status: .open,
                          reason: nil, recommended: true, completedBy: nil, completedAt: nil, createdAt: now, dueOn: dueOn)
    }

    /// A synthetic or imported case, for `safeguard demo-data`.
    public struct Draft: Sendable {
        public var summary: String
        public var facts: CaseFacts
        public var assessment: Assessment
        public var createdAt: Date
        public init(summary: String, facts: CaseFacts, assessment: Assessment, createdAt: Date) {
            self.summary = summary
            self.facts = facts
            self.assessment = assessment
            self.createdAt = createdAt
        }
    }

    /// Adds many cases of one organisation at once, each with its assessment, actions and a first chronology line by
    /// "system", through `open` (as every case is opened). Run it inside the caller's transaction. Returns how many were
    /// added.
    @discardableResult
    public func importCases(_ drafts: [Draft], organisationID: UUID, createdBy: UUID, chronologyKind: String,
                            chronologySummary: String, mustActionDays: Int) async throws -> Int {
        let openings = try drafts.map { draft in
            try opening(organisationID: organisationID, createdBy: createdBy, summary: draft.summary, status: .open,
                        facts: draft.facts, assessment: draft.assessment,
                        chronology: (chronologyKind, chronologySummary, "system"), mustActionDays: mustActionDays, now: draft.createdAt)
        }
        // In parts, so that no one statement carries more than 500 cases' assessments.
        var added = 0
        for chunk in stride(from: 0, to: openings.count, by: 500) {
            added += try await open(Array(openings[chunk..<min(chunk + 500, openings.count)])).count
        }
        return added
    }

    /// A case of the organisation, or nil (also when it belongs to another organisation).
    /// The organisation's case with this reference (`SG-2026-000001`), if there is one.
    /// The references of an organisation's cases by id, for naming cases in words (the audit trail): one query.
    public func references(ids: [UUID], organisationID: UUID) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        let found = try await CaseModel.query(on: db).filter(\.$organisationID == organisationID).filter(\.$id ~~ ids)
            .field(\.$id).field(\.$reference).all()
        return Dictionary(found.compactMap { m in m.id.map { ($0, m.reference) } }, uniquingKeysWith: { a, _ in a })
    }

    public func findCase(reference: String, organisationID: UUID) async throws -> CaseRecord? {
        guard let m = try await CaseModel.query(on: db).filter(\.$reference == reference)
            .filter(\.$organisationID == organisationID).first() else { return nil }
        return try value(m)
    }

    /// The case with its facts decoded; nil if it is not the organisation's. Its one row read by column, as a case
    /// read reads it (on a SQLite file, through the reader when the store has one): every change to a case through
    /// the API loads it first, and a Fluent model reflected over its properties and went through NIO's thread pool.
    public func findCase(id: UUID, organisationID: UUID) async throws -> CaseRecord? {
        let row: (header: CaseHeader, facts: String, revision: Int)?
        if let reader {
            row = try reader.read { connection in try caseRow(id: id, organisationID: organisationID, on: connection) }
        } else {
            row = try await caseRow(id: id, organisationID: organisationID, on: db as! any SQLDatabase)
        }
        guard let (header, facts, _) = row else { return nil }
        return CaseRecord(header: header, facts: try Self.storedFacts(facts, of: header.reference))
    }

    /// A case row's columns for a read, in the order every reader takes them by position (PostgreSQL's prepared
    /// `CaseRowStatement` too).
    static let readHeaderColumns = "id, organisation_id, reference, status, summary, version, created_by, owner_id, "
        + "open_actions, created_at, updated_at, facts_json"
    /// An action's columns for a read, in the order every reader takes them by position.
    static let readActionColumns = "id, case_id, recommendation_id, severity, text, status, reason, recommended, completed_by, "
        + "completed_at, created_at, due_on"
    /// How many columns `readActionColumns` names.
    static let readActionColumnCount = readActionColumns.split(separator: ",").count
    /// An assessment's columns for a read, in the order every reader takes them by position.
    static let readAssessmentColumns = "id, case_version, editions, created_by, created_at, assessment_json"
    /// The columns of a case read, in the order both of its paths read them.
    private static let readColumns = (header: readHeaderColumns, action: readActionColumns, assessment: readAssessmentColumns)

    /// The case as the API reads it, its facts and latest assessment left as stored JSON; nil if it is not the
    /// organisation's. Three queries, run at once: the case, its actions, its latest assessment.
    ///
    /// Plain SQL decoded by column, not Fluent models: building a model reflects over its properties for every row,
    /// which was a sixth of a read's time.
    public func readView(id: UUID, organisationID: UUID) async throws -> CaseReadView? {
        if let reader { return try readView(id: id, organisationID: organisationID, on: reader) }
        let sql = db as! any SQLDatabase
        let found: (header: CaseHeader, facts: String, revision: Int)
        let view: KeptCaseView
        if let views {
            // The case row first: while its revision is unchanged, its actions and assessment are the ones kept.
            guard let row = try await caseRow(id: id, organisationID: organisationID, on: sql) else { return nil }
            if let kept = views.value(of: id, at: row.revision) {
                view = kept
            } else {
                view = try await storedView(id: id, on: sql)
                views.keep(view, of: id, at: row.revision)
            }
            found = row
        } else {
            // No cache (in a transaction, in memory): the three reads at once.
            async let row = caseRow(id: id, organisationID: organisationID, on: sql)
            async let stored = storedView(id: id, on: sql)
            guard let row = try await row else {
                _ = try? await stored
                return nil
            }
            (found, view) = (row, try await stored)
        }
        return CaseReadView(header: found.header, factsJSON: found.facts, actions: try opened(view.actions), assessment: view.assessment)
    }

    /// A case's row of `readColumns.header` and its revision, from the store's database: by position on PostgreSQL
    /// (see `PostgresStatement`), by name through SQLKit otherwise.
    /// `sql` is the store's database, evaluated once by the caller: on a request, each evaluation of `db` asks Vapor
    /// for the request's database afresh, which was 2 % of a PostgreSQL read's CPU each time.
    private func caseRow(id: UUID, organisationID: UUID, on sql: any SQLDatabase) async throws -> (header: CaseHeader, facts: String, revision: Int)? {
        let headerQuery: SQLQueryString = """
            SELECT \(unsafeRaw: Self.readColumns.header), revision FROM cases WHERE id = \(bind: id) AND organisation_id = \(bind: organisationID)
            """
        if readsRowsByPosition, let postgres = sql as? any PostgresDatabase {
            /// A row of `readColumns.header` and the revision, read by position.
            func decoded(_ row: PostgresRandomAccessRow) throws -> (header: CaseHeader, facts: String, revision: Int) {
                (try header(row), try row[11].decode(String.self), try row[12].decode(Int.self))
            }
            // Outside a transaction (a request's read), as a statement each connection prepares once; inside one,
            // unnamed, so that a transaction that has failed never leaves a connection half-prepared.
            if views != nil, let rowReads,
               let batched = try await rowReads.row(id: id, organisationID: organisationID,
                                                    run: { ids in await postgres.runPrepared(CaseRowsByIDStatement(ids: ids)) },
                                                    identify: { row in
                                                        let columns = PostgresRandomAccessRow(row)
                                                        return (try columns[0].decode(UUID.self), try columns[1].decode(UUID.self))
                                                    },
                                                    decode: { try decoded(PostgresRandomAccessRow($0)) }) {
                return batched
            }
            if views != nil, let rows = await postgres.runPrepared(CaseRowStatement(id: id, organisationID: organisationID)) {
                return try rows.first.map { try decoded(PostgresRandomAccessRow($0)) }
            }
            return try await PostgresStatement(headerQuery, on: sql).rows(on: postgres, decoded).first
        }
        return try await sql.raw(headerQuery).first().map { row in
            (try header(row), try row.decode(column: "facts_json", as: String.self), try row.decode(column: "revision", as: Int.self))
        }
    }

    /// The same on a SQLite file's reader connection, inside the caller's read.
    private func caseRow(id: UUID, organisationID: UUID, on connection: DirectSQLiteConnection) throws -> (header: CaseHeader, facts: String, revision: Int)? {
        try connection.rows("SELECT \(Self.readColumns.header), revision FROM cases WHERE id = ? AND organisation_id = ?",
                            [.uuid(id), .uuid(organisationID)]) { row in
            (header: try header(row), facts: try row.string(11), revision: row.int(12))
        }.first
    }

    /// A case's header from a row of `readColumns.header` (its summary opened).
    private func header(_ row: any SQLRow) throws -> CaseHeader {
        CaseHeader(
            id: try row.decode(column: "id", as: UUID.self), organisationID: try row.decode(column: "organisation_id", as: UUID.self),
            reference: try row.decode(column: "reference", as: String.self),
            status: CaseStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .open,
            summary: try cipher.open(try row.decode(column: "summary", as: String.self), in: .caseSummary),
            version: try row.decode(column: "version", as: Int.self),
            createdBy: try row.decode(column: "created_by", as: UUID.self),
            ownerID: try row.decode(column: "owner_id", as: UUID?.self) ?? row.decode(column: "created_by", as: UUID.self),
            openActions: try row.decode(column: "open_actions", as: Int.self),
            createdAt: try row.decode(column: "created_at", as: Date?.self), updatedAt: try row.decode(column: "updated_at", as: Date?.self))
    }

    /// A case's header from the first eleven columns of a row of `readColumns.header`, read by position on a SQLite
    /// file's own connection (its summary opened).
    private func header(_ row: DirectSQLiteConnection.Row) throws -> CaseHeader {
        CaseHeader(
            id: try row.uuid(0), organisationID: try row.uuid(1), reference: try row.string(2),
            status: CaseStatus(rawValue: try row.string(3)) ?? .open,
            summary: try cipher.open(try row.string(4), in: .caseSummary), version: row.int(5),
            createdBy: try row.uuid(6), ownerID: try row.optionalUUID(7) ?? row.uuid(6), openActions: row.int(8),
            createdAt: row.date(9), updatedAt: row.date(10))
    }

    /// An action from a row of `readColumns.action`, its reason still sealed.
    private static func storedAction(_ a: any SQLRow) throws -> CaseAction {
        CaseAction(id: try a.decode(column: "id", as: UUID.self), caseID: try a.decode(column: "case_id", as: UUID.self),
                   recommendationID: try a.decode(column: "recommendation_id", as: String.self),
                   severity: try a.decode(column: "severity", as: String.self), text: try a.decode(column: "text", as: String.self),
                   status: ActionStatus(rawValue: try a.decode(column: "status", as: String.self)) ?? .open,
                   reason: try a.decode(column: "reason", as: String?.self),
                   recommended: try a.decode(column: "recommended", as: Bool.self),
                   completedBy: try a.decode(column: "completed_by", as: UUID?.self),
                   completedAt: try a.decode(column: "completed_at", as: Date?.self),
                   createdAt: try a.decode(column: "created_at", as: Date?.self),
                   dueOn: try a.decode(column: "due_on", as: String?.self).flatMap(CalendarDate.init))
    }

    /// An action from a row of `readActionColumns`, read by position (its reason still sealed).
    private static func storedAction(_ a: PostgresRandomAccessRow) throws -> CaseAction {
        CaseAction(id: try a[0].decode(UUID.self), caseID: try a[1].decode(UUID.self), recommendationID: try a[2].decode(String.self),
                   severity: try a[3].decode(String.self), text: try a[4].decode(String.self),
                   status: ActionStatus(rawValue: try a[5].decode(String.self)) ?? .open, reason: try a[6].decode(String?.self),
                   recommended: try a[7].decode(Bool.self), completedBy: try a[8].decode(UUID?.self),
                   completedAt: try a[9].decode(Date?.self), createdAt: try a[10].decode(Date?.self),
                   dueOn: try a[11].decode(String?.self).flatMap(CalendarDate.init))
    }

    /// An assessment from a row of `readAssessmentColumns`, read by position.
    private static func storedAssessment(_ a: PostgresRandomAccessRow) throws -> CaseReadView.Assessment {
        (id: try a[0].decode(UUID.self), caseVersion: try a[1].decode(Int.self),
         editions: try a[2].decode(String.self).split(separator: ",").map(String.init),
         createdBy: try a[3].decode(UUID.self), createdAt: try a[4].decode(Date?.self), json: try a[5].decode(String.self))
    }

    /// A case's actions (reasons still sealed) and latest assessment as stored, read at once. On PostgreSQL, outside
    /// a transaction (a request's read, with the case view cache), as statements each connection prepares once, read
    /// by position, as the case row is (`CaseRowStatement`), and unnamed if that fails.
    private func storedView(id: UUID, on sql: any SQLDatabase) async throws -> KeptCaseView {
        if views != nil, readsRowsByPosition, let postgres = sql as? any PostgresDatabase {
            async let actions = postgres.runPrepared(CaseActionsStatement(caseID: id))
            async let assessment = postgres.runPrepared(LatestAssessmentStatement(caseID: id))
            if let actions = await actions, let assessment = await assessment {
                return KeptCaseView(actions: try actions.map { try Self.storedAction(PostgresRandomAccessRow($0)) },
                                    assessment: try assessment.first.map { try Self.storedAssessment(PostgresRandomAccessRow($0)) })
            }
        }
        async let actions = storedActions(caseID: id, on: sql)
        async let assessment = storedLatestAssessment(caseID: id, on: sql)
        return KeptCaseView(actions: try await actions, assessment: try await assessment)
    }

    /// A case's actions as stored (reasons sealed), oldest first.
    private func storedActions(caseID: UUID, on sql: any SQLDatabase) async throws -> [CaseAction] {
        try await sql.raw("\(unsafeRaw: Self.actionsQuery) WHERE case_id = \(bind: caseID) \(unsafeRaw: Self.actionsOrder)")
            .all().map(Self.storedAction)
    }

    /// A case's actions as stored (reasons sealed) and the case's revision they belong to, read before a write that
    /// re-assesses the case (`recordAssessment(known:)`).
    public struct ActionsAtRevision: Sendable {
        let revision: Int
        let actions: [CaseAction]

        /// These, if the case is still at the revision they were read at (as `updateCase` returns it).
        public func still(at revision: Int) -> ActionsAtRevision? { revision == self.revision ? self : nil }
    }

    /// On PostgreSQL: the case's actions and its revision, read in one statement (one snapshot) outside the write
    /// gate, so that a re-assessment inside it need not read them again while the gate is held, a round trip there:
    /// the revision moves with any change to the case's actions or assessments (migration 0018), so if the case is
    /// still at it inside the write, these are its actions. Nil elsewhere (on SQLite reading inside the write costs
    /// no round trip), and for a case with no such row.
    public func actionsBeforeWrite(caseID: UUID) async throws -> ActionsAtRevision? {
        let sql = db as! any SQLDatabase
        guard sql.dialect.name == "postgresql", let postgres = sql as? any PostgresDatabase else { return nil }
        // The action's columns first, as `storedAction` reads them by position, and the revision after them: SQLKit's
        // rows, decoded by name, were about a twentieth of a fact update's server CPU.
        let query: SQLQueryString = """
            SELECT a.*, r.case_revision FROM (SELECT revision AS case_revision FROM cases WHERE id = \(bind: caseID)) r \
            LEFT JOIN LATERAL (\(unsafeRaw: Self.actionsQuery) WHERE case_id = \(bind: caseID)) a ON true \
            ORDER BY a.created_at, a.recommendation_id
            """
        let rows = try await PostgresStatement(query, on: sql).rows(on: postgres) { row in
            (revision: try row[Self.readActionColumnCount].decode(Int.self),
             action: row[0].bytes == nil ? nil : try Self.storedAction(row))
        }
        guard let first = rows.first else { return nil }
        return ActionsAtRevision(revision: first.revision, actions: rows.compactMap(\.action))
    }

    /// A case's actions for a read, and their order: oldest first (one text for both of PostgreSQL's paths).
    static let actionsQuery = "SELECT \(readActionColumns) FROM case_actions"
    static let actionsOrder = "ORDER BY created_at, recommendation_id"
    /// A case's latest assessment: of its highest version, the newest.
    static let latestAssessmentQuery = "SELECT \(readAssessmentColumns) FROM case_assessments"
    static let latestAssessmentOrder = "ORDER BY case_version DESC, created_at DESC LIMIT 1"

    /// A case's latest assessment as stored (of its highest version, the newest), its JSON not decoded.
    private func storedLatestAssessment(caseID: UUID, on sql: any SQLDatabase) async throws -> CaseReadView.Assessment? {
        try await sql.raw("\(unsafeRaw: Self.latestAssessmentQuery) WHERE case_id = \(bind: caseID) \(unsafeRaw: Self.latestAssessmentOrder)")
            .first().map { a in
            (id: try a.decode(column: "id", as: UUID.self), caseVersion: try a.decode(column: "case_version", as: Int.self),
             editions: try a.decode(column: "editions", as: String.self).split(separator: ",").map(String.init),
             createdBy: try a.decode(column: "created_by", as: UUID.self), createdAt: try a.decode(column: "created_at", as: Date?.self),
             json: try a.decode(column: "assessment_json", as: String.self))
        }
    }

    /// Actions with their reasons opened.
    private func opened(_ actions: [CaseAction]) throws -> [CaseAction] {
        var actions = actions
        for index in actions.indices where actions[index].reason != nil {
            actions[index].reason = try cipher.open(optional: actions[index].reason, in: .actionReason)
        }
        return actions
    }

    /// The same read on a SQLite file, on the calling thread, from one snapshot (see `SQLiteFileReader`). A case read
    /// again at the same revision takes its actions and assessment from the reader's `CaseViewCache`: one row read.
    private func readView(id: UUID, organisationID: UUID, on reader: SQLiteFileReader) throws -> CaseReadView? {
        let columns = Self.readColumns
        let read = try reader.read { connection -> (header: CaseHeader, facts: String, view: KeptCaseView)? in
            guard let (header, facts, revision) = try caseRow(id: id, organisationID: organisationID, on: connection) else { return nil }
            if let kept = reader.caseViews.value(of: id, at: revision) { return (header, facts, kept) }
            // No ORDER BY in these two: with one, SQLite marks the bound id as able to change the plan, and prepares
            // the statement again at every bind, which cost more than the read. They are sorted here instead, by the
            // stored values themselves (NULL first, as SQLite sorts), so the order is the Fluent path's.
            let actions = try connection.rows("SELECT \(columns.action), created_at FROM case_actions WHERE case_id = ?",
                                              [.uuid(id)]) { a in
                (order: a.isNull(12) ? -Double.infinity : a.double(12), action: CaseAction(
                    id: try a.uuid(0), caseID: try a.uuid(1), recommendationID: try a.string(2), severity: try a.string(3),
                    text: try a.string(4), status: ActionStatus(rawValue: try a.string(5)) ?? .open,
                    reason: a.text(6), recommended: a.bool(7),  // sealed: opened below, on every read
                    completedBy: try a.optionalUUID(8), completedAt: a.date(9), createdAt: a.date(10),
                    dueOn: a.text(11).flatMap(CalendarDate.init)))
            }
            .sorted { a, b in
                a.order != b.order ? a.order < b.order
                    : a.action.recommendationID.utf8.lexicographicallyPrecedes(b.action.recommendationID.utf8)
            }
            .map(\.action)
            let view = KeptCaseView(actions: actions, assessment: try latestAssessment(caseID: id, on: connection))
            reader.caseViews.keep(view, of: id, at: revision)
            return (header, facts, view)
        }
        guard let read else { return nil }
        return CaseReadView(header: read.header, factsJSON: read.facts, actions: try opened(read.view.actions),
                            assessment: read.view.assessment)
    }

    /// A case's latest assessment on a SQLite file's reader connection, inside the caller's read: the highest version,
    /// and the newest at that version. Its key first (small rows), then the row itself by its id.
    private func latestAssessment(caseID: UUID, on connection: DirectSQLiteConnection) throws -> CaseReadView.Assessment? {
        let latest = try connection.rows("SELECT id, case_version, created_at FROM case_assessments WHERE case_id = ?",
                                         [.uuid(caseID)]) { a in
            (id: try a.string(0), version: a.int(1), at: a.isNull(2) ? -Double.infinity : a.double(2))
        }
        .max { ($0.version, $0.at) < ($1.version, $1.at) }
        return try latest.flatMap { latest in
            try connection.rows("SELECT \(Self.readColumns.assessment) FROM case_assessments WHERE id = ?", [.text(latest.id)]) { a in
                (id: try a.uuid(0), caseVersion: a.int(1), editions: try a.string(2).split(separator: ",").map(String.init),
                 createdBy: try a.uuid(3), createdAt: a.date(4), json: try a.string(5))
            }.first
        }
    }

    public struct ListFilter: Sendable, Hashable {
        public var status: CaseStatus?
        public var hasOpenActions: Bool?
        public var updatedSince: Date?
        /// Only cases this user raised (staff see only their own concerns).
        public var createdBy: UUID?
        /// Only cases this user owns (a home's "my cases").
        public var ownerID: UUID?
        /// Only cases with no change since (a case gone quiet).
        public var updatedBefore: Date?
        /// Only cases one of these people owns (a team's cases).
        public var ownerIDs: [UUID]?
        public init(status: CaseStatus? = nil, hasOpenActions: Bool? = nil, updatedSince: Date? = nil, createdBy: UUID? = nil,
                    ownerID: UUID? = nil, updatedBefore: Date? = nil, ownerIDs: [UUID]? = nil) {
            self.ownerIDs = ownerIDs
            self.status = status
            self.hasOpenActions = hasOpenActions
            self.updatedSince = updatedSince
            self.createdBy = createdBy
            self.ownerID = ownerID
            self.updatedBefore = updatedBefore
        }
    }

    /// A page of an organisation's cases, most recently updated first, and the total that match. Headers only:
    /// a list never reads or decodes the facts.
    public func listCases(organisationID: UUID, filter: ListFilter, page: Int, perPage: Int) async throws -> (cases: [CaseHeader], total: Int) {
        let sql = db as! any SQLDatabase
        if let reader {
            return try listCases(organisationID: organisationID, filter: filter, page: page, perPage: perPage, on: reader, sql)
        }
        // The total: kept from the last count of this list while none of the organisation's cases has been written
        // since (the revision is read first, so a total kept is never older than the revision it is kept with).
        async let total: Int = {
            let key = CaseListKey(organisationID: organisationID, filter: filter)
            var revision: Int?
            if let counts {
                revision = try await sql.select().column("case_list_revision").from(OrganisationModel.schema)
                    .where("id", .equal, SQLBind(organisationID)).first()?.decode(column: "case_list_revision", as: Int.self)
                if let revision, let kept = counts.value(of: key, at: revision) { return kept }
            }
            let counted = try await Self.filtered(sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("cases"),
                                                  organisationID: organisationID, filter)
                .first()?.decode(column: "n", as: Int.self) ?? 0
            if let counts, let revision { counts.keep(counted, of: key, at: revision) }
            return counted
        }()
        let rows = try await cases(organisationID: organisationID, filter: filter, limit: perPage, offset: (page - 1) * perPage)
        return (rows, try await total)
    }

    /// The first `limit` cases of a list, most recently updated first (or, `longestUntouchedFirst`, the other way
    /// round), without counting the whole list: for a list shown without its total (the home page's cases gone quiet,
    /// whose filter holds the time of the request, so that a total kept for it would never be asked for again).
    public func firstCases(organisationID: UUID, filter: ListFilter, limit: Int,
                           longestUntouchedFirst: Bool = false) async throws -> [CaseHeader] {
        try await cases(organisationID: organisationID, filter: filter, limit: limit, offset: 0,
                        direction: longestUntouchedFirst ? .ascending : .descending)
    }

    /// The open, recommended actions on the open cases a user owns, each with its case: what the home page lists as
    /// theirs to do. Every such case counts, not only the first page of them, in two queries however many they own
    /// (the second names the cases by the first's filter, not by a list of ids, which has a limit of binds).
    public func openActions(ownedBy userID: UUID, organisationID: UUID) async throws -> [(header: CaseHeader, action: CaseAction)] {
        try await openActions(filter: ListFilter(status: .open, hasOpenActions: true, ownerID: userID), organisationID: organisationID)
    }

    /// The open actions of the open cases any of `userIDs` owns: a team's, in two queries however many are in it.
    public func openActions(ownedByAnyOf userIDs: [UUID], organisationID: UUID) async throws -> [(header: CaseHeader, action: CaseAction)] {
        guard !userIDs.isEmpty else { return [] }
        return try await openActions(filter: ListFilter(status: .open, hasOpenActions: true, ownerIDs: userIDs), organisationID: organisationID)
    }

    private func openActions(filter: ListFilter, organisationID: UUID) async throws -> [(header: CaseHeader, action: CaseAction)] {
        let owned = try await cases(organisationID: organisationID, filter: filter, limit: nil, offset: 0)
        guard !owned.isEmpty else { return [] }
        let byID = Dictionary(owned.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let ownedIDs = Self.filtered(SQLSubqueryBuilder().column("id").from("cases"), organisationID: organisationID, filter).query
        let rows = try await (db as! any SQLDatabase).select().column(SQLRaw(Self.readColumns.action)).from("case_actions")
            .where("case_id", .in, ownedIDs)
            .where("status", .equal, SQLBind(ActionStatus.open.rawValue))
            .where("recommended", .equal, SQLBind(true))
            .all()
        return try opened(try rows.map(Self.storedAction)).compactMap { action in byID[action.caseID].map { ($0, action) } }
    }

    private func cases(organisationID: UUID, filter: ListFilter, limit: Int?, offset: Int,
                       direction: SQLDirection = .descending) async throws -> [CaseHeader] {
        let sql = db as! any SQLDatabase
        let select = Self.listed(sql, organisationID: organisationID, filter, direction: direction)
        if let reader {
            return try reader.read { connection in
                try cases(select, limit: limit, offset: offset, keep: filter.ownerIDs == nil, on: connection, sql)
            }
        }
        select.limit(limit).offset(offset > 0 ? offset : nil)
        if readsRowsByPosition, let postgres = sql as? any PostgresDatabase {
            return try await PostgresStatement(select.query, on: sql).rows(on: postgres) { try header($0) }
        }
        return try await select.all().map(header)
    }

    /// A case's header from the first eleven columns of a PostgreSQL row of `readColumns.header` (a list's columns
    /// are the same), read by position (its summary opened).
    private func header(_ row: PostgresRandomAccessRow) throws -> CaseHeader {
        let createdBy = try row[6].decode(UUID.self)
        return CaseHeader(
            id: try row[0].decode(UUID.self), organisationID: try row[1].decode(UUID.self), reference: try row[2].decode(String.self),
            status: CaseStatus(rawValue: try row[3].decode(String.self)) ?? .open,
            summary: try cipher.open(try row[4].decode(String.self), in: .caseSummary), version: try row[5].decode(Int.self),
            createdBy: createdBy, ownerID: try row[7].decode(UUID?.self) ?? createdBy, openActions: try row[8].decode(Int.self),
            createdAt: try row[9].decode(Date?.self), updatedAt: try row[10].decode(Date?.self))
    }

    /// A list's cases in order, before its page is cut: the same query on both paths.
    private static func listed(_ sql: any SQLDatabase, organisationID: UUID, _ filter: ListFilter,
                               direction: SQLDirection = .descending) -> SQLSelectBuilder {
        filtered(sql.select()
            .columns("id", "organisation_id", "reference", "status", "summary", "version", "created_by", "owner_id", "open_actions",
                     "created_at", "updated_at")
            .from("cases"), organisationID: organisationID, filter)
            .orderBy("updated_at", direction).orderBy("reference", direction)
    }

    /// The same page on a SQLite file, on the calling thread, with the total from the same snapshot. A list read
    /// through Fluent's driver spent about a fifth of its time decoding rows through `Decodable` (each id through
    /// Foundation's `sscanf`), and as much again in thread hops.
    private func listCases(organisationID: UUID, filter: ListFilter, page: Int, perPage: Int, on reader: SQLiteFileReader,
                           _ sql: any SQLDatabase) throws -> (cases: [CaseHeader], total: Int) {
        let key = CaseListKey(organisationID: organisationID, filter: filter)
        let counting = Self.filtered(sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("cases"),
                                     organisationID: organisationID, filter)
        let select = Self.listed(sql, organisationID: organisationID, filter)
        return try reader.read { connection in
            var revision: Int?
            if counts != nil {
                revision = try connection.rows("SELECT case_list_revision FROM \(OrganisationModel.schema) WHERE id = ?",
                                               [.uuid(organisationID)]) { $0.int(0) }.first
            }
            let total: Int
            if let counts, let revision, let kept = counts.value(of: key, at: revision) {
                total = kept
            } else {
                let (text, binds) = try DirectSQLiteConnection.statement(counting.query, on: sql)
                total = try connection.rows(text, binds, keep: filter.ownerIDs == nil) { $0.int(0) }.first ?? 0
                if let counts, let revision { counts.keep(total, of: key, at: revision) }
            }
            return (try cases(select, limit: perPage, offset: (page - 1) * perPage, keep: filter.ownerIDs == nil, on: connection, sql),
                    total)
        }
    }

    /// The rows of a list's query, cut to one page. LIMIT and OFFSET are bound, not written into the text (as SQLKit
    /// writes them), so that every page and page size of a list is one kept statement, not one each, which would soon
    /// fill the connection's kept statements. (SQLite plans with a bound LIMIT's value, so it prepares the statement
    /// again at each run: what Fluent's driver does for every statement anyway.) A team's list (`ownerIDs`, a bind an
    /// owner) is not kept at all, so that teams of every size cannot fill them either.
    private func cases(_ select: SQLSelectBuilder, limit: Int?, offset: Int, keep: Bool, on connection: DirectSQLiteConnection,
                       _ sql: any SQLDatabase) throws -> [CaseHeader] {
        var (text, binds) = try DirectSQLiteConnection.statement(select.query, on: sql)
        // SQLite reads a negative LIMIT as none.
        text += " LIMIT ?\(binds.count + 1) OFFSET ?\(binds.count + 2)"
        binds += [.integer(limit ?? -1), .integer(max(0, offset))]
        return try connection.rows(text, binds, keep: keep) { try header($0) }
    }

    /// SQLKit rows decoded by column rather than Fluent models, which reflect over every property of every row.
    private static func filtered<B: SQLPredicateBuilder>(_ builder: B, organisationID: UUID, _ filter: ListFilter) -> B {
        var b = builder.where("organisation_id", .equal, SQLBind(organisationID))
        if let s = filter.status { b = b.where("status", .equal, SQLBind(s.rawValue)) }
        if let open = filter.hasOpenActions { b = b.where("open_actions", open ? .greaterThan : .equal, SQLBind(0)) }
        if let since = filter.updatedSince { b = b.where("updated_at", .greaterThanOrEqual, SQLBind(since)) }
        if let by = filter.createdBy { b = b.where("created_by", .equal, SQLBind(by)) }
        if let owner = filter.ownerID { b = b.where("owner_id", .equal, SQLBind(owner)) }
        if let before = filter.updatedBefore { b = b.where("updated_at", .lessThan, SQLBind(before)) }
        if let owners = filter.ownerIDs { b = owners.isEmpty ? b.where(SQLLiteral.boolean(false), .equal, SQLLiteral.boolean(true)) : b.where("owner_id", .in, owners) }
        return b
    }

    /// Which case a case was merged into, and which were merged into it, each with its reference.
    public struct MergeLinks: Sendable {
        public var into: (id: UUID, reference: String)?
        public var from: [(id: UUID, reference: String)]
    }

    public func mergeLinks(caseID: UUID, organisationID: UUID) async throws -> MergeLinks {
        guard let m = try await CaseModel.query(on: db).filter(\.$id == caseID).filter(\.$organisationID == organisationID)
            .field(\.$id).field(\.$mergedIntoID).first() else { return MergeLinks(into: nil, from: []) }
        var into: (id: UUID, reference: String)?
        if let target = m.mergedIntoID {
            into = try await CaseModel.query(on: db).filter(\.$id == target).field(\.$id).field(\.$reference).first()
                .flatMap { t in t.id.map { ($0, t.reference) } }
        }
        let from = try await CaseModel.query(on: db).filter(\.$mergedIntoID == caseID).filter(\.$organisationID == organisationID)
            .field(\.$id).field(\.$reference).sort(\.$createdAt).all().compactMap { f in f.id.map { ($0, f.reference) } }
        return MergeLinks(into: into, from: from)
    }

    /// Closes `caseID` as merged into `targetID` (both of the organisation, checked by the caller): a new version,
    /// closed now (its retention clock starts), pointing to the target. A stale version changes nothing.
    public func merge(caseID: UUID, into targetID: UUID, organisationID: UUID, expectedVersion: Int, now: Date) async throws -> CaseRecord {
        let closed = try await updateCase(id: caseID, organisationID: organisationID, expectedVersion: expectedVersion,
                                          facts: nil, summary: nil, status: .closed, now: now).record
        let sql = db as! any SQLDatabase
        try await sql.update("cases").set("merged_into_id", to: SQLBind(targetID)).where("id", .equal, SQLBind(caseID)).run()
        return closed
    }

    /// Changes a case if it is still at `expectedVersion`; otherwise throws `.conflict` and changes nothing.
    /// The version check and the change are one conditional UPDATE, so it holds across processes too. SQLKit only, so
    /// that it can run on `sql` (a SQLite file's own write connection) as well as on the store's database.
    ///
    /// `factsText`, the facts as stored (`factsText(facts)`), may be made before the write begins.
    /// It returns the revision the case is then at too (`ActionsAtRevision`).
    public func updateCase(id: UUID, organisationID: UUID, expectedVersion: Int, facts: CaseFacts?, factsText: String? = nil,
                           summary: String?, status: CaseStatus?, now: Date,
                           on sql: (any SQLDatabase)? = nil) async throws -> (record: CaseRecord, revision: Int) {
        let sql = sql ?? (db as! any SQLDatabase)
        let factsJSON = factsText ?? facts.map(Self.factsText)
        var update = sql.update("cases")
            .set("version", to: SQLBind(expectedVersion + 1))
            .set("updated_at", to: SQLBind(now))
        if let factsJSON { update = update.set("facts_json", to: SQLBind(factsJSON)) }
        if let summary { update = update.set("summary", to: SQLBind(try cipher.seal(summary, in: .caseSummary))) }
        if let status {
            // When it was closed starts its retention; reopening stops it. On the right of SET, `status` is the row's
            // value before this UPDATE (on both databases), so an unchanged status keeps its date.
            let closedAt: Date? = status == .closed ? now : nil
            update = update
                .set("closed_at", to: SQLQueryString("CASE WHEN status = \(bind: status.rawValue) THEN closed_at ELSE \(bind: closedAt) END"))
                .set("status", to: SQLBind(status.rawValue))
        }
        let changed = try await update
            .where("id", .equal, SQLBind(id))
            .where("organisation_id", .equal, SQLBind(organisationID))
            .where("version", .equal, SQLBind(expectedVersion))
            .returning(SQLRaw(Self.readColumns.header + ", revision"))
            .first()
        guard let changed else {
            guard let row = try await sql.select().column("version").from("cases")
                .where("id", .equal, SQLBind(id)).where("organisation_id", .equal, SQLBind(organisationID)).first() else {
                throw StoreError.notFound("case")
            }
            throw StoreError.conflict("the case is at version \(try row.decode(column: "version", as: Int.self)), not \(expectedVersion): "
                                      + "someone else changed it; read it again and reapply your change")
        }
        let header = try header(changed)
        let stored = try facts ?? Self.storedFacts(try changed.decode(column: "facts_json", as: String.self), of: header.reference)
        return (CaseRecord(header: header, facts: stored), try changed.decode(column: "revision", as: Int.self))
    }

    /// Gives the case to another owner (the caller checks who may own it, chronicles and audits). Counts as activity.
    public func setOwner(caseID: UUID, organisationID: UUID, ownerID: UUID, now: Date) async throws {
        let sql = db as! any SQLDatabase
        let changed = try await sql.update("cases").set("owner_id", to: SQLBind(ownerID)).set("updated_at", to: SQLBind(now))
            .where("id", .equal, SQLBind(caseID)).where("organisation_id", .equal, SQLBind(organisationID))
            .returning("id").all()
        guard !changed.isEmpty else { throw StoreError.notFound("case") }
    }

    /// Marks the case as touched (a note, an action) without changing its version.
    public func touch(id: UUID, now: Date) async throws {
        guard let m = try await CaseModel.find(id, on: db) else { return }
        m.updatedAt = now
        try await m.save(on: db)
    }

    // MARK: Assessments and actions

    static func value(_ m: AssessmentModel) throws -> StoredAssessment {
        StoredAssessment(id: m.id!, caseID: m.caseID, caseVersion: m.caseVersion,
                         editions: m.editions.split(separator: ",").map(String.init),
                         assessment: try decodedAssessment(m.assessmentJSON), createdBy: m.createdBy, createdAt: m.createdAt)
    }

    /// An assessment from the JSON it was stored as.
    static func decodedAssessment(_ json: String) throws -> Assessment {
        try JSONDecoder().decode(Assessment.self, from: Data(json.utf8))
    }

    func value(_ m: ActionModel) throws -> CaseAction {
        CaseAction(id: m.id!, caseID: m.caseID, recommendationID: m.recommendationID, severity: m.severity,
                   text: m.text, status: ActionStatus(rawValue: m.status) ?? .open,
                   reason: try cipher.open(optional: m.reason, in: .actionReason),
                   recommended: m.recommended, completedBy: m.completedBy, completedAt: m.completedAt,
                   createdAt: m.createdAt, dueOn: m.dueOn.flatMap(CalendarDate.init))
    }

    /// Stores an assessment of the case at `caseVersion` and turns its recommendations into actions, adding only those
    /// not already on the case, and sets the case's count of open actions. Few statements: the case's actions read
    /// once; then, sent together (one round trip on PostgreSQL), the assessment, the new actions in one INSERT, an
    /// UPDATE only for an action whose wording or severity changed, one for those no longer recommended, and the
    /// count. SQLKit only, so that it can run on `sql` (a SQLite file's own write connection) as well as on the store's
    /// database.
    ///
    /// It returns the case's actions as they now stand (reasons opened), worked out from those it read and what it
    /// wrote, and counts the open ones from them: writes are serialised, so nothing else changes them in between, and
    /// reading them again and counting in the database were two more round trips inside the write.
    ///
    /// `assessmentText`, the assessment as stored, may be made before the write begins (writes are serialised, and
    /// it is the largest part of the work). `alongside` are other writes of the same change to send with these (a fact
    /// update's chronology lines on PostgreSQL): none may read what these write, as all of one batch read the database
    /// as it was before it. `known`, the case's actions read before the write, saves reading them inside it: pass
    /// them only if the case is still at the revision they were read at (`ActionsAtRevision.still(at:)`).
    @discardableResult
    public func recordAssessment(caseID: UUID, caseVersion: Int, assessment: Assessment, assessmentText: String? = nil,
                                 by userID: UUID, mustActionDays: Int, now: Date, alongside: [any SQLExpression] = [],
                                 known: ActionsAtRevision? = nil, on sql: (any SQLDatabase)? = nil) async throws
        -> (assessment: StoredAssessment, openActions: Int, actions: [CaseAction]) {
        let sql = sql ?? (db as! any SQLDatabase)
        let id = UUID.timeOrdered()
        let editions = assessment.guidance.map { "\($0.id)@\($0.edition)" }
        // The writes go together, after the one read: one round trip on PostgreSQL (`StatementBatch`).
        var writes: [any SQLExpression] = [
            sql.insert(into: "case_assessments", columns: ["id", "case_id", "case_version", "editions", "assessment_json", "created_by", "created_at"])
                .values(SQLBind(id), SQLBind(caseID), SQLBind(caseVersion), SQLBind(editions.joined(separator: ",")),
                        SQLBind(try assessmentText ?? Self.assessmentText(assessment)), SQLBind(userID), SQLBind(now)).query,
        ]
        // The actions as they will stand: those read, changed as the writes below change them, then those added.
        var actions: [CaseAction]
        if let known { actions = known.actions } else { actions = try await storedActions(caseID: caseID, on: sql) }
        var byRecommendation: [String: Int] = [:]
        for (index, action) in actions.enumerated() { byRecommendation[action.recommendationID] = index }
        var recommended = Set<String>()
        var added: [CaseAction] = []
        for recommendation in assessment.recommendations where !recommendation.standing && recommended.insert(recommendation.id).inserted {
            guard let index = byRecommendation[recommendation.id] else {
                added.append(Self.newAction(caseID: caseID, recommendation: recommendation, now: now, mustActionDays: mustActionDays))
                continue
            }
            // Written only when something changed: a re-assessment usually leaves most actions as they were.
            let action = actions[index]
            guard action.severity != recommendation.severity.rawValue || action.text != recommendation.actionText
                    || !action.recommended else { continue }
            writes.append(sql.update("case_actions")
                .set("severity", to: SQLBind(recommendation.severity.rawValue))
                .set("text", to: SQLBind(recommendation.actionText))
                .set("recommended", to: SQLBind(true))
                .where("id", .equal, SQLBind(action.id)).query)
            (actions[index].severity, actions[index].text, actions[index].recommended) = (recommendation.severity.rawValue, recommendation.actionText, true)
        }
        if let insertAdded = Self.insertion(of: added, on: sql) { writes.append(insertAdded) }
        var dropped: [UUID] = []
        for index in actions.indices where !recommended.contains(actions[index].recommendationID) && actions[index].recommended {
            dropped.append(actions[index].id)
            actions[index].recommended = false
        }
        if !dropped.isEmpty {
            writes.append(sql.update("case_actions").set("recommended", to: SQLBind(false)).where("id", .in, SQLBind.group(dropped)).query)
        }
        // Oldest first, as a read gives them (`actionsOrder`): those added were made now, after every one read, and
        // among themselves go by recommendation. (Should a clock have put an earlier action after now, they are read.)
        let inOrder = actions.allSatisfy { ($0.createdAt ?? now) <= now }
        actions += added.sorted { $0.recommendationID < $1.recommendationID }
        let openActions = actions.count { $0.status == .open && $0.recommended }
        writes.append(sql.update("cases").set("open_actions", to: SQLBind(openActions)).where("id", .equal, SQLBind(caseID)).query)
        try await StatementBatch(writes + alongside).run(on: sql)
        let stored = StoredAssessment(id: id, caseID: caseID, caseVersion: caseVersion, editions: editions,
                                      assessment: assessment, createdBy: userID, createdAt: now)
        return (stored, openActions, inOrder ? try opened(actions) : try await self.actions(caseID: caseID, on: sql))
    }

    /// Counts the case's open, recommended actions again (one statement), and returns the count.
    @discardableResult
    func refreshOpenActions(caseID: UUID, on sql: (any SQLDatabase)? = nil) async throws -> Int {
        let sql = sql ?? (db as! any SQLDatabase)
        guard let row = try await sql.raw("""
            UPDATE cases SET open_actions = (SELECT COUNT(*) FROM case_actions \
            WHERE case_id = \(bind: caseID) AND status = \(bind: ActionStatus.open.rawValue) AND recommended = \(bind: true)) \
            WHERE id = \(bind: caseID) RETURNING open_actions
            """).first() else { throw StoreError.notFound("case") }
        return try row.decode(column: "open_actions", as: Int.self)
    }

    /// The case's latest assessment: of its highest version, the newest. SQLKit only, so that it can run on `sql` too.
    public func latestAssessment(caseID: UUID, on sql: (any SQLDatabase)? = nil) async throws -> StoredAssessment? {
        try await storedLatestAssessment(caseID: caseID, on: sql ?? (db as! any SQLDatabase)).map { a in
            StoredAssessment(id: a.id, caseID: caseID, caseVersion: a.caseVersion, editions: a.editions,
                             assessment: try Self.decodedAssessment(a.json), createdBy: a.createdBy, createdAt: a.createdAt)
        }
    }

    /// The decisions of the case's latest assessment: a fact update says which decisions its re-assessment changed.
    ///
    /// Only the stored JSON's `decisions` member is decoded (`SortedJSON.member`; the whole when that cannot find it
    /// for sure): `JSONDecoder` parses all of a 20 KB assessment even to decode one member, 7 % of an update's CPU.
    /// On a SQLite file with the store's reader, it is read there, on the calling thread.
    public func latestDecisions(caseID: UUID, on sql: (any SQLDatabase)? = nil) async throws -> Decisions? {
        let stored: CaseReadView.Assessment?
        if sql == nil, let reader {
            stored = try reader.read { connection in try latestAssessment(caseID: caseID, on: connection) }
        } else {
            stored = try await storedLatestAssessment(caseID: caseID, on: sql ?? (db as! any SQLDatabase))
        }
        return try stored.map { stored in
            if let member = SortedJSON.member("decisions", of: stored.json) {
                return try JSONDecoder().decode(Decisions.self, from: Data(member))
            }
            return try JSONDecoder().decode(DecisionsOnly.self, from: Data(stored.json.utf8)).decisions
        }
    }

    private struct DecisionsOnly: Decodable { var decisions: Decisions }

    public func assessments(caseID: UUID) async throws -> [StoredAssessment] {
        try await AssessmentModel.query(on: db).filter(\.$caseID == caseID)
            .sort(\.$caseVersion, .ascending).sort(\.$createdAt, .ascending).all().map(Self.value)
    }

    /// A case's actions, oldest first (reasons opened). SQLKit only, so that it can run on `sql` as well.
    public func actions(caseID: UUID, on sql: (any SQLDatabase)? = nil) async throws -> [CaseAction] {
        try opened(try await storedActions(caseID: caseID, on: sql ?? (db as! any SQLDatabase)))
    }

    /// Sets or clears the day an action is due by.
    public func setActionDue(id: UUID, caseID: UUID, dueOn: CalendarDate?) async throws -> CaseAction {
        guard let m = try await ActionModel.query(on: db).filter(\.$id == id).filter(\.$caseID == caseID).first() else {
            throw StoreError.notFound("action")
        }
        m.dueOn = dueOn?.description
        try await m.save(on: db)
        return try value(m)
    }

    public func setAction(id: UUID, caseID: UUID, status: ActionStatus, reason: String?, by userID: UUID, now: Date) async throws -> CaseAction {
        guard let m = try await ActionModel.query(on: db).filter(\.$id == id).filter(\.$caseID == caseID).first() else {
            throw StoreError.notFound("action")
        }
        if status == .notApplicable, (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw StoreError.invalid(field: "reason", message: "say why the action does not apply")
        }
        m.status = status.rawValue
        m.reason = try cipher.seal(optional: status == .notApplicable ? reason : (status == .done ? reason : nil), in: .actionReason)
        m.completedBy = status == .open ? nil : userID
        m.completedAt = status == .open ? nil : now
        try await m.save(on: db)
        try await refreshOpenActions(caseID: caseID)
        return try value(m)
    }

    // MARK: Notes

    func value(_ m: NoteModel) throws -> CaseNote {
        CaseNote(id: m.id!, caseID: m.caseID, sequence: m.sequence, authorID: m.authorID,
                 text: try cipher.open(m.text, in: .noteText), createdAt: m.createdAt)
    }

    public func addNote(caseID: UUID, authorID: UUID, text: String) async throws -> CaseNote {
        let last = try await NoteModel.query(on: db).filter(\.$caseID == caseID).max(\.$sequence) ?? 0
        let m = NoteModel()
        m.id = UUID.timeOrdered()
        m.caseID = caseID
        m.sequence = last + 1
        m.authorID = authorID
        m.text = try cipher.seal(text, in: .noteText)
        try await m.create(on: db)
        return try value(m)
    }

    public func notes(caseID: UUID) async throws -> [CaseNote] {
        try await NoteModel.query(on: db).filter(\.$caseID == caseID).sort(\.$sequence).all().map(value)
    }
}
