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

    /// The form cookie a page shown to someone not signed in sets (`AnonymousFormToken`), as the browser sends it back.
    static func formCookie(_ reply: Reply) -> String? {
        reply.headers[.setCookie].first { $0.hasPrefix("safeguard-form=") }.map { String($0.split(separator: ";")[0]) }
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
        let anonymous = Browser(cookie: try #require(formCookie(page)), csrf: try #require(csrf(in: page.text)))
        var reply = try await post(app, "/sign-in", anonymous, [("email", email), ("password", testPassword)])
        #expect(reply.status == .seeOther, "sign in as \(email): \(reply.status)")
        if reply.headers.first(name: .location) == "/sign-in/code" {
            // Two-factor sign-in: the code page, then the code the person's app shows now.
            let pending = Browser(cookie: try #require(cookie(reply)), csrf: "")
            let codePage = try await get(app, "/sign-in/code", pending)
            let withCSRF = Browser(cookie: pending.cookie, csrf: try #require(csrf(in: codePage.text)))
            reply = try await post(app, "/sign-in/code", withCSRF, [("code", try await currentCode(app, email: email))])
            #expect(reply.status == .seeOther && reply.headers.first(name: .location) == "/", "the code for \(email): \(reply.status)")
        }
        let session = try #require(cookie(reply))
        let home = try await get(app, "/", Browser(cookie: session, csrf: ""))
        return Browser(cookie: session, csrf: try #require(csrf(in: home.text)))
    }

    /// The security headers every page carries.
    static func expectSecurityHeaders(_ reply: Reply, noStore: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        let csp = reply.headers.first(name: "Content-Security-Policy") ?? ""
        #expect(csp.contains("default-src 'none'"), sourceLocation: sourceLocation)
        #expect(csp.contains("script-src 'self'"), "scripts from our own files only: pages.js", sourceLocation: sourceLocation)
        #expect(csp.contains("style-src 'self'"), sourceLocation: sourceLocation)
        #expect(!csp.contains("unsafe-inline"), sourceLocation: sourceLocation)
        #expect(csp.contains("frame-ancestors 'none'"), sourceLocation: sourceLocation)
        #expect(reply.headers.first(name: "Referrer-Policy") == "no-referrer", sourceLocation: sourceLocation)
        #expect(reply.headers.first(name: "X-Content-Type-Options") == "nosniff", sourceLocation: sourceLocation)
        #expect(reply.headers.first(name: "X-Frame-Options") == "DENY", sourceLocation: sourceLocation)
        #expect(reply.headers.first(name: "Cross-Origin-Opener-Policy") == "same-origin", sourceLocation: sourceLocation)
        #expect(reply.headers.first(name: "Permissions-Policy") == "camera=(), microphone=(), geolocation=()", sourceLocation: sourceLocation)
        // Each once: added, never added again beside what a route set.
        for name in ["Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options", "Cache-Control"] {
            #expect(reply.headers[name].count <= 1, "\(name) sent \(reply.headers[name].count) times", sourceLocation: sourceLocation)
        }
        if noStore { #expect(reply.headers.first(name: .cacheControl) == "no-store", sourceLocation: sourceLocation) }
    }

    /// The element ids a page gives more than once: a label, a link to an error or a "Next" link then finds the first
    /// of them, whichever it was meant for.
    static func repeatedIDs(_ html: String) -> [String] {
        let ids = html.matches(of: /\sid="([^"]+)"/).map { String($0.1) }
        return Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
    }

    /// No inline script or style (what the Content-Security-Policy would block anyway), and no script but
    /// the pages' own file.
    static func expectNoInlineScriptOrStyle(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let scripts = html.components(separatedBy: "<script").dropFirst()
        // Rendered, or in the layout's template.
        #expect(scripts.allSatisfy { ($0.hasPrefix(#" src="/assets/pages.js?v="#) || $0.hasPrefix(##" src="#(layout.script)""##))
                                     && $0.contains("defer></script>") },
                "only the pages' script, from its file", sourceLocation: sourceLocation)
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

    /// `knownFacts` with one circumstance known to be so (one that rules Outcome 21 out, say).
    static func knownFacts(with circumstance: String) -> [String: Any] {
        var facts = knownFacts
        var circumstances = facts["circumstances"] as! [String: Any]
        circumstances[circumstance] = true
        facts["circumstances"] = circumstances
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
        #expect(views.count >= 8)
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
            let browser = Browser(cookie: try #require(Pages.formCookie(page)), csrf: try #require(Pages.csrf(in: page.text)))

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
            let browser = Browser(cookie: try #require(Pages.formCookie(page)), csrf: try #require(Pages.csrf(in: page.text)))
            for _ in 0..<5 {
                _ = try await Pages.post(app, "/sign-in", browser, [("email", "dsl@school.test"), ("password", "nope")])
            }
            let locked = try await Pages.post(app, "/sign-in", browser, [("email", "dsl@school.test"), ("password", testPassword)])
            #expect(locked.status == .tooManyRequests)
            #expect(locked.headers.first(name: .retryAfter) != nil)
            // "in 30 seconds", or 29 when the tries ran slowly.
            #expect(locked.text.contains("Too many failed sign-ins for this email from this address. Try again in "), "\(locked.text)")
            #expect(locked.text.contains(" seconds. If you have forgotten your password, ask your organisation&#39;s administrator."))
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
            // What is due by today first; MUST actions are due the next day by default, so they are listed later.
            let today = try #require(home.text.range(of: "<h2 class=\"heading-l\">Needs doing today</h2>"))
            let later = try #require(home.text.range(of: "<h2 class=\"heading-l\">Actions to do later</h2>"))
            #expect(today.lowerBound < later.lowerBound)
            #expect(home.text[today.upperBound...].contains("Nothing on your cases is overdue or due today."))
            #expect(home.text[later.upperBound...].contains("crime"), "an open action is listed")
            #expect(home.text[later.upperBound...].contains("Due by " + PageWords.day(CaseController.today.adding(days: 1))),
                    "a MUST action is due the day after it is raised, by default")

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

    /// With thousands of cases, the older ones are reached a page at a time, or by the reference on the paperwork.
    @Test func theCaseListPagesAndFindsACaseByItsReference() async throws {
        #expect(CaseListPage.paging(total: 200, page: 1, shown: 200) == ("", "", ""), "one page: nothing to say")
        #expect(CaseListPage.paging(total: 26_000, page: 1, shown: 200)
                == ("Showing 1 to 200 of 26,000, most recently changed first.", "", "/cases?page=2"))
        #expect(CaseListPage.paging(total: 26_000, page: 2, shown: 200)
                == ("Showing 201 to 400 of 26,000, most recently changed first.", "/cases?page=1", "/cases?page=3"))
        #expect(CaseListPage.paging(total: 450, page: 3, shown: 50)
                == ("Showing 401 to 450 of 450, most recently changed first.", "/cases?page=2", ""))
        #expect(CaseListPage.paging(total: 450, page: 9, shown: 0)
                == ("There are 450 in all: this page is past the last.", "/cases?page=3", ""))
        #expect(PageWords.count(1_234_567) == "1,234,567" && PageWords.count(999) == "999" && PageWords.count(-1_000) == "-1,000")

        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"), summary: "The one on the paperwork")
            let reference = created["reference"] as! String
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let found = try await Pages.get(app, "/cases?reference=\(reference.lowercased().replacingOccurrences(of: "sg-", with: "%20sg-"))", officer)
            #expect(found.status == .seeOther && found.headers.first(name: .location) == "/cases/\((created["id"] as! String).lowercased())",
                    "\(found.status) \(found.headers.first(name: .location) ?? "")")
            // Another organisation's case is not found, and says nothing of whether it exists.
            let theirs = try await createCase(app, token: world.token("policeB.officer"))["reference"] as! String
            let refused = try await Pages.get(app, "/cases?reference=\(theirs)", officer)
            #expect(refused.status == .notFound && refused.text.contains("No case you can see has the reference \(theirs)"))
            #expect(refused.text.contains("value=\"\(theirs)\""), "the reference looked for is kept in the box")
            // A page past the last, or not a number, is no error.
            #expect(try await Pages.get(app, "/cases?page=7", officer).status == .ok)
            #expect(try await Pages.get(app, "/cases?page=x", officer).text.contains(reference))
        }
    }

    @Test func anonymousPeopleAreSentToSignIn() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await createCase(app, token: world.token("policeA.officer"))["id"] as! String
            for path in ["/", "/cases", "/cases/new", "/cases/\(id)", "/cases/\(id)/questions/people", "/guidance/college-of-policing/current/Action%201"] {
                let reply = try await Pages.get(app, path)
                #expect(reply.status == .seeOther, "\(path)")
                // Home is where signing in goes anyway; any other page is asked for again afterwards.
                let location = URLComponents(string: reply.headers.first(name: .location) ?? "")
                #expect(location?.path == "/sign-in", "\(path)")
                #expect(location?.queryItems?.first { $0.name == "to" }?.value == (path == "/" ? nil : path), "\(path)")
            }
        }
    }

    /// A link to a case followed while signed out lands on the case once signed in, with or without a code, not on
    /// the home page; only a path on this site is gone on to.
    @Test func signingInGoesOnToThePageAskedFor() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let police = (try await createCase(app, token: world.token("policeA.officer"))["id"] as! String).lowercased()
            let asked = try await Pages.get(app, "/cases/\(police)")
            let signInPath = try #require(asked.headers.first(name: .location))
            #expect(signInPath == "/sign-in?to=/cases/\(police)")
            func signIn(_ email: String, from path: String) async throws -> Reply {
                let page = try await Pages.get(app, path)
                let anonymous = Browser(cookie: try #require(Pages.formCookie(page)), csrf: try #require(Pages.csrf(in: page.text)))
                let to = page.text.range(of: #"name="to" value="[^"]*""#, options: .regularExpression)
                    .map { String(page.text[$0].dropFirst(#"name="to" value=""#.count).dropLast()) }
                var reply = try await Pages.post(app, "/sign-in", anonymous, [("email", email), ("password", testPassword)] + (to.map { [("to", $0)] } ?? []))
                if reply.headers.first(name: .location) == "/sign-in/code" {
                    let pending = Browser(cookie: try #require(Pages.cookie(reply)), csrf: "")
                    let codePage = try await Pages.get(app, "/sign-in/code", pending)
                    reply = try await Pages.post(app, "/sign-in/code", Browser(cookie: pending.cookie, csrf: try #require(Pages.csrf(in: codePage.text))),
                                                 [("code", try await currentCode(app, email: email))])
                }
                return reply
            }
            // No second factor: straight there.
            #expect(try await signIn("officer@policeA.test", from: signInPath).headers.first(name: .location) == "/cases/\(police)")
            // With a code: there after the code.
            let school = (try await createCase(app, token: world.token("school.dsl"))["id"] as! String).lowercased()
            #expect(try await signIn("dsl@school.test", from: "/sign-in?to=/cases/\(school)").headers.first(name: .location) == "/cases/\(school)")
            // Another site's address, or none, is home.
            #expect(try await signIn("officer@policeA.test", from: "/sign-in?to=//evil.example/x").headers.first(name: .location) == "/")
            // Nor a path a browser would turn into another site's: it drops tabs and newlines, and reads \ as /.
            for trick in ["/%09/evil.example", "/%0A/evil.example", "/%0D%0A/evil.example", "/%5Cevil.example", "/%20/evil.example", "/%E2%80%8B/evil.example"] {
                #expect(try await signIn("officer@policeA.test", from: "/sign-in?to=\(trick)").headers.first(name: .location) == "/", "\(trick)")
            }
            #expect(TwoFactorPagesController.returnPath("/cases?page=2&status=open") == "/cases?page=2&status=open", "an ordinary path with a query still works")
            #expect(try await signIn("officer@policeA.test", from: "/sign-in").headers.first(name: .location) == "/")
        }
    }

    // MARK: The case page

    @Test func theCasePageShowsOpenQuestionsFirstThenDecisionsWithCitationsActionsAndFacts() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)
            let id = (created["id"] as! String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let page = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(page.status == .ok)
            Pages.expectSecurityHeaders(page)
            Pages.expectNoInlineScriptOrStyle(page.text)
            let html = page.text
            #expect(html.contains("<h1 class=\"heading-xl\">Case \(created["reference"] as! String)</h1>"))
            let order = ["id=\"questions\"", "id=\"decisions\"", "id=\"actions\"", "id=\"people\"", "id=\"imagery\"", "id=\"devices\""]
                .map { html.range(of: $0)?.lowerBound }
            #expect(order.allSatisfy { $0 != nil })
            #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted(), "open questions first, then decisions, actions, people, imagery, devices")
            #expect(html.contains("Proportionate, supportive response"))
            #expect(html.contains("href=\"/guidance/college-of-policing/current/Action%20"), "citations link to the paragraph")
            #expect(html.contains("Person A") && html.contains("Imagery I1") && html.contains("Device D1"))
            #expect(html.contains("Was the imagery taken and shared willingly, with everyone&#39;s permission? Yes"),
                    "reasons are given as the question and its answer")
            // What happened, together in its own section in the edition's questions (it was only inside each "Why"),
            // and where the imagery went by the services' own names.
            let happened = try #require(html.range(of: #"(?s)id="happened".*?</dl>"#, options: .regularExpression).map { String(html[$0]) })
            #expect(happened.contains("<dt>Was the imagery taken and shared willingly, with everyone&#39;s permission?</dt><dd>Yes</dd>"), "\(happened)")
            #expect(happened.components(separatedBy: "<div class=\"summary-row\">").count - 1
                    == QuestionStep.happenedFacts.count + QuestionStep.harmFacts.count)
            #expect(html.contains("<dt>Where it was shared</dt><dd>Snapchat</dd>"))
            #expect(html.contains("name=\"status\" type=\"radio\" value=\"notApplicable\""), "the checklist has a form")

            // The cited paragraph's text.
            let link = try #require(html.range(of: #"href="/guidance/[^"]+""#, options: .regularExpression).map { String(html[$0].dropFirst(6).dropLast()) })
            let section = try await Pages.get(app, link, officer)
            #expect(section.status == .ok)
            #expect(section.text.contains("Responding to the taking or sharing of nude and semi-nude images by young people"))
            #expect(try await Pages.get(app, "/guidance/college-of-policing/current/Action%2099", officer).status == .notFound)

            // The read is audited by id.
            let entries = try await AuditStore(db: app.db).entries(organisationID: nil, limit: 1000)
            #expect(entries.contains { $0.action == "case.read" && $0.caseID.lowercased() == id && ($0.detail == "via=page" || $0.detail == "via=page seen=shown") })
        }
    }

    /// Every question answered, the facts can still be corrected: the link to them went with the last open question,
    /// leaving no way on the pages to change an age found to be wrong (found in a hands-on check).
    @Test func withEveryQuestionAnsweredTheFactsCanStillBeChanged() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            var facts = Pages.knownFacts
            facts["people"] = ["A", "B"].map { ref -> [String: Any] in
                ["ref": ref, "age": 15, "roles": ref == "A" ? ["depicted", "creator", "sender"] : ["recipient"],
                 "selfHarmRisk": false, "immediateDanger": false, "parentalInvolvementRisk": false, "inCare": false,
                 "childProtectionPlan": false, "learningDisability": false]
            }
            let created = try await createCase(app, token: world.token("policeA.officer"), facts: facts)
            let id = (created["id"] as! String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let html = try await Pages.get(app, "/cases/\(id)", officer).text
            #expect(html.contains("No open questions: every decision is settled by what is known."), "the case this test needs")
            let change = "<a href=\"/cases/\(id)/questions/\(QuestionStep.allCases[0].rawValue)\">Change what is known</a>"
            #expect(html.contains(change))
            #expect(try await Pages.get(app, "/cases/\(id)/questions/\(QuestionStep.allCases[0].rawValue)", officer).status == .ok)
        }
    }

    @Test func casePagesRefuseAdminsAuditorsOtherOrganisationsAndOtherStaff() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let police = try await createCase(app, token: world.token("policeA.officer"))["id"] as! String
            let concern = try await createCase(app, token: world.token("school.staff"), summary: "A concern", facts: [:])["id"] as! String
            for email in ["admin@policeA.test", "auditor@policeA.test"] {
                let browser = try await Pages.signIn(app, email)
                let reply = try await Pages.get(app, "/cases/\(police)", browser)
                #expect(reply.status == .forbidden, "\(email)")
                #expect(reply.text.contains("You cannot see this page"))
                #expect(reply.headers.contentType == .html)
                Pages.expectSecurityHeaders(reply)
            }
            let other = try await Pages.signIn(app, "officer@policeB.test")
            let notFound = try await Pages.get(app, "/cases/\(police)", other)
            #expect(notFound.status == .notFound)
            #expect(notFound.text.contains("Page not found"))
            #expect(try await Pages.get(app, "/cases/\(police)/questions/people", other).status == .notFound)
            let otherStaff = try await Pages.signIn(app, "staff2@school.test")
            #expect(try await Pages.get(app, "/cases/\(concern)", otherStaff).status == .notFound)
            let staff = try await Pages.signIn(app, "staff@school.test")
            #expect(try await Pages.get(app, "/cases/\(concern)", staff).status == .ok)
            #expect(try await Pages.get(app, "/cases/\(concern)/questions/people", staff).status == .forbidden,
                    "staff raise concerns; the DSL answers the questions")
            // A JSON client still gets the API's error shape.
            let json = try await send(app, .GET, "/cases/\(police)", headers: [("Cookie", other.cookie), ("Accept", "application/json")])
            #expect(json.errorCode == "not_found")
        }
    }

    @Test func anActionIsCompletedOrMarkedNotApplicableWithAReason() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let id = (created["id"] as! String).lowercased()
            let actions = created["actions"] as! [[String: Any]]
            let first = actions[0]["id"] as! String, second = actions[1]["id"] as! String
            let officer = try await Pages.signIn(app, "officer@policeA.test")

            let noCSRF = try await Pages.post(app, "/cases/\(id)/actions/\(first)", officer, [("status", "done")], csrf: false)
            #expect(noCSRF.status == .forbidden)
            #expect(noCSRF.text.contains("The form has expired"))

            // A must-do ticked done with no note is refused: it is done by its record, or with a note of where and how.
            #expect(actions[0]["severity"] as? String == "must", "the case this test needs")
            let bare = try await Pages.post(app, "/cases/\(id)/actions/\(first)", officer, [("status", "done"), ("reason", "")])
            #expect(bare.status == .unprocessableEntity)
            #expect(bare.text.contains("<a href=\"#action-\(first.lowercased())-reason\">This must-do is done by recording it ("), "\(bare.text)")
            #expect(bare.text.contains("or say in the note where and how it was done.</a>"), "the same rule and words as the API's")
            #expect(bare.text.contains(#"id="action-\#(first.lowercased())-done" name="status" type="radio" value="done" checked"#), "the choice is kept")
            // Each action's form is folded under "Record this action" (a review counted 167 tab stops to the urgent
            // record); the refused one comes back unfolded, the others stay folded.
            let folds = bare.text.components(separatedBy: "<details class=\"checklist-details\"").dropFirst()
            #expect(folds.count == actions.filter { $0["status"] as? String == "open" }.count, "one fold per open action")
            #expect(folds.filter { $0.hasPrefix(" open>") }.count == 1 && folds.first { $0.hasPrefix(" open>") }?.contains("action-\(first.lowercased())-done") == true)
            let fresh = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(!fresh.text.contains("<details class=\"checklist-details\" open>"), "folded when first shown")
            let done = try await Pages.post(app, "/cases/\(id)/actions/\(first)", officer, [("status", "done"), ("reason", "Done at the scene")])
            #expect(done.status == .seeOther)
            let saved = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(saved.text.contains("Saved: \u{201C}\(PagesHTML.escape(actions[0]["text"] as! String))\u{201D} is done."), "the page says what was saved")
            #expect(done.headers.first(name: .location) == "/cases/\(id)#actions")

            let noReason = try await Pages.post(app, "/cases/\(id)/actions/\(second)", officer, [("status", "notApplicable"), ("reason", " ")])
            #expect(noReason.status == .unprocessableEntity)
            let field = "action-" + second.lowercased()
            #expect(noReason.text.contains("<a href=\"#\(field)-reason\">Say why the action does not apply</a>"))
            #expect(noReason.text.contains("id=\"\(field)-reason\""))
            // The actions were raised together, so their ids share their first digits: each action's fields still
            // have ids of their own, and the error is shown under the action that was sent, and no other.
            #expect(first.lowercased().prefix(8) == second.lowercased().prefix(8), "the case this test needs")
            #expect(Pages.repeatedIDs(noReason.text).isEmpty, "repeated ids: \(Pages.repeatedIDs(noReason.text))")
            #expect(noReason.text.components(separatedBy: "Say why the action does not apply").count - 1 == 2,
                    "once in the summary of errors, once at the action sent")
            #expect(Pages.repeatedIDs(try await Pages.get(app, "/cases/\(id)", officer).text).isEmpty)

            let notApplicable = try await Pages.post(app, "/cases/\(id)/actions/\(second)", officer,
                                                     [("status", "notApplicable"), ("reason", "Handled by the school")])
            #expect(notApplicable.status == .seeOther)
            let read = try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("policeA.officer")).json
            let statuses = Dictionary(uniqueKeysWithValues: (read["actions"] as! [[String: Any]]).map { (($0["id"] as! String).uppercased(), $0["status"] as! String) })
            #expect(statuses[first.uppercased()] == "done")
            #expect(statuses[second.uppercased()] == "notApplicable")
            let page = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(page.text.contains("Handled by the school"))
        }
    }

    // MARK: New report and raising a concern

    @Test func anOfficerReportsACaseStepByStepAndSeesTheDecisions() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let form = try await Pages.get(app, "/cases/new", officer)
            #expect(form.status == .ok)
            #expect(form.text.contains("<h1 class=\"heading-xl\">Report a new case</h1>"))
            Pages.expectNoInlineScriptOrStyle(form.text)

            let invalid = try await Pages.post(app, "/cases/new", officer, [("summary", ""), ("ageA", "fifteen"), ("ageB", "")])
            #expect(invalid.status == .unprocessableEntity)
            #expect(invalid.text.contains("<a href=\"#summary\">Enter a short summary of what happened</a>"))
            #expect(invalid.text.contains("<a href=\"#kind-image\">Select what was shared</a>"))
            #expect(invalid.text.contains("<a href=\"#ageA\">Enter the age as a whole number"))
            #expect(invalid.text.contains("value=\"fifteen\""), "what was typed is kept")

            let created = try await Pages.post(app, "/cases/new", officer,
                                               [("summary", "Image shared between two pupils"), ("kind", "image"), ("ageA", "15"), ("ageB", "15")])
            #expect(created.status == .seeOther)
            let id = try #require(Pages.caseID(fromLocation: created))
            #expect(created.headers.first(name: .location) == "/cases/\(id)/questions/people")

            let people = try await Pages.get(app, "/cases/\(id)/questions/people", officer)
            #expect(people.status == .ok)
            #expect(people.text.contains("Decisions so far"))
            #expect(people.text.contains("Answer these next"))
            #expect(people.text.contains("Is A in immediate danger?"))
            #expect(people.text.contains("id=\"p0-immediateDanger-unknown\" name=\"p0-immediateDanger\" type=\"radio\" value=\"unknown\" checked"))
            let version = "1"
            var answers: [(String, String)] = [("version", version), ("p0-age", "15"), ("p1-age", "15")]
            for i in 0..<2 { for fact in QuestionStep.personFacts.map(\.key) { answers.append(("p\(i)-\(fact)", "no")) } }
            let saved = try await Pages.post(app, "/cases/\(id)/questions/people", officer, answers)
            #expect(saved.status == .seeOther)
            #expect(saved.headers.first(name: .location) == "/cases/\(id)/questions/happened")

            // A stale form (version 1 again) does not overwrite the newer answers.
            let stale = try await Pages.post(app, "/cases/\(id)/questions/people", officer, [("version", "1"), ("p0-age", "14")])
            #expect(stale.status == .conflict)
            #expect(stale.text.contains("Someone else changed this case"))
            // Issue 11, point 3: what was typed is kept, what it would change is shown, and the way back is the case.
            #expect(stale.text.contains("A&#39;s age: 15 → 14"))
            #expect(stale.text.contains("id=\"p0-age\"") && stale.text.contains("value=\"14\""), "the typed answer is kept")
            #expect(stale.text.contains("name=\"version\" value=\"2\""), "saving again applies to the case as it is now")
            #expect(stale.text.contains("href=\"/cases/\(id)\""), "a link back to the case")
            // The same answers as are saved now are no conflict: nothing to change.
            let same = try await Pages.post(app, "/cases/\(id)/questions/people", officer, answers)
            #expect(same.status == .seeOther)

            let happened = try await Pages.post(app, "/cases/\(id)/questions/happened", officer,
                                                [("version", "2"), ("c-willing", "yes"), ("c-ageAppropriate", "yes"), ("c-accidental", "no")])
            #expect(happened.headers.first(name: .location) == "/cases/\(id)/questions/harm")
            let harm = try await Pages.post(app, "/cases/\(id)/questions/harm", officer,
                                            [("version", "3")] + QuestionStep.harmFacts.map { ("c-\($0)", "no") })
            #expect(harm.headers.first(name: .location) == "/cases/\(id)/questions/imagery")
            let imagery = try await Pages.post(app, "/cases/\(id)/questions/imagery", officer,
                                               [("version", "4")] + QuestionStep.imageryFacts.map { ("i0-\($0.key)", "no") })
            #expect(imagery.headers.first(name: .location) == "/cases/\(id)")

            let page = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(page.text.contains("Proportionate, supportive response"))
            #expect(page.text.contains("Can be considered"), "Outcome 21 eligible with every fact known")
            let api = try await send(app, .GET, "/api/v1/cases/\(id)", token: nil, headers: [("Cookie", officer.cookie)]).json
            let facts = api["facts"] as! [String: Any]
            #expect((facts["circumstances"] as! [String: Any])["willing"] as? Bool == true)
            #expect(((facts["people"] as! [[String: Any]])[0])["age"] as? Int == 15)
            #expect(api["version"] as? Int == 5)
        }
    }

    @Test func staffRaiseAConcernAndTheDSLSeesItWaitingForTriage() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let staff = try await Pages.signIn(app, "staff@school.test")
            let form = try await Pages.get(app, "/cases/new", staff)
            #expect(form.text.contains("<h1 class=\"heading-xl\">Raise a concern</h1>"))
            let raised = try await Pages.post(app, "/cases/new", staff, [("summary", "Pupil told me an image was shared"), ("kind", "image"),
                                                                          ("ageA", ""), ("ageB", "")])
            #expect(raised.status == .seeOther)
            let id = try #require(Pages.caseID(fromLocation: raised))
            #expect(raised.headers.first(name: .location) == "/cases/\(id)")
            let page = try await Pages.get(app, "/cases/\(id)", staff)
            #expect(page.text.contains("Your designated safeguarding person will look at this concern"), "the test school is in Wales")
            #expect(!page.text.contains("name=\"status\""), "staff do not record actions")

            let dsl = try await Pages.signIn(app, "dsl@school.test")
            let home = try await Pages.get(app, "/", dsl)
            #expect(home.text.contains("Concerns waiting for triage"))
            #expect(home.text.contains("Pupil told me an image was shared"))
            let questions = try await Pages.get(app, "/cases/\(id)/questions/people", dsl)
            #expect(questions.status == .ok)
            #expect(questions.text.contains("Is A presenting as suicidal or self-harming?"), "the education pack's wording")
        }
    }

    @Test func imageryInAPageFormIsRefusedWithAPage() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let reply = try await Pages.post(app, "/cases/new", officer, [("summary", "data:image/png;base64,iVBORw0KGgo="), ("kind", "image")])
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.text.contains("Images cannot be uploaded"))
            #expect(try await count(app, "cases") == 0)
        }
    }
}
