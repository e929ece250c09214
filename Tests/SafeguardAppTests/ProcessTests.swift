import FluentPostgresDriver
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SafeguardApp
import SafeguardPersistence
import Spawning
import SQLKit
import Testing
import Vapor

/// Runs the real `safeguard` executable: crash durability, the demo, setup, tokens and `audit verify`.
@Suite(.serialized) struct ProcessTests {
    static var binary: URL {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("safeguard")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return dir.appendingPathComponent("safeguard")
    }

    /// Where the server under test keeps its data: a new SQLite file, or a new PostgreSQL schema.
    struct Store {
        var environment: [String: String]
        var folder: URL

        static func make() throws -> Store {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("safeguard-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var env = ProcessInfo.processInfo.environment
            env["SAFEGUARD_DATA_KEY"] = TestDatabase.dataKey.base64
            if let url = TestDatabase.postgresURL {
                env["DATABASE_URL"] = url
                env["SAFEGUARD_POSTGRES_SCHEMA"] = "p_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
                // As the in-process tests allow (TestDatabase): the suite shares two cores with PostgreSQL.
                env["SAFEGUARD_POSTGRES_CONNECT_SECONDS"] = "120"
            } else {
                env["DATABASE_URL"] = "sqlite://" + folder.appendingPathComponent("safeguard.sqlite").path
            }
            return Store(environment: env, folder: folder)
        }

        /// Drops the PostgreSQL schema, or the SQLite folder.
        func cleanUp() async {
            if let schema = environment["SAFEGUARD_POSTGRES_SCHEMA"], let url = TestDatabase.postgresURL {
                // Through a bare connection, not the server's own set-up: with the tests' default options that read
                // the data keys on the database's default search path, found no table there and failed, so every
                // such test's schema was left behind (four every PostgreSQL run).
                do {
                    let app = try await Application.make(.testing)
                    do {
                        app.databases.use(try DatabaseLocation.postgres(url).configuration(), as: .psql)
                        try await (app.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(unsafeRaw: schema) CASCADE").run()
                    } catch {
                        print("cleanUp: could not drop \(schema): \(String(reflecting: error))")
                    }
                    try? await app.asyncShutdown()
                } catch {
                    print("cleanUp: \(String(reflecting: error))")
                }
            }
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// Runs the command to its end; `output` is what it wrote to standard output and standard error, in order.
    static func run(_ arguments: [String], store: Store, input: String? = nil) throws -> ChildProcess.Run {
        try ChildProcess.run(binary.path, arguments, environment: store.environment, directory: store.folder.path,
                             input: input, errorApart: false)
    }

    final class Server: @unchecked Sendable {
        let process: ChildProcess
        let port: Int
        let log: URL

        /// Starts a server on a free port (tries again on another port if the first is taken) and waits for it.
        static func start(store: Store, demo: Bool) async throws -> Server {
            var lastError: (any Error)?
            for _ in 0..<5 {
                let server = try Server(store: store, demo: demo)
                do {
                    try await server.waitUntilReady()
                    return server
                } catch {
                    server.stop()
                    lastError = error
                    guard server.output.lowercased().contains("address already in use") else { throw error }
                }
            }
            throw lastError!
        }

        init(store: Store, demo: Bool) throws {
            port = Int.random(in: 20_000..<40_000)
            log = store.folder.appendingPathComponent("server-\(port).log")
            process = try ChildProcess(ProcessTests.binary.path,
                                       ["serve", "--hostname", "127.0.0.1", "--port", String(port)] + (demo ? ["--demo"] : []),
                                       environment: store.environment, directory: store.folder.path, output: log.path)
        }

        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        func waitUntilReady() async throws {
            for _ in 0..<300 {
                if let (status, _) = try? await request("GET", "/api/v1/openapi.json"), status == 200 { return }
                guard process.isRunning else { throw TestFailure("the server exited: \(output)") }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            throw TestFailure("the server did not start: \(output)")
        }

        func request(_ method: String, _ path: String, token: String? = nil, json: [String: Any]? = nil) async throws -> (Int, [String: Any]) {
            try await request(method, path, token: token, body: json.map { try JSONSerialization.data(withJSONObject: $0) })
        }

        func request(_ method: String, _ path: String, token: String? = nil, body: Data?) async throws -> (Int, [String: Any]) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            // Generous: under CI every suite runs at once on two cores, and a debug build's bcrypt (C at -O0) took
            // over ten seconds there for one token. These tests are about behaviour; speed has its benchmarks.
            request.timeoutInterval = 60
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            if let body {
                request.httpBody = body
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            let started = Date()
            let (data, response): (Data, URLResponse)
            do {
                (data, response) = try await withCheckedThrowingContinuation { continuation in
                    URLSession.shared.dataTask(with: request) { data, response, error in
                        if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: (data ?? Data(), response!)) }
                    }.resume()
                }
            } catch {
                // Say what the server was doing: a bare URL error says nothing of why it did not answer.
                let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
                throw TestFailure("\(method) \(path) failed after \(seconds) s (\(error)); the server's log ends: \(output.suffix(1_500))")
            }
            let object = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
            return ((response as! HTTPURLResponse).statusCode, object)
        }

        func kill() {
            process.signal(SIGKILL)
            process.wait()
        }

        func stop() {
            process.signal(SIGTERM)
            process.wait()
        }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static let officer = "officer@england-police.demo.safeguard.invalid"

    @Test func anAcknowledgedWriteSurvivesSIGKILL() async throws {
        let store = try Store.make()
        let first = try await Server.start(store: store, demo: true)
        defer { first.stop() }
        #expect(first.output.contains(Self.officer), "the demo accounts are printed")
        let (tokenStatus, token) = try await first.request("POST", "/api/v1/tokens",
                                                           json: ["email": Self.officer, "password": SafeguardServer.demoPassword])
        #expect(tokenStatus == 201)
        let secret = try #require(token["token"] as? String)
        let (status, created) = try await first.request("POST", "/api/v1/cases", token: secret,
                                                        json: ["summary": "durability check", "facts": sampleFacts])
        #expect(status == 201)
        let id = try #require(created["id"] as? String)
        let (noteStatus, _) = try await first.request("POST", "/api/v1/cases/\(id)/notes", token: secret, json: ["text": "acknowledged"])
        #expect(noteStatus == 201)
        first.kill()   // SIGKILL right after the acknowledgement: no clean shutdown.
        #expect(!first.output.contains("durability check") && !first.output.contains("acknowledged"),
                "the server's log holds no case text")
        #expect(first.process.termination == .signalled(SIGKILL))

        let second = try await Server.start(store: store, demo: true)
        defer { second.stop() }
        let (readStatus, read) = try await second.request("GET", "/api/v1/cases/\(id)", token: secret)
        #expect(readStatus == 200)
        #expect(read["summary"] as? String == "durability check")
        #expect((read["actions"] as? [Any])?.isEmpty == false)
        let (_, notes) = try await second.request("GET", "/api/v1/cases", token: secret)
        #expect(notes["total"] as? Int == 1, "the demo was seeded once, and the case is there once")
        second.stop()

        let verify = try Self.run(["audit", "verify"], store: store)
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("valid"))
        await store.cleanUp()
    }

    @Test func setupTokensAndAuditVerifyFromTheCommandLine() async throws {
        let store = try Store.make()
        let migrate = try Self.run(["migrate"], store: store)
        #expect(migrate.status == 0, "\(migrate.output)")
        let setup = try Self.run(["setup", "--organisation", "Test Constabulary", "--kind", "police", "--jurisdiction", "wales",
                                  "--admin-email", "admin@constabulary.test"], store: store, input: "a long admin password\n")
        #expect(setup.status == 0, "\(setup.output)")
        #expect(setup.output.contains("Created Test Constabulary"))
        let again = try Self.run(["setup", "--organisation", "Test Constabulary", "--kind", "police", "--jurisdiction", "wales",
                                  "--admin-email", "other@constabulary.test"], store: store, input: "a long admin password\n")
        #expect(again.status != 0)
        #expect(again.output.contains("already exists"))
        // The kind as people say it; a word it does not know is answered with the words it does, not the code's.
        let school = try Self.run(["setup", "--organisation", "Test Academy", "--kind", "school", "--jurisdiction", "england",
                                   "--admin-email", "admin@academy.test"], store: store, input: "a long admin password\n")
        #expect(school.status == 0, "\(school.output)")
        let unknownKind = try Self.run(["setup", "--organisation", "Y", "--kind", "hospital", "--jurisdiction", "england",
                                        "--admin-email", "y@y.test"], store: store, input: "a long admin password\n")
        #expect(unknownKind.status != 0)
        #expect(unknownKind.output.contains("'police', 'school' or 'local-authority'"), "\(unknownKind.output)")
        #expect(!unknownKind.output.contains("localAuthority"))
        let noPassword = try Self.run(["setup", "--organisation", "X", "--kind", "education", "--jurisdiction", "england",
                                       "--admin-email", "x@x.test"], store: store, input: "")
        #expect(noPassword.status != 0)

        let token = try Self.run(["tokens", "create", "--email", "admin@constabulary.test", "--days", "2"], store: store)
        #expect(token.status == 0, "\(token.output)")
        let secret = try #require(token.output.split(separator: "\n").first { $0.hasPrefix("sgt_") }.map(String.init))
        // Listed with the id to revoke it by (a lost laptop's token, without disabling the account).
        let listed = try Self.run(["tokens", "list", "--email", "admin@constabulary.test"], store: store)
        #expect(listed.status == 0, "\(listed.output)")
        #expect(listed.output.contains("API tokens of admin@constabulary.test in use"))
        #expect(listed.output.contains("  cli  made "), "\(listed.output)")
        #expect(!listed.output.contains("sgt_"), "never the token itself")
        let nobody = try Self.run(["tokens", "list", "--email", "nobody@constabulary.test"], store: store)
        #expect(nobody.status != 0 && nobody.output.contains("nobody@constabulary.test"))

        let server = try await Server.start(store: store, demo: false)
        defer { server.stop() }
        let (status, me) = try await server.request("GET", "/api/v1/me", token: secret)
        #expect(status == 200)
        #expect((me["user"] as? [String: Any])?["role"] as? String == "admin")
        let (badStatus, _) = try await server.request("POST", "/api/v1/tokens", json: ["email": "admin@constabulary.test", "password": "wrong"])
        #expect(badStatus == 401)
        server.stop()

        // A reset link from the command line, for someone who cannot sign in; an unknown email is named.
        let link = try Self.run(["users", "reset-link", "admin@constabulary.test", "--base-url", "https://safeguard.example.test/"], store: store)
        #expect(link.status == 0, "\(link.output)")
        #expect(link.output.contains("They type it at https://safeguard.example.test/password-reset,"))
        let code = try #require(link.output.firstMatch(of: /\n  ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\n/)?.1)
        #expect(link.output.contains("https://safeguard.example.test/password-reset/\(code)"))
        #expect(link.output.contains("never by email"))
        let unknown = try Self.run(["users", "reset-link", "nobody@constabulary.test"], store: store)
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("nobody@constabulary.test"))

        let valid = try Self.run(["audit", "verify"], store: store)
        #expect(valid.status == 0, "\(valid.output)")

        // Tamper with the database directly: verify names the entry.
        if TestDatabase.postgresURL == nil {
            let db = store.environment["DATABASE_URL"]!.replacingOccurrences(of: "sqlite://", with: "")
            let sqlite = try ChildProcess.run("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE audit_entries SET detail='x' WHERE sequence=2\"); c.commit()", db])
            if sqlite.status == 0 {
                let broken = try Self.run(["audit", "verify"], store: store)
                #expect(broken.status == 1)
                #expect(broken.output.contains("entry 2"), "\(broken.output)")
            }
        }
        await store.cleanUp()
    }

