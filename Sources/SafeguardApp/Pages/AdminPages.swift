import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// The administration pages: an admin manages their organisation's users (add, change role or name, disable); an
/// auditor reads the organisation's audit trail with filters and sees whether the whole chain verifies. Neither
/// role sees case content, and nobody else reaches these pages (403, as in the API).
struct AdminPagesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(.users, use: users)
        routes.get(.newUser, use: newUserForm)
        routes.post(.newUser, use: createUser)
        routes.get(.user(.key), use: editUserForm)
        routes.post(.user(.key), use: updateUser)
        routes.post(.userRevokeToken(.key, .key), use: revokeUserToken)
        routes.get(.audit, use: audit)
    }

    func requireRole(_ req: Request, _ role: Role, _ why: String) throws -> Identity {
        let identity = try req.requirePageIdentity()
        guard identity.user.role == role else { throw APIError.forbidden(why) }
        return identity
    }

    func admin(_ req: Request) throws -> Identity { try requireRole(req, .admin, "only an admin manages users") }

    static func roles(for kind: OrganisationKind) -> [Role] { Role.allCases.filter { $0.isAllowed(in: kind) } }

    // MARK: Users

    func users(req: Request) async throws -> Response {
        let identity = try admin(req)
        let all = try await AccountStore(db: req.db).users(organisationID: identity.organisation.id)
        try await req.auditAlone("user.list", detail: "count=\(all.count) via=page")
        let notice = req.session.data["notice"]
        req.session.data["notice"] = nil
        return try await req.renderPage(UsersPage(organisation: identity.organisation, users: all, me: identity.user.id),
                                        notice: notice, current: .users)
    }

    func newUserForm(req: Request) async throws -> Response {
        let identity = try admin(req)
        var page = UserFormPage.new(organisation: identity.organisation, csrf: req.pageCSRFToken())
        // Sent with text the server refuses (`ContentGuardMiddleware.formAgain`): the form again, with what was typed.
        if let problem = req.formProblem {
            page.refill(problem)
            return try await req.renderPage(page, status: problem.status, errors: problem.errors, current: .users)
        }
        return try await req.renderPage(page, current: .users)
    }

    struct NewUserForm: Content {
        var email: String?
        var displayName: String?
        var role: String?
        var team: String?
        var password: String?
        var _csrf: String?
    }

    func createUser(req: Request) async throws -> Response {
        let identity = try admin(req)
        let form = try req.content.decode(NewUserForm.self)
        try req.checkPageCSRF(form._csrf)
        var page = UserFormPage.new(organisation: identity.organisation, csrf: req.pageCSRFToken())
        page.email = form.email ?? ""
        page.displayName = form.displayName ?? ""
        page.team = form.team ?? ""
        page.select(role: form.role)
        var errors: [FieldError] = []
        var team = TeamChange.unchanged
        do { team = try TeamChange(page.team) } catch let error as APIError {
            errors.append(.init(field: "team", message: error.message.capitalisedFirst))
        }
        let email = page.email.trimmingCharacters(in: .whitespaces)
        let name = page.displayName.trimmingCharacters(in: .whitespaces)
        if !email.contains("@") || email.count > 254 { errors.append(.init(field: "email", message: "Enter their work email address, like name@example.police.uk")) }
        if name.isEmpty || name.count > 120 { errors.append(.init(field: "displayName", message: "Enter their name as colleagues know it (up to 120 characters)")) }
        let role = form.role.flatMap(Role.init(rawValue:))
        if role == nil || !role!.isAllowed(in: identity.organisation.kind) {
            errors.append(.init(field: "role-\(Self.roles(for: identity.organisation.kind)[0].rawValue)", message: "Choose their role"))
        }
        let password = form.password ?? ""
        if let problem = PasswordPolicy.problem(with: password, email: email) {
            errors.append(.init(field: "password", message: PageErrorMiddleware.sentence(problem)))
        }
        if errors.isEmpty, let role {
            let hash = try await req.password.async.hash(password).get()
            do {
                let user = try await req.accountService.createUser(by: identity, email: email, displayName: name, role: role,
                                                                   passwordHash: hash, team: team, via: " via=page")
                req.auditRecorded = true
                req.session.data["notice"] = "\(user.displayName) can now sign in as \(user.role.inSentence(in: identity.organisation.jurisdiction))"
                    + (user.team.map { ", in the team \($0)," } ?? "")
                    + " with \(user.email). Give them their first password in person or by phone, never by email."
                return req.redirect(to: .users)
            } catch let error as APIError where error.status == .unprocessableEntity {
                errors.append(.init(field: error.field ?? "displayName", message: error.message.capitalisedFirst))
            } catch let error as StoreError {
                if case .duplicate = error {
                    errors.append(.init(field: "email", message: "Someone already has an account with this email address"))
                } else if case .invalid(let field, let message) = error {
                    errors.append(.init(field: field, message: message.prefix(1).uppercased() + message.dropFirst()))
                } else {
                    throw error
                }
            }
        }
        page.setErrors(errors)
        return try await req.renderPage(page, status: .unprocessableEntity, errors: errors, current: .users)
    }

    func loadUser(_ req: Request, _ identity: Identity) async throws -> User {
        guard let id = req.parameter(.userID).flatMap(UUID.init(text:)),
              let user = try await AccountStore(db: req.db).user(id: id), user.organisationID == identity.organisation.id else {
            throw APIError.notFound("user")
        }
        return user
    }

    func editUserForm(req: Request) async throws -> Response {
        let identity = try admin(req)
        let user = try await loadUser(req, identity)
        var page = UserFormPage.edit(user, organisation: identity.organisation, csrf: req.pageCSRFToken(), isMe: user.id == identity.user.id)
        page.showAccess(try await req.accountService.access(of: user.id, by: identity))
        try await req.auditAlone("user.tokens.list", detail: "user=\(user.id.uuidString.lowercased()) tokens=\(page.tokens.count) via=page")
        let notice = req.session.data["notice"]
        req.session.data["notice"] = nil
        if let problem = req.formProblem {
            page.refill(problem)
            return try await req.renderPage(page, status: problem.status, errors: problem.errors, current: .users)
        }
        return try await req.renderPage(page, notice: notice, current: .users)
    }

    /// Revokes one of the user's API tokens: a lost or stolen laptop's, without disabling the person's account.
    func revokeUserToken(req: Request) async throws -> Response {
        let identity = try admin(req)
        let user = try await loadUser(req, identity)
        try req.checkPageCSRF(try req.content.decode(AccountPagesController.CSRFForm.self)._csrf)
        guard let id = req.parameter(.tokenID).flatMap(UUID.init(text:)),
              try await AccountStore(db: req.db).token(id: id)?.userID == user.id else { throw APIError.notFound("token") }
        let token = try await req.accountService.revokeToken(id, by: identity, via: " via=page")
        req.auditRecorded = true
        req.session.data["notice"] = "\(user.displayName)'s API token \u{201C}\(token.name)\u{201D} is revoked: nothing can use it any more."
        return req.redirect(to: PageRoute.user(.id(user.id)).path)
    }

    struct EditUserForm: Content {
        var displayName: String?
        var role: String?
        var access: String?
        var team: String?
        var _csrf: String?
    }

    func updateUser(req: Request) async throws -> Response {
        let identity = try admin(req)
        let user = try await loadUser(req, identity)
        let form = try req.content.decode(EditUserForm.self)
        try req.checkPageCSRF(form._csrf)
        let isMe = user.id == identity.user.id
        var page = UserFormPage.edit(user, organisation: identity.organisation, csrf: req.pageCSRFToken(), isMe: isMe)
        page.displayName = form.displayName ?? ""
        page.team = form.team ?? ""
        page.select(role: form.role)
        page.selectAccess(form.access)
        var errors: [FieldError] = []
        let name = page.displayName.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > 120 { errors.append(.init(field: "displayName", message: "Enter their name (up to 120 characters)")) }
        let role = form.role.flatMap(Role.init(rawValue:))
        if role == nil || !role!.isAllowed(in: identity.organisation.kind) {
            errors.append(.init(field: "role-\(Self.roles(for: identity.organisation.kind)[0].rawValue)", message: "Choose their role"))
        }
        let disabled: Bool? = switch form.access { case "disabled": true; case "enabled": false; default: nil }
        if disabled == nil { errors.append(.init(field: "access-enabled", message: "Choose whether they can sign in")) }
        if isMe && disabled == true { errors.append(.init(field: "access-enabled", message: "You cannot disable your own account: ask another admin")) }
        if isMe && role != nil && role != .admin { errors.append(.init(field: "role-admin", message: "You cannot remove your own admin role: ask another admin")) }
        // One rule for a team's name, with the API's (`TeamChange`); the form always gives the field.
        var change = TeamChange.unchanged
        do { change = try TeamChange(page.team) } catch let error as APIError {
            errors.append(.init(field: "team", message: error.message.capitalisedFirst))
        }
        guard errors.isEmpty, let role, let disabled else {
            page.setErrors(errors)
            page.showAccess(try await req.accountService.access(of: user.id, by: identity))
            return try await req.renderPage(page, status: .unprocessableEntity, errors: errors, current: .users)
        }
        let updated = try await req.accountService.updateUser(user, by: identity, role: role, disabled: disabled, displayName: name,
                                                              team: change, via: " via=page")
        req.auditRecorded = true
        var notice = "Saved: \(updated.displayName) is \(updated.role.inSentence(in: identity.organisation.jurisdiction))" + (updated.disabled ? " and cannot sign in." : ".")
        // Their open cases stay theirs, with nobody to act on them: say so, so someone gives them on (a review disabled
        // the officer who owned every open case, with no word of it).
        if updated.disabled {
            let owned = try await CaseStore(db: req.db, cipher: req.cipher)
                .firstCases(organisationID: identity.organisation.id, filter: .init(status: .open, ownerID: updated.id), limit: 1_000).count
            if owned > 0 {
                notice += " They own \(owned == 1 ? "an open case" : "\(owned) open cases"): a supervisor or the case's lead should give "
                    + (owned == 1 ? "it" : "each") + " to someone else under \u{201C}Give this case to someone else\u{201D} on the case page."
            }
        }
        req.session.data["notice"] = notice
        return req.redirect(to: .users)
    }

    // MARK: Audit trail

    struct AuditQuery: Content {
        var action: String?
        /// A case's reference, as people know it.
        var `case`: String?
        /// A case's id, for links made from elsewhere.
        var caseID: String?
        var outcome: String?
        var before: Int?
    }

    func audit(req: Request) async throws -> Response {
        let identity = try requireRole(req, .auditor, "only an auditor reads the audit trail")
        try req.requireStepUp(identity, why: "reading the audit trail")
        let q = try req.query.decode(AuditQuery.self)
        var errors: [FieldError] = []
        let action = (q.action ?? "").trimmingCharacters(in: .whitespaces)
        if !action.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." }) || action.count > 60 {
            errors.append(.init(field: "action", message: "Choose what was done from the list"))
        }
        let reference = CaseStore.reference(typed: q.case ?? "")
        var caseID = (q.caseID ?? "").isEmpty ? nil : UUID(text: q.caseID ?? "")
        // An erased case keeps its reference in its tombstone, so its history can still be traced by it (a review found
        // "no case has the reference" once a case was erased).
        let tombstones = try await RetentionStore(db: req.db, cipher: req.cipher).tombstones(organisationID: identity.organisation.id)
        if !reference.isEmpty {
            if let found = try await CaseStore(db: req.db, cipher: req.cipher).findCase(reference: reference, organisationID: identity.organisation.id) {
                caseID = found.id
            } else if let erased = tombstones.first(where: { $0.reference == reference }) {
                caseID = erased.caseID
            } else {
                errors.append(.init(field: "case", message: "No case of your organisation has the reference \(reference.prefix(40)): enter one like SG-2026-000001"))
            }
        }
        let outcome = (q.outcome ?? "").trimmingCharacters(in: .whitespaces)
        let pageSize = 100
        let entries = errors.isEmpty
            ? try await AuditStore(db: req.db).entries(organisationID: identity.organisation.id, limit: pageSize + 1,
                                                       actionContains: action, caseID: caseID, outcome: outcome, before: q.before)
            : []
        // From the last check this process made: only entries written since are read (a full check of a long trail
        // took over a second per view). `safeguard audit verify` always checks from the first entry.
        // The first check after a start reads the whole trail: off the loop, so that it holds up no other request.
        let (checkpoint, db, reader) = (req.application.auditCheckpoint, req.db, req.application.sqliteReader)
        let verification = try await offTheLoop { try await checkpoint.verify(on: db, reader: reader) }
        try await req.auditAlone("audit.read", detail: "count=\(min(entries.count, pageSize)) via=page")
        try await req.auditAlone("audit.verify", outcome: verification.isValid ? "valid" : "broken", detail: "via=page")
        // Ids become names and references: the people of the organisation, and its cases named in these entries.
        let shown = Array(entries.prefix(pageSize))
        var names: [String: String] = [:]
        for user in try await AccountStore(db: req.db).users(organisationID: identity.organisation.id) {
            names[user.id.uuidString.lowercased()] = user.displayName
        }
        let ids = Set(shown.flatMap { entry in
            ([entry.caseID] + entry.detail.split(separator: " ").compactMap { $0.split(separator: "=").last.map(String.init) })
                .compactMap(UUID.init(text:))
        })
        for (id, reference) in try await CaseStore(db: req.db, cipher: req.cipher).references(ids: Array(ids), organisationID: identity.organisation.id) {
            names[id.uuidString.lowercased()] = "case \(reference)"
        }
        for erased in tombstones where ids.contains(erased.caseID) {
            names[erased.caseID.uuidString.lowercased()] = "case \(erased.reference) (erased)"
        }
        // The trail is one chain for every organisation on the server: a break in another's entries is reported as
        // theirs (a review's Wales auditor was told of "Entry 112", an England entry they could not see).
        var whose = AuditPage.BreakIn.unknown
        if let bad = verification.firstBadSequence, !verification.isValid {
            switch try await AuditStore(db: req.db).organisationID(ofEntry: bad) {
            case identity.organisation.id.uuidString.lowercased(): whose = .ours
            case nil: whose = .unknown
            default: whose = .another
            }
        }
        var page = AuditPage(action: action, reference: reference, outcome: outcome, entries: shown, names: names,
                             jurisdiction: identity.organisation.jurisdiction, valid: verification.isValid,
                             checked: verification.entriesChecked, firstBad: verification.firstBadSequence, problem: verification.problem,
                             breakIn: whose)
        if entries.count > pageSize, let last = shown.last {
            var components = URLComponents()
            components.path = PageRoute.audit.path
            components.queryItems = [URLQueryItem(name: "action", value: action), URLQueryItem(name: "case", value: reference),
                                     URLQueryItem(name: "outcome", value: outcome), URLQueryItem(name: "before", value: String(last.sequence))]
            if let caseID, reference.isEmpty { components.queryItems?.append(URLQueryItem(name: "caseID", value: caseID.uuidString)) }
            page.olderHref = components.string ?? ""
        }
        return try await req.renderPage(page, status: errors.isEmpty ? .ok : .badRequest, errors: errors, current: .audit)
    }
}

