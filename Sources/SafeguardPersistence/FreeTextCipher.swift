import Crypto
import FluentKit
import Foundation
import SQLKit

/// The key that wraps the data keys: 32 random bytes held outside the database, in a key file or an environment
/// variable (`SAFEGUARD_DATA_KEY_FILE`, `SAFEGUARD_DATA_KEY`). Without it the case text in the database cannot be
/// read, so it is kept with the audit key and backed up apart from the database.
///
/// ```swift
/// let master = try MasterKey(base64: try String(contentsOfFile: "/etc/safeguard/data.key", encoding: .utf8))
/// print(master.fingerprint)   // "3f9a0c2e71b4", shown when the wrong key is given
/// ```
public struct MasterKey: Sendable {
    let key: SymmetricKey

    /// A key of exactly 32 bytes written in base64 (make one with `safeguard keys new FILE`).
    public init(base64: String) throws {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw FreeTextCipherError(description: "a data key must be 32 bytes written in base64 "
                                      + "(make one with: safeguard keys new FILE)")
        }
        key = SymmetricKey(data: data)
    }

    init(key: SymmetricKey) { self.key = key }

    /// A key for another purpose, derived from this one (HKDF-SHA256), so that every server holding the master key
    /// derives the same and nothing else need be kept: `master.derivedKey(purpose: "known device")`.
    public func derivedKey(purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data(purpose.utf8), outputByteCount: 32)
    }

    /// A new random key.
    public static func generate() -> MasterKey { MasterKey(key: SymmetricKey(size: .bits256)) }

    public var base64: String { key.withUnsafeBytes { Data($0).base64EncodedString() } }

    /// A short name for the key that gives nothing of it away: the start of an HMAC of a fixed label. Each wrapped
    /// data key records the fingerprint of the key that wrapped it, so a wrong key is named as such at start-up.
    public var fingerprint: String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("safeguard master key fingerprint".utf8), using: key)
        return Data(code).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    func wrap(_ dataKey: SymmetricKey, id: String) throws -> String {
        let box = try dataKey.withUnsafeBytes { bytes in
            try AES.GCM.seal(Data(bytes), using: key, authenticating: Data("safeguard data key \(id)".utf8))
        }
        return box.combined!.base64EncodedString()
    }

    func unwrap(_ wrapped: String, id: String) throws -> SymmetricKey {
        guard let data = Data(base64Encoded: wrapped) else {
            throw FreeTextCipherError(description: "data key \(id) is damaged in the database (not base64)")
        }
        let box = try AES.GCM.SealedBox(combined: data)
        return SymmetricKey(data: try AES.GCM.open(box, using: key, authenticating: Data("safeguard data key \(id)".utf8)))
    }
}

public struct FreeTextCipherError: Error, CustomStringConvertible {
    public var description: String
}

/// A column whose text is stored encrypted: the case free text (summaries, notes, records, rationales, referral
/// notes, chronology lines, reasons), the answers kept for repeated submissions (they hold the same text) and the
/// two-factor secrets. Everything else — references, crime references, status, dates, the facts and the stored
/// assessments — stays plain, so that search, figures and the engine keep working without the key.
///
/// The name is bound into each ciphertext, so a value copied into another column does not open.
public struct EncryptedColumn: Sendable, Hashable, CustomStringConvertible {
    public var table: String
    public var column: String
    public var description: String { "\(table).\(column)" }

