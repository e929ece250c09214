import FluentKit
import SQLKit
import Vapor
import Foundation
import SafeguardCore
import SafeguardPersistence

/// Opening, changing and reading cases: the one path that the JSON API and the pages both take, so that they
/// cannot diverge (a case opened from a page has its "Case opened" line, as one opened through the API does).
///
/// It takes the acting user, never an HTTP request; the clock and the guidance are injected, so tests can fix both.
///
/// ```swift
/// let service = CaseService(db: app.db, cipher: app.cipher, gate: app.writeGate, audit: app.auditWriter, assessor: .bundled)
/// let opened = try await service.open(by: identity, summary: "Image shared between two pupils", facts: facts)
/// let detail = try await service.read(by: identity, id: opened.record.id)
/// ```
struct CaseService: Sendable {
    /// The database, made only when asked for (each time): a case read on a SQLite file never needs Fluent's, and
    /// making one for every request showed in its profile.
    var db: any Database { database() }
    private let database: @Sendable () -> any Database
    /// Seals and opens the free text this service stores and reads.
    let cipher: FreeTextCipher
    let gate: WriteGate
    let audit: AuditWriter
    let assessor: Assessor
    /// A SQLite file's direct reader, for reads outside any transaction; nil on PostgreSQL.
    var reader: SQLiteFileReader? = nil
    /// A SQLite file's own write connection, for the writes made with SQLKit alone; nil on PostgreSQL.
    var direct: WriteGate.Direct? = nil
    /// Recently read cases' actions and assessments, for reads that do not go through `reader` (PostgreSQL).
    var views: CaseViewCache? = nil
    /// Case row reads that share a round trip when they come together (PostgreSQL).
    var rowReads: CaseRowReads? = nil
    var clock: @Sendable () -> Date = { Date() }

    init(db: @autoclosure @escaping @Sendable () -> any Database, cipher: FreeTextCipher, gate: WriteGate, audit: AuditWriter,
         assessor: Assessor, reader: SQLiteFileReader? = nil, direct: WriteGate.Direct? = nil, views: CaseViewCache? = nil,
         rowReads: CaseRowReads? = nil) {
        database = db
        self.cipher = cipher
        self.gate = gate
        self.audit = audit
        self.assessor = assessor
        self.reader = reader
        self.direct = direct
        self.views = views
        self.rowReads = rowReads
    }

    /// A case with what is shown beside it: its actions and latest assessment.
    struct Detail: Sendable {
        var record: CaseRecord
        var actions: [CaseAction]
        var assessment: StoredAssessment?
        /// When the case was just opened or re-assessed: the same as the API's read returns it, from the JSON just stored.
        var view: CaseReadView? = nil
    }

    var today: CalendarDate { CalendarDate(utcDayOf: clock()) }

    static func event(_ actor: Identity, _ action: String, caseID: UUID? = nil, outcome: String = "ok", detail: String = "") -> AuditEvent {
        AuditEvent(actorID: actor.user.id, actorRole: actor.auditRole, organisationID: actor.organisation.id,
                   action: action, caseID: caseID, outcome: outcome, detail: detail)
    }

    /// Opens a case: assessed, stored with its actions and its "Case opened" line, and audited, in one transaction.
    func open(by actor: Identity, summary: String, facts: CaseFacts, status: CaseStatus = .open,
              detail: String = "version=1") async throws -> Detail {
        let assessment = assessor.assess(facts, today)
        // Made before the write, which is serialised with every other: it is the largest part of the work.
        let assessmentText = try CaseStore.assessmentText(assessment)
        let now = clock()
        let store = CaseStore(db: db, cipher: cipher)
        let opening = try store.opening(
            organisationID: actor.organisation.id, createdBy: actor.user.id, summary: summary, status: status,
            facts: facts, assessment: assessment, assessmentText: assessmentText,
            chronology: ("case.created", "Case opened: \(summary)", actor.auditRole),
            mustActionDays: actor.organisation.workPolicy.mustActionDays, now: now)
        let opened = try await gate.runCombinable(db, direct: direct, CaseOpeningWrite(
            store: store, opening: opening, event: Self.event(actor, "case.create", caseID: opening.caseID, detail: detail), at: now))
        return Detail(record: opened.record, actions: opened.actions, assessment: opened.assessment, view: opened.view)
    }

