import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import SQLKit
import SafeguardCore
import SafeguardPersistence
import Vapor

/// The cookie that carries a browser's session.
let sessionCookieName = "safeguard-session"

/// Sets the application up: database, migrations, sessions, middleware and routes.
public func configure(_ app: Application, options: SafeguardOptions, assessor: Assessor = .bundled) async throws {
    app.safeguardOptions = options
    AuditSeal.use(options.auditSeal)
    // The objects the application keeps, made before the server takes a request (see `Application.kept`).
    _ = app.writeGate
    _ = app.auditWriter
    _ = app.identityCache
    _ = app.loopDatabases
    _ = app.inFlightRequests
    _ = app.auditCheckpoint
    _ = app.anonymousRejections
    _ = app.freeTextAllowance
    _ = app.caseCounts
    app.lifecycle.use(AnonymousRejectionsSummariser(interval: options.anonymousRejectionSummaryInterval))
    if let interval = options.retentionRunInterval { app.lifecycle.use(RetentionRunner(interval: interval)) }
    app.lifecycle.use(SessionSweeper())
    app.databases.use(try options.database.configuration(postgresSchema: options.postgresSchema,
                                                          postgresConnectionsPerEventLoop: options.postgresConnectionsPerEventLoop,
                                                          poolTimeout: options.databasePoolTimeout,
                                                          connectTimeout: options.postgresConnectTimeout),
                      as: .init(string: "main"), isDefault: true)
    if let schema = options.postgresSchema, !options.database.isSQLite {
        guard schema.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw SafeguardOptions.Invalid(description: "SAFEGUARD_POSTGRES_SCHEMA: use letters, digits and _ only")
        }
        try await (app.db as! any SQLDatabase).raw("CREATE SCHEMA IF NOT EXISTS \(unsafeRaw: schema)").run()
    }
    app.migrations.add(SafeguardSchema.migrations)
    if options.database.isSQLite {
        try await SafeguardSchema.prepareSQLite(app.db)
    }
    if case .sqliteFile(let path) = options.database {
        app.sqliteReader = try SQLiteFileReader(path: path)
        app.sqliteWriter = try SQLiteFileWriter(path: path)
        app.lifecycle.use(SQLiteWriterCloser())
    } else {
        // PostgreSQL (and SQLite in memory) reads keep recent cases' actions and assessments here, checked against
        // the case's revision, as a SQLite file's reader keeps its own.
        app.storage[CaseViewsKey.self] = CaseViewCache()
        if !options.database.isSQLite { app.storage[CaseRowReadsKey.self] = CaseRowReads() }
    }
    if options.migrateOnStart {
        try await app.autoMigrate()
    } else {
        // A maintenance command does not change the schema under the servers: a database behind this binary is told
        // to be migrated on purpose (`safeguard migrate`, or a server's start), not migrated by a `users list`.
        // A database never migrated has no table of migrations at all: every one is still to run. Any other failure
        // (PostgreSQL out of reach) is reported as itself.
        let pending: Int
        do {
            pending = try await app.migrator.previewPrepareBatch().get().count
        } catch let error where String(reflecting: error).contains("_fluent_migrations") || String(reflecting: error).contains("42P01") {
            pending = SafeguardSchema.migrations.count
        }
        if pending > 0 {
            throw SafeguardOptions.Invalid(description: "the database is behind this version of Safeguard (\(pending) "
                + "migration\(pending == 1 ? "" : "s") to run): run `safeguard migrate`, or start the server, which migrates "
                + "at its start; this command changes no schema")
        }
    }
    try await app.openCipher(options)
    app.lifecycle.use(DataKeyRefresher(interval: options.dataKeyRefreshInterval))

    precondition(options.bcryptCost >= 12, "bcrypt cost must be at least 12")
    app.passwords.use(.bcrypt(cost: options.bcryptCost))
    let cost = options.bcryptCost
    app.storage[DecoyHashKey.self] = DecoyHash {
        (try? Bcrypt.hash(Data([UInt8].random(count: 16)).base64EncodedString(), cost: cost)) ?? ""
    }

    // Sessions live in the database so several server processes can share them.
    app.sessions.use { _ in SealedSessions() }
    let secure = app.cookiesAreSecure
    app.sessions.configuration = .init(cookieName: sessionCookieName) { id in
        HTTPCookies.Value(string: id.string, expires: nil, maxAge: nil, domain: nil, path: "/",
                          isSecure: secure, isHTTPOnly: true, sameSite: .strict)
    }

    app.routes.defaultMaxBodySize = ByteCount(value: options.maxBodyBytes)
    // Vapor inflates gzip and deflate bodies by default (up to 25 times what was sent). Nothing sends Safeguard a
    // compressed body, so the inflater would only ever run on what an attacker chose; `ContentGuardMiddleware` refuses
    // such a body with a message instead.
    app.http.server.configuration.requestDecompression = .disabled
    // No metrics backend is set up (`MetricsSystem.bootstrap` is never called), so Vapor's per-request counters and
    // timers went nowhere, after building each request's route path as a string and its dimensions: 2–3 % of a bare
    // route's CPU.
    app.http.server.configuration.reportMetrics = false
    // Through Foundation's JSONEncoder a struct's keys come out in a different order from one answer to the next (each
    // object is a dictionary of its own). Sorted, two answers that say the same are the same bytes, so a client can
    // compare, cache or diff them. (The hottest answers, a case, a list of cases and `me`, are written by `JSONBytes`,
    // in the order of their fields.)
    ContentConfiguration.global.use(encoder: JSONEncoder.custom(dates: .iso8601, format: .sortedKeys), for: .json)
    app.middleware = Middlewares()
    // Outermost first, in one task; a read's on its request's own event loop (see `AsyncMiddlewareChain`).
    // Vapor's sessions middleware is future-based, so it runs inside the chain only for the requests that can have a
    // session (see `SessionsInChain`).
    app.middleware.use(AsyncMiddlewareChain([RequestIDMiddleware(trustProxy: options.trustForwardedFor),
                                             InFlightMiddleware(counter: app.inFlightRequests), SecurityHeadersMiddleware(),
                                             ErrorAuditMiddleware(),
                                             SessionsInChain(app.sessions.middleware, cookieName: sessionCookieName),
                                             // Inside the sessions' middleware: a page's request goes on from there
                                             // in a task of its own, which a task-local bound outside would not reach.
                                             GuidanceMiddleware(library: assessor.library), IdentityMiddleware(),
                                             PageErrorMiddleware(), ContentGuardMiddleware(), RepeatSubmissionMiddleware()],
                                            executors: LoopTaskExecutors(group: app.eventLoopGroup)))
    try app.configurePages()

    try routes(app, assessor: assessor)
}

