import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import Testing
import Vapor

/// A browser's session with the pages: its cookie and the session's CSRF token.
struct Browser {
    var cookie: String
    var csrf: String
}

enum Pages {
    static let formType = "application/x-www-form-urlencoded"

    static func cookie(_ reply: Reply) -> String? {
        reply.headers[.setCookie].first { $0.hasPrefix("safeguard-session=") }.map { String($0.split(separator: ";")[0]) }
    }

    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: "name=\"_csrf\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func form(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }

    /// GET as a browser does (accepting HTML).
    static func get(_ app: Application, _ path: String, _ browser: Browser? = nil) async throws -> Reply {
        var headers: [(String, String)] = [("Accept", "text/html,application/xhtml+xml")]
        if let browser { headers.append(("Cookie", browser.cookie)) }
        return try await send(app, .GET, path, headers: headers)
    }

    /// POSTs a form as a browser does, with the session's CSRF token unless `csrf` is false.
    static func post(_ app: Application, _ path: String, _ browser: Browser?, _ fields: [(String, String)], csrf: Bool = true) async throws -> Reply {
        var headers: [(String, String)] = [("Accept", "text/html")]
        if let browser { headers.append(("Cookie", browser.cookie)) }
        let all = (csrf ? [("_csrf", browser?.csrf ?? "")] : []) + fields
        return try await send(app, .POST, path, json: form(all), contentType: formType, headers: headers)
    }

    /// Signs in through the sign-in page and returns the signed-in session.
    static func signIn(_ app: Application, _ email: String) async throws -> Browser {
        let page = try await get(app, "/sign-in")
        let anonymous = Browser(cookie: try #require(cookie(page)), csrf: try #require(csrf(in: page.text)))
        let reply = try await post(app, "/sign-in", anonymous, [("email", email), ("password", testPassword)])
        #expect(reply.status == .seeOther, "sign in as \(email): \(reply.status)")
        let session = try #require(cookie(reply))
        let home = try await get(app, "/", Browser(cookie: session, csrf: ""))
        return Browser(cookie: session, csrf: try #require(csrf(in: home.text)))
    }

    /// The security headers every page carries.
    static func expectSecurityHeaders(_ reply: Reply, noStore: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        let csp = reply.headers.first(name: "Content-Security-Policy") ?? ""
        #expect(csp.contains("default-src 'none'"), sourceLocation: sourceLocation)
        #expect(csp.contains("script-src 'none'"), sourceLocation: sourceLocation)
        #expect(csp.contains("style-src 'self'"), sourceLocation: sourceLocation)
        #expect(!csp.contains("unsafe-inline"), sourceLocation: sourceLocation)
        #expect(csp.contains("frame-ancestors 'none'"), sourceLocation: sourceLocation)
        #expect(reply.headers.first(name: "Referrer-Policy") == "no-referrer", sourceLocation: sourceLocation)
        #expect(reply.headers.first(name: "X-Content-Type-Options") == "nosniff", sourceLocation: sourceLocation)
        if noStore { #expect(reply.headers.first(name: .cacheControl) == "no-store", sourceLocation: sourceLocation) }
    }

    /// No script and no inline style: what the Content-Security-Policy would block anyway.
    static func expectNoInlineScriptOrStyle(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!html.contains("<script"), sourceLocation: sourceLocation)
        #expect(!html.contains(" style="), sourceLocation: sourceLocation)
        #expect(!html.contains("<style"), sourceLocation: sourceLocation)
        #expect(html.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil, "no event handler attributes",
                sourceLocation: sourceLocation)
    }

    /// A consensual case between two 15-year-olds with every fact the decisions need known.
    static var knownFacts: [String: Any] {
        var facts = sampleFacts
        facts["circumstances"] = Dictionary(uniqueKeysWithValues: Circumstances.factNames.map { ($0, $0 == "willing" || $0 == "ageAppropriate") })
        facts["imagery"] = [["ref": "I1", "kind": "image", "depicts": ["A"], "platforms": ["snapchat"], "sexualActs": false, "violent": false,
                             "unusualForDevelopmentalStage": false, "sharedWithoutPermission": false, "sharedBeyondControl": false,
                             "uploadedToAdultSite": false]]
        return facts
    }

    static func caseID(fromLocation reply: Reply) -> String? {
        guard let location = reply.headers.first(name: .location) else { return nil }
        let parts = location.split(separator: "/")
        return parts.count >= 2 && parts[0] == "cases" ? String(parts[1]) : nil
    }
}

@Suite struct PageTests {
    // MARK: Set-up, assets and headers

