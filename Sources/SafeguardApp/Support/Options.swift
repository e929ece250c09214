import Fluent
import Foundation
import SafeguardPersistence
import SafeguardCore
import Vapor

/// How the server is set up. Defaults are the production ones.
public struct SafeguardOptions: Sendable {
    public var database: DatabaseLocation
    /// Largest request body accepted, in bytes; larger gets 413.
    public var maxBodyBytes: Int = 256 * 1024
    /// Text one person may add to one case in an hour (see `FieldLimits`).
    public var freeTextPerCasePerHour: Int = FieldLimits.freeTextPerCasePerHour
    /// Failed sign-ins for one email from one address before that pair must wait (`firstBackOff`, doubling with each
    /// further failure, at most `lockDuration`). Accounts themselves are never locked: that would let anyone lock
    /// an officer out.
    public var accountFailureLimit: Int = 5
    public var firstBackOff: TimeInterval = 30
    /// Failed sign-ins from one address within `addressWindow` before the address is locked.
    public var addressFailureLimit: Int = 20
    public var addressWindow: TimeInterval = 15 * 60
    public var lockDuration: TimeInterval = 15 * 60
    /// bcrypt cost for new passwords (at least 12).
    public var bcryptCost: Int = 12
    /// Mark cookies Secure (set automatically when the server is configured with TLS).
    public var secureCookies: Bool = false
    /// Trust `X-Forwarded-For` for the client address, and `X-Request-Id` for the id a request is logged under (only
    /// behind a proxy you run that overwrites both, as deploy/nginx/safeguard.conf does).
    public var trustForwardedFor: Bool = false
    /// How long a two-factor code given in a session opens what needs a fresh one (a closed or old case, the audit
    /// trail, a case's written record). `SAFEGUARD_STEP_UP_SECONDS`, 5 to 3600; the browser suite uses less.
    public var stepUpLifetime: TimeInterval = 15 * 60
    /// How often the server erases the cases its organisations' retention schedules make due; nil never.
    /// `SAFEGUARD_RETENTION_RUN_HOURS`, 1 to 168 (default 24), or 0 for never (then run `safeguard retention run`).
    public var retentionRunInterval: TimeInterval? = 24 * 3600
    /// How long API tokens last unless asked otherwise; at most `maxTokenLifetimeDays`.
    public var defaultTokenLifetimeDays: Int = 30
    public var maxTokenLifetimeDays: Int = 365
    /// Requests without credentials that are refused are counted in memory, not audited one by one: an address
    /// refused this many times within `anonymousRejectionWindow` gets 429 for the rest of that window.
    public var anonymousRejectionLimit: Int = 100
    public var anonymousRejectionWindow: TimeInterval = 60
    /// How long a throttled anonymous request waits for its 429 (then its connection closes): a timer, not work,
    /// so a flood from one address gets about one answer a second on each connection instead of the server's CPU.
    public var anonymousThrottleDelay: TimeInterval = 1
    /// How often the count of refused anonymous requests is written to the audit trail as one summary entry.
    public var anonymousRejectionSummaryInterval: TimeInterval = 60
    /// Run migrations while configuring; when false, a database behind the migrations is refused with what to run.
    public var migrateOnStart: Bool = true
    /// On PostgreSQL, keep the tables in this schema (created if missing); the tests use one per test.
    public var postgresSchema: String?
    /// PostgreSQL connections per event loop (one loop per core). The tests use fewer: many run at once.
    public var postgresConnectionsPerEventLoop: Int = 4
    /// How long a query waits for a database connection before the request fails. The tests wait longer: the
    /// whole suite shares two cores.
    public var databasePoolTimeout: TimeInterval = 10
    /// How long a new PostgreSQL connection may take to be ready (connected, signed in) before it is given up
    /// (`SAFEGUARD_POSTGRES_CONNECT_SECONDS`). The tests allow longer: with the suite on two cores, PostgreSQL's
    /// sign-in alone has taken more than ten seconds.
    public var postgresConnectTimeout: TimeInterval = 10

