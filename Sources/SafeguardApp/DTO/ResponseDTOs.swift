import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

struct RecordDTO: Content {
    var id: UUID
    var sequence: Int
    var revision: Int
    var kind: RecordKind
    var record: ResponseRecord
    var createdBy: UUID
    var createdAt: Date
    var updatedBy: UUID
    var updatedAt: Date
    init(_ r: StoredRecord) {
        id = r.id; sequence = r.sequence; revision = r.revision; kind = r.record.kind; record = r.record
        createdBy = r.createdBy; createdAt = r.createdAt; updatedBy = r.updatedBy; updatedAt = r.updatedAt
    }
}

/// A record as accepted: what was stored, what to know, and which actions it completed.
struct RecordResultDTO: Content {
    var record: RecordDTO
    var warnings: [RecordWarning]
    /// Recommendation ids of actions this record marked done.
    var completedActions: [String]
    /// For a DSL's triage: the decisions the DSL acts on next (999, child protection referral, police, CEOP), with
    /// their reasons and citations.
    var decisions: [DecisionReason]? = nil
}

struct SignOffCreateRequest: Content {
    var kind: SignOffKind
    var rationale: String
    var reasonWhileUndetermined: String?
    /// For a device return: the device ref.
    var device: String?
}

struct SignOffDecisionRequest: Content {
    var approve: Bool
    var reason: String
    var imagerySolelyOfOwner: Bool?
    /// Approving a device's return when its imagery was not solely of its owner: how that imagery was removed (Action
    /// 15: such a device is unlikely to be returned, as that could be supplying an indecent image of a child).
    var imageryRemoval: String?
    /// Approving Outcome 21 while must-do actions are still open needs a recorded reason (issue 11, point 5).
    var openActionsReason: String?
    /// Approving Outcome 21 while the guidance cannot yet decide it (questions that could rule it out still open):
    /// why it can be approved before they are answered (Action 10: no evidence of exploitation, grooming …).
    var openQuestionsReason: String?
}

struct SignOffDTO: Content {
    var id: UUID
    var caseID: UUID
    var kind: SignOffKind
    var status: SignOffStatus
    var subject: String
    var rationale: String
    var reasonWhileUndetermined: String?
    var engineDecision: Outcome21Decision?
    var reviewerRole: String
    var proposedBy: UUID
    var proposedAt: Date
    var reviewedBy: UUID?
    var reviewedAt: Date?
    var review: SignOffReview?
    var caseReference: String?
    init(_ s: SignOff, caseReference: String? = nil) {
        id = s.id; caseID = s.caseID; kind = s.proposal.kind; status = s.status; subject = s.proposal.subject
        switch s.proposal {
        case .outcome21(let p): rationale = p.rationale; reasonWhileUndetermined = p.reasonWhileUndetermined; engineDecision = p.engineDecision
        case .deviceReturn(let p): rationale = p.rationale
        }
        reviewerRole = s.proposal.kind.reviewerRole
        proposedBy = s.proposedBy; proposedAt = s.proposedAt; reviewedBy = s.reviewedBy; reviewedAt = s.reviewedAt
        review = s.review; self.caseReference = caseReference
    }
}

struct ReferralCreateRequest: Content {
    var toOrganisationID: UUID
    /// What the school tells the force, in a few sentences (no names: references).
    var summary: String
    /// Which parts of the case facts to share: any of people, imagery, circumstances, devices.
    var share: [String]
    var note: String?
}

struct ReferralResponseRequest: Content {
    var status: ReferralStatus
    var reason: String?
}

/// The school's withdrawal of a referral the force has not answered: why, which the force sees.
struct ReferralWithdrawRequest: Content {
    var reason: String?
}

struct ReferralDTO: Content {
    var id: UUID
    /// `outgoing` on the school's case, `incoming` on the force's.
    var direction: String
    var status: ReferralStatus
    var fromOrganisation: String
    var toOrganisation: String
    var fromCaseID: UUID?
    var toCaseID: UUID?
    var summary: String
    var sharedSections: [String]
    var note: String?
    var responseReason: String?
    /// Who sent it, their role and email: the force's contact at the school.
    var sentBy: ReferralContact?
    /// Why it is urgent, from the school's assessment when it was sent; empty when nothing was flagged.
    var risk: [String]
    var createdAt: Date
    var updatedAt: Date
}

struct OutcomeLetterRequest: Content {
    enum To: String, Codable, CaseIterable { case youngPerson, parent }
    var to: To
    /// The young person's ref in the case.
    var person: String
    /// The addressee's name: printed on the letter, never stored.
    var name: String
    /// For a letter to a parent: the child's name (printed, never stored).
    var childName: String?
    var phone: String?
    var format: String?
}

struct OrganisationEntryDTO: Content {
    var id: UUID
    var name: String
    var kind: OrganisationKind
    var jurisdiction: Jurisdiction
}

struct InboxDTO: Content {
    struct PolicyReview: Content {
        var caseID: UUID
        var caseReference: String
        var due: CalendarDate
    }
    /// DSL: concerns raised that have no triage yet.
    var awaitingTriage: [CaseSummaryDTO]
    /// Supervisor (Outcome 21) or superintendent (device returns): sign-offs waiting for a decision.
    var signOffsToReview: [SignOffDTO]
    /// Proposals of yours that were refused: the case is back with you.
    var refusedProposals: [SignOffDTO]
    /// Police: referrals from schools waiting to be accepted or declined.
    var referralsToAnswer: [ReferralDTO]
    /// DSL: post-incident reviews' reminders to review the setting's policy.
    var policyReviewsDue: [PolicyReview]
}

struct CaseEventDTO: Content {
    var sequence: Int
    var at: Date
    var actorID: UUID?
    var actorRole: String
    var kind: String
    var summary: String
    init(_ e: CaseEvent) {
        sequence = e.sequence; at = e.at; actorID = e.actorID; actorRole = e.actorRole; kind = e.kind; summary = e.summary
    }
}

/// What a case holds about one person (subject access), as JSON: the printable document's sections.
struct SubjectAccessDTO: Content {
    struct Section: Content {
        var heading: String
        var lines: [String]
    }
    var title: String
    var reference: String
    var person: String
    var sections: [Section]

    init(_ document: CaseDocument, person: String) {
        title = document.title
        reference = document.reference
        self.person = person
        sections = document.sections.map { Section(heading: $0.heading, lines: $0.lines) }
    }
}
