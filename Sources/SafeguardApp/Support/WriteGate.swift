import FluentKit
import Vapor

/// Serialises this process's write transactions. On SQLite that avoids two connections racing for the write lock;
/// across processes on PostgreSQL, the audit head's row lock and conditional version updates keep writes safe.
actor WriteGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    func run<T: Sendable>(_ db: any Database, _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await db.transaction { try await body($0) }
            release()
            return result
        } catch {
            release()
            throw error
        }
    }
}

struct WriteGateKey: StorageKey { typealias Value = WriteGate }

extension Application {
    var writeGate: WriteGate {
        if let gate = storage[WriteGateKey.self] { return gate }
        let gate = WriteGate()
        storage[WriteGateKey.self] = gate
        return gate
    }

    /// Runs `body` in one transaction, serialised with this process's other writes.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await writeGate.run(db, body)
    }
}

extension Request {
    func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await application.writeGate.run(db, body)
    }
}
