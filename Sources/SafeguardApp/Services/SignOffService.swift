import FluentKit
import Vapor
import Foundation
import SafeguardCore
import SafeguardPersistence

/// Sign-offs on a police case: an officer proposes Outcome 21 (a supervisor decides) or a device's return (a
/// superintendent decides), and the decision is recorded, with the record it approves. The one path the JSON API and
/// the pages take.
///
/// It takes the acting user, never an HTTP request; the clock and the guidance are injected. Each call is one
/// transaction through the write gate, holding its chronology lines and audit entry, so a refusal leaves nothing.
///
/// ```swift
/// let service = SignOffService(db: app.db, cipher: app.cipher, gate: app.writeGate, records: RecordService(cipher: app.cipher, assessor: .bundled))
/// let proposed = try await service.propose(body, on: caseRecord, by: officer)
/// let decided = try await service.decide(proposed, decision, on: caseRecord, by: supervisor)
/// ```
struct SignOffService: Sendable {
    var db: any Database { database() }
    private let database: @Sendable () -> any Database
    let cipher: FreeTextCipher
    let gate: WriteGate
    /// Records what an approval approves (an Outcome 21 record, a device's return), and writes the lines.
    let records: RecordService
    var clock: @Sendable () -> Date { records.clock }

    init(db: @autoclosure @escaping @Sendable () -> any Database, cipher: FreeTextCipher, gate: WriteGate, records: RecordService) {
        database = db
        self.cipher = cipher
        self.gate = gate
        self.records = records
    }

    /// Proposes Outcome 21 or a device's return for sign-off (shared by the API and the pages): Outcome 21 only where
    /// the engine says eligible, or undetermined with a written reason; a return only of a device police hold.
    func propose(_ body: SignOffCreateRequest, on caseRecord: CaseRecord, by identity: Identity) async throws -> SignOff {
        guard caseRecord.facts.setting == .police else { throw APIError.forbidden("sign-offs are for police cases") }
        let rationale = body.rationale.trimmingCharacters(in: .whitespacesAndNewlines)
        let most = FieldLimits.limit(for: "rationale")
        guard !rationale.isEmpty, rationale.count <= most else { throw APIError.invalid("rationale", "give the rationale in 1–\(most.withThousands) characters") }
        let signOff = try await gate.run(db) { db in
            let store = CaseStore(db: db, cipher: cipher)
            let assessment = try await store.assessed(caseRecord.id)
            let pack = records.guidance(for: caseRecord)
            let proposal: SignOffProposal
            switch body.kind {
            case .outcome21:
                let earlier = try await ResponseStore(db: db, cipher: cipher).signOffs(caseID: caseRecord.id)
                if earlier.contains(where: { $0.proposal.kind == .outcome21 && $0.status == .approved }) {
                    throw APIError(.conflict, "already_approved", "Outcome 21 is already approved on this case")
                }
                do {
                    try ResponseRules.checkOutcome21Proposal(assessment: assessment, reasonWhileUndetermined: body.reasonWhileUndetermined, pack: pack)
                } catch let error as RecordProblem { throw APIError.record(error) }
                proposal = .outcome21(Outcome21Proposal(rationale: rationale,
                                                        reasonWhileUndetermined: assessment.decisions.outcome21 == .undetermined ? body.reasonWhileUndetermined : nil,
                                                        engineDecision: assessment.decisions.outcome21))
            case .deviceReturn:
                guard let device = body.device, caseRecord.facts.devices.contains(where: { $0.ref == device }) else {
                    let devices = caseRecord.facts.devices.map(\.ref)
                    throw APIError.invalid("device", devices.isEmpty ? "the case has no devices yet: add the device to the case's facts first"
                                                                     : "the ref of a device on the case (devices: \(devices.joined(separator: ", ")))")
                }
                let records = try await ResponseStore(db: db, cipher: cipher).records(caseID: caseRecord.id).map(\.record)
                guard ResponseRules.custodyState(of: device, records: records) == .withPolice else {
                    throw APIError(.conflict, "not_in_police_custody", "device \(device) is not held by police, so there is nothing to return")
                }
                proposal = .deviceReturn(DeviceReturnProposal(device: device, rationale: rationale))
            }
            let signOff = try await ResponseStore(db: db, cipher: cipher).propose(caseID: caseRecord.id, proposal: proposal, by: identity.user.id, now: clock())
            try await records.chronicle(caseRecord.id, "signoff.proposed",
                                        "\(proposal.kind.label)\(proposal.subject.isEmpty ? "" : " of \(proposal.subject)") proposed for \(proposal.kind.reviewerRole) sign-off: \(rationale)",
                                        by: identity, on: db)
            try await AuditChain.append(CaseService.event(identity, "case.signoff.propose", caseID: caseRecord.id, detail: "kind=\(proposal.kind.rawValue)"), on: db)
            return signOff
        }
        return signOff
    }

