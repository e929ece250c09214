import Fluent
import Foundation
import SafeguardPersistence
import Vapor

/// A request body that names its keys (`CodingKeys`, once): one it does not know is refused, naming it and the keys
/// it takes, rather than ignored with a success answer (`"idleMinutes": 2` changed nothing and said 200).
///
/// ```swift
/// let body = try req.decodeKnown(OrganisationSettingsUpdate.self)
/// ```
protocol KnownKeys: Decodable {
    associatedtype CodingKeys: CodingKey & CaseIterable
}

extension Request {
    /// The body decoded as `Body`, after checking that every key at its top is one `Body` takes.
    func decodeKnown<Body: KnownKeys>(_ type: Body.Type) throws -> Body {
        if let data = body.data, let object = try? JSONSerialization.jsonObject(with: Data(buffer: data)) as? [String: Any] {
            let allowed = Body.CodingKeys.allCases.map(\.stringValue)
            if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw APIError.invalid(unknown, "\(unknown): unknown key; allowed here: \(allowed.joined(separator: ", "))")
            }
        }
        return try content.decode(Body.self)
    }
}

struct TokenCreateRequest: Content, KnownKeys {
    var email: String
    var password: String
    /// The code from the authenticator app: needed by anyone with two-factor sign-in set up, and by every role
    /// the organisation requires it of.
    var code: String?
    var name: String?
    var expiresInDays: Int?
    enum CodingKeys: String, CodingKey, CaseIterable { case email, password, code, name, expiresInDays }
}

struct TokenDTO: Content {
    var id: UUID
    var name: String
    var expiresAt: Date
    var revokedAt: Date?
    var createdAt: Date?
    /// In a list of sessions: true for the token this request came with.
    var current: Bool?
    init(_ t: APIToken, current: Bool? = nil) {
        id = t.id; name = t.name; expiresAt = t.expiresAt; revokedAt = t.revokedAt; createdAt = t.createdAt
        self.current = current
    }
}

/// A web session in `GET /api/v1/me/sessions`.
struct WebSessionDTO: Content {
    var id: UUID
    var signedInAt: Date
    var lastSeenAt: Date
    var endedAt: Date?
    var address: String
    var browser: String
    /// True for the session this request came with.
    var current: Bool
    init(_ s: WebSession, current: Bool) {
        id = s.id; signedInAt = s.signedInAt; lastSeenAt = s.lastSeenAt; endedAt = s.endedAt; address = s.address
        browser = s.browser; self.current = current
    }
}

struct SessionsDTO: Content {
    var sessions: [WebSessionDTO]
    var tokens: [TokenDTO]
}

struct SignedOutEverywhereDTO: Content {
    var sessionsEnded: Int
    var tokensRevoked: Int
}

/// The organisation's settings an admin can change.
struct OrganisationSettingsDTO: Content {
    var sessionIdleMinutes: Int
    var sessionLifetimeHours: Int
    var twoFactorRoles: [Role]
    var stepUpCaseAgeDays: Int
    /// Police: the MoPI group closed cases are kept by (1, 2 or 3).
    var retentionPoliceGroup: Int
    /// Schools: keep a closed case until the youngest child involved reaches this age.
    var retentionSchoolAge: Int
    /// Schools: or their own policy, this many years after closing; 0 when the age rule applies.
    var retentionSchoolYears: Int
    /// An open case with no activity for this many days is shown as gone quiet (issue 11).
    var quietCaseDays: Int
    /// A MUST action whose guidance gives no timescale is due this many days after it is raised (0: the same day).
    var mustActionDays: Int
    /// The longest an API token lasts, in days; a token older than this stops working (`TokenLifetime`).
    var apiTokenMaxDays: Int
    init(_ o: Organisation) {
        sessionIdleMinutes = o.sessionPolicy.idleMinutes; sessionLifetimeHours = o.sessionPolicy.lifetimeHours
        twoFactorRoles = Role.allCases.filter { o.twoFactorPolicy.requires($0) && $0.isAllowed(in: o.kind) }
        stepUpCaseAgeDays = o.twoFactorPolicy.stepUpCaseAgeDays
        retentionPoliceGroup = o.retention.policeGroup
        retentionSchoolAge = o.retention.schoolAge
        retentionSchoolYears = o.retention.schoolYearsAfterClosing ?? 0
        quietCaseDays = o.workPolicy.quietCaseDays
        mustActionDays = o.workPolicy.mustActionDays
        apiTokenMaxDays = o.tokenLifetime.maxDays
    }
}

/// A change to the settings: what is left out stays as it is.
struct OrganisationSettingsUpdate: Content, KnownKeys {
    var sessionIdleMinutes: Int?
    var sessionLifetimeHours: Int?
    var twoFactorRoles: [Role]?
    var stepUpCaseAgeDays: Int?
    var retentionPoliceGroup: Int?
    var retentionSchoolAge: Int?
    /// 0 returns a school to the age rule.
    var retentionSchoolYears: Int?
    var quietCaseDays: Int?
    var mustActionDays: Int?
    var apiTokenMaxDays: Int?
    /// The number of closed cases a retention change makes due for erasure at once, when the admin confirms it
    /// (409 `erasure_not_confirmed` names them otherwise).
    var confirmErasure: Int?
    enum CodingKeys: String, CodingKey, CaseIterable {
        case sessionIdleMinutes, sessionLifetimeHours, twoFactorRoles, stepUpCaseAgeDays, retentionPoliceGroup, retentionSchoolAge,
             retentionSchoolYears, quietCaseDays, mustActionDays, apiTokenMaxDays, confirmErasure
    }
}

