import Foundation
import Vapor

/// Counts the requests being handled, so that stopping the server can wait for them before the database closes.
/// A client that hangs up does not stop its request's handler: without this, a handler still running when the
/// application shut down would reach for a database that was gone.
///
/// ```swift
/// await app.inFlightRequests.drained(within: 30)   // after the server stops taking requests
/// ```
final class InFlightRequests: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func enter() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    func leave() {
        lock.lock()
        count -= 1
        let ready = count == 0 ? waiters : []
        if count == 0 { waiters.removeAll() }
        lock.unlock()
        for waiter in ready { waiter.resume() }
    }

    var current: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    /// Returns once no request is being handled, or after `seconds`, whichever comes first.
    func drained(within seconds: TimeInterval) async {
        let deadline = Date().addingTimeInterval(seconds)
        while current > 0, Date() < deadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
    }
}

struct InFlightRequestsKey: StorageKey { typealias Value = InFlightRequests }

extension Application {
    var inFlightRequests: InFlightRequests {
        kept(InFlightRequestsKey.self) { InFlightRequests() }
    }
}

/// The outermost middleware: counts each request in and out.
struct InFlightMiddleware: AsyncMiddleware {
    let counter: InFlightRequests

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        counter.enter()
        defer { counter.leave() }
        return try await next.respond(to: request)
    }
}