    /// Refuses (403) anyone but the sign-off's reviewer, citing the service's own guidance: the wrong role (a
    /// supervisor decides Outcome 21, a superintendent a device's return) and the person who proposed it. The API
    /// and the pages ask before they read what was sent, and `decide` asks again.
    func checkReviewer(_ identity: Identity, _ existing: SignOff, on caseRecord: CaseRecord) throws {
        let kind = existing.proposal.kind
        guard kind.mayBeReviewed(by: identity.user.role.rawValue) else {
            throw APIError.forbidden("only a \(kind.reviewerRolesInWords) may \(kind.decision)\(records.guidance(for: caseRecord).inBracketsWithPublisher(kind.rule))")
        }
        guard existing.proposedBy != identity.user.id else {
            throw APIError.forbidden("you proposed this: another \(kind.reviewerRolesInWords) must review it")
        }
    }

    /// The fewest characters a reviewer's reasons may have: a short sentence, not "x" or "ok".
    static let shortestReason = 12

    static func isSubstantive(_ text: String) -> Bool {
        text.trimmingCharacters(in: .whitespacesAndNewlines).count >= shortestReason
    }

    /// The must-do actions still open on a case, other than the reviews a sign-off itself completes: what a
    /// supervisor is shown before approving Outcome 21.
    static func openMustActions(_ actions: [CaseAction]) -> [CaseAction] {
        actions.filter { $0.status == .open && $0.recommended && $0.severity == Severity.must.rawValue
            && !["seniorReviewOutcome21", "deviceReturnSignOff"].contains($0.recommendationID) }
    }