    /// A case opening at the write gate, and its audit entry: the openings queued together are stored together
    /// (`CaseStore.open`, one statement on PostgreSQL).
    struct CaseOpeningWrite: CombinableWrite {
        var store: CaseStore
        var opening: CaseStore.Opening
        var event: AuditEvent
        var at: Date

        static func run(_ writes: [Self], on write: GroupedWrite) async throws -> [CaseStore.Opened] {
            let opened = try await writes[0].store.open(writes.map(\.opening), on: write.sql)
            for w in writes { write.audit(w.event, at: w.at) }
            return opened
        }
    }

    /// The case if `actor` may see it; nil otherwise (its existence is not revealed).
    func find(by actor: Identity, id: UUID) async throws -> CaseRecord? {
        guard let record = try await CaseStore(db: db, cipher: cipher).findCase(id: id, organisationID: actor.organisation.id),
              CasePolicy.canSee(record, actor) else { return nil }
        return record
    }

    /// Reads a case with its actions and latest assessment, and returns once the read is audited. It takes no
    /// write lock: the audit entry joins the next group commit.
    func read(by actor: Identity, id: UUID, auditAction: String = "case.read", detail: String = "") async throws -> Detail? {
        guard let record = try await find(by: actor, id: id) else { return nil }
        let store = CaseStore(db: db, cipher: cipher)
        async let actions = store.actions(caseID: record.id)
        async let assessment = store.latestAssessment(caseID: record.id)
        let result = Detail(record: record, actions: try await actions, assessment: try await assessment)
        try await audit.append(Self.event(actor, auditAction, caseID: record.id, detail: detail))
        return result
    }

    /// The case as the API returns it (facts and assessment left as stored JSON), audited like `read`.
    /// `check` may refuse the read (step-up) before it is audited.
    func readView(by actor: Identity, id: UUID, check: (CaseHeader) throws -> Void = { _ in }) async throws -> CaseReadView? {
        guard let view = try await CaseStore(db: db, cipher: cipher, reader: reader, views: views, rowReads: rowReads).readView(id: id, organisationID: actor.organisation.id),
              CasePolicy.canSee(view.header, actor) else { return nil }
        try check(view.header)
        try await audit.append(Self.event(actor, "case.read", caseID: id))
        return view
    }

    /// Applies a change at `version` (a stale version is refused and nothing changes), re-assesses when facts
    /// changed and says which decisions changed, and audits — all in one transaction. Facts sent at an old version
    /// that the case already holds are not a conflict: the case is returned as it is, and nothing is written.
    func change(by actor: Identity, _ record: CaseRecord, version: Int, facts: CaseFacts?, summary: String? = nil,
                status: CaseStatus? = nil, statusReason: String? = nil, action: String) async throws -> Detail {
        if let status, status != record.status, (statusReason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw APIError.invalid("reason", status == .closed ? "say why the case is being closed" : "say why the case is being reopened")
        }
        // A merged case stays closed: its work goes on in the case it was merged into.
        if status == .open, record.status == .closed,
           let into = try await CaseStore(db: db, cipher: cipher).mergeLinks(caseID: record.id, organisationID: actor.organisation.id).into {
            throw APIError(.conflict, "merged", "case \(record.reference) was merged into case \(into.reference): carry on there")
        }
        // Only a change of facts alone can be found already held (`alreadyHeld`).
        let factsAlone = summary == nil && status == nil ? facts : nil
        if let factsAlone, let held = try await alreadyHeld(factsAlone, by: actor, record, version: version, action: action) {
            return held
        }
        // Read before the write, which is serialised with every other. The latest assessment read here is still the
        // latest inside it if the case is still at `version`, which the update checks.
        let previous = facts == nil ? nil
            : try await CaseStore(db: db, cipher: cipher, reader: reader).latestDecisions(caseID: record.id)
        // On PostgreSQL, the actions too: inside the write, reading them is a round trip made while the gate is held.
        let known = facts == nil ? nil : try await CaseStore(db: db, cipher: cipher).actionsBeforeWrite(caseID: record.id)
        let change = try Change(by: actor, record, version: version, facts: facts, summary: summary, status: status,
                                statusReason: statusReason, previous: previous, known: known, assessor: assessor, now: clock())
        // Changes queued together at the gate run at once on its connection (`CaseChangeWrite`).
        do {
            return try await gate.runCombinable(db, direct: direct, CaseChangeWrite(change: change, actor: actor, cipher: cipher, db: db, action: action))
        } catch StoreError.conflict(let message) {
            // The case moved on between the read above and the write: perhaps by this very change, sent again by a
            // proxy while the server it first went to was still storing it.
            if let factsAlone, let now = try await find(by: actor, id: record.id),
               let held = try await alreadyHeld(factsAlone, by: actor, now, version: version, action: action) {
                return held
            }
            throw StoreError.conflict(message)
        }
    }