func routes(_ app: Application, assessor: Assessor) throws {
    try app.register(collection: WebAuthController())
    try app.register(collection: PagesController(assessor: assessor))
    try app.register(collection: AdminPagesController())
    try app.register(collection: AccountPagesController())
    try app.register(collection: TwoFactorPagesController())
    let api = app.grouped("api", "v1")
    api.get("openapi.json", use: OpenAPIDocument.handler)
    try api.register(collection: AccountController())
    try api.register(collection: CaseController(assessor: assessor))
    try api.register(collection: ResponseController(assessor: assessor))
    try api.register(collection: AuditController())
    try api.register(collection: RetentionController())
}

/// Stops the write connection's background checkpoints when the application shuts down.
struct SQLiteWriterCloser: LifecycleHandler {
    func shutdownAsync(_ application: Application) async { application.sqliteWriter?.close() }
}

struct SQLiteReaderKey: StorageKey { typealias Value = SQLiteFileReader }
struct CaseViewsKey: StorageKey { typealias Value = CaseViewCache }
struct CaseRowReadsKey: StorageKey { typealias Value = CaseRowReads }
struct CaseCountsKey: StorageKey { typealias Value = CaseCountCache }
struct SQLiteWriterKey: StorageKey { typealias Value = SQLiteFileWriter }

extension Application {
    /// Reads on a SQLite file that skip Fluent's thread hops (a case read); nil on PostgreSQL and in memory.
    var sqliteReader: SQLiteFileReader? {
        get { storage[SQLiteReaderKey.self] }
        set { storage[SQLiteReaderKey.self] = newValue }
    }

    /// The case view cache of reads that do not go through `sqliteReader`, which keeps its own.
    var caseViews: CaseViewCache? { storage[CaseViewsKey.self] }

    /// Case row reads that share a round trip when they come together; PostgreSQL only.
    var caseRowReads: CaseRowReads? { storage[CaseRowReadsKey.self] }

    /// The totals of recently shown case lists, checked against each organisation's case list revision (both databases).
    var caseCounts: CaseCountCache {
        kept(CaseCountsKey.self) { CaseCountCache() }
    }

    /// Audit batches on a SQLite file through a connection of their own (see `SQLiteFileWriter`); nil on PostgreSQL
    /// and in memory.
    var sqliteWriter: SQLiteFileWriter? {
        get { storage[SQLiteWriterKey.self] }
        set { storage[SQLiteWriterKey.self] = newValue }
    }
}
