import Foundation
import Logging
import NIOCore

/// Writes to a SQLite file through a connection of its own, with SQLite's API on the calling thread: no thread pool
/// and no event loop between statements. Through Fluent each statement cost two thread switches, and writes are
/// serialised, so every write of the server queued behind those switches.
///
/// Two uses, both inside the write gate, which serialises this process's writes (another process's are held off by
/// SQLite's write lock, which `BEGIN IMMEDIATE` takes first):
/// - `append(_:now:)`: a batch of audit entries (reads are audited, and answered once their entry is durable), chained
///   exactly as `AuditChain.append` chains them, through `AuditChain.link`;
/// - `begin()`, `sql(on:logger:)`, `commit()`: a transaction of SQLKit statements (`WriteGate.runSQL`).
///
/// ```swift
/// let writer = try SQLiteFileWriter(path: "data/safeguard.sqlite")
/// let entries = try writer.append([event], now: Date())   // durable when it returns
/// ```
public final class SQLiteFileWriter: @unchecked Sendable {
    private let connection: DirectSQLiteConnection
    /// One audit batch at a time, even if two callers forget the gate: the connection is not for two threads at once.
    private let lock = NSLock()
    private let insert: String

    public init(path: String) throws {
        connection = try DirectSQLiteConnection(path: path, readOnly: false)
        // Both are properties of the connection, not the file: durable commits, as `SafeguardSchema.prepareSQLite`
        // sets them, and foreign keys enforced, as Fluent's SQLite driver does on each of its connections.
        try connection.execute("PRAGMA synchronous = FULL")
        try connection.execute("PRAGMA foreign_keys = ON")
        // Each write in a group has a savepoint, whose journal would otherwise be a temporary file written at every
        // statement; it is only needed until the commit, so memory will do.
        try connection.execute("PRAGMA temp_store = MEMORY")
        insert = "INSERT INTO \(AuditEntryModel.schema) (\(AuditChain.entryColumns.joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: AuditChain.entryColumns.count).joined(separator: ", ") + ")"
    }

    /// Appends `events` in order, in one transaction, and returns their entries once it has committed.
    @discardableResult
    public func append(_ events: [AuditEvent], now: Date) throws -> [AuditEntry] {
        guard !events.isEmpty else { return [] }
        return try lock.withLock {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                guard let head = try connection.rows(
                    "UPDATE audit_head SET sequence = sequence + ? WHERE id = 1 RETURNING sequence, hash, mac",
                    [.integer(events.count)], { row in (sequence: row.int(0), hash: try row.string(1), mac: row.text(2)) }).first
                else { throw AuditChainError.missingHead }
                let batch = try AuditChain.link(events, head: head, now: now)
                for entry in batch.entries {
                    _ = try connection.rows(insert, AuditChain.row(entry).map { column -> DirectSQLiteConnection.Value in
                        switch column {
                        case .id(let id): .uuid(id)  // as Fluent's SQLite driver stores it
                        case .text(let text): .text(text)
                        case .integer(let number): .integer(number)
                        }
                    }, { _ in () })
                }
                _ = try connection.rows("UPDATE audit_head SET hash = ?, mac = ? WHERE id = 1",
                                        [.text(batch.hash), batch.mac.map { .text($0) } ?? .null], { _ in () })
                try connection.execute("COMMIT")
                return batch.entries
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Starts a transaction, taking SQLite's write lock at once.
    public func begin() throws { try connection.execute("BEGIN IMMEDIATE") }

    /// Commits (with an `fsync`: call it off Swift's own threads).
    public func commit() throws { try connection.execute("COMMIT") }

    public func rollback() { try? connection.execute("ROLLBACK") }

    public func savepoint(_ name: String) throws { try connection.execute("SAVEPOINT \(name)") }
    public func release(_ name: String) throws { try connection.execute("RELEASE SAVEPOINT \(name)") }
    public func rollback(to name: String) throws {
        try connection.execute("ROLLBACK TO SAVEPOINT \(name)")
        try connection.execute("RELEASE SAVEPOINT \(name)")
    }

    /// SQLKit on this connection, inside a transaction `begin()` started.
    public func sql(on eventLoop: any EventLoop, logger: Logger) -> DirectSQLiteDatabase {
        DirectSQLiteDatabase(connection: connection, eventLoop: eventLoop, logger: logger)
    }
}