    /// The case as it is, read and audited, when a change of its facts sent at an old `version` finds them already
    /// held; else nil. HTTP calls a PUT idempotent, so a proxy whose server died before answering sends it again, to
    /// this server or another: if the first was stored, the case is past `version` with exactly these facts, and the
    /// user's own change must not be refused as someone else's. Facts alone: a summary or status sent at an old
    /// version is still refused, since someone may have changed it back since.
    private func alreadyHeld(_ facts: CaseFacts, by actor: Identity, _ record: CaseRecord, version: Int,
                             action: String) async throws -> Detail? {
        guard version < record.version, facts == record.facts else { return nil }
        return try await read(by: actor, id: record.id, auditAction: action, detail: "version=\(record.version) repeat=alreadyHeld")
    }

    /// A change of a case at the write gate, and its audit entry. Where a group runs without savepoints (PostgreSQL),
    /// the changes queued together run at once on the group's one connection, so that PostgreSQL has the next
    /// statement waiting as each one ends, where each change's round trips were made one after another while every
    /// other write waited (fact updates on PostgreSQL: 1.31× in interleaved rounds). If any of them fails (a stale
    /// version), the gate rolls the group back and runs each change alone, so it fails alone.
    struct CaseChangeWrite: CombinableWrite {
        var change: Change
        var actor: Identity
        var cipher: FreeTextCipher
        var db: any Database
        var action: String

        static func run(_ writes: [Self], on write: GroupedWrite) async throws -> [Detail] {
            var details = [Detail?](repeating: nil, count: writes.count)
            if writes.count == 1 {
                details[0] = try await writes[0].change.write(by: writes[0].actor, cipher: writes[0].cipher, db: writes[0].db, on: write.sql)
            } else {
                let sql = write.sql
                try await withThrowingTaskGroup(of: (Int, Detail).self) { group in
                    for (index, w) in writes.enumerated() {
                        group.addTask { (index, try await w.change.write(by: w.actor, cipher: w.cipher, db: w.db, on: sql)) }
                    }
                    for try await (index, detail) in group { details[index] = detail }
                }
            }
            for (w, detail) in zip(writes, details) {
                write.audit(CaseService.event(w.actor, w.action, caseID: w.change.record.id, detail: "version=\(detail!.record.version)"), at: w.change.now)
            }
            return details.map { $0! }
        }
    }

    /// A change to a case made ready before its write: the new facts and their assessment as the text to store, and
    /// the chronology lines. Every change of a case's facts, summary or status is written through it (`write`): a
    /// route's, and a custody record's seizure of a device (`RecordService`), in that record's transaction.
    ///
    /// ```swift
    /// let change = try CaseService.Change(by: actor, record, version: record.version, facts: facts, previous: previous,
    ///                                     assessor: assessor, now: now)
    /// let detail = try await change.write(by: actor, cipher: cipher, db: db, on: sql)   // inside a transaction
    /// ```
    struct Change: Sendable {
        var record: CaseRecord
        var version: Int
        var facts: CaseFacts?
        var factsText: String?
        var summary: String?
        var status: CaseStatus?
        /// The facts' assessment, when the facts change, and its text to store.
        var assessment: Assessment?
        var assessmentText: String?
        /// The case's actions read before the write (PostgreSQL): used if the case is still at their revision.
        var known: CaseStore.ActionsAtRevision?
        var lines: [(kind: String, summary: String)]
        var now: Date

