import Foundation
import SafeguardCore

// The value types that leave the persistence module. Fluent models never do.

/// What an organisation is: it decides which roles it can have and which guidance its cases follow.
public enum OrganisationKind: String, Sendable, Codable, CaseIterable {
    case police, education, localAuthority

    /// The guidance setting of the organisation's cases, if it keeps cases of its own.
    public var setting: Setting? {
        switch self {
        case .police: .police
        case .education: .education
        case .localAuthority: nil
        }
    }

    /// The kind in words, for people: "police force", "school or college", "local authority".
    public var words: String {
        switch self {
        case .police: "police force"
        case .education: "school or college"
        case .localAuthority: "local authority"
        }
    }
}

/// The roles a person can have in an organisation (police: officer, supervisor, superintendent; education: staff, DSL; both: admin, auditor).
public enum Role: String, Sendable, Codable, CaseIterable {
    case officer, supervisor, superintendent, staff, dsl, admin, auditor

    /// Whether an organisation of this kind can have users with this role.
    public func isAllowed(in kind: OrganisationKind) -> Bool {
        switch self {
        case .officer, .supervisor, .superintendent: kind == .police
        case .staff, .dsl: kind == .education
        case .admin, .auditor: true
        }
    }
}

public struct Organisation: Sendable, Hashable, Codable {
    public var id: UUID
    public var name: String
    public var kind: OrganisationKind
    public var jurisdiction: Jurisdiction
    public var createdAt: Date?
    public var sessionPolicy: SessionPolicy = .standard
    public var twoFactorPolicy: TwoFactorPolicy = .standard
    /// How long closed cases are kept before they are erased.
    public var retention: RetentionSchedule = .standard
    /// When a case has gone quiet, and by when a MUST action is due when the guidance gives no timescale.
    public var workPolicy: WorkPolicy = .standard
    /// The longest an API token of the organisation lasts.
    public var tokenLifetime: TokenLifetime = .standard
}

/// The longest an organisation's API tokens last, set by its admin (an information-security officer may want 30
/// days, where the server allows a year). A token counts from when it was made: one older than the organisation now
/// allows stops working, even if it was made to last longer; a new one is refused more days than this.
///
/// ```swift
/// let lifetime = TokenLifetime(maxDays: 30)
/// lifetime.endOf(token)   // the earlier of its own expiry and 30 days after it was made
/// ```
public struct TokenLifetime: Sendable, Hashable, Codable {
    public var maxDays: Int

    public static let standard = TokenLifetime(maxDays: 365)
    public static let range = 1...365

    public init(maxDays: Int) { self.maxDays = maxDays }

    /// Why this cannot be saved, if it cannot.
    public var problem: (field: String, message: String)? {
        Self.range.contains(maxDays) ? nil
            : ("apiTokenMaxDays", "give a number of days from \(Self.range.lowerBound) to \(Self.range.upperBound)")
    }

    /// Why a token of `days` days is refused, in words: "Thames Valley Police allows API tokens of at most 30 days".
    public static func tooLong(_ maxDays: Int, of organisation: String) -> String {
        "\(organisation) allows API tokens of at most \(maxDays == 1 ? "1 day" : "\(maxDays) days"): ask for that many or fewer"
    }

    /// When `token` stops working under this lifetime: its own expiry, or `maxDays` after it was made if sooner.
    public func endOf(_ token: APIToken) -> Date {
        guard let made = token.createdAt else { return token.expiresAt }
        return min(token.expiresAt, made.addingTimeInterval(TimeInterval(maxDays) * 86_400))
    }

    /// Whether `token` works at `now`: not revoked, and before `endOf(token)`.
    public func allows(_ token: APIToken, at now: Date) -> Bool { token.revokedAt == nil && endOf(token) > now }

    /// The tokens that still work at `now`, each saying when it really ends (`endOf`), for the lists people read.
    public func inForce(_ tokens: [APIToken], at now: Date) -> [APIToken] {
        tokens.filter { allows($0, at: now) }.map { token in
            var ending = token
            ending.expiresAt = endOf(token)
            return ending
        }
    }
}

/// How an organisation's open work is watched (issue 11): an open case with no activity for `quietCaseDays` is shown
/// as gone quiet to supervisors and the DSL, and a MUST action whose guidance states no timescale is due
/// `mustActionDays` days after it is raised (0: the same day).
///
/// ```swift
/// WorkPolicy.standard   // quiet after 14 days, MUST actions due the next day
/// ```
public struct WorkPolicy: Sendable, Hashable, Codable {
    public var quietCaseDays: Int
    public var mustActionDays: Int

