import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import SQLKit

/// Where the database is: parsed from `DATABASE_URL` (`sqlite:///path/file.sqlite`, `sqlite::memory:` or `postgres://…`).
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqliteFile(String)
    case sqliteMemory
    case postgres(String)

    public static let defaultPath = "./data/safeguard.sqlite"

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(url: String?) throws {
        guard let url, !url.isEmpty else { self = .sqliteFile(Self.defaultPath); return }
        if url == "sqlite::memory:" || url == "sqlite://:memory:" { self = .sqliteMemory; return }
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw Invalid(description: "DATABASE_URL \(url): give a path, e.g. sqlite:///var/lib/safeguard/safeguard.sqlite") }
            self = .sqliteFile(path)
            return
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") { self = .postgres(url); return }
        throw Invalid(description: "DATABASE_URL must start with sqlite:// or postgres:// (got a value starting \(url.prefix(12))…)")
    }

    public var description: String {
        switch self {
        case .sqliteFile(let path): return "SQLite at \(path)"
        case .sqliteMemory: return "SQLite in memory"
        case .postgres(let url):
            // Never print the password.
            guard var components = URLComponents(string: url) else { return "PostgreSQL" }
            if components.password != nil { components.password = "***" }
            return "PostgreSQL at \(components.string ?? "postgres://…")"
        }
    }

    /// The Fluent configuration. A file database gets its folder created.
    /// `poolTimeout` is how long a query may wait for a connection before it fails; `connectTimeout` how long a new
    /// PostgreSQL connection may take to be ready (connected, signed in, its settings read) before it is given up.
    public func configuration(postgresSchema: String? = nil, postgresConnectionsPerEventLoop: Int = 4,
                              poolTimeout: TimeInterval = 10, connectTimeout: TimeInterval = 10) throws -> DatabaseConfigurationFactory {
        let timeout = TimeAmount.milliseconds(Int64(poolTimeout * 1000))
        switch self {
        case .sqliteFile(let path):
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return .sqlite(.file(path), connectionPoolTimeout: timeout, sqlLogLevel: nil)
        case .sqliteMemory:
            return .sqlite(.memory, connectionPoolTimeout: timeout, sqlLogLevel: nil)
        case .postgres(let url):
            var config = try SQLPostgresConfiguration(url: url)
            config.searchPath = postgresSchema.map { [$0] }
            config.coreConfiguration.options.connectTimeout = .milliseconds(Int64(connectTimeout * 1000))
            return .postgres(configuration: config, maxConnectionsPerEventLoop: postgresConnectionsPerEventLoop,
                             connectionPoolTimeout: timeout, sqlLogLevel: .debug)
        }
    }

    public var isSQLite: Bool {
        if case .postgres = self { return false }
        return true
    }
}

public enum SafeguardSchema {
    /// The migrations, in order. Numbered folders under Migrations/ hold one step each.
    public static var migrations: [any Migration] { [M0001CreateSchema(), M0002CreateResponseTables(), M0003AddActionDueDates(),
                                                        M0004AddAuditSeal(), M0005AddSessionsAndResets(), M0006AddAuditCaseIndex(),
                                                        M0007AddTwoFactor(), M0008AddSubmissions(), M0009AddCrimeReferences(), M0010AddRetention(),
                                                        M0011AddDataKeys(), M0012AddCaseOwners(), M0013AddUserSignatures(),
                                                        M0014CreateCaseNumbers(), M0015AddCaseMerges(), M0016AddUserTeams(),
                                                        M0017AddCaseRevisions(), M0018AddPostgresCaseRevisions(), M0019AddCaseListRevisions(),
                                                        M0020CompressAssessmentsWithLZ4(), M0021AddSessionTimes(), M0022AddTokenLifetime()] }

    /// Copies a SQLite database to `path` as one consistent snapshot, while the server may be running (`VACUUM INTO`).
    /// A PostgreSQL database is refused (back it up with `pg_dump`), and so is a `path` that exists: a backup never
    /// overwrites a file.
    public static func backupSQLite(_ db: any Database, to path: String) async throws {
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "sqlite" else {
            throw StoreError.invalid(field: "DATABASE_URL", message: "this is a PostgreSQL database: back it up with pg_dump (see the README)")
        }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError.invalid(field: "to", message: "\(path) already exists; name a new file (a backup never overwrites one)")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw StoreError.invalid(field: "to", message: "the folder \(folder) does not exist: make it first (mkdir -p \(folder))")
        }
        // Made readable by its owner alone before anything is written into it (a backup holds what the database
        // does: the users' password hashes, the audit trail, sealed case text).
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.invalid(field: "to", message: "cannot write \(path): check the folder's permissions")
        }
        do {
            try await sql.raw("VACUUM INTO \(bind: path)").run()
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    /// Sets SQLite up for durability: write-ahead log, full synchronous commits, foreign keys.
    /// Returns what SQLite reports, e.g. `(journalMode: "wal", synchronous: 2)`.
    @discardableResult
    public static func prepareSQLite(_ db: any Database) async throws -> (journalMode: String, synchronous: Int) {
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "sqlite" else { return ("", -1) }
        let mode = try await sql.raw("PRAGMA journal_mode=WAL").first()?.decode(column: "journal_mode", as: String.self) ?? ""
        try await sql.raw("PRAGMA synchronous=FULL").run()
        let sync = try await sql.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self) ?? -1
        return (mode, sync)
    }
}