        /// `previous`: the decisions of the case's latest assessment (for the "Decisions changed" line), read before
        /// the write or in its transaction. `factChanges`: what changed in the facts, in words, when the caller knows
        /// better than a comparison of the two (a custody record's seizure).
        init(by actor: Identity, _ record: CaseRecord, version: Int, facts: CaseFacts?, summary: String? = nil,
             status: CaseStatus? = nil, statusReason: String? = nil, factChanges: [String]? = nil, previous: Decisions?,
             known: CaseStore.ActionsAtRevision? = nil, assessor: Assessor, now: Date) throws {
            (self.record, self.version, self.facts, self.summary, self.status, self.known, self.now)
                = (record, version, facts, summary, status, known, now)
            let assessment = facts.map { assessor.assess($0, CalendarDate(utcDayOf: now)) }
            self.assessment = assessment
            // Made here, before the write: it is the largest part of the work.
            assessmentText = try assessment.map(CaseStore.assessmentText)
            factsText = facts.map(CaseStore.factsText)
            var lines: [(kind: String, summary: String)] = []
            if let assessment {
                let what = factChanges ?? facts.map { RecordText.factChanges(from: record.facts, to: $0) } ?? []
                lines.append(("facts.changed", "Facts changed (version \(version + 1))" + (what.isEmpty ? "" : ": " + what.joined(separator: "; "))))
                if let line = RecordText.decisionsChangedLine(from: previous, to: assessment, pack: assessor.pack(for: facts ?? record.facts, today: CalendarDate(utcDayOf: now))) {
                    lines.append(("assessment.changed", line))
                }
            }
            if let summary, summary != record.summary {
                lines.append(("case.summary", "Summary changed: \(summary)"))
            }
            if let status, status != record.status {
                let why = (statusReason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                lines.append(("case.\(status.rawValue)", (status == .closed ? "Case closed: " : "Case reopened: ") + why))
            }
            self.lines = lines
        }

        /// Takes the case from `version` to the next (or fails: `conflict` when it has moved on), stores the
        /// re-assessment with its actions, and writes the lines, on `sql` (the caller's transaction). Audits nothing:
        /// the caller's entry says why the case changed. `db`: the Fluent database the stores are made on (every
        /// statement goes to `sql`, which on a SQLite file is its own write connection).
        func write(by actor: Identity, cipher: FreeTextCipher, db: any Database, on sql: any SQLDatabase) async throws -> Detail {
            let store = CaseStore(db: db, cipher: cipher)
            let events = ResponseStore(db: db, cipher: cipher)
            var (updated, revision) = try await store.updateCase(
                id: record.id, organisationID: actor.organisation.id, expectedVersion: version, facts: facts,
                factsText: factsText, summary: summary, status: status, now: now, on: sql)
            let lines = self.lines.map { ($0.kind, $0.summary) }
            // On PostgreSQL a re-assessment's writes carry the lines too: one round trip for all of them.
            let together = assessment == nil ? nil
                : try events.chronologyInsertion(caseID: record.id, actorID: actor.user.id, actorRole: actor.auditRole, lines, at: now, on: sql)
            var stored: StoredAssessment?
            var standing: [CaseAction]?
            if let assessment {
                let recorded = try await store.recordAssessment(caseID: updated.id, caseVersion: updated.version, assessment: assessment,
                                                                assessmentText: assessmentText, by: actor.user.id,
                                                                mustActionDays: actor.organisation.workPolicy.mustActionDays, now: now,
                                                                alongside: together.map { [$0] } ?? [],
                                                                known: known?.still(at: revision), on: sql)
                (stored, updated.openActions, standing) = (recorded.assessment, recorded.openActions, recorded.actions)
            }
            if together == nil {
                try await events.appendEvents(caseID: record.id, actorID: actor.user.id, actorRole: actor.auditRole, lines, at: now, on: sql)
            }
            // A re-assessment has them as they now stand; a change of summary or status did not touch them.
            let actions: [CaseAction]
            if let standing { actions = standing } else { actions = try await store.actions(caseID: updated.id, on: sql) }
            if let stored, let factsText, let assessmentText {
                // Re-assessed: the answer is made from the JSON just stored, as a read would make it.
                return Detail(record: updated, actions: actions, assessment: stored, view: CaseReadView(
                    header: updated.header, factsJSON: factsText, actions: actions,
                    assessment: (stored.id, stored.caseVersion, stored.editions, stored.createdBy, stored.createdAt, assessmentText)))
            }
            return Detail(record: updated, actions: actions, assessment: try await store.latestAssessment(caseID: updated.id, on: sql))
        }
    }
}

extension CaseService {
    /// Gives a case to another owner: a case lead of the same organisation (an officer, supervisor or superintendent;
    /// in a school, a DSL or deputy). The owner may hand it on; so may a supervisor, a superintendent or a DSL.
    /// One transaction: the owner, a chronology line naming both people (and the reason, when given), the audit entry.
    func reassign(by actor: Identity, _ record: CaseRecord, to ownerID: UUID, reason: String?) async throws -> CaseRecord {
        guard CasePolicy.mayReassign(record.header, actor) else {
            throw APIError.forbidden("only the case's owner, a supervisor, a superintendent or the "
                                     + "\(actor.organisation.jurisdiction.schoolLead) can give the case to someone else")
        }
        let accounts = AccountStore(db: db)
        guard let owner = try await accounts.user(id: ownerID), owner.organisationID == actor.organisation.id, !owner.disabled else {
            throw APIError.invalid("ownerID", "choose someone in \(actor.organisation.name) whose account is enabled")
        }
        guard CasePolicy.mayOwn(owner.role) else {
            let jurisdiction = actor.organisation.jurisdiction
            let leads = CasePolicy.ownerRoles(actor.organisation.kind).map { $0.inSentence(in: jurisdiction) }.joined(separator: ", ")
            throw APIError.invalid("ownerID", "\(owner.displayName) is \(owner.role.inSentence(in: jurisdiction)): "
                                   + "give the case to someone who leads cases (\(leads))")
        }
        guard ownerID != record.ownerID else {
            throw APIError.invalid("ownerID", "\(owner.displayName) already owns this case")
        }
        let why = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let previous = try await accounts.user(id: record.ownerID)
        let now = clock()
        let cipher = self.cipher
        try await gate.run(db) { db in
            try await Self.recordOwner(owner, of: record.id, previous: previous, by: actor, why: why, cipher: cipher, on: db, now: now)
        }
        var updated = record
        updated.ownerID = owner.id
        updated.updatedAt = now
        return updated
    }