    public static let standard = WorkPolicy(quietCaseDays: 14, mustActionDays: 1)
    public static let quietRange = 1...365
    public static let mustRange = 0...30

    public init(quietCaseDays: Int, mustActionDays: Int) {
        self.quietCaseDays = quietCaseDays
        self.mustActionDays = mustActionDays
    }
}

/// Who must sign in with a second factor, and when a case is old enough that opening it asks for a fresh code.
///
/// ```swift
/// organisation.twoFactorPolicy.requires(.dsl)   // true by default
/// ```
public struct TwoFactorPolicy: Sendable, Hashable, Codable {
    public var roles: Set<Role>
    public var stepUpCaseAgeDays: Int

    public static let standard = TwoFactorPolicy(roles: [.supervisor, .superintendent, .dsl, .admin, .auditor], stepUpCaseAgeDays: 365)
    public static let stepUpAgeRange = 1...3650

    public init(roles: Set<Role>, stepUpCaseAgeDays: Int) {
        self.roles = roles
        self.stepUpCaseAgeDays = stepUpCaseAgeDays
    }

    public func requires(_ role: Role) -> Bool { roles.contains(role) }

    /// Stored as role names joined with commas, in a fixed order.
    public var storedRoles: String { Role.allCases.filter(roles.contains).map(\.rawValue).joined(separator: ",") }
    public static func roles(stored: String) -> Set<Role> { Set(stored.split(separator: ",").compactMap { Role(rawValue: String($0)) }) }
}

/// How long an organisation's web sessions last: ended after `idleMinutes` without a request, and `lifetimeHours`
/// after sign-in whatever happens. The admin sets both, within the ranges below.
///
/// ```swift
/// let policy = SessionPolicy(idleMinutes: 15, lifetimeHours: 10)
/// policy.endReason(signedInAt: start, lastSeenAt: seen, now: now)   // nil, "idle" or "lifetime"
/// ```
public struct SessionPolicy: Sendable, Hashable, Codable {
    public var idleMinutes: Int
    public var lifetimeHours: Int

    public static let standard = SessionPolicy(idleMinutes: 30, lifetimeHours: 12)
    public static let idleRange = 5...240
    public static let lifetimeRange = 1...24

    public init(idleMinutes: Int, lifetimeHours: Int) {
        self.idleMinutes = idleMinutes
        self.lifetimeHours = lifetimeHours
    }

    /// Why this policy cannot be saved, if it cannot: an idle limit as long as the lifetime could never end a session
    /// (an admin saved 240 minutes idle with a one-hour lifetime, and the page called it "1 hours").
    public var problem: (field: String, message: String)? {
        if !Self.idleRange.contains(idleMinutes) {
            return ("sessionIdleMinutes", "give a number of minutes from \(Self.idleRange.lowerBound) to \(Self.idleRange.upperBound)")
        }
        if !Self.lifetimeRange.contains(lifetimeHours) {
            return ("sessionLifetimeHours", "give a number of hours from \(Self.lifetimeRange.lowerBound) to \(Self.lifetimeRange.upperBound)")
        }
        if idleMinutes >= lifetimeHours * 60 {
            return ("sessionIdleMinutes", "give fewer minutes without activity than the \(lifetimeHours == 1 ? "hour" : "\(lifetimeHours) hours") a session lasts at most, or it could never end a session")
        }
        return nil
    }

    /// Why a session must end now, if it must: idle too long, or past its lifetime.
    public func endReason(signedInAt: Date, lastSeenAt: Date, now: Date) -> WebSession.EndReason? {
        if now.timeIntervalSince(signedInAt) > TimeInterval(lifetimeHours) * 3600 { return .lifetime }
        if now.timeIntervalSince(lastSeenAt) > TimeInterval(idleMinutes) * 60 { return .idle }
        return nil
    }
}

/// One sign-in on the pages, from its start to its end. The cookie names it; the row says whether it still counts.
public struct WebSession: Sendable, Hashable, Codable {
    public enum EndReason: String, Sendable, Codable, CaseIterable {
        case signedOut, hidden, idle, lifetime, endedByUser, signedOutEverywhere, passwordReset, disabled, twoFactorReset

