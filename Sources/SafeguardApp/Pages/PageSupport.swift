import Crypto
import Foundation
import Leaf
import LeafKit
import SafeguardCore
import SafeguardPersistence
import Vapor

// The machinery every page shares: finding the templates and assets, the layout, rendering, CSRF, and errors
// shown as pages.

/// Where the page templates (`Resources/Views`) and the static assets (`Public/assets`) are.
///
/// Looked for, in order: `SAFEGUARD_WEB_ROOT`; the working directory (as `swift run` from the package root);
/// each folder above the running executable (as `.build/debug/safeguard` started from anywhere); the package
/// this file was compiled from. The first folder that holds `Resources/Views/layout.leaf` wins.
struct WebRoot: Sendable, Equatable {
    var root: String

    var viewsDirectory: String { root + "Resources/Views/" }
    var assetsDirectory: String { root + "Public/assets/" }

    static let marker = "Resources/Views/layout.leaf"

    static func candidates(environment: [String: String], workingDirectory: String, executable: String?,
                           sourceFile: String = #filePath) -> [String] {
        var list: [String] = []
        list.append(workingDirectory)
        func ancestors(of path: String) -> [String] {
            var url = URL(fileURLWithPath: path).deletingLastPathComponent()
            var found: [String] = []
            while url.path != "/" && !url.path.isEmpty {
                found.append(url.path)
                url = url.deletingLastPathComponent()
            }
            return found
        }
        if let executable { list += ancestors(of: URL(fileURLWithPath: executable).resolvingSymlinksInPath().path) }
        list += ancestors(of: sourceFile)
        return list
    }

    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                       workingDirectory: String = DirectoryConfiguration.detect().workingDirectory,
                       executable: String? = Bundle.main.executablePath) throws -> WebRoot {
        let explicit = environment["SAFEGUARD_WEB_ROOT"].flatMap { $0.isEmpty ? nil : $0 }
        // An explicit root is the only one tried: a wrong setting is an error, not a silent fallback.
        let candidates = explicit.map { [$0] } ?? candidates(environment: environment, workingDirectory: workingDirectory, executable: executable)
        for candidate in candidates {
            let root = candidate.hasSuffix("/") ? candidate : candidate + "/"
            if FileManager.default.fileExists(atPath: root + marker) { return WebRoot(root: root) }
        }
        if let explicit {
            throw SafeguardOptions.Invalid(description: "SAFEGUARD_WEB_ROOT=\(explicit) has no \(marker)")
        }
        throw SafeguardOptions.Invalid(description: "cannot find the page templates (\(marker)); run from the "
                                       + "package folder or set SAFEGUARD_WEB_ROOT to the folder that holds Resources/ and Public/")
    }
}

/// The static files pages use, read once at start and served by name only (no paths, so nothing else is reachable).
struct Assets: Sendable {
    struct File: Sendable {
        var data: Data
        var contentType: HTTPMediaType
        var etag: String
    }

    var files: [String: File]

    static let types: [String: HTTPMediaType] = ["css": .init(type: "text", subType: "css", parameters: ["charset": "utf-8"]),
                                                 "svg": .init(type: "image", subType: "svg+xml"),
                                                 "js": .init(type: "text", subType: "javascript", parameters: ["charset": "utf-8"])]

    static func load(directory: String) throws -> Assets {
        var files: [String: File] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let ext = (name as NSString).pathExtension
            guard let type = types[ext] else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + name))
            let digest = String(HexDigest.sha256(data).prefix(12))
            files[name] = File(data: data, contentType: type, etag: digest)
        }
        return Assets(files: files)
    }

    /// The link to an asset, with its content's hash so that a changed file is fetched afresh.
    func link(_ name: String) -> String {
        PageRoute.asset(.value(name)).path + (files[name].map { "?v=" + $0.etag } ?? "")
    }

    func serve(_ req: Request) -> Response {
        guard let name = req.parameter(.file), let file = files[name] else {
            return Response(status: .notFound)
        }
        var headers = HTTPHeaders()
        headers.contentType = file.contentType
        headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        headers.replaceOrAdd(name: .eTag, value: "\"\(file.etag)\"")
        if req.headers.first(name: .ifNoneMatch) == "\"\(file.etag)\"" {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(data: file.data))
    }
}

struct AssetsKey: StorageKey { typealias Value = Assets }

extension Application {
    var assets: Assets { storage[AssetsKey.self] ?? Assets(files: [:]) }