    /// Merges a case opened twice for one incident into the other (issue 11, point 3), both of the actor's
    /// organisation: the duplicate is closed and points to the case it went into, whose chronology then shows both
    /// (`ResponseStore.fullChronology`). Records, notes and actions stay on the duplicate, readable there. One
    /// transaction: the duplicate's new version, a chronology line on each, an audit entry on each.
    func merge(by actor: Identity, _ record: CaseRecord, version: Int, into target: CaseRecord, reason: String?) async throws -> CaseRecord {
        try CasePolicy.requireEditor(actor)
        let why = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !why.isEmpty else { throw APIError.invalid("reason", "say why these are one case, for the chronology of both") }
        guard target.id != record.id else { throw APIError.invalid("into", "a case cannot be merged into itself: give the other case's reference") }
        let store = CaseStore(db: db, cipher: cipher)
        if let into = try await store.mergeLinks(caseID: record.id, organisationID: actor.organisation.id).into {
            throw APIError(.conflict, "already_merged", "case \(record.reference) was merged into case \(into.reference) already")
        }
        if let into = try await store.mergeLinks(caseID: target.id, organisationID: actor.organisation.id).into {
            throw APIError.invalid("into", "case \(target.reference) was itself merged into case \(into.reference): merge into that one")
        }
        guard target.status == .open else {
            throw APIError.invalid("into", "case \(target.reference) is closed: reopen it first, or merge the other way")
        }
        let now = clock()
        let cipher = self.cipher
        return try await gate.run(db) { db in
            let store = CaseStore(db: db, cipher: cipher)
            let events = ResponseStore(db: db, cipher: cipher)
            let merged = try await store.merge(caseID: record.id, into: target.id, organisationID: actor.organisation.id,
                                               expectedVersion: version, now: now)
            let by = actor.user.named(in: actor.organisation.jurisdiction)
            try await events.appendEvent(caseID: record.id, actorID: actor.user.id, actorRole: actor.auditRole, kind: "case.merged",
                                         summary: "Merged into case \(target.reference) by \(by): \(why)", at: now)
            try await events.appendEvent(caseID: target.id, actorID: actor.user.id, actorRole: actor.auditRole, kind: "case.mergedFrom",
                                         summary: "Case \(record.reference) merged into this case by \(by): \(why). Its chronology is shown with this one's; its records and notes stay on it.", at: now)
            try await store.touch(id: target.id, now: now)
            try await AuditChain.append([
                Self.event(actor, "case.merge", caseID: record.id, detail: "into=\(target.id.uuidString.lowercased())"),
                Self.event(actor, "case.merge", caseID: target.id, detail: "from=\(record.id.uuidString.lowercased())"),
            ], on: db, now: now)
            return merged
        }
    }

