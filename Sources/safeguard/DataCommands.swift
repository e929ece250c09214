import ArgumentParser
import Foundation
import SafeguardApp
import SafeguardCore
import SafeguardPersistence

/// `safeguard demo-data --cases N`: synthetic cases for load tests and first looks.
struct DemoDataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-data",
        abstract: "Add synthetic cases (no real names) spread over the demo organisations, seeding those first if missing.",
        discussion: "For load tests and first looks only: never on a server holding real cases. The database comes from DATABASE_URL.")

    @Option(help: "How many cases to add (0–1,000,000).") var cases: Int
    @Option(help: "Also add this many synthetic audit entries (system events, no case content), to measure `audit verify`.")
    var auditEntries: Int = 0
    @Option(help: "The random seed: the same seed gives the same cases.") var seed: UInt64 = 2026

    func validate() throws {
        guard (0...1_000_000).contains(cases) else { throw ValidationError("--cases takes a number from 0 to 1,000,000") }
        guard (0...10_000_000).contains(auditEntries) else { throw ValidationError("--audit-entries takes a number from 0 to 10,000,000") }
    }

    func run() async throws {
        let started = Date()
        let total = cases
        let entries = auditEntries
        let made = try await withApplication(makesDatabase: true) { app in
            let made = try await SafeguardServer.seedDemoCases(app, count: total, seed: seed) { made in
                if made % 20_000 == 0 || made == total { say("  \(made) of \(total) cases") }
            }
            if entries > 0 { try await SafeguardServer.seedAuditEntries(app, count: entries) }
            return made
        }
        say("Added \(made) demo cases" + (entries > 0 ? " and \(entries) audit entries" : "")
            + " in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
    }
}

/// `safeguard restore --from FILE`: the backup back in place of the SQLite database (`SQLiteRestore`), then its
/// audit trail checked.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put a backup made by `safeguard backup` back in place of the SQLite database (stop the server first).",
        discussion: """
            The backup is checked first (SQLite's integrity check; a Safeguard database). Nothing is deleted: the \
            database it replaces is kept beside it as NAME.before-restore-DATE, with its write-ahead log, which a \
            backup moved in by hand would have had replayed onto it. The restored audit trail is then verified. \
            The database comes from DATABASE_URL; for PostgreSQL use pg_restore (see the README).
            """)

    @Option(help: "The backup to restore.") var from: String

    func run() async throws {
        let options = try SafeguardOptions.fromEnvironment()
        guard case .sqliteFile(let path) = options.database else {
            failServer("DATABASE_URL is not a SQLite file: restore a PostgreSQL database with pg_restore (see the README)")
        }
        // The backup must open with this server's data key before anything is moved: a review restored a backup made
        // before a move to a new master key, and the live database was put aside for one that could not be read.
        do { try SQLiteRestore.checkBackup(from) } catch { failServer(describe(error)) }
        if let keyFile = options.dataKeyFile, FileManager.default.fileExists(atPath: keyFile) {
            let probe = URL(fileURLWithPath: path).deletingLastPathComponent()
                .appendingPathComponent(".restore-check-\(UUID().uuidString.lowercased()).sqlite").path
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: probe + suffix) } }
            do {
                try FileManager.default.copyItem(atPath: from, toPath: probe)
                var probing = options
                probing.database = .sqliteFile(probe)
                probing.migrateOnStart = true
                let app = try await SafeguardServer.makeApplication(options: probing)
                try await app.asyncShutdown()
            } catch {
                failServer("\(from) does not open with this server's data key (\(keyFile)): \(describe(error)). It may have been made "
                           + "before a move to a new master key: restore it with the key file it was made with "
                           + "(SAFEGUARD_DATA_KEY_FILE). Nothing was changed.")
            }
        }
        let restored: SQLiteRestore.Restored
        do {
            restored = try SQLiteRestore.restore(from: from, to: path)
        } catch {
            failServer(describe(error))
        }
        say("Restored \(path) from \(from).")
        if let kept = restored.keptAs {
            say("The database it replaced is kept as \(kept) (with its -wal and -shm, if it had them): delete it once you are sure.")
        }
        let result = try await withApplication { app in try await SafeguardServer.verifyAudit(app) }
        guard result.isValid else {
            failServer("the restored audit trail does not verify: \(result.problem ?? "") Put the database back from \(restored.keptAs ?? "your other backups") and choose another backup.")
        }
        say("Its audit trail verifies: \(result.entriesChecked) entries.")
    }
}

/// `safeguard backup --to FILE`: a consistent copy of the SQLite database, safe while the server runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the SQLite database to a new file as one consistent snapshot (safe while the server runs).",
        discussion: """
            Restore with `safeguard restore --from FILE` while the server is stopped. For PostgreSQL use pg_dump \
            (see the README).
            """)

    @Option(help: "The file to write; it must not exist yet.") var to: String

    func run() async throws {
        do {
            try await withApplication { app in try await SafeguardServer.backup(app, to: to) }
        } catch {
            failServer(describe(error))
        }
        say("Backed up to \(to).")
    }
}

/// `safeguard subject-access`: what a case holds about one person, for a subject access request.
struct SubjectAccessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subject-access",
        abstract: "Print what a case holds about one person (by their ref in the case), others redacted, for a subject access request.",
        discussion: "Audited. The same document as the case page's \"What the case holds about …\" link and the API's documents/subject-access.")

    @Option(help: "The organisation's name, as `safeguard users list` shows it.") var organisation: String
    @Option(name: .customLong("case"), help: "The case reference, e.g. SG-2026-000001.") var reference: String
    @Option(help: "The person's ref in the case, e.g. A.") var person: String
    @Option(help: "text (default), html or json.") var format: String = "text"

    func validate() throws {
        guard ["text", "html", "json"].contains(format) else { throw ValidationError("--format is text, html or json") }
    }

    func run() async throws {
        let document: CaseDocument
        do {
            document = try await withApplication { app in
                try await SafeguardServer.subjectAccess(app, organisation: organisation, reference: reference, person: person)
            }
        } catch let error as StoreError { failServer(describe(error)) }
        switch format {
        case "html": print(document.html)
        case "json":
            let object: [String: Any] = ["title": document.title, "reference": document.reference, "person": person,
                                         "sections": document.sections.map { ["heading": $0.heading, "lines": $0.lines] }]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        default: print(document.plainText, terminator: "")
        }
    }
}

/// `safeguard retention run`: erase what the retention schedules make due (the server also does this daily).
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Erase closed cases whose retention date has passed, unless on legal hold.",
        subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase every organisation's cases that are due (each leaves a tombstone and an audit entry), or list them with --dry-run.")
        @Flag(help: "List what would be erased, and erase nothing.") var dryRun = false

        func run() async throws {
            let dry = dryRun
            let erased: [(organisation: String, reference: String, rule: String)]
            do {
                erased = try await withApplication { app in try await SafeguardServer.runRetention(app, dryRun: dry) }
            } catch let error as StoreError { failServer(describe(error)) }
            for item in erased { print("\(dry ? "Would erase" : "Erased") \(item.reference) of \(item.organisation): \(item.rule)") }
            print(erased.isEmpty ? "Nothing is due." : "\(erased.count) case(s) \(dry ? "due" : "erased").")
        }
    }
}