    /// The key that seals the audit trail's head (`SAFEGUARD_AUDIT_KEY`, or `SAFEGUARD_AUDIT_KEY_FILE`); nil leaves
    /// the trail chained but unsealed. Keep it with the other secrets, never in the database.
    public var auditSeal: AuditSeal?

    /// The master key that wraps the data keys case free text is encrypted under (`SAFEGUARD_DATA_KEY`, or
    /// `SAFEGUARD_DATA_KEY_FILE`). Keep it with the audit key, never in the database or its backups.
    public var dataKey: MasterKey?
    /// Where a SQLite server with no key set keeps one (`safeguard-data.key` beside the database file): made on the
    /// first start, so that `swift run safeguard serve` works at once; read on every later start.
    public var dataKeyFile: String?
    /// How often a server looks for a data key made by `safeguard keys rotate` on any machine.
    public var dataKeyRefreshInterval: TimeInterval = 5

    /// Local overlays (a force's or school's own contacts and wording), each applied to the organisation it names.
    public var overlays: [LocalOverlay] = []

    /// The overlay for an organisation, by its exact name.
    public func overlay(for organisation: String) -> LocalOverlay? { overlays.first { $0.organisation == organisation } }

    public init(database: DatabaseLocation) {
        self.database = database
    }

    /// Reads `DATABASE_URL` from the environment.
    public static func fromEnvironment() throws -> SafeguardOptions {
        var options = SafeguardOptions(database: try DatabaseLocation(url: Environment.get("DATABASE_URL")))
        options.secureCookies = try flag("SAFEGUARD_SECURE_COOKIES")
        options.trustForwardedFor = try flag("SAFEGUARD_TRUST_FORWARDED_FOR")
        options.postgresSchema = Environment.get("SAFEGUARD_POSTGRES_SCHEMA")
        if let text = Environment.get("SAFEGUARD_STEP_UP_SECONDS"), !text.isEmpty {
            guard let seconds = Int(text), (5...3600).contains(seconds) else {
                throw Invalid(description: "SAFEGUARD_STEP_UP_SECONDS: give a number of seconds from 5 to 3600 (the usual is 900), not \(text)")
            }
            options.stepUpLifetime = TimeInterval(seconds)
        }
        if let text = Environment.get("SAFEGUARD_ANONYMOUS_REFUSALS_PER_MINUTE"), !text.isEmpty {
            // Behind a proxy that does not pass the client's address (or for a conformance test that probes every
            // route without credentials), one address stands for many: the throttle can be raised.
            guard let limit = Int(text), (1...10_000_000).contains(limit) else {
                throw Invalid(description: "SAFEGUARD_ANONYMOUS_REFUSALS_PER_MINUTE: give a whole number from 1 (the usual is 100), not \(text)")
            }
            options.anonymousRejectionLimit = limit
        }
        if let text = Environment.get("SAFEGUARD_POSTGRES_CONNECT_SECONDS"), !text.isEmpty {
            guard let seconds = Int(text), (1...600).contains(seconds) else {
                throw Invalid(description: "SAFEGUARD_POSTGRES_CONNECT_SECONDS: give a number of seconds from 1 to 600 (the usual is 10), not \(text)")
            }
            options.postgresConnectTimeout = TimeInterval(seconds)
        }
        if let text = Environment.get("SAFEGUARD_RETENTION_RUN_HOURS"), !text.isEmpty {
            guard let hours = Int(text), (0...168).contains(hours) else {
                throw Invalid(description: "SAFEGUARD_RETENTION_RUN_HOURS: give a number of hours from 1 to 168 (the usual is 24), or 0 for never, not \(text)")
            }
            options.retentionRunInterval = hours == 0 ? nil : TimeInterval(hours * 3600)
        }
        if let key = Environment.get("SAFEGUARD_AUDIT_KEY"), !key.isEmpty {
            options.auditSeal = try AuditSeal(base64: key)
        } else if let path = Environment.get("SAFEGUARD_AUDIT_KEY_FILE"), !path.isEmpty {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw AuditChainError(description: "cannot read the audit key file \(path) (SAFEGUARD_AUDIT_KEY_FILE): "
                                      + "without it the audit trail cannot be checked or extended")
            }
            options.auditSeal = try AuditSeal(base64: text)
        }
        if let key = Environment.get("SAFEGUARD_DATA_KEY"), !key.isEmpty {
            options.dataKey = try MasterKey(base64: key)
        } else if let path = Environment.get("SAFEGUARD_DATA_KEY_FILE"), !path.isEmpty {
            options.dataKey = try readDataKey(path: path)
        } else if case .sqliteFile(let database) = options.database {
            options.dataKeyFile = URL(fileURLWithPath: database).deletingLastPathComponent().appendingPathComponent("safeguard-data.key").path
        }
        if let directory = Environment.get("SAFEGUARD_OVERLAY_DIR"), !directory.isEmpty {
            options.overlays = try loadOverlays(directory: URL(fileURLWithPath: directory))
        }
        return options
    }

    /// Reads a data key file (`safeguard keys new FILE` writes one).
    public static func readDataKey(path: String) throws -> MasterKey {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Invalid(description: "cannot read the data key file \(path) (SAFEGUARD_DATA_KEY_FILE): without it the case "
                          + "text in the database cannot be read. Restore it from where your keys are backed up")
        }
        do { return try MasterKey(base64: text) } catch {
            throw Invalid(description: "\(path) (SAFEGUARD_DATA_KEY_FILE): \(error)")
        }
    }

    /// Reads every `*.yaml` in the directory as a local overlay and checks it against the bundled guidance; a
    /// problem stops the start with the file and what to fix.
    public static func loadOverlays(directory: URL) throws -> [LocalOverlay] {
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "yaml" || $0.pathExtension == "yml" }.sorted { $0.path < $1.path }
        } catch {
            throw Invalid(description: "SAFEGUARD_OVERLAY_DIR: cannot read \(directory.path): \(error.localizedDescription)")
        }
        var overlays: [LocalOverlay] = []
        for file in files {
            let overlay: LocalOverlay
            do {
                overlay = try GuidanceLibrary.decodeOverlay(yaml: try String(contentsOf: file, encoding: .utf8))
            } catch {
                throw Invalid(description: "\(file.path): \(error)")
            }
            if let problem = GuidanceLibrary.bundled.problems(in: overlay).first {
                throw Invalid(description: "\(file.path): \(problem)")
            }
            guard !overlays.contains(where: { $0.organisation == overlay.organisation }) else {
                throw Invalid(description: "\(file.path): a second overlay for \"\(overlay.organisation)\"")
            }
            overlays.append(overlay)
        }
        return overlays
    }
}