    /// The change of owner itself, in the caller's transaction: the owner, a chronology line naming both people (and
    /// why, when given), and the audit entry. Giving a case on, triage and accepting a referral all come here.
    static func recordOwner(_ owner: User, of caseID: UUID, previous: User?, by actor: Identity, why: String, via: String? = nil,
                            cipher: FreeTextCipher, on db: any Database, now: Date) async throws {
        try await CaseStore(db: db, cipher: cipher).setOwner(caseID: caseID, organisationID: actor.organisation.id, ownerID: owner.id, now: now)
        let line = ownerLine(from: previous, to: owner, jurisdiction: actor.organisation.jurisdiction) + (why.isEmpty ? "" : ": \(why)")
        try await ResponseStore(db: db, cipher: cipher).appendEvent(caseID: caseID, actorID: actor.user.id, actorRole: actor.auditRole,
                                                                    kind: "case.owner", summary: line, at: now)
        try await AuditChain.append(event(actor, "case.owner", caseID: caseID,
                                          detail: "owner=\(owner.id.uuidString.lowercased())" + (via.map { " via=\($0)" } ?? "")), on: db, now: now)
    }

    /// "Case given to Sam Jones (DSL), from Pat Smith (staff)", in the words of the organisation's nation.
    static func ownerLine(from previous: User?, to owner: User, jurisdiction: Jurisdiction) -> String {
        "Case given to \(owner.named(in: jurisdiction))" + (previous.map { ", from \($0.named(in: jurisdiction))" } ?? "")
    }
}

extension CaseService {
    /// The record that completes a must-do action in this setting, if it has one. A must-do is marked done by hand only
    /// with a note of where and how it was done: a hands-on review found the immediate child protection referral
    /// ticked done in one click, with nothing recorded, and the written record then saying it was done.
    static func recordCompleting(_ action: CaseAction, in setting: Setting) -> RecordKind? {
        guard action.severity == "must" else { return nil }
        return ResponseRules.recordKind(completing: action.recommendationID, in: setting)
    }