/// A one-time password reset link: give it to the person by a trusted route (in person, by phone); it works once,
/// within the hour.
struct ResetLinkDTO: Content {
    var path: String
    /// The same secret, to read out over the phone and type at `/password-reset` (`ResetCode`).
    var code: String
    var expiresAt: Date
}

struct TokenCreatedDTO: Content {
    /// The secret: shown once, stored only as a SHA-256 hash.
    var token: String
    var id: UUID
    var name: String
    var expiresAt: Date
}

struct OrganisationDTO: Content {
    var id: UUID
    var name: String
    var kind: OrganisationKind
    var jurisdiction: String
    init(_ o: Organisation) { id = o.id; name = o.name; kind = o.kind; jurisdiction = o.jurisdiction.rawValue }
}

struct UserDTO: Content {
    var id: UUID
    var email: String
    var displayName: String
    var role: Role
    var disabled: Bool
    var organisationID: UUID
    /// Whether they have set up two-factor sign-in.
    var twoFactor: Bool
    /// How their letters are signed, when set: "Police Constable", "4521".
    var rank: String?
    var collarNumber: String?
    /// The team an admin put them in, when there is one.
    var team: String?
    init(_ u: User) {
        id = u.id; email = u.email; displayName = u.displayName; role = u.role; disabled = u.disabled
        organisationID = u.organisationID; twoFactor = u.hasTwoFactor; rank = u.rank; collarNumber = u.collarNumber; team = u.team
    }
}

/// `PUT /api/v1/me/signature`: how your letters are signed. An empty or missing value clears it.
struct SignatureRequest: Content, KnownKeys {
    var rank: String?
    var collarNumber: String?
    enum CodingKeys: String, CodingKey, CaseIterable { case rank, collarNumber }
}

/// `GET /api/v1/me`: who you are. The API answers it with `body`, written straight into bytes: through Vapor's
/// `JSONEncoder` it was an eighth of the server's CPU for the request, the cheapest signed-in request there is and the
/// load benchmark's measure of what every signed-in request costs. The struct stays its schema; a test holds the two
/// equal.
struct MeDTO: Content {
    var user: UserDTO
    var organisation: OrganisationDTO

    /// The response, as `JSONEncoder` would write it (keys in the order declared, a nil left out).
    var response: Response {
        var out = JSONBytes(capacity: 512)
        out.open()
        out.key("user")
        out.open()
        out.field("id", user.id)
        out.field("email", user.email)
        out.field("displayName", user.displayName)
        out.field("role", user.role.rawValue)
        out.field("disabled", user.disabled)
        out.field("organisationID", user.organisationID)
        out.field("twoFactor", user.twoFactor)
        out.field("rank", user.rank)
        out.field("collarNumber", user.collarNumber)
        out.field("team", user.team)
        out.close()
        out.key("organisation")
        out.open()
        out.field("id", organisation.id)
        out.field("name", organisation.name)
        out.field("kind", organisation.kind.rawValue)
        out.field("jurisdiction", organisation.jurisdiction)
        out.close()
        out.close()
        return out.response()
    }
}

struct UserCreateRequest: Content, KnownKeys {
    var email: String
    var displayName: String
    var role: Role
    var password: String
    var team: String?
    enum CodingKeys: String, CodingKey, CaseIterable { case email, displayName, role, password, team }
}

struct UserUpdateRequest: Content, KnownKeys {
    var displayName: String?
    var role: Role?
    var disabled: Bool?
    var password: String?
    /// The team to put them in; an empty string takes them out of any.
    var team: String?
    enum CodingKeys: String, CodingKey, CaseIterable { case displayName, role, disabled, password, team }
}

/// A change of a user's team, as a request asks for it: none asked for (the field left out), or their team set to
/// a name or to none (an empty name). Names are trimmed and at most 80 characters. The API and the admin's page
/// both read a team through it, so they keep one rule.
///
/// ```swift
/// try TeamChange(" Response ")   // .set("Response")
/// try TeamChange("")            // .set(nil): no team
/// try TeamChange(nil)           // .unchanged
/// ```
enum TeamChange: Equatable {
    case unchanged
    case set(String?)

    init(_ given: String?) throws {
        guard let given else { self = .unchanged; return }
        let trimmed = given.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= 80 else { throw APIError.invalid("team", "give a team name of at most 80 characters") }
        self = .set(trimmed.isEmpty ? nil : trimmed)
    }
}

struct AuditEntryDTO: Content {
    var sequence: Int
    var at: String
    var actorID: String
    var actorRole: String
    var organisationID: String
    var action: String
    var caseID: String
    var outcome: String
    var detail: String
    var previousHash: String
    var hash: String
    init(_ e: AuditEntry) {
        sequence = e.sequence; at = e.at; actorID = e.actorID; actorRole = e.actorRole; organisationID = e.organisationID
        action = e.action; caseID = e.caseID; outcome = e.outcome; detail = e.detail; previousHash = e.previousHash; hash = e.hash
    }
}

struct AuditPageDTO: Content {
    var entries: [AuditEntryDTO]
}

struct AuditVerifyDTO: Content {
    var valid: Bool
    var entriesChecked: Int
    var firstBadSequence: Int?
    var problem: String?
}