    /// Approves or refuses a sign-off (shared by the API and the pages), after `reviewableSignOff`. Approval records
    /// Outcome 21, or the device's return with the superintendent's answer on the imagery; refusal returns the case to
    /// the proposer.
    func decide(_ existing: SignOff, _ body: SignOffDecisionRequest, on caseRecord: CaseRecord, by identity: Identity) async throws -> SignOff {
        try checkReviewer(identity, existing, on: caseRecord)
        let kind = existing.proposal.kind
        let id = existing.id
        let reason = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        let most = FieldLimits.limit(for: "reason")
        guard !reason.isEmpty, reason.count <= most else {
            throw APIError.invalid("reason", "give the reasons for the decision in 1–\(most.withThousands) characters")
        }
        // A decision the officer and the family live by is given in words (a review approved Outcome 21 on "Fine",
        // with "x" for why the must-dos could wait): at least a short sentence.
        guard Self.isSubstantive(reason) else {
            throw APIError.invalid("reason", "give the reasons for the decision in a sentence the officer can act on (at least \(Self.shortestReason) characters)")
        }
        if kind == .deviceReturn && body.approve && body.imagerySolelyOfOwner == nil {
            throw APIError.invalid("imagerySolelyOfOwner", "record whether the imagery on the device was solely of its owner\(records.guidance(for: caseRecord).inBracketsWithPublisher(.deviceReturn))")
        }
        // A device holding imagery of others is unlikely to be returned: approving it says how that imagery was removed
        // (a review's superintendent approved one on "ok", and the phone went back to the boy who had shared it).
        let removal = body.imageryRemoval?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if kind == .deviceReturn && body.approve && body.imagerySolelyOfOwner == false && !Self.isSubstantive(removal) {
            throw APIError.invalid("imageryRemoval", "the imagery was not solely of the owner, so the device is unlikely to be returned: returning it "
                                   + "could be supplying an indecent image of a child. To approve, say how the imagery of others was removed "
                                   + "(for example, wiped and checked by the digital forensics unit; at least \(Self.shortestReason) characters)\(records.guidance(for: caseRecord).inBracketsWithPublisher(.deviceReturn))")
        }
        let reasonGiven = kind == .deviceReturn && body.approve && body.imagerySolelyOfOwner == false
            ? reason + (reason.hasSuffix(".") ? "" : ".") + " Imagery of others removed: " + removal : reason
        let openActionsReason = body.openActionsReason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return try await gate.run(db) { db in
            let response = ResponseStore(db: db, cipher: cipher)
            let review = SignOffReview(approve: body.approve, reason: reasonGiven, imagerySolelyOfOwner: body.imagerySolelyOfOwner)
            let decided = try await response.decide(id: id, caseID: caseRecord.id, review: review, by: identity.user.id, now: clock())
            // Approving Outcome 21 with must-do actions still open (a welfare check, the advice not to copy) needs a
            // recorded reason: the supervisor is shown them on the review page (issue 11, point 5). Checked after
            // the decision's own checks (a stale proposal is 409 first); throwing here undoes the transaction.
            var openMust: [CaseAction] = []
            var openQuestions: [String] = []
            if kind == .outcome21 && body.approve {
                openMust = Self.openMustActions(try await CaseStore(db: db, cipher: cipher).actions(caseID: caseRecord.id))
                if !openMust.isEmpty && !Self.isSubstantive(openActionsReason) {
                    throw APIError.invalid("openActionsReason", "these must-do actions are still open: "
                        + openMust.map { $0.text.trimmingCharacters(in: CharacterSet(charactersIn: ". ")) }.joined(separator: "; ")
                        + ". Say why Outcome 21 can be approved before they are done (at least \(Self.shortestReason) characters)")
                }
                // The guidance cannot yet say Outcome 21 is available: the questions that could rule it out are named,
                // and approving before they are answered needs a reason (Action 10; a review's supervisor approved
                // with grooming, exploitation and coercion all "not known yet").
                let assessed = try await CaseStore(db: db, cipher: cipher).assessed(caseRecord.id)
                if assessed.decisions.outcome21 == .undetermined {
                    openQuestions = assessed.openQuestions.filter { $0.affects.contains(DecisionKey.outcome21.rawValue) }.map(\.question)
                    let why = body.openQuestionsReason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                    if !Self.isSubstantive(why) {
                        throw APIError.invalid("openQuestionsReason", "the guidance cannot yet say Outcome 21 is available"
                            + (openQuestions.isEmpty ? "" : ": still to answer, " + openQuestions.joined(separator: " "))
                            + " Say why it can be approved before these are answered (at least \(Self.shortestReason) characters)"
                            + records.guidance(for: caseRecord).inBracketsWithPublisher(.outcome21Criteria))
                    }
                }
            }
            let verb = body.approve ? "approved" : "refused"
            var openLine = openMust.isEmpty ? "" : " Approved with \(openMust.count == 1 ? "a must-do action" : "\(openMust.count) must-do actions") still open ("
                + openMust.map(\.text).joined(separator: "; ") + "), because: \(openActionsReason)"
            if kind == .outcome21 && body.approve, let why = body.openQuestionsReason?.trimmingCharacters(in: .whitespacesAndNewlines), !why.isEmpty,
               !openQuestions.isEmpty {
                openLine += " Approved before the guidance could decide, with still to answer: " + openQuestions.joined(separator: " ") + " Because: \(why)"
            }
            try await records.chronicle(caseRecord.id, "signoff.\(verb)", "\(kind.label)\(existing.proposal.subject.isEmpty ? "" : " of \(existing.proposal.subject)") \(verb) by the \(kind.reviewerRole): \(reasonGiven)"
                                        + (body.approve ? "" : " The case returns to the proposing officer.") + openLine, by: identity, on: db)
            try await AuditChain.append(CaseService.event(identity, "case.signoff.decide", caseID: caseRecord.id,
                                                          detail: "kind=\(kind.rawValue) decision=\(verb)" + (openMust.isEmpty ? "" : " openMust=\(openMust.count)")), on: db)
            let store = CaseStore(db: db, cipher: cipher)
            let reviewAction = kind == .outcome21 ? "seniorReviewOutcome21" : "deviceReturnSignOff"
            for action in try await store.actions(caseID: caseRecord.id) where action.status == .open && action.recommendationID == reviewAction {
                _ = try await store.setAction(id: action.id, caseID: caseRecord.id, status: .done, reason: "\(kind.label) \(verb)",
                                              by: identity.user.id, now: clock())
                try await records.chronicle(caseRecord.id, "action.done", "\(action.text) — done (\(verb))", by: identity, on: db)
            }
            if body.approve {
                let today = CalendarDate(utcDayOf: clock())
                switch existing.proposal {
                case .outcome21(let p):
                    _ = try await records.add(.outcome(OutcomeRecord(code: .outcome21, decidedOn: today, rationale: p.rationale, localDescription: nil)),
                                              to: caseRecord, by: identity, on: db, proposedBy: existing.proposedBy, signedOff: true,
                                              auditAction: "case.outcome21.record")
                case .deviceReturn(let p):
                    // The approval is not the return: the officer records it when the device is handed back, who to
                    // and when (a review found the approval written as the return, by someone who never held it).
                    try await records.chronicle(caseRecord.id, "device.return.approved",
                                                "The return of \(p.device) may now be recorded when the device is handed back, with to whom.", by: identity, on: db)
                }
            }
            return decided
        }
    }

}

extension Request {
    /// The sign-off workflow, with this application's database, cipher and write gate.
    func signOffService(_ assessor: Assessor) -> SignOffService {
        SignOffService(db: self.db, cipher: application.cipher, gate: application.writeGate, records: recordService(assessor))
    }
}