    /// Leaf from the located templates, and the assets. Called by `configure`.
    func configurePages() throws {
        let web = try WebRoot.locate()
        views.use(.leaf)
        leaf.configuration = LeafConfiguration(rootDirectory: web.viewsDirectory)
        leaf.sources = .singleSource(NIOLeafFiles(fileio: fileio, limits: .default,
                                                  sandboxDirectory: web.viewsDirectory, viewDirectory: web.viewsDirectory))
        storage[AssetsKey.self] = try Assets.load(directory: web.assetsDirectory)
    }
}

/// Security headers on every response: scripts and styles only from our own files (one script, `pages.js`: Escape
/// twice to hide the page, and a live character count), nothing inline, never framed,
/// no referrer, no sniffing; nothing stored by the browser or a proxy unless the route says otherwise (assets).
struct SecurityHeadersMiddleware: AsyncMiddleware {
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        // Taken out once, changed, and put back once: each change made on `response.headers` itself takes the
        // response's lock twice, and copied the whole list of headers while a copy of it was held here.
        var headers = response.headers
        let hasCacheControl = headers.first(name: .cacheControl) != nil
        headers.replaceOrAdd(name: "Content-Security-Policy", value: Self.contentSecurityPolicy)
        headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        headers.replaceOrAdd(name: "Cross-Origin-Opener-Policy", value: "same-origin")
        headers.replaceOrAdd(name: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()")
        if !hasCacheControl {
            headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        response.headers = headers
        return response
    }
}

// MARK: Rendering

/// A page's view model: the struct beside its template in `Resources/Views`.
protocol PageView: Encodable, Sendable {
    /// The template's name, e.g. `home` for `Resources/Views/home.leaf`.
    static var template: String { get }
    /// The page's heading and the first part of its `<title>`.
    var title: String { get }
}

/// One problem with a form, shown in the error summary and linking to its field.
struct FieldError: Encodable, Sendable, Equatable {
    var field: String
    var message: String
    var href: String { "#" + field }

    enum CodingKeys: String, CodingKey { case field, message, href }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(field, forKey: .field)
        try c.encode(message, forKey: .message)
        try c.encode(href, forKey: .href)
    }
}

struct NavLink: Encodable, Sendable {
    var label: String
    var href: String
    var current: Bool
}

/// What the layout shows around every page.
struct Layout: Encodable, Sendable {
    var title: String
    var stylesheet: String
    var icon: String
    /// Escape twice to hide the page, for signed-in pages only (the "Hide this page" link works without it).
    var script: String
    var signedIn: Bool
    var userName: String?
    var roleLabel: String?
    var organisationName: String?
    var csrf: String?
    var signOutPath: String
    var homePath: String
    var nav: [NavLink]
    var errors: [FieldError]
    var notice: String?
    // Leaf tests booleans most reliably, so the layout gets them ready-made.
    var hasNav: Bool { !nav.isEmpty }
    var hasErrors: Bool { !errors.isEmpty }
    var hasNotice: Bool { notice != nil }

    enum CodingKeys: String, CodingKey {
        case title, stylesheet, icon, script, signedIn, userName, roleLabel, organisationName, csrf, signOutPath, homePath, nav,
             errors, notice, hasNav, hasErrors, hasNotice, hidePath
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(title, forKey: .title)
        try c.encode(stylesheet, forKey: .stylesheet)
        try c.encode(icon, forKey: .icon)
        try c.encode(script, forKey: .script)
        try c.encode(signedIn, forKey: .signedIn)
        try c.encode(userName ?? "", forKey: .userName)
        try c.encode(roleLabel ?? "", forKey: .roleLabel)
        try c.encode(organisationName ?? "", forKey: .organisationName)
        try c.encode(csrf ?? "", forKey: .csrf)
        try c.encode(signOutPath, forKey: .signOutPath)
        try c.encode(PageRoute.hide.path, forKey: .hidePath)
        try c.encode(homePath, forKey: .homePath)
        try c.encode(nav, forKey: .nav)
        try c.encode(errors, forKey: .errors)
        try c.encode(notice ?? "", forKey: .notice)
        try c.encode(hasNav, forKey: .hasNav)
        try c.encode(hasErrors, forKey: .hasErrors)
        try c.encode(hasNotice, forKey: .hasNotice)
    }
}

struct PageContext<Page: PageView>: Encodable {
    var layout: Layout
    var page: Page
}

extension Role {
    /// The role in words, for people.
    var label: String {
        switch self {
        case .officer: "Officer"
        case .supervisor: "Supervisor"
        case .superintendent: "Superintendent"
        case .staff: "Staff"
        case .dsl: "Designated safeguarding lead"
        case .admin: "Administrator"
        case .auditor: "Auditor"
        }
    }