// MARK: View models

/// `Resources/Views/users.leaf`: the organisation's users.
struct UsersPage: PageView {
    static let template = "users"
    struct Row: Encodable, Sendable {
        var name: String
        var email: String
        var role: String
        var status: String
        var team: String
        var href: String
        var isMe: Bool
    }
    var title = "Users"
    var organisation: String
    var rows: [Row]
    var newUserPath = PageRoute.newUser.path

    init(organisation: Organisation, users: [User], me: UUID) {
        self.organisation = organisation.name
        rows = users.sorted { $0.displayName.localizedCaseInsensitiveCompare($1.displayName) == .orderedAscending }.map {
            Row(name: $0.displayName, email: $0.email, role: $0.role.label(in: organisation.jurisdiction), status: $0.disabled ? "Cannot sign in" : "Active",
                team: $0.team ?? "", href: PageRoute.user($0.id).path, isMe: $0.id == me)
        }
    }
}

/// `Resources/Views/user-form.leaf`: add a user, or change one.
struct UserFormPage: PageView {
    static let template = "user-form"
    struct Choice: Encodable, Sendable {
        var id: String
        var value: String
        var label: String
        var checked: Bool
    }
    var title: String
    var isNew: Bool
    var action: String
    var csrf: String
    var email = ""
    var displayName = ""
    var roles: [Choice]
    var access: [Choice] = []
    var isMe = false
    var submitLabel: String
    /// The longest first password the policy takes, the form's `maxlength`.
    var passwordLimit = PasswordPolicy.maximumLength
    var cancelPath = PageRoute.users.path
    /// Where an admin makes a one-time password reset link for this user (empty on the new-user form).
    var resetLinkPath = ""
    /// Where an admin resets this user's two-factor sign-in (empty unless they have set it up).
    var resetTwoFactorPath = ""
    /// Changing a user: whether they use two-factor sign-in, when they last signed in, and their API tokens in use,
    /// each with a button to revoke it.
    var twoFactor = ""
    var lastSignIn = ""
    var tokens: [TokenRow] = []
    var tokensCaption = ""
    var hasTokens = false
    var emailError = ""
    var displayNameError = ""
    /// The team: a supervisor, superintendent or DSL sees their team's open cases at home.
    var team = ""
    var teamError = ""
    var roleError = ""
    var passwordError = ""
    var accessError = ""

