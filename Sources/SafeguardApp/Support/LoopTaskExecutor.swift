import NIOCore

/// A task executor that runs a request's task on the event loop its connection is on.
///
/// Vapor starts an async responder on Swift's global executor and completes the response's future from there, so every
/// request crosses threads twice (loop to pool, pool back to loop) before it has done any work, and again after each
/// database answer that arrives on an event loop. Preferring the request's own loop keeps it on one thread: a
/// PostgreSQL answer on that loop resumes the task where it is, and the response is written without a hop.
/// `AsyncMiddlewareChain` uses it for reads only (`GET`, `HEAD`); see there why writes stay on the pool.
///
/// ```swift
/// let executor = LoopTaskExecutor(loop: request.eventLoop)
/// Task(executorPreference: executor) { try await respond(request) }
/// ```
final class LoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}

/// One `LoopTaskExecutor` for each loop of a group, made once: an executor's identity is how Swift knows a task is
/// already where it wants to be.
struct LoopTaskExecutors: Sendable {
    private let executors: [ObjectIdentifier: LoopTaskExecutor]

    init(group: any EventLoopGroup) {
        var executors: [ObjectIdentifier: LoopTaskExecutor] = [:]
        for loop in group.makeIterator() { executors[ObjectIdentifier(loop)] = LoopTaskExecutor(loop: loop) }
        self.executors = executors
    }

    /// The executor for `loop`, or nil for a loop outside the group (a test's embedded loop): such a request runs on
    /// the global executor, as Vapor would run it.
    func executor(for loop: any EventLoop) -> LoopTaskExecutor? {
        executors[ObjectIdentifier(loop)]
    }
}

/// Runs `body` on Swift's thread pool, for a read whose work is long (checking the whole audit chain): on its
/// request's event loop it would hold up every other connection of that loop until it ended.
///
/// ```swift
/// let result = try await offTheLoop { try await AuditChain.verify(on: db, reader: reader) }
/// ```
func offTheLoop<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    try await withTaskExecutorPreference(globalConcurrentExecutor) { try await body() }
}