        /// For the sign-in page after an ended session, and the sessions list.
        public var label: String {
            switch self {
            case .signedOut: "signed out"
            case .hidden: "hidden with the quick-hide link"
            case .idle: "signed out after a time without activity"
            case .lifetime: "signed out at the end of the longest time a session may last"
            case .endedByUser: "ended from the list of sessions"
            case .signedOutEverywhere: "signed out everywhere"
            case .passwordReset: "ended when the password was reset"
            case .disabled: "ended when the account was disabled"
            case .twoFactorReset: "ended when two-factor sign-in was reset"
            }
        }
    }

    public var id: UUID
    public var userID: UUID
    public var signedInAt: Date
    public var lastSeenAt: Date
    public var endedAt: Date?
    public var endedReason: EndReason?
    public var address: String
    public var browser: String
    /// When a second-factor code was last given in this session (at sign-in or to step up).
    public var secondFactorAt: Date? = nil
}

/// A one-time link an admin makes so that someone can choose a new password; valid for an hour, used once.
public struct PasswordReset: Sendable, Hashable {
    public var id: UUID
    public var userID: UUID
    public var createdBy: UUID?
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?

    public func isUsable(at now: Date) -> Bool { usedAt == nil && expiresAt > now }
}

public struct User: Sendable, Hashable, Codable {
    public var id: UUID
    public var organisationID: UUID
    public var email: String
    public var displayName: String
    public var role: Role
    public var disabled: Bool
    public var createdAt: Date?
    /// When they set up two-factor sign-in (nil: not set up).
    public var twoFactorSince: Date? = nil
    /// For the signature block of a letter: "Police Constable" and "4521" (issue 11).
    public var rank: String? = nil
    public var collarNumber: String? = nil
    /// The team an admin put them in; nil: none, and the team is the whole organisation.
    public var team: String? = nil

    public var hasTwoFactor: Bool { twoFactorSince != nil }
}

/// A user with what sign-in needs to know. Stays on the server.
public struct UserCredentials: Sendable {
    public var user: User
    public var passwordHash: String
    public var failedSignIns: Int
    public var lockedUntil: Date?
}

public struct APIToken: Sendable, Hashable, Codable {
    public var id: UUID
    public var userID: UUID
    public var name: String
    public var expiresAt: Date
    public var revokedAt: Date?
    public var createdAt: Date?
    // Whether it still works depends on its organisation too: `TokenLifetime.allows`.
}

public enum CaseStatus: String, Sendable, Codable, CaseIterable {
    case open, closed
}

public enum ActionStatus: String, Sendable, Codable, CaseIterable {
    case open, done, notApplicable
}

public struct CaseRecord: Sendable, Hashable {
    public var id: UUID
    public var organisationID: UUID
    public var reference: String
    public var status: CaseStatus
    public var summary: String
    public var facts: CaseFacts
    public var version: Int
    public var createdBy: UUID
    /// Whose home the case's actions land on: whoever opened it, until it is given to someone (or triaged).
    public var ownerID: UUID
    public var openActions: Int
    public var createdAt: Date?
    public var updatedAt: Date?
}

/// A case without its facts: what a list shows. Reading it never decodes the facts.
public struct CaseHeader: Sendable, Hashable {
    public var id: UUID
    public var organisationID: UUID
    public var reference: String
    public var status: CaseStatus
    public var summary: String
    public var version: Int
    public var createdBy: UUID
    /// Whose home the case's actions land on: whoever opened it, until it is given to someone (or triaged).
    public var ownerID: UUID
    public var openActions: Int
    public var createdAt: Date?
    public var updatedAt: Date?
}

extension CaseRecord {
    public init(header: CaseHeader, facts: CaseFacts) {
        self.init(id: header.id, organisationID: header.organisationID, reference: header.reference, status: header.status,
                  summary: header.summary, facts: facts, version: header.version, createdBy: header.createdBy,
                  ownerID: header.ownerID, openActions: header.openActions, createdAt: header.createdAt, updatedAt: header.updatedAt)
    }

    public var header: CaseHeader {
        CaseHeader(id: id, organisationID: organisationID, reference: reference, status: status, summary: summary,
                   version: version, createdBy: createdBy, ownerID: ownerID, openActions: openActions, createdAt: createdAt,
                   updatedAt: updatedAt)
    }
}

/// A case as the API's read returns it, with its facts and latest assessment still as the JSON they were stored
/// as: the read passes them through rather than decoding and encoding them again.
public struct CaseReadView: Sendable {
    public var header: CaseHeader
    public var factsJSON: String
    public var actions: [CaseAction]
    /// The latest assessment's record fields, and the assessment itself as stored JSON.
    public var assessment: Assessment?
    /// An assessment's record fields, and the assessment itself as the JSON it was stored as.
    public typealias Assessment = (id: UUID, caseVersion: Int, editions: [String], createdBy: UUID, createdAt: Date?, json: String)

