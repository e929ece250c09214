import Foundation

/// Copies a SQLite file's write-ahead log back into the database on a thread of its own, so that no commit waits for
/// it.
///
/// By default SQLite checkpoints inside the commit that takes the log past 1,000 pages: that commit writes those pages
/// to their places in the file and waits for the disk twice more, and every request whose audit entry is in that
/// group commit waits with it. Under a load of case reads (the log growing by about 15,000 pages a second) the slowest
/// commits (12 ms at the 99th percentile, 150 ms at worst, against 1.3 ms for most) held every read waiting on them. Here the
/// server's write connection checkpoints only if the log passes `fallbackPages` (when this thread has fallen behind),
/// and this thread runs a passive checkpoint, which never blocks a writer or a reader, whenever a commit has been
/// made since its last one, at most every `interval`.
///
/// `SQLiteFileWriter` makes, starts and tells its own; by hand:
///
/// ```swift
/// let checkpointer = try SQLiteCheckpointer(path: "data/safeguard.sqlite")
/// checkpointer.start()
/// checkpointer.committed()   // after each commit on another connection of the file
/// checkpointer.stop()
/// ```
public final class SQLiteCheckpointer: @unchecked Sendable {
    /// What the last checkpoint found: the log's size and how much of it is now in the database (pages).
    public struct Progress: Sendable, Equatable {
        public var logPages: Int
        public var checkpointedPages: Int
    }

    /// The log size at which the write connection checkpoints for itself (about 80 MB of 4 KiB pages).
    public static let fallbackPages = 20_000

    private let connection: DirectSQLiteConnection
    /// The connection is opened without SQLite's own mutex: one checkpoint at a time, the thread's or a caller's.
    private let connectionLock = NSLock()
    private let interval: TimeInterval
    /// Guards everything below; `condition` wakes the thread.
    private let condition = NSCondition()
    private var pending = false
    private var stopping = false
    private var running = false
    private var last: Progress?
    private var checkpoints = 0

    public init(path: String, interval: TimeInterval = 0.1) throws {
        connection = try DirectSQLiteConnection(path: path, readOnly: false)
        // A passive checkpoint syncs the log, then the database file, before it lets the log be reused: as durable as
        // the commits it copies.
        try connection.execute("PRAGMA synchronous = FULL")
        self.interval = interval
    }

    /// Starts the thread (once; not again after `stop()`).
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !running, !stopping else { return }
        running = true
        let thread = Thread { [self] in run() }
        thread.name = "sqlite-checkpoint"
        thread.start()
    }

    /// Says a commit was made: the thread checkpoints within `interval`.
    public func committed() {
        condition.lock()
        if !pending { pending = true; condition.signal() }
        condition.unlock()
    }

    /// Stops the thread after its current checkpoint, and waits for it.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    /// The last checkpoint's result and how many have run (the tests look).
    public func status() -> (last: Progress?, checkpoints: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (last, checkpoints)
    }

    private func run() {
        condition.lock()
        while !stopping {
            while !pending, !stopping { condition.wait() }
            if stopping { break }
            pending = false
            condition.unlock()
            let progress = try? checkpoint()
            condition.lock()
            if let progress { last = progress; checkpoints += 1 }
            // Commits made meanwhile wait for the next round, `interval` from now, so that one checkpoint copies many.
            let next = Date().addingTimeInterval(interval)
            while !stopping, Date() < next { _ = condition.wait(until: next) }
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// One passive checkpoint: copies what no reader still needs, waits for no one. The thread ignores a failed one
    /// (another process checkpointing at the same moment, say) and tries again after the next commit; the write
    /// connection's own fallback bounds the log meanwhile.
    public func checkpoint() throws -> Progress {
        try connectionLock.withLock {
            let row = try connection.rows("PRAGMA wal_checkpoint(PASSIVE)", []) { ($0.int(1), $0.int(2)) }.first
            return Progress(logPages: row?.0 ?? 0, checkpointedPages: row?.1 ?? 0)
        }
    }
}