extension SafeguardOptions {
    public struct Invalid: Error, CustomStringConvertible { public var description: String }

    /// What a maintenance command says when the SQLite file it was pointed at does not exist.
    public static func noDatabase(at path: String) -> String {
        "there is no database at \(path). Run this command with the server's settings (DATABASE_URL and the key files), "
            + "for example `sudo -u safeguard sh -c 'set -a; . /etc/safeguard/env; safeguard ...'`; "
            + "a new database is made only by `safeguard serve`, `safeguard setup` or `safeguard migrate`"
    }

    /// An on-or-off setting: 1 or 0 (true/false, yes/no and on/off are taken too); anything else stops the start,
    /// rather than leaving a security setting off because of its spelling.
    static func flag(_ name: String) throws -> Bool {
        guard let text = Environment.get(name)?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return false }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw Invalid(description: "\(name): give 1 (on) or 0 (off), not \(text)")
        }
    }
}

struct OptionsKey: StorageKey { typealias Value = SafeguardOptions }

extension Application {
    /// Whether cookies are marked Secure: behind a TLS proxy (`SAFEGUARD_SECURE_COOKIES`), or served over TLS here.
    /// The session cookie and the known-device cookie both follow it.
    var cookiesAreSecure: Bool { safeguardOptions.secureCookies || http.server.configuration.tlsConfiguration != nil }

    public var safeguardOptions: SafeguardOptions {
        get { storage[OptionsKey.self]! }
        set { storage[OptionsKey.self] = newValue }
    }
}
