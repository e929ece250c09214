import Foundation
import SafeguardCore
import Vapor

/// Every page of the site, typed. The same value registers a route (with `.key` parameters) and builds a link
/// (with `.value` parameters), so a link can never point at a page that does not exist.
///
/// ```swift
/// routes.get(PageRoute.caseDetail(.key).pathComponents, use: show)   // GET /cases/:caseID
/// PageRoute.caseDetail(.value(id)).path                             // "/cases/3f…"
/// ```
enum PageRoute: Sendable, Hashable {
    case home
    case signIn
    case signOut
    /// Quick-hide: a neutral page in place of the screen, and the session ended (issue 13).
    case hide
    case cases
    case newCase
    case caseDetail(Param)
    case caseQuestions(Param, Param)
    case caseAction(Param, Param)
    case guidanceSection(Param, Param, Param)
    case asset(Param)
    // The response to a case (issue 5): records, sign-offs, documents and referrals.
    case caseRecordForm(Param, Param)
    case caseDeletionProof(Param, Param)
    case caseNewDevice(Param)
    case caseProposeOutcome21(Param)
    case caseProposeReturn(Param, Param)
    case caseSignOff(Param, Param)
    case caseLetter(Param)
    case caseDocument(Param, Param)
    /// What the case holds about one person, for a subject access request (issue 13).
    case caseSubjectAccess(Param, Param)
    case caseReferral(Param)
    case caseReferralAnswer(Param, Param)
    /// The school's DSL withdraws a referral the force has not answered.
    case caseReferralWithdraw(Param, Param)
    /// Close or reopen a case, with a reason (issue 11).
    case caseStatus(Param)
    /// Giving the case to another owner (issue 11).
    case caseOwner(Param)
    /// Merging this case into another (issue 11).
    case caseMerge(Param)
    /// A note added to the case, by anyone who may see it.
    case caseNotes(Param)
    case users
    case newUser
    case user(Param)
    case audit
    // A person's own sessions and tokens, the organisation's settings, password reset links (issue 13).
    case account
    case accountEndSession(Param)
    case accountRevokeToken(Param)
    case accountSignOutEverywhere
    /// How the person's letters are signed: rank and collar number.
    case accountSignature
    case settings
    /// Retention and legal holds (issue 13): an admin's list of closed cases, their dates and holds.
    case retention
    case retentionHold(Param)
    /// A legal hold on any case, open or closed, by the reference typed.
    case retentionHoldByReference
    case userResetLink(Param)
    case passwordReset(Param)
    /// Where a reset code read out over the phone is typed.
    case passwordResetCode
    // Two-factor sign-in (issue 13): the code at sign-in, setting it up, step-up, an admin's reset.
    case signInCode
    case twoFactor
    case stepUp
    case userResetTwoFactor(Param)
    /// An admin revokes one of a user's API tokens (a lost laptop).
    case userRevokeToken(Param, Param)

    /// A path parameter: `.key` when registering (`:name`), `.value` when linking.
    enum Param: Sendable, Hashable {
        case key
        case value(String)

        static func id(_ uuid: UUID) -> Param { .value(uuid.uuidString.lowercased()) }
    }

    /// The names of the path parameters, for `req.parameters.get(_:)`.
    enum Key: String {
        case caseID, step, actionID, pack, edition, section, file, userID
        case kind, recordID, device, signOffID, document, referralID
        case sessionID, tokenID, secret, ref, reference
    }

    private enum Component {
        case constant(String)
        case parameter(Key, Param)
    }

