import Foundation

/// A decision that needs someone more senior than the person who proposes it: Outcome 21, reviewed by a supervisor
/// who is not the proposer (College of Policing, Action 11; 2016: para 21), and the return of a device that held
/// imagery, signed off by a superintendent (Action 15; 2016: para 24).
///
/// ```swift
/// let proposal = SignOffProposal.outcome21(.init(rationale: "willing, age-appropriate, first time", reasonWhileUndetermined: nil))
/// proposal.kind.reviewerRole   // "supervisor"
/// ```
public enum SignOffProposal: Sendable, Hashable, Codable {
    case outcome21(Outcome21Proposal)
    case deviceReturn(DeviceReturnProposal)

    public var kind: SignOffKind {
        switch self {
        case .outcome21: .outcome21
        case .deviceReturn: .deviceReturn
        }
    }

    /// What the sign-off is about: the device ref for a return; empty for Outcome 21.
    public var subject: String {
        switch self {
        case .outcome21: ""
        case .deviceReturn(let p): p.device
        }
    }
}

public enum SignOffKind: String, Sendable, Hashable, Codable, CaseIterable {
    case outcome21, deviceReturn

    /// The rule the sign-off rests on, for citing the case's edition.
    public var rule: RecordRule {
        switch self {
        case .outcome21: .outcome21Review
        case .deviceReturn: .deviceReturn
        }
    }

    /// The role that decides: a supervisor for Outcome 21, a superintendent for a device's return.
    public var reviewerRole: String {
        switch self {
        case .outcome21: "supervisor"
        case .deviceReturn: "superintendent"
        }
    }

    /// Every role that may decide: Outcome 21 also a superintendent, as the guidance asks only for "a suitably senior
    /// and/or experienced officer" (Action 11): a supervisor's own proposal was otherwise stuck in a force, or on a
    /// shift, with one supervisor. A device's return a superintendent alone (Action 15).
    public var reviewerRoles: [String] {
        switch self {
        case .outcome21: ["supervisor", "superintendent"]
        case .deviceReturn: ["superintendent"]
        }
    }

    /// Who decides, in words: "supervisor or superintendent".
    public var reviewerRolesInWords: String { reviewerRoles.joined(separator: " or ") }

    public func mayBeReviewed(by role: String) -> Bool { reviewerRoles.contains(role) }

    public var label: String {
        switch self {
        case .outcome21: "Outcome 21"
        case .deviceReturn: "Device return"
        }
    }

    /// What the reviewer decides, in a sentence: "approve or refuse Outcome 21".
    public var decision: String {
        switch self {
        case .outcome21: "approve or refuse Outcome 21"
        case .deviceReturn: "approve or refuse a device's return"
        }
    }
}

public struct Outcome21Proposal: Sendable, Hashable, Codable {
    public var rationale: String
    /// Required when the guidance cannot yet say Outcome 21 is available.
    public var reasonWhileUndetermined: String?
    /// What the engine decided when it was proposed.
    public var engineDecision: Outcome21Decision?

    public init(rationale: String, reasonWhileUndetermined: String?, engineDecision: Outcome21Decision? = nil) {
        self.rationale = rationale
        self.reasonWhileUndetermined = reasonWhileUndetermined
        self.engineDecision = engineDecision
    }
}

public struct DeviceReturnProposal: Sendable, Hashable, Codable {
    public var device: String
    /// The National Decision Model rationale for returning it.
    public var rationale: String

    public init(device: String, rationale: String) {
        self.device = device
        self.rationale = rationale
    }
}

public enum SignOffStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending, approved, refused, withdrawn
}

/// The reviewer's decision.
public struct SignOffReview: Sendable, Hashable, Codable {
    public var approve: Bool
    public var reason: String
    /// For a device return: whether the imagery on it was solely of its owner (Action 15).
    public var imagerySolelyOfOwner: Bool?

    public init(approve: Bool, reason: String, imagerySolelyOfOwner: Bool?) {
        self.approve = approve
        self.reason = reason
        self.imagerySolelyOfOwner = imagerySolelyOfOwner
    }
}
