import Foundation
import Logging
import NIOCore

/// Writes to a SQLite file through a connection of its own, with SQLite's API on the calling thread: no thread pool
/// and no event loop between statements. Through Fluent each statement cost two thread switches, and writes are
/// serialised, so every write of the server queued behind those switches.
///
/// It is used inside the write gate only (`WriteGate.runSQL`), which serialises this process's writes (another
/// process's are held off by SQLite's write lock, which `BEGIN IMMEDIATE` takes first): `begin()`, then SQLKit
/// statements through `sql(on:logger:)`, each write in a savepoint, then `commit()`.
///
/// ```swift
/// let writer = try SQLiteFileWriter(path: "data/safeguard.sqlite")
/// try writer.begin()
/// try await AuditChain.append(events, on: writer.sql(on: loop, logger: logger))
/// try writer.commit()
/// ```
public final class SQLiteFileWriter: @unchecked Sendable {
    private let connection: DirectSQLiteConnection
    /// Checkpoints the log on a thread of its own (nil: this connection checkpoints as SQLite does by default).
    public let checkpointer: SQLiteCheckpointer?

    /// With `checkpointInBackground`, commits leave checkpoints to `checkpointer` (started here; call `close()`)
    /// unless the log grows past `SQLiteCheckpointer.fallbackPages`.
    public init(path: String, checkpointInBackground: Bool = true) throws {
        connection = try DirectSQLiteConnection(path: path, readOnly: false)
        // Both are properties of the connection, not the file: durable commits, as `SafeguardSchema.prepareSQLite`
        // sets them, and foreign keys enforced, as Fluent's SQLite driver does on each of its connections.
        try connection.execute("PRAGMA synchronous = FULL")
        try connection.execute("PRAGMA foreign_keys = ON")
        // Each write in a group has a savepoint, whose journal would otherwise be a temporary file written at every
        // statement; it is only needed until the commit, so memory will do.
        try connection.execute("PRAGMA temp_store = MEMORY")
        if checkpointInBackground {
            try connection.execute("PRAGMA wal_autocheckpoint = \(SQLiteCheckpointer.fallbackPages)")
            let checkpointer = try SQLiteCheckpointer(path: path)
            checkpointer.start()
            self.checkpointer = checkpointer
        } else {
            checkpointer = nil
        }
    }

    /// Starts a transaction, taking SQLite's write lock at once.
    public func begin() throws { try connection.execute("BEGIN IMMEDIATE") }

    /// Commits (with an `fsync`: call it off Swift's own threads).
    public func commit() throws {
        try connection.execute("COMMIT")
        checkpointer?.committed()
    }

    /// Stops the background checkpoints (the connection closes when the writer goes).
    public func close() { checkpointer?.stop() }

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