    private var components: [Component] {
        switch self {
        case .home: []
        case .signIn: [.constant("sign-in")]
        case .signOut: [.constant("sign-out")]
        case .hide: [.constant("hide")]
        case .cases: [.constant("cases")]
        case .newCase: [.constant("cases"), .constant("new")]
        case .caseDetail(let id): [.constant("cases"), .parameter(.caseID, id)]
        case .caseQuestions(let id, let step):
            [.constant("cases"), .parameter(.caseID, id), .constant("questions"), .parameter(.step, step)]
        case .caseAction(let id, let action):
            [.constant("cases"), .parameter(.caseID, id), .constant("actions"), .parameter(.actionID, action)]
        case .guidanceSection(let pack, let edition, let section):
            [.constant("guidance"), .parameter(.pack, pack), .parameter(.edition, edition), .parameter(.section, section)]
        case .asset(let file): [.constant("assets"), .parameter(.file, file)]
        case .caseRecordForm(let id, let kind):
            [.constant("cases"), .parameter(.caseID, id), .constant("record"), .parameter(.kind, kind)]
        case .caseDeletionProof(let id, let record):
            [.constant("cases"), .parameter(.caseID, id), .constant("records"), .parameter(.recordID, record), .constant("proof")]
        case .caseNewDevice(let id): [.constant("cases"), .parameter(.caseID, id), .constant("devices"), .constant("new")]
        case .caseProposeOutcome21(let id): [.constant("cases"), .parameter(.caseID, id), .constant("outcome21")]
        case .caseProposeReturn(let id, let device):
            [.constant("cases"), .parameter(.caseID, id), .constant("devices"), .parameter(.device, device), .constant("return")]
        case .caseSignOff(let id, let signOff):
            [.constant("cases"), .parameter(.caseID, id), .constant("sign-offs"), .parameter(.signOffID, signOff)]
        case .caseLetter(let id): [.constant("cases"), .parameter(.caseID, id), .constant("letter")]
        case .caseDocument(let id, let document):
            [.constant("cases"), .parameter(.caseID, id), .constant("documents"), .parameter(.document, document)]
        case .caseSubjectAccess(let id, let ref):
            [.constant("cases"), .parameter(.caseID, id), .constant("subject-access"), .parameter(.ref, ref)]
        case .caseReferral(let id): [.constant("cases"), .parameter(.caseID, id), .constant("referral")]
        case .caseReferralAnswer(let id, let referral):
            [.constant("cases"), .parameter(.caseID, id), .constant("referrals"), .parameter(.referralID, referral)]
        case .caseReferralWithdraw(let id, let referral):
            [.constant("cases"), .parameter(.caseID, id), .constant("referrals"), .parameter(.referralID, referral), .constant("withdraw")]
        case .caseStatus(let id): [.constant("cases"), .parameter(.caseID, id), .constant("status")]
        case .caseOwner(let id): [.constant("cases"), .parameter(.caseID, id), .constant("owner")]
        case .caseMerge(let id): [.constant("cases"), .parameter(.caseID, id), .constant("merge")]
        case .caseNotes(let id): [.constant("cases"), .parameter(.caseID, id), .constant("notes")]
        case .retention: [.constant("retention")]
        case .retentionHold(let reference): [.constant("retention"), .constant("holds"), .parameter(.reference, reference)]
        case .retentionHoldByReference: [.constant("retention"), .constant("holds")]
        case .users: [.constant("users")]
        case .newUser: [.constant("users"), .constant("new")]
        case .user(let id): [.constant("users"), .parameter(.userID, id)]
        case .audit: [.constant("audit")]
        case .account: [.constant("account")]
        case .accountEndSession(let id): [.constant("account"), .constant("sessions"), .parameter(.sessionID, id), .constant("end")]
        case .accountRevokeToken(let id): [.constant("account"), .constant("tokens"), .parameter(.tokenID, id), .constant("revoke")]
        case .accountSignOutEverywhere: [.constant("account"), .constant("sign-out-everywhere")]
        case .accountSignature: [.constant("account"), .constant("signature")]
        case .settings: [.constant("settings")]
        case .userResetLink(let id): [.constant("users"), .parameter(.userID, id), .constant("reset-link")]
        case .passwordReset(let secret): [.constant("password-reset"), .parameter(.secret, secret)]
        case .passwordResetCode: [.constant("password-reset")]
        case .signInCode: [.constant("sign-in"), .constant("code")]
        case .twoFactor: [.constant("account"), .constant("two-factor")]
        case .stepUp: [.constant("step-up")]
        case .userResetTwoFactor(let id): [.constant("users"), .parameter(.userID, id), .constant("reset-two-factor")]
        case .userRevokeToken(let id, let token):
            [.constant("users"), .parameter(.userID, id), .constant("tokens"), .parameter(.tokenID, token), .constant("revoke")]
        }
    }

