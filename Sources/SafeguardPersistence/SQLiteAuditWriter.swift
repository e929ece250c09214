import Foundation

/// Appends batches of audit entries to a SQLite file through a connection of its own, with SQLite's API on the
/// calling thread: one batch is five statements and a commit, with no thread pool and no event loop between them.
///
/// Every read is audited, and its answer waits for its entry to be durable, so the append is on the path of every
/// request. Through Fluent it cost two thread switches per statement, about as much as the read itself.
///
/// It must run where no other write does: inside the write gate, which serialises this process's writes (another
/// process's are held off by SQLite's write lock, which `BEGIN IMMEDIATE` takes first). It chains exactly as
/// `AuditChain.append` does, through `AuditChain.link`.
///
/// ```swift
/// let writer = try SQLiteAuditWriter(path: "data/safeguard.sqlite")
/// let entries = try writer.append([event], now: Date())   // durable when it returns
/// ```
public final class SQLiteAuditWriter: @unchecked Sendable {
    private let connection: DirectSQLiteConnection
    /// One batch at a time, even if two callers forget the gate: the connection is not for two threads at once.
    private let lock = NSLock()
    private let insert: String

    public init(path: String) throws {
        connection = try DirectSQLiteConnection(path: path, readOnly: false)
        // Durability is a property of the connection, not the file: as `SafeguardSchema.prepareSQLite` sets it.
        try connection.execute("PRAGMA synchronous = FULL")
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
}
