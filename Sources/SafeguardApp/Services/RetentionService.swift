import FluentKit
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// Retention and erasure: which closed cases are due under their organisation's schedule, legal holds set and
/// lifted by an admin with a reason, and the run that erases what is due. The one path for the API, the pages, the
/// command line (`safeguard retention run`) and the server's daily run. Each erasure is one transaction: the case
/// and everything on it go, a tombstone stays, and the organisation's audit trail gets an entry (no case text), so
/// `audit verify` still passes.
///
/// ```swift
/// let erased = try await app.retentionService.run(dryRun: false, by: nil)
/// ```
struct RetentionService: Sendable {
    let db: any Database
    /// Seals and opens the free text this service stores and reads.
    let cipher: FreeTextCipher
    let gate: WriteGate
    var clock: @Sendable () -> Date = { Date() }

    /// A closed case, its date and rule, and whether it is due now.
    struct Review: Sendable {
        var candidate: RetentionCase
        var eraseOn: CalendarDate?
        var rule: String
        var isDue: Bool
    }

    /// An erasure done (or, on a dry run, that would be done).
    struct Erasure: Sendable {
        var organisation: String
        var reference: String
        var rule: String
    }

    /// Every closed case of the organisation with the day it may be erased.
    func review(_ organisation: Organisation) async throws -> [Review] {
        let today = CalendarDate(utcDayOf: clock())
        guard let setting = organisation.kind.setting else { return [] }
        return try await RetentionStore(db: db, cipher: cipher).closedCases(organisationID: organisation.id).map { candidate in
            let (date, rule) = organisation.retention.eraseOn(setting: setting, facts: candidate.facts, openedOn: CalendarDate(utcDayOf: candidate.openedAt),
                                                              closedOn: candidate.closedAt.map { CalendarDate(utcDayOf: $0) })
            return Review(candidate: candidate, eraseOn: date, rule: rule,
                          isDue: candidate.hold == nil && date.map { $0 <= today } == true)
        }
    }

    /// The references of the closed cases, not on hold, that `schedule` would make due for erasure now and the
    /// organisation's schedule does not: what a change would erase at the next run (within a day), to be confirmed.
    func newlyDue(_ organisation: Organisation, under schedule: RetentionSchedule) async throws -> [String] {
        let now = Set(try await review(organisation).filter(\.isDue).map(\.candidate.reference))
        var changed = organisation
        changed.retention = schedule
        return try await review(changed).filter { $0.isDue && !now.contains($0.candidate.reference) }.map(\.candidate.reference)
    }

    /// Refuses a schedule that would make closed cases due for erasure unless `confirmed` is their number: a review
    /// found "6 years after closing" saved with a plain "Saved", and the next day's run erasing cases for good.
    func checkConfirmed(_ organisation: Organisation, under schedule: RetentionSchedule, confirmed: Int?) async throws {
        let due = try await newlyDue(organisation, under: schedule)
        guard !due.isEmpty, confirmed != due.count else { return }
        throw APIError(.conflict, "erasure_not_confirmed", Self.erasureWarning(due) + ": send confirmErasure: \(due.count) to confirm, "
                       + "or put the cases to keep on legal hold first")
    }

    /// "This schedule makes 3 closed cases due for erasure at the next run, within a day (SG-2026-000001, …)".
    static func erasureWarning(_ due: [String]) -> String {
        let shown = due.prefix(10).joined(separator: ", ") + (due.count > 10 ? " and \(due.count - 10) more" : "")
        return "This schedule makes \(due.count == 1 ? "1 closed case" : "\(due.count) closed cases") due for erasure at the next run, "
            + "within a day, for good (\(shown))"
    }