    /// A database out of reach is named as such when a command starts, not with PostgreSQL's generic sentence
    /// ("Generic description to prevent accidental leakage…"), and a server that never answers is given up on after
    /// SAFEGUARD_POSTGRES_CONNECT_SECONDS.
    @Test func aPostgresDatabaseOutOfReachIsNamedWhenACommandStarts() async throws {
        var store = try Store.make()
        defer { try? FileManager.default.removeItem(at: store.folder) }
        // Nothing listens on port 1.
        store.environment["DATABASE_URL"] = "postgres://nobody:a-password@127.0.0.1:1/none"
        let refused = try Self.run(["migrate"], store: store)
        #expect(refused.status == 1)
        #expect(refused.output.contains("Error: PostgreSQL: connectionError, ") && refused.output.contains("Connection refused"), "\(refused.output)")
        #expect(!refused.output.contains("Generic description") && !refused.output.contains("a-password"))

        let timedOut = try await withSilentServer { port in
            store.environment["DATABASE_URL"] = "postgres://nobody:a-password@127.0.0.1:\(port)/none"
            store.environment["SAFEGUARD_POSTGRES_CONNECT_SECONDS"] = "2"
            return try Self.run(["migrate"], store: store)
        }
        #expect(timedOut.status == 1)
        #expect(timedOut.output.contains("Error: PostgreSQL: connectionError, Connect timeout (2 s)"), "\(timedOut.output)")
    }