    @Test func templatesAndAssetsAreFoundAndHaveNoInlineScriptOrStyle() throws {
        let web = try WebRoot.locate()
        let views = try FileManager.default.contentsOfDirectory(atPath: web.viewsDirectory).filter { $0.hasSuffix(".leaf") }
        #expect(views.count >= 4)
        for view in views {
            let text = try String(contentsOfFile: web.viewsDirectory + view, encoding: .utf8)
            Pages.expectNoInlineScriptOrStyle(text)
            #expect(!text.contains("unsafeHTML"), "\(view) must let Leaf escape everything")
        }
        // The explicit root wins; a root without templates is refused with a clear message.
        #expect(try WebRoot.locate(environment: ["SAFEGUARD_WEB_ROOT": web.root], workingDirectory: "/", executable: nil) == web)
        #expect(throws: SafeguardOptions.Invalid.self) {
            try WebRoot.locate(environment: ["SAFEGUARD_WEB_ROOT": "/nonexistent"], workingDirectory: "/", executable: nil)
        }
        // From anywhere, walking up from the executable finds the package.
        #expect(try WebRoot.locate(environment: [:], workingDirectory: "/", executable: web.root + ".build/debug/safeguard") == web)
    }

    @Test func theStylesheetIsServedWithAPrintStyleAndNothingElseIsReachable() async throws {
        try await withApp { app in
            let css = try await send(app, .GET, "/assets/safeguard.css")
            #expect(css.status == .ok)
            #expect(css.headers.contentType?.subType == "css")
            #expect(css.text.contains("@media print"))
            #expect(css.headers.first(name: .cacheControl)?.contains("max-age") == true)
            let etag = try #require(css.headers.first(name: .eTag))
            let again = try await send(app, .GET, "/assets/safeguard.css", headers: [("If-None-Match", etag)])
            #expect(again.status == .notModified)
            for path in ["/assets/..%2FPackage.swift", "/assets/layout.leaf", "/assets/nothing.css"] {
                #expect(try await send(app, .GET, path).status == .notFound, "\(path)")
            }
            let page = try await Pages.get(app, "/sign-in")
            #expect(page.text.contains("/assets/safeguard.css?v="))
        }
    }