    /// The role in words as the nation's school guidance names it: in Wales the designated safeguarding person
    /// (DSP), in Northern Ireland the designated teacher for child protection.
    func label(in jurisdiction: Jurisdiction) -> String {
        guard self == .dsl else { return label }
        return PageGuidance.library.edition(for: .education, in: jurisdiction, on: CaseController.today).pack.leadRoleLabel
    }

    /// The role mid-sentence: "supervisor", "designated safeguarding person (DSP)".
    func inSentence(in jurisdiction: Jurisdiction) -> String {
        let label = label(in: jurisdiction)
        return label.prefix(1).lowercased() + label.dropFirst()
    }
}

extension User {
    /// The person as the pages and chronology name them: "Sam Jones (supervisor)" (`PageWords.named`).
    func named(in jurisdiction: Jurisdiction) -> String { PageWords.named(displayName, role: role.inSentence(in: jurisdiction)) }
}

extension Jurisdiction {
    /// The school lead's name in the nation's guidance, in a sentence: "the designated safeguarding person".
    var schoolLead: String {
        PageGuidance.library.edition(for: .education, in: self, on: CaseController.today).pack.leadRoleName
    }

    /// Who takes a child protection referral in the nation: "children's social care", "the Gateway Team of the
    /// local Health and Social Care Trust".
    var socialCare: String { PageGuidance.library.socialCare(in: self, on: CaseController.today) }
}

extension Request {
    /// The form token for this page: the session's (made on first use) for someone signed in or part-way through
    /// signing in; otherwise one in a cookie of its own (`AnonymousFormToken`), so that showing a page to someone
    /// not signed in stores nothing.
    func pageCSRFToken() -> String {
        if hasSession, let token = session.data["csrf"] { return token }
        guard identity?.viaSession == true || (hasSession && session.data["pendingUserID"] != nil) else {
            return AnonymousFormToken.token(for: self)
        }
        let token = WebAuthController.newCSRFToken()
        session.data["csrf"] = token
        return token
    }

    /// Refuses a form without this session's token (403). A session that has a token takes only that one; a visitor
    /// with no session token must send the token of their form cookie.
    func checkPageCSRF(_ presented: String?) throws {
        let expected = hasSession ? session.data["csrf"] : nil
        let matches = if let expected { presented.map { constantTimeEqual($0, expected) } ?? false }
                      else { AnonymousFormToken.matches(self, presented: presented) }
        guard matches else {
            throw APIError(.forbidden, "csrf", "the form has expired or did not come from Safeguard; reload the page and try again")
        }
    }

    /// The signed-in person, or a redirect to the sign-in page, which brings them back to the page they asked for
    /// (a link to a case followed while signed out, say) once they are signed in.
    func requirePageIdentity() throws -> Identity {
        guard let identity else {
            var back = url.path
            if let query = url.query, !query.isEmpty { back += "?" + query }
            throw PageRedirect(to: .signIn, returnTo: method == .GET && back != PageRoute.home.path ? back : nil)
        }
        return identity
    }

    func layout(title: String, errors: [FieldError] = [], notice: String? = nil, current: PageRoute? = nil) -> Layout {
        let identity = self.identity
        var nav: [NavLink] = []
        if let identity {
            nav.append(NavLink(label: "Home", href: PageRoute.home.path, current: current == .home))
            if CasePolicy.caseRoles.contains(identity.user.role) {
                nav.append(NavLink(label: "Cases", href: PageRoute.cases.path, current: current == .cases))
                let newLabel = identity.organisation.kind == .education ? "Raise a concern" : "New report"
                nav.append(NavLink(label: newLabel, href: PageRoute.newCase.path, current: current == .newCase))
            }
            if identity.user.role == .admin {
                nav.append(NavLink(label: "Users", href: PageRoute.users.path, current: current == .users))
                nav.append(NavLink(label: "Settings", href: PageRoute.settings.path, current: current == .settings))
                nav.append(NavLink(label: "Retention", href: PageRoute.retention.path, current: current == .retention))
            }
            if identity.user.role == .auditor {
                nav.append(NavLink(label: "Audit trail", href: PageRoute.audit.path, current: current == .audit))
            }
            nav.append(NavLink(label: "Your account", href: PageRoute.account.path, current: current == .account))
        }
        return Layout(title: title, stylesheet: application.assets.link("safeguard.css"), icon: application.assets.link("icon.svg"),
                      script: application.assets.link("pages.js"),
                      signedIn: identity != nil, userName: identity?.user.displayName, roleLabel: identity.map { $0.user.role.label(in: $0.organisation.jurisdiction) },
                      organisationName: identity?.organisation.name,
                      // Only a session has a form token: a bearer token on a page must not start a session.
                      csrf: identity?.viaSession == true ? pageCSRFToken() : nil,
                      signOutPath: PageRoute.signOut.path, homePath: PageRoute.home.path, nav: nav, errors: errors, notice: notice)
    }

