import FluentKit
import Foundation

/// One read or write of a case, from the audit trail: who, when, what. Codes only, as the trail holds them; the
/// pages put them into words.
public struct CaseAccessEntry: Sendable, Hashable {
    public var sequence: Int
    public var at: Date?
    /// nil for an entry written by the system or by someone not signed in.
    public var actorID: UUID?
    /// The person's name now; nil when the entry names nobody or the account no longer exists.
    public var actorName: String?
    /// The role the person acted in, as the trail recorded it (e.g. `officer`, `system`).
    public var actorRole: String
    /// E.g. `case.read`, `case.facts.update`.
    public var action: String
    /// E.g. `ok`, `rejected`.
    public var outcome: String

    public init(sequence: Int, at: Date?, actorID: UUID?, actorName: String?, actorRole: String, action: String, outcome: String) {
        self.sequence = sequence
        self.at = at
        self.actorID = actorID
        self.actorName = actorName
        self.actorRole = actorRole
        self.action = action
        self.outcome = outcome
    }
}

/// The latest entries about a case, newest first, and how many there are in all.
public struct CaseAccessHistory: Sendable, Hashable {
    public var entries: [CaseAccessEntry]
    public var total: Int
    public var isComplete: Bool { entries.count == total }
}

extension AuditStore {
    /// How many entries a history shows at most.
    public static let caseAccessLimit = 200

    /// Every read and write of `caseID` in `organisationID`'s trail, newest first: at most `limit` entries, with the
    /// total. Two indexed queries on `audit_entries` (by `case_id`) and one for the names; portable SQL only.
    public func caseAccess(caseID: UUID, organisationID: UUID, limit: Int = AuditStore.caseAccessLimit) async throws -> CaseAccessHistory {
        let caseKey = caseID.uuidString.lowercased()
        let organisationKey = organisationID.uuidString.lowercased()
        func about() -> QueryBuilder<AuditEntryModel> {
            AuditEntryModel.query(on: db).filter(\.$caseID == caseKey).filter(\.$organisationID == organisationKey)
        }
        async let counted = about().count()
        let models = try await about().sort(\.$sequence, .descending).limit(max(0, limit)).all()
        let actorIDs = Set(models.compactMap { UUID(text: $0.actorID) })
        var names: [UUID: String] = [:]
        if !actorIDs.isEmpty {
            for user in try await UserModel.query(on: db).filter(\.$id ~~ Array(actorIDs)).all() {
                if let id = user.id { names[id] = user.displayName }
            }
        }
        let entries = models.map { m in
            let actor = UUID(text: m.actorID)
            return CaseAccessEntry(sequence: m.sequence, at: try? Date(m.at, strategy: AuditChain.timestampFormat),
                                   actorID: actor, actorName: actor.flatMap { names[$0] }, actorRole: m.actorRole,
                                   action: m.action, outcome: m.outcome)
        }
        return CaseAccessHistory(entries: entries, total: try await counted)
    }
}