    static func new(organisation: Organisation, csrf: String) -> UserFormPage {
        UserFormPage(title: "Add a user", isNew: true, action: PageRoute.newUser.path, csrf: csrf,
                     roles: AdminPagesController.roles(for: organisation.kind).map { Choice(id: "role-\($0.rawValue)", value: $0.rawValue, label: $0.label(in: organisation.jurisdiction), checked: false) },
                     submitLabel: "Add user")
    }

    static func edit(_ user: User, organisation: Organisation, csrf: String, isMe: Bool) -> UserFormPage {
        var page = UserFormPage(title: "Change \(user.displayName)", isNew: false, action: PageRoute.user(user.id).path, csrf: csrf,
                                roles: AdminPagesController.roles(for: organisation.kind).map {
                                    Choice(id: "role-\($0.rawValue)", value: $0.rawValue, label: $0.label(in: organisation.jurisdiction), checked: $0 == user.role)
                                }, submitLabel: "Save changes")
        page.email = user.email
        page.displayName = user.displayName
        page.team = user.team ?? ""
        page.isMe = isMe
        page.resetLinkPath = user.disabled ? "" : PageRoute.userResetLink(.id(user.id)).path
        page.resetTwoFactorPath = user.hasTwoFactor ? PageRoute.userResetTwoFactor(.id(user.id)).path : ""
        page.access = [Choice(id: "access-enabled", value: "enabled", label: "They can sign in", checked: !user.disabled),
                       Choice(id: "access-disabled", value: "disabled", label: "Disable their account: they cannot sign in", checked: user.disabled)]
        return page
    }

