import Foundation

/// How many cases each recently asked-for list matched, kept with the organisation's case list revision (which the
/// database moves on whenever any of its cases is written: the triggers of migration 0019), so that showing a page of
/// a long list again need not count the whole list again. Each server process keeps its own; the revision is in the
/// database, so several processes stay right.
///
/// Bounded: at `capacity` lists it starts again empty (a list is counted again the next time it is asked for).
///
/// ```swift
/// if let total = cache.total(of: key, at: revision) { … } else { cache.keep(total, of: key, at: revision) }
/// ```
public final class CaseCountCache: @unchecked Sendable {
    /// A list: whose cases, and which of them.
    struct Key: Hashable {
        var organisationID: UUID
        var filter: CaseStore.ListFilter
    }

    private let lock = NSLock()
    private var totals: [Key: (revision: Int, total: Int)] = [:]
    let capacity: Int
    /// Totals served from the cache and totals counted (the tests look).
    private(set) var hits = 0
    private(set) var misses = 0

    public init(capacity: Int = 4_096) {
        self.capacity = max(1, capacity)
    }

    func total(of key: Key, at revision: Int) -> Int? {
        lock.withLock {
            guard let kept = totals[key], kept.revision == revision else { misses += 1; return nil }
            hits += 1
            return kept.total
        }
    }

    func keep(_ total: Int, of key: Key, at revision: Int) {
        lock.withLock {
            if totals.count >= capacity, totals[key] == nil { totals.removeAll(keepingCapacity: true) }
            totals[key] = (revision, total)
        }
    }

    /// How many totals were served from the cache, and how many were counted.
    public var counts: (hits: Int, misses: Int) { lock.withLock { (hits, misses) } }
}
