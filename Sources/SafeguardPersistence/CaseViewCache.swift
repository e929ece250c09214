import Foundation

/// The actions and latest assessment of recently read cases, kept with the case's revision (which the database moves
/// on whenever any of them is written: the triggers of migrations 0017 on SQLite and 0018 on PostgreSQL), so that
/// reading a case again costs one row rather than a row per action. Each server process keeps its own; the revision
/// is in the database, so several processes stay right.
///
/// It holds nothing that is not in the database as it is there: an action's reason stays sealed, and is opened
/// on each read. It is bounded (`capacity` cases, the least recently stored going first).
///
/// ```swift
/// if let kept = cache.view(of: id, at: revision) { … } else { cache.keep(view, of: id, at: revision) }
/// ```
public final class CaseViewCache: @unchecked Sendable {
    struct View {
        var revision: Int
        /// As stored: reasons sealed.
        var actions: [CaseAction]
        var assessment: (id: UUID, caseVersion: Int, editions: [String], createdBy: UUID, createdAt: Date?, json: String)?
    }

    private let lock = NSLock()
    private var views: [UUID: View] = [:]
    private var order: [UUID] = []
    private var next = 0
    let capacity: Int
    /// Reads served from the cache and reads that were not (the benchmark and the tests look).
    private(set) var hits = 0
    private(set) var misses = 0

    public init(capacity: Int = 4_096) {
        self.capacity = max(1, capacity)
    }

    func view(of id: UUID, at revision: Int) -> View? {
        lock.withLock {
            guard let view = views[id], view.revision == revision else { misses += 1; return nil }
            hits += 1
            return view
        }
    }

    func keep(_ view: View, of id: UUID) {
        lock.withLock {
            if views.updateValue(view, forKey: id) != nil { return }
            if order.count < capacity {
                order.append(id)
            } else {
                // Full: the slot written longest ago goes, round the ring.
                views[order[next]] = nil
                order[next] = id
                next = (next + 1) % capacity
            }
        }
    }

    /// How many reads were served from the cache, and how many were not.
    public var counts: (hits: Int, misses: Int) { lock.withLock { (hits, misses) } }
}