    public static let caseSummary = EncryptedColumn(table: "cases", column: "summary")
    public static let legalHoldReason = EncryptedColumn(table: "cases", column: "legal_hold_reason")
    public static let actionReason = EncryptedColumn(table: "case_actions", column: "reason")
    public static let noteText = EncryptedColumn(table: "case_notes", column: "text")
    public static let recordBody = EncryptedColumn(table: "case_records", column: "body_json")
    public static let signOffProposal = EncryptedColumn(table: "sign_offs", column: "proposal_json")
    public static let signOffReview = EncryptedColumn(table: "sign_offs", column: "review_json")
    public static let chronologyLine = EncryptedColumn(table: "case_events", column: "summary")
    public static let referralShared = EncryptedColumn(table: "police_referrals", column: "shared_json")
    public static let referralReason = EncryptedColumn(table: "police_referrals", column: "response_reason")
    public static let submissionBody = EncryptedColumn(table: "submissions", column: "body")
    public static let totpSecret = EncryptedColumn(table: "users", column: "totp_secret")
    /// A page session's values (`SealedSessions`). Not in `all`: rotation does not seal them again, and a session
    /// sealed under a retired key reads as none, so its person signs in again.
    public static let sessionData = EncryptedColumn(table: "_fluent_sessions", column: "data")

    /// Every encrypted column: what rotation re-encrypts and the tests search the database file for.
    public static let all: [EncryptedColumn] = [
        .caseSummary, .legalHoldReason, .actionReason, .noteText, .recordBody, .signOffProposal, .signOffReview,
        .chronologyLine, .referralShared, .referralReason, .submissionBody, .totpSecret,
    ]
}

/// Encrypts free text before it is stored and opens it when read: AES-256-GCM under the database's active data
/// key, each data key kept in the `data_keys` table wrapped (AES-GCM) by the master key. A stored value reads
/// `enc1:<key id>:<base64 of nonce, ciphertext and tag>`; a value without that prefix was written before
/// encryption and is read as it is until the first start with a key encrypts it.
///
/// One cipher serves one database. Servers learn of a new data key (`safeguard keys rotate`) by `refresh`, which
/// the server runs every few seconds, so that rotation needs no restart.
///
/// ```swift
/// let cipher = try await FreeTextCipher.load(on: db, master: master)
/// let stored = try cipher.seal("Image shared between two pupils", in: .caseSummary)
/// try cipher.open(stored, in: .caseSummary)   // "Image shared between two pupils"
/// ```
public final class FreeTextCipher: @unchecked Sendable {
    public let master: MasterKey
    private let lock = NSLock()
    private var keys: [String: SymmetricKey]
    private var activeID: String

    static let prefix = "enc1:"

    init(master: MasterKey, keys: [String: SymmetricKey], activeID: String) {
        self.master = master
        self.keys = keys
        self.activeID = activeID
    }

    /// The data key new text is sealed with.
    public var activeKeyID: String { lock.withLock { activeID } }
    public var knownKeyIDs: Set<String> { lock.withLock { Set(keys.keys) } }

    public func seal(_ text: String, in column: EncryptedColumn) throws -> String {
        let (id, key) = lock.withLock { (activeID, keys[activeID]!) }
        return try Self.seal(text, in: column, id: id, key: key)
    }

    public func seal(optional text: String?, in column: EncryptedColumn) throws -> String? {
        try text.map { try seal($0, in: column) }
    }

    static func seal(_ text: String, in column: EncryptedColumn, id: String, key: SymmetricKey) throws -> String {
        let box = try AES.GCM.seal(Data(text.utf8), using: key, authenticating: Data(column.description.utf8))
        return prefix + id + ":" + box.combined!.base64EncodedString()
    }

