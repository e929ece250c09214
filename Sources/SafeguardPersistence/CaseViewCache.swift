import Foundation

/// Values kept with the revision the database had given them when they were read, and used again only while it still
/// gives that revision. The database moves its revisions on itself, by triggers, whenever anything they cover is
/// written, by any path; so a value is never used after what it was made from has changed. Each server process keeps
/// its own; the revisions are in the database, so several processes stay right.
///
/// It is bounded (`capacity` keys, the one stored longest ago going first).
///
/// ```swift
/// if let kept = cache.value(of: key, at: revision) { … } else { cache.keep(value, of: key, at: revision) }
/// ```
public final class RevisionCache<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Key: (revision: Int, value: Value)] = [:]
    private var order: [Key] = []
    private var next = 0
    let capacity: Int
    /// Values served from the cache and values that were not (the benchmark and the tests look).
    private(set) var hits = 0
    private(set) var misses = 0

    public init(capacity: Int = 4_096) {
        self.capacity = max(1, capacity)
    }

    func value(of key: Key, at revision: Int) -> Value? {
        lock.withLock {
            guard let kept = values[key], kept.revision == revision else { misses += 1; return nil }
            hits += 1
            return kept.value
        }
    }

    func keep(_ value: Value, of key: Key, at revision: Int) {
        lock.withLock {
            if values.updateValue((revision, value), forKey: key) != nil { return }
            if order.count < capacity {
                order.append(key)
            } else {
                // Full: the slot written longest ago goes, round the ring.
                values[order[next]] = nil
                order[next] = key
                next = (next + 1) % capacity
            }
        }
    }

    /// How many values were served from the cache, and how many were not.
    public var counts: (hits: Int, misses: Int) { lock.withLock { (hits, misses) } }
}

/// The actions and latest assessment of recently read cases, by the case's revision (which the database moves on
/// whenever any of them is written: the triggers of migrations 0017 on SQLite and 0018 on PostgreSQL), so that
/// reading a case again costs one row rather than a row per action.
///
/// It holds nothing that is not in the database as it is there: an action's reason stays sealed, and is opened on
/// each read.
public typealias CaseViewCache = RevisionCache<UUID, KeptCaseView>

/// A case's actions and latest assessment as stored (reasons sealed).
public struct KeptCaseView: Sendable {
    var actions: [CaseAction]
    var assessment: CaseReadView.Assessment?
}

/// How many cases each recently shown list matched, by the organisation's case list revision (which the database
/// moves on whenever any of its cases is written: the triggers of migration 0019), so that a page of a long list need
/// not count the whole list again.
public typealias CaseCountCache = RevisionCache<CaseListKey, Int>

/// A list of cases: whose, and which of them.
public struct CaseListKey: Hashable, Sendable {
    var organisationID: UUID
    var filter: CaseStore.ListFilter
}