    mutating func select(role: String?) {
        for i in roles.indices { roles[i].checked = roles[i].value == role }
    }

    mutating func selectAccess(_ value: String?) {
        for i in access.indices { access[i].checked = access[i].value == value }
    }

    mutating func showAccess(_ access: (user: User, tokens: [APIToken], lastSignIn: Date?)) {
        twoFactor = access.user.twoFactorSince.map { "On since \(PageWords.date($0))" } ?? "Not set up"
        lastSignIn = access.lastSignIn.map(PageWords.date) ?? "Never on these pages"
        tokens = access.tokens.map { TokenRow($0, revokePath: PageRoute.userRevokeToken(.id(access.user.id), .id($0.id)).path) }
        tokensCaption = "API tokens of \(access.user.displayName)"
        hasTokens = !tokens.isEmpty
    }

    /// What was typed, and why it was refused, when the server refused the text itself before the form's handler ran
    /// (a text-direction control in a name, say): a review found the form and everything typed lost.
    mutating func refill(_ problem: FormProblem) {
        let kept = Dictionary(problem.kept, uniquingKeysWith: { first, _ in first })
        if isNew { email = kept["email"] ?? "" }
        displayName = kept["displayName"] ?? displayName
        team = kept["team"] ?? team
        if let role = kept["role"] { select(role: role) }
        if let access = kept["access"] { selectAccess(access) }
        setErrors(problem.errors)
    }

