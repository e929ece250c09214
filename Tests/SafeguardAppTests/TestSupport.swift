import Fluent
import FluentPostgresDriver
import Foundation
import NIOCore
import NIOPosix
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import SQLKit
import Testing
import Vapor
import VaporTesting

/// The database the tests use: PostgreSQL when `SAFEGUARD_TEST_DATABASE_URL` is set (one fresh schema per test),
/// otherwise a fresh SQLite file per test, in write-ahead-log mode as in production (on /dev/shm when there is one,
/// so commits cost no disk flush). Not SQLite's in-memory database: it shares one cache between connections, where a
/// read that meets a write is refused ("table is locked") rather than reading the last committed state, and reads
/// no longer queue behind writes.
enum TestDatabase {
    static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["SAFEGUARD_TEST_DATABASE_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// The audit key every test uses: the seal is one per process, and the tests share a process.
    static let seal = try! AuditSeal(base64: "c2FmZWd1YXJkLXRlc3QtYXVkaXQta2V5LTMyLWJ5dGVzIQ==")

    /// The master key the tests' case text is encrypted under (the subprocesses of `ProcessTests` get it too).
    static let dataKey = try! MasterKey(base64: "c2FmZWd1YXJkLXRlc3QtZGF0YS1rZXktMzItYnl0ZSE=")

    /// Options for `database`, sealed with the tests' audit key, its text encrypted under their data key.
    static func options(_ database: DatabaseLocation) -> SafeguardOptions {
        var options = SafeguardOptions(database: database)
        options.auditSeal = seal
        options.dataKey = dataKey
        // With the whole suite on two cores, a query has waited more than the ten seconds a server allows for a
        // connection: a test of the code, not of the machine, waits longer. Set here, so that a test which makes its
        // own options (an in-memory SQLite app, whose pool has one connection) keeps it too.
        options.databasePoolTimeout = 120
        return options
    }

    static func options() -> SafeguardOptions {
        if let url = postgresURL {
            var options = Self.options(.postgres(url))
            options.postgresSchema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            // Many tests run at once, each with its own pool: keep each small so PostgreSQL's connection limit holds.
            options.postgresConnectionsPerEventLoop = 1
            // With the whole suite on two cores, a connection's sign-in alone has taken more than the ten seconds a
            // server allows it (five tests failed at once in CI).
            options.postgresConnectTimeout = 120
            return options
        }
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return Self.options(.sqliteFile("\(folder)/safeguard-test-\(UUID().uuidString).sqlite"))
    }
}

/// Runs `body` with a freshly configured app on a fresh database, and tears it down.
func withApp(_ modify: (inout SafeguardOptions) -> Void = { _ in }, assessor: Assessor = .bundled,
             _ body: (Application) async throws -> Void) async throws {
    var options = TestDatabase.options()
    modify(&options)
    let app = try await Application.make(.testing)
    do {
        try await configure(app, options: options, assessor: assessor)
        try await body(app)
    } catch {
        await teardown(app, options)
        throw PostgresDetails.shown(error)
    }
    await teardown(app, options)
}

/// Runs `body` with the port of a socket on loopback that accepts connections and never says a word: a database
/// server that does not answer its sign-in.
func withSilentServer<T>(_ body: (Int) async throws -> T) async throws -> T {
    let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
        .bind(host: "127.0.0.1", port: 0).get()
    do {
        let result = try await body(try #require(silent.localAddress?.port))
        try await silent.close()
        return result
    } catch {
        try? await silent.close()
        throw error
    }
}

/// A PostgreSQL error with its details showing: its own description is a generic sentence (so that a server never
/// logs query text by accident), which leaves a failing test's report saying nothing of what went wrong.
struct PostgresDetails: Error, CustomStringConvertible {
    var description: String

    /// `error` itself unless it is a PostgreSQL error.
    static func shown(_ error: any Error) -> any Error {
        guard error is PSQLError else { return error }
        return PostgresDetails(description: String(reflecting: error))
    }
}

private func teardown(_ app: Application, _ options: SafeguardOptions) async {
    if let schema = options.postgresSchema, !options.database.isSQLite {
        try? await (app.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(unsafeRaw: schema) CASCADE").run()
    }
    await SafeguardServer.finish(app)
    try? await app.asyncShutdown()
    if case .sqliteFile(let path) = options.database {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

/// A bcrypt hash (cost 12) of the test password, computed once.
let testPassword = "correct horse battery staple"
let testPasswordHash: String = try! Bcrypt.hash(testPassword, cost: 12)

/// Organisations and one user (with a bearer token) per role, in three organisations.
struct World {
    var policeA: Organisation
    var policeB: Organisation
    var school: Organisation
    /// By key such as "policeA.officer" or "school.staff2".
    var users: [String: User]
    var tokens: [String: String]

    func token(_ key: String) -> String { tokens[key]! }
    func user(_ key: String) -> User { users[key]! }

    /// The test user `key` as a service sees whoever acts, for calling a service with no request.
    func acting(_ key: String) -> Identity {
        let user = user(key)
        let organisation = [policeA, policeB, school].first { $0.id == user.organisationID }!
        return Identity(user: user, organisation: organisation, tokenID: nil, viaSession: false)
    }
}

/// A time an hour ago, to the second (as both databases keep it), for a service's injected clock: a test can then
/// tell the service's times from the real clock's.
func anHourAgo() -> Date { Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 3_600).rounded(.down)) }

/// The two-factor key of a test user (fixed per email).
func testTwoFactorSecret(_ email: String) -> [UInt8] { Array(SHA256.hash(data: Data(("test-two-factor\n" + email).utf8)).prefix(20)) }

/// The code a test user's authenticator app shows now. The last step their codes matched is forgotten first, as if
/// 30 seconds had passed: tests sign the same person in more often than real people do. (Refusing a code used twice
/// is tested on its own, without this.)
func currentCode(_ app: Application, email: String) async throws -> String {
    try await (app.db as! any SQLDatabase).update("users").set("totp_last_step", to: SQLLiteral.null)
        .where("email", .equal, email.lowercased()).run()
    return TOTP(secret: testTwoFactorSecret(email.lowercased())).code(at: Date())
}

/// Sets up two-factor sign-in for a test user, with their fixed test key.
func enrolTwoFactor(_ app: Application, _ user: User) async throws {
    _ = try await AccountStore(db: app.db).enableTwoFactor(userID: user.id, secret: Base32.encode(testTwoFactorSecret(user.email)),
                                                           step: 0, recoveryCodeHashes: [], now: Date(), cipher: app.cipher)
    app.identityCache.removeAll()
}

func seedWorld(_ app: Application) async throws -> World {
    let layout: [(String, String, OrganisationKind, Jurisdiction, [(String, Role)])] = [
        ("policeA", "Test Police A", .police, .england, [("officer", .officer), ("officer2", .officer), ("supervisor", .supervisor),
            ("superintendent", .superintendent), ("admin", .admin), ("auditor", .auditor)]),
        ("policeB", "Test Police B", .police, .scotland, [("officer", .officer), ("admin", .admin), ("auditor", .auditor)]),
        ("school", "Test School", .education, .wales, [("staff", .staff), ("staff2", .staff), ("dsl", .dsl),
            ("admin", .admin), ("auditor", .auditor)]),
    ]
    var orgs: [String: Organisation] = [:]
    var users: [String: User] = [:]
    var tokens: [String: String] = [:]
    let store = AccountStore(db: app.db)
    for (key, name, kind, jurisdiction, roles) in layout {
        let org = try await store.createOrganisation(name: name, kind: kind, jurisdiction: jurisdiction)
        orgs[key] = org
        for (userKey, role) in roles {
            let user = try await store.createUser(organisationID: org.id, email: "\(userKey)@\(key).test", displayName: "\(key) \(userKey)",
                                                  role: role, passwordHash: testPasswordHash)
            // Roles the organisation requires two-factor sign-in of have it set up, with a key the tests know.
            if org.twoFactorPolicy.requires(role) {
                _ = try await store.enableTwoFactor(userID: user.id, secret: Base32.encode(testTwoFactorSecret(user.email)), step: 0,
                                                    recoveryCodeHashes: [], now: Date(), cipher: app.cipher)
            }
            users["\(key).\(userKey)"] = user
            let (_, secret) = try await store.createToken(userID: user.id, name: "test", expiresAt: Date().addingTimeInterval(3600))
            tokens["\(key).\(userKey)"] = secret
        }
    }
    return World(policeA: orgs["policeA"]!, policeB: orgs["policeB"]!, school: orgs["school"]!, users: users, tokens: tokens)
}

/// A response with its body decoded as JSON when asked.
struct Reply {
    var status: HTTPStatus
    var headers: HTTPHeaders
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
    var array: [[String: Any]] { (try? JSONSerialization.jsonObject(with: body) as? [[String: Any]]) ?? [] }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorField: String? { (json["error"] as? [String: Any])?["field"] as? String }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: body)
    }
}

/// Sends a request through the app. `json` may be an Encodable, a `[String: Any]`, or raw `Data`/`String`.
@discardableResult
func send(_ app: Application, _ method: HTTPMethod, _ path: String, token: String? = nil, json: Any? = nil,
          contentType: String = "application/json", headers extra: [(String, String)] = [],
          over transport: Application.Method = .inMemory) async throws -> Reply {
    var headers = HTTPHeaders()
    if let token { headers.bearerAuthorization = .init(token: token) }
    for (name, value) in extra { headers.add(name: name, value: value) }
    var body: ByteBuffer?
    if let json {
        let data: Data
        switch json {
        case let d as Data: data = d
        case let s as String: data = Data(s.utf8)
        case let e as any Encodable:
            if JSONSerialization.isValidJSONObject(json) { data = try JSONSerialization.data(withJSONObject: json) }
            else { data = try JSONEncoder().encode(e) }
        default: data = try JSONSerialization.data(withJSONObject: json)
        }
        body = ByteBuffer(data: data)
        headers.replaceOrAdd(name: .contentType, value: contentType)
    }
    let response = try await app.testing(method: transport).sendRequest(method, path, headers: headers, body: body)
    return Reply(status: response.status, headers: response.headers, body: Data(buffer: response.body))
}

/// Facts for a lower-risk police case: two 15-year-olds, willing, age-appropriate.
var sampleFacts: [String: Any] { [
    "people": [
        ["ref": "A", "age": 15, "roles": ["depicted", "creator", "sender"]],
        ["ref": "B", "age": 15, "roles": ["recipient"]],
    ],
    "imagery": [["ref": "I1", "kind": "image", "depicts": ["A"], "platforms": ["snapchat"]]],
    "circumstances": ["willing": true, "ageAppropriate": true, "coercion": false],
    "devices": [["ref": "D1", "owner": "B", "containsImageryOf": ["A"]]],
] }

/// Creates a case as `token` and returns its JSON.
func createCase(_ app: Application, token: String, summary: String = "Image shared between two pupils",
                facts: [String: Any] = sampleFacts) async throws -> [String: Any] {
    let reply = try await send(app, .POST, "/api/v1/cases", token: token, json: ["summary": summary, "facts": facts])
    #expect(reply.status == .created, "create case: \(reply.text)")
    return reply.json
}

/// A case opened as `token` with `sampleFacts`, then its facts changed once through the API (not willing, coerced):
/// its id, the facts sent and the answer to the change (expected 200).
func caseWithChangedFacts(_ app: Application, token: String) async throws -> (id: String, facts: [String: Any], changed: Reply) {
    let id = try await createCase(app, token: token)["id"] as! String
    var facts = sampleFacts
    facts["circumstances"] = ["willing": false, "ageAppropriate": true, "coercion": true]
    let changed = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: token, json: ["version": 1, "facts": facts])
    #expect(changed.status == .ok, "change of facts: \(changed.text)")
    return (id, facts, changed)
}