    /// Renders a page in the layout.
    func renderPage<P: PageView>(_ page: P, status: HTTPStatus = .ok, errors: [FieldError] = [], notice: String? = nil,
                                 current: PageRoute? = nil) async throws -> Response {
        let title = errors.isEmpty ? page.title : "Error: " + page.title
        // A notice left for the next page (after a redirect) shows on whichever page that is.
        let notice = notice ?? (identity?.viaSession == true ? takeFlash() : nil)
        let context = PageContext(layout: layout(title: title, errors: errors, notice: notice, current: current), page: page)
        var view = try await self.view.render(P.template, context)
        if !errors.isEmpty || status == .unprocessableEntity {
            view.data = ByteBuffer(string: ErrorLinks.linked(String(buffer: view.data)))
        }
        let response = try await view.encodeResponse(status: status, for: self)
        AnonymousFormToken.setCookie(on: response, for: self)
        return response
    }

    /// Whether the client asked for HTML (a browser), so errors are shown as pages rather than JSON.
    /// A browser asks for HTML; a form post is a page's too, whatever it accepts (a script posting a form to a
    /// page gets the page that a person would, not JSON). Only a client that asks for JSON alone gets JSON.
    var prefersHTML: Bool {
        let accept = headers.accept
        if accept.contains(where: { $0.mediaType == .html }) { return true }
        if headers.contentType == .urlEncodedForm { return true }
        return !accept.contains { $0.mediaType == .json }
    }
}

/// Thrown by a page that needs the person to go elsewhere first (to sign in).
struct PageRedirect: Error {
    var to: PageRoute
    /// Where to come back to afterwards (the step-up and set-up pages return there).
    var returnTo: String? = nil
}

// MARK: Errors as pages

struct ErrorPage: PageView {
    static let template = "error"
    var title: String
    var message: String
    var status: Int
    var homePath: String
}

/// For a browser (one that accepts HTML) on a page route, shows an error as a page in plain words, with the same
/// status the API would give; the outer middleware still audits it. JSON clients and the API are unchanged.
struct PageErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let redirect as PageRedirect {
            // A session that ended on this request (idle, too long, ended elsewhere): the sign-in page says why.
            let ended = redirect.to == .signIn ? request.endedSession : nil
            if ended != nil || redirect.returnTo != nil {
                var components = URLComponents()
                components.path = redirect.to.path
                components.queryItems = (ended.map { [URLQueryItem(name: "ended", value: $0.rawValue)] } ?? [])
                    + (redirect.returnTo.map { [URLQueryItem(name: "to", value: $0)] } ?? [])
                return request.redirect(to: components.string ?? redirect.to.path, redirectType: .normal)
            }
            return request.redirect(to: redirect.to)
        } catch {
            guard !request.isForAPI, request.prefersHTML else { throw error }
            let apiError = ErrorAuditMiddleware.apiError(for: error)
            let (title, message) = Self.words(for: apiError)
            do {
                let page = ErrorPage(title: title, message: message, status: Int(apiError.status.code), homePath: PageRoute.home.path)
                let response = try await request.renderPage(page, status: apiError.status)
                for (name, value) in apiError.headers { response.headers.replaceOrAdd(name: name, value: value) }
                return response
            } catch {
                throw apiError
            }
        }
    }

    static func words(for error: APIError) -> (String, String) {
        switch error.status {
        case .notFound:
            ("Page not found", "If you typed the web address, check it is correct. If you followed a link to a case, "
             + "the case may belong to another organisation or may not exist.")
        case .forbidden:
            error.code == "csrf"
                ? ("The form has expired", "Go back, reload the page and try again.")
                : ("You cannot see this page", sentence(error.message))
        case .unprocessableEntity where error.code == "imagery_not_allowed":
            ("Images cannot be uploaded", sentence(error.message))
        case .conflict:
            ("Someone else changed this case", "Your change was not saved. Go back to the case, check what changed and make your change again.")
        case .payloadTooLarge:
            ("Too much was sent", sentence(error.message) + " Nothing was saved.")
        default:
            error.status.code >= 500
                ? ("Sorry, there is a problem with the service", "Try again later. Nothing has been lost from what was saved before.")
                : ("There is a problem", sentence(error.message))
        }
    }

    /// A message as a sentence: capital first letter, full stop.
    static func sentence(_ text: String) -> String {
        guard let first = text.first else { return text }
        let capitalised = first.uppercased() + text.dropFirst()
        return capitalised.hasSuffix(".") ? capitalised : capitalised + "."
    }
}