    mutating func setErrors(_ errors: [FieldError]) {
        for error in errors {
            switch error.field {
            case "email": emailError = error.message
            case "displayName": displayNameError = error.message
            case "team": teamError = error.message
            case "password": passwordError = error.message
            case let f where f.hasPrefix("role-"): roleError = error.message
            case let f where f.hasPrefix("access-"): accessError = error.message
            default: break
            }
        }
    }
}

/// `Resources/Views/audit.leaf`: the audit trail with filters, newest first, and the chain's verification, all in
/// words (`AuditWords`): who by name and role, what in words, the case by reference, when as people write it.
struct AuditPage: PageView {
    static let template = "audit"
    struct Row: Encodable, Sendable {
        var sequence: Int
        var at: String
        var who: String
        var action: String
        var reference: String
        var outcome: String
        var detail: String
    }
    struct Option: Encodable, Sendable {
        var value: String
        var label: String
        var selected: Bool
    }
    var title = "Audit trail"
    var actions: [Option]
    var reference: String
    var outcomes: [Option]
    var rows: [Row]
    var hasRows: Bool
    var valid: Bool
    var checked: Int
    var firstBad: String
    var problem: String
    var whose = ""
    var olderHref = ""
    var path = PageRoute.audit.path

    /// Whose entries the first break is in: the chain is shared by every organisation on the server.
    enum BreakIn { case ours, another, unknown }