    /// Erases every case due, in every organisation (or `only` one), unless on legal hold. `by` is the person who
    /// ran it from a page or the API; nil for the command line and the daily run.
    func run(dryRun: Bool, by actor: Identity?, only: Organisation? = nil) async throws -> [Erasure] {
        let organisations: [Organisation]
        if let only { organisations = [only] } else { organisations = try await AccountStore(db: db).organisations() }
        var done: [Erasure] = []
        for organisation in organisations {
            for review in try await self.review(organisation) where review.isDue {
                done.append(Erasure(organisation: organisation.name, reference: review.candidate.reference, rule: review.rule))
                if dryRun { continue }
                let now = clock()
                let candidate = review.candidate
                try await gate.run(db) { db in
                    let linked = try await RetentionStore(db: db, cipher: cipher).erase(candidate, organisationID: organisation.id, rule: review.rule,
                                                                          by: actor?.user.id, now: now)
                    for other in linked {
                        try await ResponseStore(db: db, cipher: cipher).appendEvent(caseID: other.caseID, actorID: nil, actorRole: "system", kind: "referral.erased",
                                                                    summary: "The linked case at \(organisation.name) was erased under its retention schedule",
                                                                    at: now)
                    }
                    try await AuditChain.append(AuditEvent(actorID: actor?.user.id, actorRole: actor?.auditRole ?? "system",
                                                           organisationID: organisation.id, action: "case.erase", caseID: candidate.id,
                                                           detail: "reference=\(candidate.reference)" + (actor == nil ? " via=schedule" : "")),
                                                on: db, now: now)
                }
            }
        }
        return done
    }

    /// Puts one of the admin's organisation's closed or open cases on legal hold (`reason` given) or lifts it.
    /// The reason is kept on the case; the audit entry names the case only.
    func setHold(reference: String, reason: String, hold: Bool, by actor: Identity) async throws -> RetentionCase {
        guard actor.user.role == .admin else { throw APIError.forbidden("only an admin sets or lifts a legal hold") }
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...FieldLimits.limit(for: "reason")).contains(why.count) else {
            throw APIError.invalid("reason", hold ? "say why the case must be kept" : "say why the hold is lifted")
        }
        let now = clock()
        return try await gate.run(db) { db in
            let store = RetentionStore(db: db, cipher: cipher)
            guard let candidate = try await store.find(reference: reference, organisationID: actor.organisation.id) else {
                throw APIError.notFound("case \(reference)")
            }
            if hold && candidate.hold != nil { throw APIError(.conflict, "already_held", "case \(reference) is already on legal hold") }
            if !hold && candidate.hold == nil { throw APIError(.conflict, "not_held", "case \(reference) is not on legal hold") }
            try await store.setHold(caseID: candidate.id, hold: hold ? LegalHold(reason: why, by: actor.user.id, at: now) : nil)
            try await AuditChain.append(AuditEvent(actorID: actor.user.id, actorRole: actor.auditRole, organisationID: actor.organisation.id,
                                                   action: hold ? "case.legalHold.set" : "case.legalHold.lift", caseID: candidate.id,
                                                   detail: "reference=\(reference)"), on: db, now: now)
            return try await store.find(reference: reference, organisationID: actor.organisation.id)!
        }
    }
}

extension Request {
    var retentionService: RetentionService { RetentionService(db: db, cipher: application.cipher, gate: application.writeGate) }
}

extension Application {
    var retentionService: RetentionService { RetentionService(db: db, cipher: cipher, gate: writeGate) }
}

/// The server's own retention run: ten minutes after start (or the interval, if shorter), then every interval.
/// Several servers on one database may each run it: a case erased by one is simply not found by the next.
struct RetentionRunner: LifecycleHandler {
    let job: RepeatingJob

    init(interval: TimeInterval) {
        job = RepeatingJob(firstAfter: Swift.min(600, interval), every: interval) { application in
            do {
                let erased = try await application.retentionService.run(dryRun: false, by: nil)
                if !erased.isEmpty { application.logger.notice("retention: erased \(erased.count) case(s) due under their schedules") }
            } catch {
                application.logger.error("retention run failed: \(LoggedError(error))")
            }
        }
    }

    func didBootAsync(_ application: Application) async throws { job.start(application) }
    func shutdownAsync(_ application: Application) async { job.stop() }
}
