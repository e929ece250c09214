import Foundation

/// Puts a SQLite backup (`safeguard backup`) back in place of the database, so that what comes back is exactly the
/// backup.
///
/// Moving a backup onto the database's path by hand is not enough: after a crash SQLite leaves the database's
/// write-ahead log (`-wal`) beside it, and on the next start replays it onto whatever file is now at the path,
/// giving a damaged mix of the backup and later writes that still starts. A restore here checks the backup is whole
/// and Safeguard's, refuses while any process has the database open, keeps the database it replaces aside with its
/// `-wal` and `-shm` (nothing is deleted), and copies the backup in under a temporary name first, so the path never
/// holds half a file.
///
/// ```swift
/// let restored = try SQLiteRestore.restore(from: "/backups/safeguard-2026-12-05.sqlite", to: "/var/lib/safeguard/safeguard.sqlite")
/// restored.keptAs   // "/var/lib/safeguard/safeguard.sqlite.before-restore-20261205-173000", or nil
/// ```
public enum SQLiteRestore {
    public struct Restored: Sendable, Equatable {
        /// Where the database it replaced now is (its `-wal` and `-shm` beside it), or nil if there was none.
        public var keptAs: String?
    }

    public struct Refused: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static func restore(from backup: String, to path: String, now: Date = Date()) throws -> Restored {
        let files = FileManager.default
        guard files.fileExists(atPath: backup) else { throw Refused(description: "there is no backup at \(backup)") }
        guard standardised(backup) != standardised(path) else {
            throw Refused(description: "\(backup) is the database itself: name a backup made with `safeguard backup`")
        }
        try check(backup: backup)
        let targets = [path, path + "-wal", path + "-shm"]
        if let holder = processHolding(targets) {
            throw Refused(description: "\(holder) has \(path) open: stop the server (and any other safeguard command) first, then restore")
        }
        var keptAs: String?
        if targets.contains(where: files.fileExists(atPath:)) {
            let stamp = stamp(now)
            var aside = "\(path).before-restore-\(stamp)"
            var n = 1
            while files.fileExists(atPath: aside) { n += 1; aside = "\(path).before-restore-\(stamp)-\(n)" }
            // The log moves with its database, under the names SQLite looks for, so the old database can be opened
            // again as it was.
            for suffix in ["", "-wal", "-shm"] where files.fileExists(atPath: path + suffix) {
                try files.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            keptAs = aside
        }
        let incoming = path + ".restoring"
        if files.fileExists(atPath: incoming) { try files.removeItem(atPath: incoming) }
        try files.copyItem(atPath: backup, toPath: incoming)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: incoming))
        try handle.synchronize()
        try handle.close()
        try files.moveItem(atPath: incoming, toPath: path)
        return Restored(keptAs: keptAs)
    }

    /// The backup opens, passes SQLite's integrity check, and holds Safeguard's audit head.
    static func check(backup: String) throws {
        let connection: DirectSQLiteConnection
        do {
            connection = try DirectSQLiteConnection(path: backup, readOnly: true)
        } catch {
            throw Refused(description: "\(backup) cannot be opened as a SQLite database: \(error)")
        }
        let integrity: [String]
        do {
            integrity = try connection.rows("PRAGMA integrity_check", [], keep: false) { try $0.string(0) }
        } catch {
            throw Refused(description: "\(backup) is not a SQLite database, or is damaged: choose another backup")
        }
        guard integrity == ["ok"] else {
            throw Refused(description: "\(backup) is damaged (SQLite's integrity check: \(integrity.prefix(3).joined(separator: "; "))): choose another backup")
        }
        let heads = try connection.rows("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_head'", [], keep: false) { $0.int(0) }
        guard heads == [1] else { throw Refused(description: "\(backup) is not a Safeguard database (it has no audit trail)") }
    }

    /// Whether `backup` is there and is a whole Safeguard database (SQLite's integrity check, its audit trail), as a
    /// restore checks it first; throws `Refused` saying what is wrong.
    public static func checkBackup(_ backup: String) throws {
        guard FileManager.default.fileExists(atPath: backup) else { throw Refused(description: "there is no backup at \(backup)") }
        try check(backup: backup)
    }

    /// A process that has the SQLite database at `path` open ("process 4242 (safeguard)"), or its log; nil if none.
    /// A command that must run with no server on the database (`keys rotate --no-servers-running`) asks first.
    public static func processUsing(databaseAt path: String) -> String? {
        processHolding([path, path + "-wal", path + "-shm"])
    }

    /// A process that has one of `paths` open ("process 4242 (safeguard)"), read from /proc; nil if none (or where
    /// there is no /proc to read).
    static func processHolding(_ paths: [String]) -> String? {
        let wanted = Set(paths.map(standardised))
        let files = FileManager.default
        guard let pids = try? files.contentsOfDirectory(atPath: "/proc") else { return nil }
        for pid in pids where pid.allSatisfy(\.isNumber) {
            guard let fds = try? files.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { continue }
            for fd in fds {
                guard let target = try? files.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"), wanted.contains(target) else { continue }
                let name = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                return "process \(pid)" + (name.map { " (\($0))" } ?? "")
            }
        }
        return nil
    }

    static func standardised(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// "20261205-173000" (UTC), for the name the replaced database is kept under.
    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }
}