    init(action: String, reference: String, outcome: String, entries: [AuditEntry], names: [String: String],
         jurisdiction: Jurisdiction, valid: Bool, checked: Int, firstBad: Int?, problem: String?, breakIn: BreakIn = .unknown) {
        var filters = AuditWords.filters
        if !filters.contains(where: { $0.code == action }) { filters.append((label: "Actions like the one asked for", code: action)) }
        actions = filters.map { Option(value: $0.code, label: $0.label, selected: $0.code == action) }
        self.reference = reference
        outcomes = AuditWords.outcomes.map { Option(value: $0.code, label: $0.label, selected: $0.code == outcome) }
        rows = entries.map { e in
            let who = AuditWords.who(name: names[e.actorID.lowercased()], role: Role(rawValue: e.actorRole)?.inSentence(in: jurisdiction),
                                     recordedRole: e.actorRole)
            let reference = e.caseID.isEmpty ? "" : (names[e.caseID.lowercased()].map { String($0.dropFirst("case ".count)) } ?? "An erased or other case")
            return Row(sequence: e.sequence, at: AuditWords.when(e.at), who: who, action: AuditWords.action(e.action),
                       reference: reference, outcome: AuditWords.outcome(e.outcome), detail: AuditWords.detail(e.detail, names: names))
        }
        hasRows = !rows.isEmpty
        self.valid = valid
        self.checked = checked
        self.firstBad = firstBad.map(String.init) ?? ""
        // The check's words begin "entry 112: …"; the page names the entry once.
        var said = problem ?? ""
        if let firstBad, said.hasPrefix("entry \(firstBad): ") { said.removeFirst("entry \(firstBad): ".count) }
        self.problem = said
        switch breakIn {
        case .ours: whose = "It is in your organisation's entries."
        case .another: whose = "It is in another organisation's entries on this server's shared trail, which you cannot see; your own entries after it cannot be proven intact until it is mended."
        case .unknown: whose = ""
        }
    }
}
