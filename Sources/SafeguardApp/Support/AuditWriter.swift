import FluentKit
import Foundation
import SafeguardPersistence
import Vapor

/// Group commit for audit entries that stand alone (reads, rejections, lists): entries from concurrent requests are
/// appended in one transaction, and each request is answered only once the transaction holding its entry has
/// committed, so nothing is read unaudited and a read costs a share of one commit rather than a commit of its own.
///
/// The entries wait in the write gate, which puts all of them into its next transaction, beside any writes: one queue,
/// so a commit follows the last with no hop between two actors and a new task in between.
///
/// A change to a case does not come here: its entry is appended inside the change's own transaction.
///
/// ```swift
/// try await request.application.auditWriter.append(event)   // returns once the entry is durable
/// ```
struct AuditWriter: Sendable {
    let gate: WriteGate
    /// Where the gate writes: the application's database, and a SQLite file's own write connection if it has one.
    let target: @Sendable () -> (db: any Database, direct: WriteGate.Direct?)

    /// The server is stopping: nothing more can be audited, so nothing more is answered.
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the server is stopping; the request was not carried out" }
    }

    /// Appends `event` and returns once it is committed; throws if its transaction could not be written.
    func append(_ event: AuditEvent) async throws {
        try await gate.audit(event, target: target)
    }

    /// Writes what is waiting, then refuses any more (each later `append` throws `Closed`). Call it before the
    /// database closes: a batch written after would have nothing to write to.
    func close() async { await gate.closeAudit() }

    /// Transactions that committed entries from here, and the entries in them.
    func counts() async -> (batches: Int, entries: Int) { await gate.entryCounts() }

    /// Entries waiting for their commit, including those being written now (the tests look).
    func pendingCount() async -> Int { await gate.pendingEntryCount() }
}

struct AuditWriterKey: StorageKey { typealias Value = AuditWriter }

extension Application {
    /// The process's audit group-commit writer: entries wait in the write gate with every other write.
    var auditWriter: AuditWriter {
        let app = self
        let gate = writeGate   // asked first: `kept` holds a lock that is not re-entrant
        return kept(AuditWriterKey.self) {
            AuditWriter(gate: gate, target: { (app.db, app.directWrites) })
        }
    }
}

extension SafeguardServer {
    /// Logs how well writes shared their commits over the server's life (counts only, nothing of any case): `serve`
    /// does when it stops.
    public static func logCommitCounts(_ app: Application) async {
        let audit = await app.auditWriter.counts()
        let gate = await app.writeGate.counts()
        // On PostgreSQL, how many case rows were read in how many shared round trips (`CaseRowReads`).
        let rows = app.caseRowReads.map { "; \($0.counts.reads) case rows read in \($0.counts.batches) round trips" } ?? ""
        app.logger.info("Stopped: \(audit.entries) audit entries of reads and rejections in \(audit.batches) group commits; \(gate.writes) writes in \(gate.transactions) transactions\(rows)")
    }
}

extension Request {
    /// Audits an event that records no change (a read, a list, a rejection) through group commit, by the request's
    /// identity; returns once it is durable.
    func auditAlone(_ action: String, caseID: UUID? = nil, outcome: String = "ok", detail: String = "") async throws {
        try await application.auditWriter.append(auditEvent(action, caseID: caseID, outcome: outcome, detail: detail))
        auditRecorded = true
    }

    func auditEvent(_ action: String, caseID: UUID? = nil, outcome: String = "ok", detail: String = "") -> AuditEvent {
        let identity = self.identity
        return AuditEvent(actorID: identity?.user.id, actorRole: identity?.auditRole ?? "anonymous",
                          organisationID: identity?.organisation.id, action: action, caseID: caseID,
                          outcome: outcome, detail: detail)
    }
}

/// Where this process's last check of the audit chain got to, so the auditor's page checks only what is new on a
/// long trail. A short trail (up to `fullCheckBelow` entries, a fraction of a second) is checked whole every time,
/// and a long one whole at least every `fullCheckEvery` seconds, so an edit behind the checkpoint is still found.
/// A broken chain clears the checkpoint: later views check from the first entry again and keep saying where.
final class AuditCheckpoint: @unchecked Sendable {
    private let lock = NSLock()
    private var checkpoint: AuditChain.Checkpoint?
    private var lastFullCheck = Date.distantPast
    let fullCheckBelow: Int
    let fullCheckEvery: TimeInterval

    init(fullCheckBelow: Int = 50_000, fullCheckEvery: TimeInterval = 15 * 60) {
        self.fullCheckBelow = fullCheckBelow
        self.fullCheckEvery = fullCheckEvery
    }

    func verify(on db: any Database, reader: SQLiteFileReader?, now: Date = Date()) async throws -> AuditChain.Verification {
        let from: AuditChain.Checkpoint? = lock.withLock {
            guard let checkpoint, checkpoint.sequence >= fullCheckBelow,
                  now.timeIntervalSince(lastFullCheck) < fullCheckEvery else { return nil }
            return checkpoint
        }
        let (verification, next) = try await AuditChain.verify(on: db, from: from, reader: reader)
        lock.withLock {
            if from == nil { lastFullCheck = now }
            if let next, next.sequence >= (checkpoint?.sequence ?? 0) { checkpoint = next }
            if !verification.isValid { checkpoint = nil }
        }
        return verification
    }
}

struct AuditCheckpointKey: StorageKey { typealias Value = AuditCheckpoint }

extension Application {
    var auditCheckpoint: AuditCheckpoint {
        kept(AuditCheckpointKey.self) { AuditCheckpoint() }
    }
}