    @Test func subjectAccessFromTheCommandLine() async throws {
        let store = try Store.make()
        let seeded = try Self.run(["demo-data", "--cases", "3"], store: store)
        #expect(seeded.status == 0, "\(seeded.output)")
        // Demo cases are spread over the past year, and a case's reference carries the year it was opened in.
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        let organisation = "Demo Police Force (England)"
        var reference = "SG-\(year)-000001"
        var text = try Self.run(["subject-access", "--organisation", organisation, "--case", reference, "--person", "A"], store: store)
        if text.status != 0 {
            reference = "SG-\(year - 1)-000001"
            text = try Self.run(["subject-access", "--organisation", organisation, "--case", reference, "--person", "A"], store: store)
        }
        #expect(text.status == 0, "\(text.output)")
        #expect(text.output.hasPrefix("What this case holds about A\nReference: \(reference)"))
        #expect(text.output.contains("Part in what happened: shown in the imagery, took or made it and sent it"))
        let json = try Self.run(["subject-access", "--organisation", organisation, "--case", reference, "--person", "B", "--format", "json"], store: store)
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect(object?["person"] as? String == "B")
        let unknown = try Self.run(["subject-access", "--organisation", organisation, "--case", reference, "--person", "Z"], store: store)
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("\"Z\" is not a person in the case"))
        let noCase = try Self.run(["subject-access", "--organisation", organisation, "--case", "SG-1999-000009", "--person", "A"], store: store)
        #expect(noCase.status != 0)
        #expect(noCase.output.contains("SG-1999-000009"))
        let verify = try Self.run(["audit", "verify"], store: store)
        #expect(verify.status == 0, "the audited requests keep the chain whole: \(verify.output)")
        // Demo cases are open: retention has nothing to erase, and says so.
        let retention = try Self.run(["retention", "run", "--dry-run"], store: store)
        #expect(retention.status == 0, "\(retention.output)")
        #expect(retention.output.contains("Nothing is due."))
        await store.cleanUp()
    }

    @Test func twoServerProcessesOnOneDatabaseLetOnlyOneStaleWriteWin() async throws {
        let store = try Store.make()
        let a = try await Server.start(store: store, demo: true)
        defer { a.stop() }
        let b = try await Server.start(store: store, demo: false)
        defer { b.stop() }
        let (_, token) = try await a.request("POST", "/api/v1/tokens", json: ["email": Self.officer, "password": SafeguardServer.demoPassword])
        let secret = try #require(token["token"] as? String)
        let (_, created) = try await b.request("POST", "/api/v1/cases", token: secret, json: ["summary": "race", "facts": sampleFacts])
        let id = try #require(created["id"] as? String)
        for round in 1...5 {
            let (_, current) = try await a.request("GET", "/api/v1/cases/\(id)", token: secret)
            let version = try #require(current["version"] as? Int)
            var factsA = sampleFacts
            factsA["people"] = [["ref": "A", "age": 15, "roles": ["depicted"], "previousIncidents": round * 10 + 1]]
            factsA["imagery"] = [[String: Any]](); factsA["devices"] = [[String: Any]]()
            var factsB = factsA
            factsB["people"] = [["ref": "A", "age": 15, "roles": ["depicted"], "previousIncidents": round * 10 + 2]]
            let bodyA = try JSONSerialization.data(withJSONObject: ["version": version, "facts": factsA])
            let bodyB = try JSONSerialization.data(withJSONObject: ["version": version, "facts": factsB])
            async let ra = a.request("PUT", "/api/v1/cases/\(id)/facts", token: secret, body: bodyA)
            async let rb = b.request("PUT", "/api/v1/cases/\(id)/facts", token: secret, body: bodyB)
            let statuses = [try await ra.0, try await rb.0].sorted()
            #expect(statuses == [200, 409], "round \(round): \(statuses)")
        }
        let (_, final) = try await b.request("GET", "/api/v1/cases/\(id)", token: secret)
        #expect(final["version"] as? Int == 6)
        a.stop()
        b.stop()
        let verify = try Self.run(["audit", "verify"], store: store)
        #expect(verify.status == 0, "\(verify.output)")
        await store.cleanUp()
    }

    @Test func sigtermUnderLoadLetsRequestsInFlightFinishAndExitsCleanly() async throws {
        let store = try Store.make()
        let server = try await Server.start(store: store, demo: true)
        defer { server.stop() }
        let (_, token) = try await server.request("POST", "/api/v1/tokens", json: ["email": Self.officer, "password": SafeguardServer.demoPassword])
        let secret = try #require(token["token"] as? String)
        // Keep requests in flight while the server is told to stop.
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<100 { _ = try? await server.request("GET", "/api/v1/cases", token: secret) }
                    }
                }
            }
        }
        try await Task.sleep(nanoseconds: 700_000_000)
        server.process.signal(SIGTERM)
        let termination = server.process.wait()
        load.cancel()
        _ = await load.value
        #expect(termination == .exited(0), "\(server.output.suffix(600))")
        #expect(!server.output.contains("Fatal error"))
        let verify = try Self.run(["audit", "verify"], store: store)
        #expect(verify.status == 0, "\(verify.output)")
        await store.cleanUp()
    }
}
