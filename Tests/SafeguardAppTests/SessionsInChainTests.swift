@testable import SafeguardApp
import Testing
import Vapor

/// `SessionsInChain`: an API request without the session cookie goes through the middleware chain in one task; a page,
/// or an API call made with the session cookie, still has its session read and written by Vapor's middleware.
@Suite struct SessionsInChainTests {
    /// Notes the task a request's chain runs in, so that the route can tell whether it runs in the same one.
    struct TaskProbe: AsyncMiddleware {
        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            request.storage[ChainTaskKey.self] = withUnsafeCurrentTask { $0?.hashValue }
            return try await next.respond(to: request)
        }
    }
    struct ChainTaskKey: StorageKey { typealias Value = Int }

    /// "same" when the route ran in the chain's task, else "other"; then what the session held, if anything.
    static func answer(_ request: Request) -> String {
        let here = withUnsafeCurrentTask { $0?.hashValue }
        let task = here != nil && here == request.storage[ChainTaskKey.self] ? "same" : "other"
        return task + " " + (request.hasSession ? request.session.data["seen"] ?? "-" : "none")
    }

    func withProbeApp(_ body: (Application) async throws -> Void) async throws {
        let app = try await Application.make(.testing)
        do {
            app.sessions.use(.memory)
            app.middleware = Middlewares()
            app.middleware.use(AsyncMiddlewareChain([TaskProbe(),
                                                     SessionsInChain(app.sessions.middleware, cookieName: "vapor-session")]))
            app.get("api", "v1", "probe") { req async in Self.answer(req) }
            app.get("page") { req async in
                let answer = Self.answer(req)
                req.session.data["seen"] = "yes"
                return answer
            }
            try await body(app)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    @Test func anAPIRequestWithoutTheSessionCookieRunsInTheChainsTask() async throws {
        try await withProbeApp { app in
            let plain = try await app.testing().sendRequest(.GET, "/api/v1/probe")
            #expect(plain.body.string == "same none")
            #expect(plain.headers.setCookie == nil)
            // Another site's cookie is not a session either.
            let other = try await app.testing().sendRequest(.GET, "/api/v1/probe", headers: ["Cookie": "theme=dark"])
            #expect(other.body.string == "same none")
        }
    }

    @Test func pagesAndCookieAPICallsStillHaveTheirSession() async throws {
        try await withProbeApp { app in
            // A page's session is written, and its cookie set.
            let page = try await app.testing().sendRequest(.GET, "/page")
            #expect(page.body.string == "other none")
            let cookie = try #require(page.headers.setCookie?["vapor-session"]?.string)
            // With that cookie the API reads the session, through Vapor's middleware.
            let api = try await app.testing().sendRequest(.GET, "/api/v1/probe", headers: ["Cookie": "vapor-session=\(cookie)"])
            #expect(api.body.string == "other yes")
            let again = try await app.testing().sendRequest(.GET, "/page", headers: ["Cookie": "vapor-session=\(cookie)"])
            #expect(again.body.string == "other yes")
        }
    }

    @Test func onlyAPIPathsWithoutTheCookieSkipTheSession() async throws {
        let app = try await Application.make(.testing)
        func request(_ path: String, cookie: String? = nil) -> Request {
            var headers = HTTPHeaders()
            if let cookie { headers.add(name: .cookie, value: cookie) }
            return Request(application: app, method: .GET, url: URI(path: path), headers: headers, on: app.eventLoopGroup.any())
        }
        #expect(SessionsInChain.needsNoSession(request("/api/v1/cases"), cookieName: "s"))
        #expect(SessionsInChain.needsNoSession(request("/api/v1/cases", cookie: "t=1"), cookieName: "s"))
        #expect(!SessionsInChain.needsNoSession(request("/api/v1/cases", cookie: "t=1; s=abc"), cookieName: "s"))
        #expect(!SessionsInChain.needsNoSession(request("/cases"), cookieName: "s"))
        #expect(!SessionsInChain.needsNoSession(request("/"), cookieName: "s"))
        #expect(!SessionsInChain.needsNoSession(request("/apis"), cookieName: "s"))
        try await app.asyncShutdown()
    }

    @Test func whetherARequestIsForTheAPIComesFromItsRouteOrElseItsPath() async throws {
        let app = try await Application.make(.testing)
        func request(_ path: String, route: [PathComponent]?) -> Request {
            let request = Request(application: app, method: .GET, url: URI(path: path), on: app.eventLoopGroup.any())
            request.route = route.map {
                Route(method: .GET, path: $0, responder: app.responder.current, requestType: Request.self, responseType: Response.self)
            }
            return request
        }
        #expect(request("/api/v1/cases/SG-1", route: ["api", "v1", "cases", ":id"]).isForAPI)
        #expect(request("/api/v1/openapi.json", route: ["api", "v1", "openapi.json"]).isForAPI)
        #expect(!request("/cases/SG-1", route: ["cases", ":id"]).isForAPI)
        #expect(!request("/", route: []).isForAPI)
        // Matched to no route (a 404): by the path, as Vapor decodes it.
        #expect(request("/api/v1/nothing", route: nil).isForAPI)
        // An encoded path is not taken for the API: it keeps its session middleware, the safe side for a 404.
        #expect(!request("/%61pi/v1/nothing", route: nil).isForAPI)
        #expect(!request("/apis", route: nil).isForAPI)
        #expect(!request("/nothing", route: nil).isForAPI)
        try await app.asyncShutdown()
    }
}

/// `LoopTaskExecutor`: a read's chain, and the API route it calls, run on the request's own event loop, so it does
/// not change thread to start, to write its answer, or to resume after a database answer on that loop; a write runs
/// on Swift's thread pool, where its assessment holds up no loop.
@Suite struct LoopTaskExecutorTests {
    /// Where the route ran: "loop" on its request's event loop, else "elsewhere".
    static func whereItRan(_ request: Request) -> String { request.eventLoop.inEventLoop ? "loop" : "elsewhere" }

    @Test func theConfiguredAppAnswersAnAPIRequestOnItsOwnLoop() async throws {
        try await withApp { app in
            app.get("api", "v1", "loop-probe") { req async in Self.whereItRan(req) }
            app.post("api", "v1", "loop-probe") { req async in Self.whereItRan(req) }
            // A long read (checking the whole audit trail) leaves the loop for its work.
            app.get("api", "v1", "long-probe") { req async throws in
                try await offTheLoop { Self.whereItRan(req) }
            }
            let long = try await send(app, .GET, "/api/v1/long-probe")
            #expect(String(decoding: long.body, as: UTF8.self) == "elsewhere")
            for _ in 0..<4 {
                let reply = try await send(app, .GET, "/api/v1/loop-probe")
                #expect(String(decoding: reply.body, as: UTF8.self) == "loop")
                let write = try await send(app, .POST, "/api/v1/loop-probe", json: [String: String]())
                #expect(String(decoding: write.body, as: UTF8.self) == "elsewhere")
            }
            // Over a real socket too, where the loop is the connection's.
            let running = try await send(app, .GET, "/api/v1/loop-probe", over: .running(hostname: "127.0.0.1", port: 0))
            #expect(String(decoding: running.body, as: UTF8.self) == "loop")
        }
    }

    /// Where a route behind a bare chain ran, with or without the loops' executors.
    func whereARouteRuns(withExecutors: Bool) async throws -> String {
        let app = try await Application.make(.testing)
        do {
            app.middleware = Middlewares()
            app.middleware.use(AsyncMiddlewareChain([SessionsInChainTests.TaskProbe()],
                                                    executors: withExecutors ? LoopTaskExecutors(group: app.eventLoopGroup) : nil))
            app.get("api", "v1", "loop-probe") { req async in Self.whereItRan(req) }
            let reply = try await app.testing().sendRequest(.GET, "/api/v1/loop-probe")
            try await app.asyncShutdown()
            return reply.body.string
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    @Test func onlyAChainGivenTheExecutorsRunsOnTheLoop() async throws {
        #expect(try await whereARouteRuns(withExecutors: true) == "loop")
        #expect(try await whereARouteRuns(withExecutors: false) == "elsewhere")
    }

    @Test func aLoopOutsideTheGroupHasNoExecutorSoItsRequestsRunOnThePool() async throws {
        let app = try await Application.make(.testing)
        let executors = LoopTaskExecutors(group: app.eventLoopGroup)
        let outside = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        #expect(executors.executor(for: outside.any()) == nil)
        #expect(executors.executor(for: app.eventLoopGroup.any()) != nil)
        try await outside.shutdownGracefully()
        try await app.asyncShutdown()
    }
}
