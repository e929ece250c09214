import Foundation

/// Reads from a SQLite database file on the calling thread, through read-only connections of its own, for the reads
/// that every request makes (a case read above all).
///
/// Fluent's SQLite driver runs each statement on NIO's thread pool and hands the result back through an event loop
/// to the waiting task: three thread switches a statement, which on a case read cost more than the reading. A read
/// of a few indexed rows takes microseconds, so it is cheaper to run it where the request already is. The database is
/// in WAL mode, so these readers never wait for the writer (writes still go through Fluent, one at a time, in
/// `WriteGate`), and each `read` sees one committed snapshot of the whole database.
///
/// ```swift
/// let reader = try SQLiteFileReader(path: "data/safeguard.sqlite")
/// let count = try reader.read { connection in
///     try connection.rows("SELECT count(*) FROM cases WHERE organisation_id = ?", [.text(id)]) { $0.int(0) }.first
/// }
/// ```
public final class SQLiteFileReader: @unchecked Sendable {
    public let path: String
    /// Recently read cases' actions and assessments, checked against each case's revision (see `CaseViewCache`).
    public let caseViews: CaseViewCache
    /// Connections not in use, under `lock` (the only mutable state). A read takes one (or opens one) and puts it
    /// back; at most `keep` are kept.
    private let lock = NSLock()
    private var idle: [DirectSQLiteConnection] = []
    private let keep: Int

    /// Opens one connection at once, so that a path SQLite cannot read is an error at start, not on the first request.
    public init(path: String, keep: Int = 8, cachedCases: Int = 4_096) throws {
        self.path = path
        self.keep = keep
        self.caseViews = CaseViewCache(capacity: cachedCases)
        idle = [try DirectSQLiteConnection(path: path, readOnly: true)]
    }

    /// Runs `body` on one connection, inside one read transaction: every statement in it sees the same snapshot.
    public func read<T>(_ body: (DirectSQLiteConnection) throws -> T) throws -> T {
        let connection = try lock.withLock { idle.popLast() } ?? DirectSQLiteConnection(path: path, readOnly: true)
        defer {
            // A connection beyond `keep` is not put back, and closes as it goes.
            lock.withLock { if idle.count < keep { idle.append(connection) } }
        }
        try connection.execute("BEGIN")
        do {
            let result = try body(connection)
            try connection.execute("COMMIT")
            return result
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