    @Test func theRouteEnumRegistersAndLinksTheSamePaths() {
        let id = UUID()
        #expect(PageRoute.caseDetail(.key).path == "/cases/:caseID")
        #expect(PageRoute.caseDetail(id).path == "/cases/\(id.uuidString.lowercased())")
        #expect(PageRoute.home.path == "/")
        #expect(PageRoute.guidanceSection(pack: "college-of-policing", edition: "2016 (v1.0)", section: "Action 1").path
                == "/guidance/college-of-policing/2016%20%28v1.0%29/Action%201")
        #expect(PageRoute.caseQuestions(.key, .key).pathComponents.map(\.description) == ["cases", ":caseID", "questions", ":step"])
    }

    // MARK: Sign in and out

    @Test func signInPageHasTheLayoutHeadersAndAnErrorSummaryLinkingToTheField() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let page = try await Pages.get(app, "/sign-in")
            #expect(page.status == .ok)
            Pages.expectSecurityHeaders(page)
            Pages.expectNoInlineScriptOrStyle(page.text)
            #expect(page.text.contains("<title>Sign in – Safeguard</title>"))
            #expect(page.text.contains("<label class=\"label\" for=\"email\">Email address</label>"))
            #expect(page.text.contains("href=\"#main\""))
            let browser = Browser(cookie: try #require(Pages.cookie(page)), csrf: try #require(Pages.csrf(in: page.text)))

            let empty = try await Pages.post(app, "/sign-in", browser, [("email", ""), ("password", "")])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.text.contains("<title>Error: Sign in – Safeguard</title>"))
            #expect(empty.text.contains("<a href=\"#email\">Enter your email address</a>"))
            #expect(empty.text.contains("<a href=\"#password\">Enter your password</a>"))
            #expect(empty.text.contains("aria-describedby=\"email-error\""))

            let wrong = try await Pages.post(app, "/sign-in", browser, [("email", "dsl@school.test"), ("password", "nope")])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("<a href=\"#email\">The email address or password is not right"))
            #expect(wrong.text.contains("value=\"dsl@school.test\""), "the email is kept")
            #expect(!wrong.text.contains("nope"), "the password never is")
        }
    }

    @Test func aLockedAccountIsToldWhenToTryAgain() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let page = try await Pages.get(app, "/sign-in")
            let browser = Browser(cookie: try #require(Pages.cookie(page)), csrf: try #require(Pages.csrf(in: page.text)))
            for _ in 0..<5 {
                _ = try await Pages.post(app, "/sign-in", browser, [("email", "dsl@school.test"), ("password", "nope")])
            }
            let locked = try await Pages.post(app, "/sign-in", browser, [("email", "dsl@school.test"), ("password", testPassword)])
            #expect(locked.status == .tooManyRequests)
            #expect(locked.headers.first(name: .retryAfter) != nil)
            #expect(locked.text.contains("Too many failed sign-ins for this account. Try again in 15 minutes."), "\(locked.text)")
        }
    }

    @Test func signOutEndsTheSessionAndPagesThenAskToSignIn() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let home = try await Pages.get(app, "/", officer)
            #expect(home.text.contains("Signed in as policeA officer, Officer, Test Police A"))
            let out = try await Pages.post(app, "/sign-out", officer, [])
            #expect(out.status == .seeOther)
            let after = try await Pages.get(app, "/", officer)
            #expect(after.status == .seeOther)
            #expect(after.headers.first(name: .location) == "/sign-in")
        }
    }

    // MARK: Home and the case list

    @Test func homeShowsMyOpenCasesAndTheirActionsAndAdminsSeeNoCaseContent() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"), summary: "Shared between two pupils")
            _ = try await createCase(app, token: world.token("policeA.officer2"), summary: "A case of another officer")
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let home = try await Pages.get(app, "/", officer)
            #expect(home.status == .ok)
            Pages.expectSecurityHeaders(home)
            Pages.expectNoInlineScriptOrStyle(home.text)
            #expect(home.text.contains(created["reference"] as! String))
            #expect(home.text.contains("Shared between two pupils"))
            #expect(!home.text.contains("A case of another officer"), "home lists my cases")
            #expect(home.text.contains("<h2 class=\"heading-l\">Actions to do</h2>"))
            #expect(home.text.contains("Record the report as a crime") || home.text.contains("crime"), "an open action is listed")

            let list = try await Pages.get(app, "/cases", officer)
            #expect(list.text.contains("A case of another officer"), "the case list has the organisation's cases")

            let admin = try await Pages.signIn(app, "admin@policeA.test")
            let adminHome = try await Pages.get(app, "/", admin)
            #expect(adminHome.status == .ok)
            #expect(adminHome.text.contains("You do not see case content"))
            #expect(!adminHome.text.contains("Shared between two pupils"))
            #expect(try await Pages.get(app, "/cases", admin).status == .forbidden)
        }
    }

    @Test func anonymousPeopleAreSentToSignIn() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            _ = try await createCase(app, token: world.token("policeA.officer"))
            for path in ["/", "/cases"] {
                let reply = try await Pages.get(app, path)
                #expect(reply.status == .seeOther, "\(path)")
                #expect(reply.headers.first(name: .location) == "/sign-in", "\(path)")
            }
        }
    }
}