    /// The text of a stored value. A value that does not open (an unknown key, an edit, a value moved from another
    /// column) is an error that says so, never an empty string.
    public func open(_ stored: String, in column: EncryptedColumn) throws -> String {
        guard let (id, payload) = Self.split(stored) else { return stored }
        guard let key = lock.withLock({ keys[id] }) else {
            throw FreeTextCipherError(description: "\(column) holds text sealed with data key \(id), which this server "
                                      + "does not hold: was the database restored without its keys, or rotated by a newer server?")
        }
        guard let data = Data(base64Encoded: String(payload)), let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: key, authenticating: Data(column.description.utf8)) else {
            throw FreeTextCipherError(description: "\(column) holds a value that does not open with data key \(id): "
                                      + "it was changed in the database or copied from another column")
        }
        return String(decoding: plain, as: UTF8.self)
    }

    public func open(optional stored: String?, in column: EncryptedColumn) throws -> String? {
        try stored.map { try open($0, in: column) }
    }

    /// The key id of a sealed value; nil for text written before encryption.
    static func split(_ stored: String) -> (id: String, payload: Substring)? {
        guard stored.hasPrefix(prefix) else { return nil }
        let rest = stored.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        return (String(rest[..<colon]), rest[rest.index(after: colon)...])
    }

    public static func keyID(of stored: String) -> String? { split(stored)?.id }

    // MARK: Keys in the database

    struct KeyRow: Sendable {
        var id: String
        var master: String
        var wrapped: String
        var active: Bool
    }

    static func rows(on db: any Database) async throws -> [KeyRow] {
        let sql = db as! any SQLDatabase
        return try await sql.raw("SELECT id, master, wrapped, active FROM data_keys ORDER BY created_at").all().map {
            KeyRow(id: try $0.decode(column: "id", as: String.self), master: try $0.decode(column: "master", as: String.self),
                   wrapped: try $0.decode(column: "wrapped", as: String.self), active: try $0.decode(column: "active", as: Bool.self))
        }
    }

    static func insert(id: String, key: SymmetricKey, wrappedBy master: MasterKey, active: Bool, now: Date,
                       on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await sql.raw("""
            INSERT INTO data_keys (id, master, wrapped, active, created_at)
            VALUES (\(bind: id), \(bind: master.fingerprint), \(bind: try master.wrap(key, id: id)), \(bind: active), \(bind: now))
            """).run()
    }

    /// Whether the database holds no data key yet (a new database, or one from before encryption).
    public static func isFresh(on db: any Database) async throws -> Bool { try await rows(on: db).isEmpty }

    static func newKeyID() -> String {
        (0..<6).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    /// The cipher for the database, checked against the master key.
    ///
    /// - A database with no data key gets one, and any text written before encryption is sealed with it.
    /// - No master key, while the database holds data keys, stops the start: the text could not be read.
    /// - A master key that wrapped none of the database's data keys stops the start, naming both fingerprints.
    public static func load(on db: any Database, master: MasterKey?, now: Date = Date()) async throws -> FreeTextCipher {
        let rows = try await rows(on: db)
        guard let master else {
            if rows.isEmpty {
                throw FreeTextCipherError(description: "no data key is set: case text is stored encrypted under a key kept "
                                          + "outside the database. Make one with `safeguard keys new /etc/safeguard/data.key` "
                                          + "and set SAFEGUARD_DATA_KEY_FILE to it (or SAFEGUARD_DATA_KEY to its base64)")
            }
            throw FreeTextCipherError(description: "this database's case text is encrypted, and no data key is set: set "
                                      + "SAFEGUARD_DATA_KEY_FILE to the key file it was made with (fingerprint "
                                      + "\(Set(rows.map(\.master)).sorted().joined(separator: " or "))). Without it nothing in the cases can be read")
        }
        if rows.isEmpty {
            let id = newKeyID()
            let key = SymmetricKey(size: .bits256)
            try await insert(id: id, key: key, wrappedBy: master, active: true, now: now, on: db)
            let cipher = FreeTextCipher(master: master, keys: [id: key], activeID: id)
            _ = try await cipher.reseal(on: db, keeping: [id])
            return cipher
        }
        let cipher = FreeTextCipher(master: master, keys: [:], activeID: "")
        try cipher.load(rows)
        return cipher
    }

    private func load(_ rows: [KeyRow]) throws {
        let mine = rows.filter { $0.master == master.fingerprint }
        guard !mine.isEmpty else {
            throw FreeTextCipherError(description: "the data key given (fingerprint \(master.fingerprint)) is not the one this "
                                      + "database's case text was encrypted under (fingerprint "
                                      + "\(Set(rows.map(\.master)).sorted().joined(separator: " or "))): set "
                                      + "SAFEGUARD_DATA_KEY_FILE to that key file")
        }
        var loaded: [String: SymmetricKey] = [:]
        for row in mine { loaded[row.id] = try master.unwrap(row.wrapped, id: row.id) }
        let active = mine.first(where: \.active)?.id
        lock.withLock {
            keys.merge(loaded) { _, new in new }
            if let active { activeID = active } else if activeID.isEmpty { activeID = mine.last!.id }
        }
    }

    /// Learns of data keys added since start-up and which one is active (`safeguard keys rotate` on any machine).
    /// Keys already held are kept, so text sealed with them still opens until it is re-encrypted.
    public func refresh(on db: any Database) async throws {
        try load(try await Self.rows(on: db))
    }

    // MARK: Rotation

    /// Seals every value of every encrypted column that is not under a key in `keeping` (text written before
    /// encryption, or under an older key) with the active key, a few hundred rows at a time. Each row is changed
    /// only if it still holds what was read, so a server writing at the same moment is never overwritten.
    /// Returns how many values were sealed again.
    public func reseal(on db: any Database, keeping: Set<String>) async throws -> Int {
        let sql = db as! any SQLDatabase
        var count = 0
        for column in EncryptedColumn.all {
            var after: UUID?
            while true {
                let from: SQLQueryString = after.map { "AND id > \(bind: $0)" } ?? ""
                let rows = try await sql.raw("""
                    SELECT id, \(ident: column.column) AS value FROM \(ident: column.table)
                    WHERE \(ident: column.column) IS NOT NULL \(from) ORDER BY id LIMIT 500
                    """).all()
                guard let last = rows.last else { break }
                after = try last.decode(column: "id", as: UUID.self)
                for row in rows {
                    let value = try row.decode(column: "value", as: String.self)
                    if let id = Self.keyID(of: value), keeping.contains(id) { continue }
                    let resealed = try seal(try open(value, in: column), in: column)
                    try await sql.raw("""
                        UPDATE \(ident: column.table) SET \(ident: column.column) = \(bind: resealed)
                        WHERE id = \(bind: try row.decode(column: "id", as: UUID.self)) AND \(ident: column.column) = \(bind: value)
                        """).run()
                    count += 1
                }
            }
        }
        return count
    }

    /// How many stored values are not sealed with one of `keys` (text written before encryption included).
    public static func countOutside(_ keys: Set<String>, on db: any Database) async throws -> Int {
        let counts = try await valueCounts(on: db)
        return counts.plain + counts.byKey.filter { !keys.contains($0.key) }.values.reduce(0, +)
    }

    /// How many stored values each data key seals, and how many were written before encryption.
    static func valueCounts(on db: any Database) async throws -> (byKey: [String: Int], plain: Int) {
        let sql = db as! any SQLDatabase
        var byKey: [String: Int] = [:]
        var plain = 0
        for column in EncryptedColumn.all {
            for row in try await sql.raw("SELECT \(ident: column.column) AS value FROM \(ident: column.table) WHERE \(ident: column.column) IS NOT NULL").all() {
                if let id = keyID(of: try row.decode(column: "value", as: String.self)) { byKey[id, default: 0] += 1 } else { plain += 1 }
            }
        }
        return (byKey, plain)
    }
}