/// A case opened through the API by the test user `key`, read back as the stores give it: for calling a service on it.
func openedCase(_ app: Application, _ world: World, by key: String = "policeA.officer", summary: String = "Image shared between two pupils",
                facts: [String: Any] = sampleFacts) async throws -> CaseRecord {
    let created = try await createCase(app, token: world.token(key), summary: summary, facts: facts)
    let id = try #require(UUID(uuidString: created["id"] as? String ?? ""))
    return try #require(try await CaseStore(db: app.db, cipher: app.cipher).findCase(id: id, organisationID: world.user(key).organisationID))
}

/// Rows in a table, for checking that nothing was written.
func count(_ app: Application, _ table: String) async throws -> Int {
    let row = try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
    return try row?.decode(column: "n", as: Int.self) ?? -1
}

/// Checks the audit chain through SQLKit and, on a SQLite file, through the file's own read connections too, which
/// read stored rows straight into the hashed bytes: both must reach the same verdict, entry for entry.
func verifyAudit(_ app: Application, from checkpoint: AuditChain.Checkpoint? = nil, seal: AuditSeal? = AuditSeal.current,
                 sourceLocation: SourceLocation = #_sourceLocation) async throws
    -> (verification: AuditChain.Verification, checkpoint: AuditChain.Checkpoint?) {
    let fluent = try await AuditChain.verify(on: app.db, from: checkpoint, seal: seal)
    if let reader = app.sqliteReader {
        let direct = try await AuditChain.verify(on: app.db, from: checkpoint, seal: seal, reader: reader)
        #expect(direct.verification == fluent.verification, "the direct reader's verdict differs", sourceLocation: sourceLocation)
        #expect(direct.checkpoint == fluent.checkpoint, sourceLocation: sourceLocation)
    }
    return fluent
}