    public init(header: CaseHeader, factsJSON: String, actions: [CaseAction],
                assessment: Assessment?) {
        self.header = header
        self.factsJSON = factsJSON
        self.actions = actions
        self.assessment = assessment
    }
}

public struct CaseAction: Sendable, Hashable {
    public var id: UUID
    public var caseID: UUID
    public var recommendationID: String
    public var severity: String
    public var text: String
    public var status: ActionStatus
    public var reason: String?
    /// Whether the latest assessment still recommends it.
    public var recommended: Bool
    public var completedBy: UUID?
    public var completedAt: Date?
    public var createdAt: Date?
    /// The day it is due by, when the case lead set one.
    public var dueOn: CalendarDate? = nil

    /// Open, still recommended, and due before `today`.
    public func isOverdue(today: CalendarDate) -> Bool { status == .open && recommended && dueOn.map { $0 < today } == true }
}

public struct CaseNote: Sendable, Hashable {
    public var id: UUID
    public var caseID: UUID
    public var sequence: Int
    public var authorID: UUID
    public var text: String
    public var createdAt: Date?
}

public struct StoredAssessment: Sendable, Hashable {
    public var id: UUID
    public var caseID: UUID
    public var caseVersion: Int
    /// The editions the engine used, e.g. `college-of-policing@2016`.
    public var editions: [String]
    public var assessment: Assessment
    public var createdBy: UUID
    public var createdAt: Date?
}

/// One entry of the hash-chained audit trail. It never holds case free text.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var sequence: Int
    public var at: String
    public var actorID: String
    public var actorRole: String
    public var organisationID: String
    public var action: String
    public var caseID: String
    public var outcome: String
    public var detail: String
    public var previousHash: String
    public var hash: String
}

/// What is recorded, before the chain fields are filled in.
public struct AuditEvent: Sendable, Hashable {
    public var actorID: UUID?
    public var actorRole: String
    public var organisationID: UUID?
    public var action: String
    public var caseID: UUID?
    public var outcome: String
    /// Machine-readable codes only (status, route, field names): never case free text.
    public var detail: String

    public init(actorID: UUID?, actorRole: String, organisationID: UUID?, action: String, caseID: UUID? = nil,
                outcome: String = "ok", detail: String = "") {
        self.actorID = actorID
        self.actorRole = actorRole
        self.organisationID = organisationID
        self.action = action
        self.caseID = caseID
        self.outcome = outcome
        self.detail = detail
    }
}

/// An error from the stores that the web layer turns into a status.
public enum StoreError: Error, Sendable, Equatable {
    case notFound(String)
    case conflict(String)
    case duplicate(String)
    case invalid(field: String, message: String)
}

/// A password reset's secret, short enough to read out over the phone: twelve characters of Crockford's base 32 (no I,
/// L, O or U), in three groups of four, `K7QM-2XPB-9T4H`. Sixty random bits, working once and for an hour, with only
/// its hash stored: far beyond guessing online, and beyond a stolen database's hashes within the hour.
///
/// What a person types is read as they would mean it (`canonical`): small letters, spaces or no dashes, an O for a
/// zero and an I or L for a one. A link made before these codes (`sgr_` and 64 hexadecimal digits) is read as it is.
///
/// ```swift
/// let code = ResetCode.make()                                        // "K7QM-2XPB-9T4H"
/// ResetCode.canonical("k7qm 2xpb 9t4h") == ResetCode.canonical(code) // true
/// ```
public enum ResetCode {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    public static let length = 12

    /// A new code, in groups of four.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return formatted(String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }))
    }

    /// The code as stored and compared: capitals, no spaces or dashes, O as 0 and I or L as 1.
    public static func canonical(_ typed: String) -> String {
        let trimmed = typed.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("sgr_") { return trimmed }
        return String(trimmed.uppercased().compactMap { c -> Character? in
            switch c {
            case " ", "-", "\u{2010}", "\u{2013}": return nil
            case "O": return "0"
            case "I", "L": return "1"
            default: return c
            }
        })
    }

    /// A code in three groups of four, as shown and as put in a link; anything else as it is.
    public static func formatted(_ code: String) -> String {
        let plain = canonical(code)
        guard plain.count == length, !plain.hasPrefix("sgr_") else { return code }
        let characters = Array(plain)
        return stride(from: 0, to: length, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }
}
