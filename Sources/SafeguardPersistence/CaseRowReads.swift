import Foundation
import PostgresNIO

/// Case row reads on PostgreSQL (`SharedRowReads`), each row as PostgresNIO gives it.
public typealias CaseRowReads = SharedRowReads<PostgresRow>

/// Case row reads on PostgreSQL that arrive while one is under way, sent together as one statement
/// (`WHERE id = ANY($1)`) when it ends. A round trip to PostgreSQL costs the server far more than the row it brings
/// back: a second query of the same row on every read cost 95 µs of the server's CPU and 50 µs of PostgreSQL's, where
/// the whole read cost 380 and 105. Under load many reads wait for their row at once, and share one round trip: case
/// reads at 64 connections, four interleaved rounds, 1.29× (all four ahead), the server's CPU a read 303 → 219 µs and
/// PostgreSQL's 97 → 51 µs.
///
/// There is no timer and no waiting for company: a read that finds none under way is sent at once, alone. Those that
/// come while it is out wait for it to end, and the first of them then sends them all, and so on. Each read still
/// gets only its own organisation's case (the row's organisation is checked here, as the query for one row checks it).
/// If a batch fails for any reason, each of its reads is told so and sends its own statement, which throws its own
/// error if something is wrong: a batch can make a read slower, never refuse it.
///
/// ```swift
/// let rows = CaseRowReads()
/// let row = try await rows.row(id: id, organisationID: organisation,
///                               run: { ids in await postgres.runPrepared(CaseRowsByIDStatement(ids: ids)) },
///                               identify: { row in … }, decode: { row in … })
/// ```
public final class SharedRowReads<StoredRow: Sendable>: @unchecked Sendable {
    /// What a waiting read is told: its row (nil if there is none of its organisation), that it is to send the next
    /// batch, or that its batch failed.
    enum Turn: Sendable {
        case row(StoredRow?)
        case lead
        case failed
    }

    private struct Waiter {
        var id: UUID
        var organisationID: UUID
        var turn: UnsafeContinuation<Turn, Never>
    }

    private let lock = NSLock()
    /// Reads waiting for the batch under way to end.
    private var waiting: [Waiter] = []
    /// Whether a batch is under way (or a waiting read has been told to send the next).
    private var leading = false
    /// Batches sent and rows asked for (the benchmark and the tests look).
    private(set) var batches = 0
    private(set) var reads = 0

    public init() {}

    /// The case row of `id` if it is `organisationID`'s, as `run` reads rows for several ids (`identify` gives a
    /// row's case and organisation), decoded by `decode`. Nil from the outer optional when the batch failed: the caller
    /// then reads the row alone.
    func row<Row>(id: UUID, organisationID: UUID, run: ([UUID]) async -> [StoredRow]?,
                  identify: (StoredRow) throws -> (id: UUID, organisationID: UUID),
                  decode: (StoredRow) throws -> Row) async throws -> Row?? {
        var turn = await turn(id: id, organisationID: organisationID)
        if case .lead = turn { turn = try await lead(id: id, organisationID: organisationID, run: run, identify: identify) }
        guard case .row(let found) = turn else { return .none }
        return .some(try found.map(decode))
    }

    /// Leads at once if no batch is under way; otherwise waits to be told.
    private func turn(id: UUID, organisationID: UUID) async -> Turn {
        let leads: Bool = lock.withLock {
            if leading { return false }
            leading = true
            return true
        }
        if leads { return .lead }
        return await withUnsafeContinuation { continuation in
            let leadsNow: Bool = lock.withLock {
                // The batch may have ended between the two locks: then this read leads.
                if !leading {
                    leading = true
                    return true
                }
                waiting.append(Waiter(id: id, organisationID: organisationID, turn: continuation))
                return false
            }
            if leadsNow { continuation.resume(returning: .lead) }
        }
    }

    /// Sends this read and every waiting one as one batch, tells each its row, and hands the lead to the first that
    /// came while it was out (or gives it up). Gives this read's own row, or `.failed`.
    private func lead(id: UUID, organisationID: UUID, run: ([UUID]) async -> [StoredRow]?,
                      identify: (StoredRow) throws -> (id: UUID, organisationID: UUID)) async throws -> Turn {
        let batch: [Waiter] = lock.withLock {
            defer { waiting.removeAll(keepingCapacity: true) }
            batches += 1
            reads += waiting.count + 1
            return waiting
        }
        var ids = [id]
        ids.reserveCapacity(batch.count + 1)
        for waiter in batch where waiter.id != id { ids.append(waiter.id) }
        let rows = await run(ids)
        defer { handOn() }
        guard let rows else {
            for waiter in batch { waiter.turn.resume(returning: .failed) }
            return .failed   // the caller's own read goes alone, as the waiters' do
        }
        var byID: [UUID: (row: StoredRow, organisationID: UUID)] = [:]
        byID.reserveCapacity(rows.count)
        var failure: (any Error)?
        for row in rows {
            do {
                let (caseID, organisation) = try identify(row)
                byID[caseID] = (row, organisation)
            } catch {
                failure = error
            }
        }
        if failure != nil {
            for waiter in batch { waiter.turn.resume(returning: .failed) }
            throw failure!
        }
        for waiter in batch {
            let found = byID[waiter.id].flatMap { $0.organisationID == waiter.organisationID ? $0.row : nil }
            waiter.turn.resume(returning: .row(found))
        }
        return .row(byID[id].flatMap { $0.organisationID == organisationID ? $0.row : nil })
    }

    /// Gives the lead to the first read that came while the batch was out, or gives it up if none did.
    private func handOn() {
        let next: Waiter? = lock.withLock {
            guard !waiting.isEmpty else {
                leading = false
                return nil
            }
            return waiting.removeFirst()
        }
        next?.turn.resume(returning: .lead)
    }

    /// Batches sent and the reads they carried.
    public var counts: (batches: Int, reads: Int) { lock.withLock { (batches, reads) } }

    /// Reads waiting for the batch under way (the tests look).
    var waitingCount: Int { lock.withLock { waiting.count } }
}
