import FluentKit
import Foundation
import SafeguardPersistence
import Vapor

/// Group commit for audit entries that stand alone (reads, rejections, lists): entries from concurrent requests are
/// appended in one transaction, and each request is answered only once the transaction holding its entry has
/// committed, so nothing is read unaudited and a read costs a share of one commit rather than a commit of its own.
///
/// A change to a case does not come here: its entry is appended inside the change's own transaction.
///
/// ```swift
/// try await request.application.auditWriter.append(event)   // returns once the entry is durable
/// ```
actor AuditWriter {
    private struct Pending {
        var event: AuditEvent
        var waiter: CheckedContinuation<Void, any Error>
    }

    private let run: @Sendable ([AuditEvent]) async throws -> Void
    private var pending: [Pending] = []
    private var flushing = false
    private var inFlight = 0
    /// Batches written and entries in them, for the benchmark's and the tests' curiosity.
    private(set) var batches = 0
    private(set) var entries = 0

    /// `run` appends one batch durably (one transaction).
    init(run: @escaping @Sendable ([AuditEvent]) async throws -> Void) {
        self.run = run
    }

    private var closed = false
    private var drained: [CheckedContinuation<Void, Never>] = []

    /// The server is stopping: nothing more can be audited, so nothing more is answered.
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the server is stopping; the request was not carried out" }
    }

    /// Appends `event` and returns once it is committed; throws if its batch could not be written.
    func append(_ event: AuditEvent) async throws {
        guard !closed else { throw Closed() }
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
            pending.append(Pending(event: event, waiter: waiter))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    /// Writes what is waiting, then what arrived while that was written, until nothing is left. Requests that arrive
    /// during a commit share the next one: that is the whole of group commit.
    private func flush() async {
        while !pending.isEmpty {
            let batch = pending.prefix(2_000)
            pending.removeFirst(batch.count)
            inFlight = batch.count
            defer { inFlight = 0 }
            do {
                try await run(batch.map(\.event))
                batches += 1
                entries += batch.count
                for item in batch { item.waiter.resume() }
            } catch {
                for item in batch { item.waiter.resume(throwing: error) }
            }
        }
        flushing = false
        for waiter in drained { waiter.resume() }
        drained.removeAll()
    }

    /// Writes what is waiting, then refuses any more (each later `append` throws `Closed`). Call it before the
    /// database closes: a batch written after would have nothing to write to.
    func close() async {
        closed = true
        guard flushing else { return }
        await withCheckedContinuation { drained.append($0) }
    }

    func counts() -> (batches: Int, entries: Int) { (batches, entries) }

    /// Entries waiting for their commit, including those being written now (the tests look).
    func pendingCount() -> Int { pending.count + inFlight }
}

struct AuditWriterKey: StorageKey { typealias Value = AuditWriter }

extension Application {
    /// The process's audit group-commit writer; batches go through the write gate like every other write.
    var auditWriter: AuditWriter {
        let app = self
        return kept(AuditWriterKey.self) {
            AuditWriter { events in
                // Grouped with other writes (`WriteGate.runSQL`): on a SQLite file, on its own write connection;
                // appended in one batch with the entries of the writes beside it.
                try await app.writeSQL { write in write.audit(events) }
            }
        }
    }
}

extension SafeguardServer {
    /// Logs how well writes shared their commits over the server's life (counts only, nothing of any case): `serve`
    /// does when it stops.
    public static func logCommitCounts(_ app: Application) async {
        let audit = await app.auditWriter.counts()
        let gate = await app.writeGate.counts()
        app.logger.info("Stopped: \(audit.entries) audit entries of reads and rejections in \(audit.batches) group commits; \(gate.writes) writes in \(gate.transactions) transactions")
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
