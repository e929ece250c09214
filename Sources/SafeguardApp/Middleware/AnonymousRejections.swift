import Foundation
import SafeguardPersistence
import Vapor

/// Requests refused to someone who presented no credentials cost nothing durable: they are counted here, in memory,
/// by address, route and status, and written as one summarising audit entry per interval. An address that keeps
/// sending them is throttled (429) until its window passes, before any route or database work is done for it.
///
/// Requests from signed-in users, and failed sign-ins, are not counted here: they stay audited one by one.
///
/// ```swift
/// if tally.isThrottled(address, now: now) { return 429 }
/// tally.count(address: address, route: "GET /nope", status: 404, now: now)
/// ```
final class AnonymousRejections: @unchecked Sendable {
    struct Group: Hashable {
        var address: String
        var route: String
        var status: UInt
    }

    private let lock = NSLock()
    private var counts: [Group: Int] = [:]
    private var windows: [String: (start: Date, count: Int)] = [:]
    /// Rejections one address may have within `window` before it is throttled for the rest of the window.
    let limit: Int
    let window: TimeInterval
    /// At most this many addresses are tracked; beyond it the oldest windows are dropped (a flood of forged
    /// addresses cannot grow memory without bound).
    private let maxAddresses = 50_000

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Whether `address` has used up its rejections for the current window.
    func isThrottled(_ address: String, now: Date) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let w = windows[address], now.timeIntervalSince(w.start) < window else { return false }
        return w.count >= limit
    }

    /// Counts one rejection.
    func count(address: String, route: String, status: UInt, now: Date) {
        lock.lock()
        defer { lock.unlock() }
        counts[Group(address: address, route: route, status: status), default: 0] += 1
        if var w = windows[address], now.timeIntervalSince(w.start) < window {
            w.count += 1
            windows[address] = w
        } else {
            if windows.count >= maxAddresses {
                windows = windows.filter { now.timeIntervalSince($0.value.start) < window }
                if windows.count >= maxAddresses { windows.removeAll(keepingCapacity: true) }
            }
            windows[address] = (now, 1)
        }
    }

    /// Takes the counts so far, leaving none.
    func drain() -> [Group: Int] {
        lock.lock()
        defer { lock.unlock() }
        let taken = counts
        counts.removeAll(keepingCapacity: true)
        return taken
    }

    /// The summarising audit entry for what `drain()` returned, or nil when there was nothing. The detail lists the
    /// largest groups (address, route, status, count) and how many more there were: codes only, never content.
    static func summary(of groups: [Group: Int]) -> AuditEvent? {
        guard !groups.isEmpty else { return nil }
        let sorted = groups.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.address < $1.key.address }
        let shown = sorted.prefix(20).map { "address=\($0.key.address) route=\($0.key.route) status=\($0.key.status) count=\($0.value)" }
        let total = groups.values.reduce(0, +)
        var detail = "total=\(total) groups=\(groups.count); " + shown.joined(separator: "; ")
        if sorted.count > 20 { detail += "; other groups=\(sorted.count - 20)" }
        return AuditEvent(actorID: nil, actorRole: "anonymous", organisationID: nil, action: "request.rejected.summary",
                          outcome: "rejected", detail: detail)
    }
}

extension SafeguardServer {
    /// Waits for requests still being handled (up to `seconds`), then writes what is still held in memory for the
    /// audit trail (the summary of refused anonymous requests) and closes the audit writer. Call it after the
    /// server has stopped taking requests and before the application shuts down.
    public static func finish(_ app: Application, waitingUpTo seconds: TimeInterval = 30) async {
        // Requests whose clients hung up can still be running: let them finish (and be audited) first.
        await app.inFlightRequests.drained(within: seconds)
        await app.flushAnonymousRejections()
        await app.auditWriter.close()
    }
}

struct AnonymousRejectionsKey: StorageKey { typealias Value = AnonymousRejections }

extension Application {
    var anonymousRejections: AnonymousRejections {
        kept(AnonymousRejectionsKey.self) {
            AnonymousRejections(limit: safeguardOptions.anonymousRejectionLimit, window: safeguardOptions.anonymousRejectionWindow)
        }
    }

    /// Writes the summary of anonymous rejections counted since the last call, if any.
    func flushAnonymousRejections() async {
        guard let event = AnonymousRejections.summary(of: anonymousRejections.drain()) else { return }
        do {
            try await auditWriter.append(event)
        } catch {
            logger.error("could not audit the summary of rejected anonymous requests: \(LoggedError(error))")
        }
    }
}

/// Writes the anonymous rejections' summary every `interval` while the server runs. The last summary is written by
/// `SafeguardServer.finish(_:)` after the server stops taking requests and before the database closes (at
/// shutdown the lifecycle's order does not promise the database is still open).
struct AnonymousRejectionsSummariser: LifecycleHandler {
    let job: RepeatingJob

    init(interval: TimeInterval) {
        job = RepeatingJob(firstAfter: interval, every: interval) { application in await application.flushAnonymousRejections() }
    }

    func didBootAsync(_ application: Application) async throws { job.start(application) }

    func shutdownAsync(_ application: Application) async {
        job.stop()
        // Normally `SafeguardServer.finish` has written everything by now; refuse anything later rather than
        // write to a database that may already be closed.
        await application.auditWriter.close()
    }
}

/// Work the server does on its own while it runs: first after `firstAfter` seconds, then every `every`.
struct RepeatingJob: Sendable {
    let firstAfter: TimeInterval
    let every: TimeInterval
    let work: @Sendable (Application) async -> Void
    final class Box: @unchecked Sendable { var task: Task<Void, Never>? }
    let box = Box()

    init(firstAfter: TimeInterval, every: TimeInterval, work: @escaping @Sendable (Application) async -> Void) {
        self.firstAfter = firstAfter
        self.every = every
        self.work = work
    }

    func start(_ application: Application) {
        let (first, every, work) = (firstAfter, self.every, self.work)
        box.task = Task { [weak application] in
            var wait = first
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
                wait = every
                guard let application, !Task.isCancelled else { return }
                await work(application)
            }
        }
    }

    func stop() { box.task?.cancel() }
}