    /// For registering: constants and `:name` parameters.
    var pathComponents: [PathComponent] {
        components.map { component in
            switch component {
            case .constant(let text): .constant(text)
            case .parameter(let key, _): .parameter(key.rawValue)
            }
        }
    }

    /// For linking: `/` followed by the components, each parameter value percent-encoded as one segment.
    var path: String {
        "/" + components.map { component in
            switch component {
            case .constant(let text): return text
            case .parameter(let key, .key): return ":" + key.rawValue
            case .parameter(_, .value(let value)):
                return value.addingPercentEncoding(withAllowedCharacters: Self.segmentCharacters) ?? ""
            }
        }.joined(separator: "/")
    }

    private static let segmentCharacters: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    // Links, by the values a page has at hand.
    static func caseDetail(_ id: UUID) -> PageRoute { .caseDetail(.id(id)) }
    static func user(_ id: UUID) -> PageRoute { .user(.id(id)) }
    static func caseQuestions(_ id: UUID, _ step: QuestionStep) -> PageRoute { .caseQuestions(.id(id), .value(step.rawValue)) }
    static func caseAction(_ id: UUID, _ action: UUID) -> PageRoute { .caseAction(.id(id), .id(action)) }
    static func caseRecordForm(_ id: UUID, _ kind: RecordKind) -> PageRoute { .caseRecordForm(.id(id), .value(kind.rawValue)) }
    static func caseDeletionProof(_ id: UUID, _ record: UUID) -> PageRoute { .caseDeletionProof(.id(id), .id(record)) }
    static func caseNewDevice(_ id: UUID) -> PageRoute { .caseNewDevice(.id(id)) }
    static func caseProposeOutcome21(_ id: UUID) -> PageRoute { .caseProposeOutcome21(.id(id)) }
    static func caseProposeReturn(_ id: UUID, _ device: String) -> PageRoute { .caseProposeReturn(.id(id), .value(device)) }
    static func caseSignOff(_ id: UUID, _ signOff: UUID) -> PageRoute { .caseSignOff(.id(id), .id(signOff)) }
    static func caseLetter(_ id: UUID) -> PageRoute { .caseLetter(.id(id)) }
    static func caseDocument(_ id: UUID, _ document: CaseDocumentKind) -> PageRoute { .caseDocument(.id(id), .value(document.rawValue)) }
    static func caseSubjectAccess(_ id: UUID, _ ref: String) -> PageRoute { .caseSubjectAccess(.id(id), .value(ref)) }
    static func caseReferral(_ id: UUID) -> PageRoute { .caseReferral(.id(id)) }
    static func caseReferralAnswer(_ id: UUID, _ referral: UUID) -> PageRoute { .caseReferralAnswer(.id(id), .id(referral)) }
    static func caseReferralWithdraw(_ id: UUID, _ referral: UUID) -> PageRoute { .caseReferralWithdraw(.id(id), .id(referral)) }
    static func guidanceSection(pack: String, edition: String, section: String) -> PageRoute {
        .guidanceSection(.value(pack), .value(edition), .value(section))
    }
}

extension RoutesBuilder {
    @discardableResult
    func get(_ page: PageRoute, use closure: @Sendable @escaping (Request) async throws -> some AsyncResponseEncodable) -> Route {
        get(page.pathComponents, use: closure)
    }

    @discardableResult
    func post(_ page: PageRoute, use closure: @Sendable @escaping (Request) async throws -> some AsyncResponseEncodable) -> Route {
        post(page.pathComponents, use: closure)
    }
}

extension Request {
    /// Whether this is a request for the JSON API (its path starts `/api/`), not for a page.
    ///
    /// From the route it matched when it matched one: Vapor's `url.path` searches the path through Foundation on every
    /// call, which a case read did in every middleware that asked (1.3 % of its CPU in the sessions middleware alone).
    var isForAPI: Bool {
        if let route { return route.path.first == .constant("api") && route.path.count > 1 }
        return url.path.hasPrefix("/api/")
    }

    func redirect(to page: PageRoute) -> Response {
        redirect(to: page.path, redirectType: .normal)
    }

    func parameter(_ key: PageRoute.Key) -> String? { parameters.get(key.rawValue) }
}
