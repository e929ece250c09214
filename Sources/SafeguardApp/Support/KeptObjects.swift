import Vapor

/// The objects an application keeps for its whole life (its write gate, audit writer, caches and counters), each
/// made the first time it is asked for and the same object ever after.
///
/// Vapor's `storage` is copied out and written back whole, under its own lock for each of the two steps only. So two
/// first asks at once, of one key or of two, could each keep an object of their own, or one could drop the other's:
/// two write gates, say, each driving the one SQLite write connection at the same time. Every kept object is made
/// here, under one lock, and `configure` makes them all before the server takes a request.
///
/// ```swift
/// var writeGate: WriteGate { kept(WriteGateKey.self) { WriteGate() } }
/// ```
extension Application {
    func kept<Key: StorageKey>(_ key: Key.Type, _ make: () -> Key.Value) -> Key.Value {
        if let value = storage[key] { return value }
        return locks.lock(for: KeptObjectsLock.self).withLock {
            if let value = storage[key] { return value }
            let value = make()
            storage[key] = value
            return value
        }
    }
}

private struct KeptObjectsLock: LockKey {}