// MARK: Rotation

/// What `safeguard keys rotate` did.
public struct DataKeyRotation: Sendable {
    public var retired: [String]
    public var active: String
    public var resealed: Int
    /// The fingerprint of the master key that wraps the data keys now.
    public var master: String
}

/// What `safeguard keys status` shows: each data key, the master keys that wrap it, and how many values it seals.
public struct DataKeyStatus: Sendable {
    public struct Key: Sendable {
        public var id: String
        public var active: Bool
        public var masters: [String]
        public var values: Int
    }
    public var keys: [Key]
    /// Values written before encryption, not sealed yet.
    public var plain: Int
}

extension FreeTextCipher {
    /// Replaces the data key without stopping the servers, and optionally the master key too:
    ///
    /// 1. with `newMaster`, every data key is wrapped under it as well (servers still on the old key go on);
    /// 2. a new data key is stored, not yet active, and `settle` is waited out so that every server, refreshing
    ///    every few seconds, holds it before anything is sealed with it;
    /// 3. it is made active, and `settle` is waited out again so that every server seals new text with it;
    /// 4. every value sealed with an older key (or written before encryption) is sealed again, a row at a time and
    ///    only if unchanged, until none is left;
    /// 5. the older data keys are deleted, and with `newMaster`, the old master key's wraps.
    ///
    /// After a new master key, start each server with it (a rolling restart): a server started with the old one
    /// is refused, with both keys' fingerprints.
    public func rotate(on db: any Database, newMaster: MasterKey? = nil, settle: TimeInterval, now: Date = Date(),
                       progress: @Sendable (String) -> Void = { _ in }) async throws -> DataKeyRotation {
        try await refresh(on: db)
        let sql = db as! any SQLDatabase
        let old = knownKeyIDs
        let masters = [master] + [newMaster].compactMap { $0 }.filter { $0.fingerprint != master.fingerprint }
        if let newMaster, newMaster.fingerprint != master.fingerprint {
            let existing = Set(try await Self.rows(on: db).filter { $0.master == newMaster.fingerprint }.map(\.id))
            for id in old.subtracting(existing) {
                let key = lock.withLock { keys[id]! }
                let active = id == activeKeyID
                try await Self.insert(id: id, key: key, wrappedBy: newMaster, active: active, now: now, on: db)
            }
            progress("Wrapped \(old.count) data key(s) under the new master key (fingerprint \(newMaster.fingerprint)).")
        }
        let id = Self.newKeyID()
        let key = SymmetricKey(size: .bits256)
        for m in masters {
            try await Self.insert(id: id, key: key, wrappedBy: m, active: false, now: now, on: db)
        }
        lock.withLock { keys[id] = key }
        progress("Made data key \(id); waiting \(Int(settle)) s for every server to learn of it.")
        try await Task.sleep(nanoseconds: UInt64(settle * 1_000_000_000))
        try await db.transaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.raw("UPDATE data_keys SET active = \(bind: false)").run()
            try await sql.raw("UPDATE data_keys SET active = \(bind: true) WHERE id = \(bind: id)").run()
        }
        lock.withLock { activeID = id }
        progress("Data key \(id) is active; waiting \(Int(settle)) s for every server to seal new text with it.")
        try await Task.sleep(nanoseconds: UInt64(settle * 1_000_000_000))
        var resealed = 0
        for _ in 0..<5 {
            resealed += try await reseal(on: db, keeping: [id])
            if try await Self.countOutside([id], on: db) == 0 { break }
        }
        let left = try await Self.countOutside([id], on: db)
        guard left == 0 else {
            throw FreeTextCipherError(description: "\(left) value(s) are still sealed with an older data key after five passes: "
                                      + "a server may not be refreshing its keys. The older keys are kept; run the rotation again")
        }
        try await sql.raw("DELETE FROM data_keys WHERE id <> \(bind: id)").run()
        let wrappedBy = newMaster ?? master
        if newMaster != nil {
            try await sql.raw("DELETE FROM data_keys WHERE master <> \(bind: wrappedBy.fingerprint)").run()
        }
        lock.withLock { keys = [id: key] }
        progress("Sealed \(resealed) value(s) again with data key \(id); deleted \(old.sorted().joined(separator: ", ")).")
        return DataKeyRotation(retired: old.sorted(), active: id, resealed: resealed, master: wrappedBy.fingerprint)
    }

    /// The data keys and how much each one seals.
    public static func status(on db: any Database) async throws -> DataKeyStatus {
        let rows = try await rows(on: db)
        let (counts, plain) = try await valueCounts(on: db)
        var keys: [DataKeyStatus.Key] = []
        for row in rows {
            if let i = keys.firstIndex(where: { $0.id == row.id }) {
                keys[i].masters.append(row.master)
                keys[i].active = keys[i].active || row.active
            } else {
                keys.append(.init(id: row.id, active: row.active, masters: [row.master], values: counts[row.id] ?? 0))
            }
        }
        return DataKeyStatus(keys: keys, plain: plain)
    }
}
