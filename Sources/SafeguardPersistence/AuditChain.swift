import Crypto
import FluentKit
import Foundation
import SQLKit

/// The hash-chained audit trail.
///
/// Each entry holds `hash = SHA-256(previousHash + "\n" + canonical content)`, where the canonical content is the
/// entry's fields as JSON with sorted keys. The single `audit_head` row holds the last sequence number and hash:
/// appending takes its row lock first, so appends are serialised, and deleting the newest entries is detectable.
public enum AuditChain {
    public static let genesisHash = String(repeating: "0", count: 64)

    struct Canonical: Encodable {
        var sequence: Int
        var at: String
        var actorID: String
        var actorRole: String
        var organisationID: String
        var action: String
        var caseID: String
        var outcome: String
        var detail: String
    }

    static func canonical(_ e: AuditEntry) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try! encoder.encode(Canonical(
            sequence: e.sequence, at: e.at, actorID: e.actorID, actorRole: e.actorRole,
            organisationID: e.organisationID, action: e.action, caseID: e.caseID, outcome: e.outcome,
            detail: e.detail))
    }

    public static func hash(previous: String, entry: AuditEntry) -> String {
        var data = Data(previous.utf8)
        data.append(0x0A)
        data.append(canonical(entry))
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    static let timestampFormat: Date.ISO8601FormatStyle = .iso8601.year().month().day()
        .dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted)

    /// Appends an event. Call it inside the transaction of the change it records.
    @discardableResult
    public static func append(_ event: AuditEvent, on db: any Database, now: Date = Date()) async throws -> AuditEntry {
        let sql = db as! any SQLDatabase
        // Lock the head first: a row lock on PostgreSQL, the write lock on SQLite.
        try await sql.raw("UPDATE audit_head SET sequence = sequence + 1 WHERE id = 1").run()
        guard let head = try await sql.raw("SELECT sequence, hash FROM audit_head WHERE id = 1").first() else {
            throw AuditChainError(description: "the audit head row is missing: the trail has been tampered with or not migrated")
        }
        let sequence = try head.decode(column: "sequence", as: Int.self)
        let previous = try head.decode(column: "hash", as: String.self)
        var entry = AuditEntry(
            sequence: sequence, at: now.formatted(timestampFormat),
            actorID: event.actorID?.uuidString.lowercased() ?? "", actorRole: event.actorRole,
            organisationID: event.organisationID?.uuidString.lowercased() ?? "", action: event.action,
            caseID: event.caseID?.uuidString.lowercased() ?? "", outcome: event.outcome, detail: event.detail,
            previousHash: previous, hash: "")
        entry.hash = hash(previous: previous, entry: entry)
        let model = AuditEntryModel()
        model.sequence = entry.sequence
        model.at = entry.at
        model.actorID = entry.actorID
        model.actorRole = entry.actorRole
        model.organisationID = entry.organisationID
        model.action = entry.action
        model.caseID = entry.caseID
        model.outcome = entry.outcome
        model.detail = entry.detail
        model.previousHash = entry.previousHash
        model.hash = entry.hash
        try await model.create(on: db)
        try await sql.update("audit_head").set("hash", to: SQLBind(entry.hash)).where("id", .equal, SQLBind(1)).run()
        return entry
    }

    /// The outcome of checking the chain.
    public struct Verification: Sendable, Equatable {
        public var entriesChecked: Int
        /// The first entry that does not fit, and why; nil when the chain is whole.
        public var firstBadSequence: Int?
        public var problem: String?
        public var isValid: Bool { problem == nil }
    }

    /// Checks the whole chain from the first entry to the head row.
    public static func verify(on db: any Database) async throws -> Verification {
        var previous = genesisHash
        var expected = 1
        var afterSequence = 0
        // In pages, so memory stays bounded however long the trail is.
        while true {
            let page = try await AuditEntryModel.query(on: db).filter(\.$sequence > afterSequence)
                .sort(\.$sequence, .ascending).limit(2_000).all()
            guard let last = page.last else { break }
            afterSequence = last.sequence
            for model in page {
                let entry = AuditStore.value(model)
                if entry.sequence != expected {
                    return Verification(entriesChecked: expected - 1, firstBadSequence: entry.sequence,
                        problem: "entry \(entry.sequence): expected entry \(expected) before it; "
                            + "entries \(expected)–\(entry.sequence - 1) were deleted")
                }
                if entry.previousHash != previous {
                    return Verification(entriesChecked: expected - 1, firstBadSequence: entry.sequence,
                        problem: "entry \(entry.sequence): its previous hash does not match entry \(entry.sequence - 1)")
                }
                let recomputed = hash(previous: previous, entry: entry)
                if recomputed != entry.hash {
                    return Verification(entriesChecked: expected - 1, firstBadSequence: entry.sequence,
                        problem: "entry \(entry.sequence): its content does not match its hash (edited after it was written)")
                }
                previous = entry.hash
                expected += 1
            }
        }
        let sql = db as! any SQLDatabase
        if let head = try await sql.raw("SELECT sequence, hash FROM audit_head WHERE id = 1").first() {
            let headSequence = try head.decode(column: "sequence", as: Int.self)
            let headHash = try head.decode(column: "hash", as: String.self)
            if headSequence != expected - 1 {
                return Verification(entriesChecked: expected - 1, firstBadSequence: expected,
                    problem: "entry \(expected): the chain ends at entry \(expected - 1) but \(headSequence) were written; "
                        + "the newest entries were deleted")
            }
            if headHash != previous {
                return Verification(entriesChecked: expected - 1, firstBadSequence: expected - 1,
                    problem: "entry \(expected - 1): the newest entry does not match the hash recorded at the head")
            }
        } else {
            return Verification(entriesChecked: expected - 1, firstBadSequence: nil,
                                problem: "the audit head row is missing")
        }
        return Verification(entriesChecked: expected - 1, firstBadSequence: nil, problem: nil)
    }
}

/// The chain cannot be appended to: the change it would record is refused (a server fault, not the client's).
public struct AuditChainError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Reading the audit trail.
public struct AuditStore: Sendable {
    let db: any Database
    public init(db: any Database) { self.db = db }

    static func value(_ m: AuditEntryModel) -> AuditEntry {
        AuditEntry(sequence: m.sequence, at: m.at, actorID: m.actorID, actorRole: m.actorRole,
                   organisationID: m.organisationID, action: m.action, caseID: m.caseID, outcome: m.outcome,
                   detail: m.detail, previousHash: m.previousHash, hash: m.hash)
    }

    /// Entries newest first, optionally only those about one organisation.
    public func entries(organisationID: UUID?, afterSequence: Int? = nil, limit: Int, actionContains: String? = nil,
                        caseID: UUID? = nil, outcome: String? = nil, before: Int? = nil) async throws -> [AuditEntry] {
        var query = AuditEntryModel.query(on: db)
        if let organisationID { query = query.filter(\.$organisationID == organisationID.uuidString.lowercased()) }
        if let afterSequence { query = query.filter(\.$sequence > afterSequence) }
        if let before { query = query.filter(\.$sequence < before) }
        if let actionContains, !actionContains.isEmpty { query = query.filter(\.$action ~~ actionContains) }
        if let caseID { query = query.filter(\.$caseID == caseID.uuidString.lowercased()) }
        if let outcome, !outcome.isEmpty { query = query.filter(\.$outcome == outcome) }
        return try await query.sort(\.$sequence, .descending).limit(limit).all().map(Self.value)
    }

    public func count() async throws -> Int { try await AuditEntryModel.query(on: db).count() }
}