    /// Why marking this action so needs a note, or nil: a must-do marked done by hand says where and how. The API's
    /// 422 and the case page's error at the note both come from here.
    static func missingNote(_ action: CaseAction, status: ActionStatus, reason: String?, in setting: Setting) -> String? {
        guard status == .done, action.severity == "must", (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        if let form = recordCompleting(action, in: setting) {
            return "this must-do is done by recording it (\(form.description.formTitle.lowercasedFirst)), which completes it: "
                + "record it there, or say in the note where and how it was done"
        }
        return "say in the note where and how this must-do was done: it goes into the case's written record"
    }

    /// Records an action done, not applicable (with a reason) or reopened, with its chronology line and audit entry,
    /// in the caller's transaction. The API and the case page both change actions through here.
    func markAction(_ actionID: UUID, of record: CaseRecord, status: ActionStatus, reason: String?, by actor: Identity,
                    on db: any Database, via: String = "") async throws -> CaseAction {
        let store = CaseStore(db: db, cipher: cipher)
        let current = try await store.actions(caseID: record.id).first(where: { $0.id == actionID })
        // A standing instruction (an older case may hold one as an action) stays in force: it is never ticked off.
        if let current, let latest = try await store.latestAssessment(caseID: record.id)?.assessment,
           latest.recommendations.contains(where: { $0.id == current.recommendationID && $0.standing }) {
            throw APIError.invalid("status", "this is a standing instruction for the whole case (\(current.text)): it cannot be marked done or not applicable")
        }
        if let current, let missing = Self.missingNote(current, status: status, reason: reason, in: record.facts.setting) {
            throw APIError.invalid("reason", missing)
        }
        let now = clock()
        let action = try await store.setAction(id: actionID, caseID: record.id, status: status, reason: reason, by: actor.user.id, now: now)
        try await store.touch(id: record.id, now: now)
        let note = (action.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let words = action.status == .notApplicable ? "not applicable: \(note)"
            : (action.status == .done ? (note.isEmpty ? "done" : "done: \(note)") : "reopened")
        try await ResponseStore(db: db, cipher: cipher).chronicle(record.id, "action.\(action.status.rawValue)", "\(action.text) — \(words)", by: actor, at: now)
        try await AuditChain.append(Self.event(actor, "case.action.update", caseID: record.id,
                                               detail: "action=\(action.recommendationID) status=\(action.status.rawValue)" + via), on: db)
        return action
    }

    /// Sets or clears the day an action is due by, with its chronology line and audit entry, in the caller's
    /// transaction.
    func setActionDue(_ actionID: UUID, of record: CaseRecord, due: CalendarDate?, by actor: Identity, on db: any Database,
                      via: String = "") async throws -> CaseAction {
        let store = CaseStore(db: db, cipher: cipher)
        let now = clock()
        let action = try await store.setActionDue(id: actionID, caseID: record.id, dueOn: due)
        try await store.touch(id: record.id, now: now)
        try await ResponseStore(db: db, cipher: cipher).chronicle(record.id, "action.due", "\(action.text) — " + (due.map { "due by \(Words.day($0))" } ?? "no due date"),
                            by: actor, at: now)
        try await AuditChain.append(Self.event(actor, "case.action.due", caseID: record.id,
                                               detail: "action=\(action.recommendationID) due=\(due?.description ?? "none")" + via), on: db)
        return action
    }

    /// Adds a note to the case, with its chronology line and audit entry, in one transaction: anyone who may see the
    /// case, staff on a concern they raised included ("he has messaged her again"). One rule for its length, for the
    /// API and the page.
    func addNote(_ text: String, to record: CaseRecord, by actor: Identity) async throws -> CaseNote {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= Self.noteLimit else {
            throw APIError.invalid("text", "write a note of 1–\(Self.noteLimit.withThousands) characters")
        }
        let now = clock()
        return try await gate.run(db) { db in
            let store = CaseStore(db: db, cipher: cipher)
            let note = try await store.addNote(caseID: record.id, authorID: actor.user.id, text: text)
            try await store.touch(id: record.id, now: now)
            try await ResponseStore(db: db, cipher: cipher).chronicle(record.id, "note.added", "Note \(note.sequence) added", by: actor, at: now)
            try await AuditChain.append(Self.event(actor, "case.note.add", caseID: record.id, detail: "note=\(note.sequence)"), on: db)
            return note
        }
    }
}

extension CaseService {
    static let noteLimit = FieldLimits.limit(for: "text")
}

extension Request {
    /// The case service on the database of this request's event loop (`loopDatabase`), with the application's write gate,
    /// audit writer and guidance.
    func caseService(_ assessor: Assessor) -> CaseService {
        CaseService(db: self.loopDatabase, cipher: application.cipher, gate: application.writeGate, audit: application.auditWriter, assessor: assessor,
                    reader: application.sqliteReader, direct: application.directWrites, views: application.caseViews,
                    rowReads: application.caseRowReads)
    }
}
