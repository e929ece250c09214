import Crypto
import FluentKit
import Foundation
import SQLKit
import FluentPostgresDriver
import FluentSQLiteDriver
import NIOConcurrencyHelpers
import VaporCSQLite

/// The key that seals the audit head: an HMAC-SHA-256 of the head's sequence and hash, kept outside the database
/// (`SAFEGUARD_AUDIT_KEY`, or a key file). Every entry is chained into the head, so rewriting any entry and
/// recomputing every later hash changes the head, and deleting the newest entries leaves the head ahead of them:
/// without the key, neither can be sealed again.
///
/// ```swift
/// AuditSeal.use(try AuditSeal(base64: key))      // once, at start-up
/// AuditSeal.current?.mac(sequence: 41, hash: h)  // what the head must carry
/// ```
public struct AuditSeal: Sendable {
    let key: SymmetricKey

    /// A key of at least 32 bytes, written in base64.
    public init(base64: String) throws {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), data.count >= 32 else {
            throw AuditChainError(description: "the audit key must be at least 32 bytes written in base64 "
                                  + "(make one with: head -c 32 /dev/urandom | base64)")
        }
        key = SymmetricKey(data: data)
    }

    public func mac(sequence: Int, hash: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("\(sequence):\(hash)".utf8), using: key)
        return AuditChain.hex(Data(code))
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed: AuditSeal?

    /// The seal this process uses; nil when no key is configured (the trail is then chained but not sealed).
    public static var current: AuditSeal? {
        lock.lock()
        defer { lock.unlock() }
        return installed
    }

    /// Sets the seal for this process (one key for every database it opens).
    public static func use(_ seal: AuditSeal?) {
        lock.lock()
        defer { lock.unlock() }
        installed = seal
    }
}

/// The hash-chained audit trail.
///
/// Each entry holds `hash = SHA-256(previousHash + "\n" + canonical content)`, where the canonical content is the
/// entry's fields as JSON with sorted keys. The single `audit_head` row holds the last sequence number and hash:
/// appending takes its row lock first, so appends are serialised, and deleting the newest entries is detectable.
public enum AuditChain {
    public static let genesisHash = String(repeating: "0", count: 64)

    /// The entry's fields as JSON with sorted keys — byte for byte what `JSONEncoder` with `.sortedKeys` and
    /// `.withoutEscapingSlashes` writes (a test checks it against `JSONEncoder`), without its cost: verifying a long
    /// trail hashes every entry, and appends hash one per request.
    static func canonical(_ e: AuditEntry) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + e.detail.utf8.count)
        canonical(e, into: &out)
        return out
    }

    /// Appends the canonical form to `out`, from an entry's values or straight from a stored row's bytes (the
    /// verifier's, which then makes no string at all). The one place the hashed form's keys and their order are written.
    static func canonical<Fields: AuditFields>(_ fields: Fields, into out: inout [UInt8]) {
        // Each key with the punctuation around it, as one run of bytes.
        func key(_ text: StaticString) { text.withUTF8Buffer { out.append(contentsOf: $0) } }
        func string(_ field: AuditField) {
            fields.withBytes(field) { SortedJSON.appendString($0, escapingSlashes: false, into: &out) }
        }
        key(#"{"action":"#); string(.action)
        key(#","actorID":"#); string(.actorID)
        key(#","actorRole":"#); string(.actorRole)
        key(#","at":"#); string(.at)
        key(#","caseID":"#); string(.caseID)
        key(#","detail":"#); string(.detail)
        key(#","organisationID":"#); string(.organisationID)
        key(#","outcome":"#); string(.outcome)
        key(#","sequence":"#); out.append(contentsOf: String(fields.sequence).utf8)
        out.append(UInt8(ascii: "}"))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A digest as lower-case hex, written in place from its own bytes: every audit entry and every signed-in request
    /// (its token's hash) makes one, and a generic walk over the digest's bytes was the dearer part.
    static func hex(_ digest: SHA256.Digest) -> String { digest.withUnsafeBytes(hex(raw:)) }

    /// Lower-case hex of any bytes, without `String(format:)` (which costs more than the hash on every request).
    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 { Array(bytes).withUnsafeBytes(hex(raw:)) }

    private static func hex(raw bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = hexDigits[Int(byte >> 4)]
                out[2 * index + 1] = hexDigits[Int(byte & 0xF)]
            }
            return bytes.count * 2
        }
    }

    /// Whether `text` is the lower-case hex of `digest`; compares bytes, making no string.
    static func isHex(of digest: SHA256.Digest, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.count == 2 * SHA256.byteCount else { return false }
        var index = 0
        for byte in digest {
            guard text[index] == hexDigits[Int(byte >> 4)], text[index + 1] == hexDigits[Int(byte & 0xF)] else { return false }
            index += 2
        }
        return true
    }

    public static func hash(previous: String, entry: AuditEntry) -> String {
        var scratch: [UInt8] = []
        return hash(previous: previous, entry: entry, scratch: &scratch)
    }

    /// The same, building the hashed bytes in `scratch`, which an appender reuses for every entry of a batch.
    static func hash(previous: String, entry: AuditEntry, scratch: inout [UInt8]) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: previous.utf8)
        scratch.append(0x0A)
        canonical(entry, into: &scratch)
        return hex(SHA256.hash(data: scratch))
    }

    static let timestampFormat: Date.ISO8601FormatStyle = .iso8601.year().month().day()
        .dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted)

    /// Appends an event. Call it inside the transaction of the change it records.
    @discardableResult
    public static func append(_ event: AuditEvent, on db: any Database, now: Date = Date()) async throws -> AuditEntry {
        try await append([event], on: db, now: now)[0]
    }

    @discardableResult
    public static func append(_ event: AuditEvent, on sql: any SQLDatabase, now: Date = Date()) async throws -> AuditEntry {
        try await append([event], on: sql, now: now)[0]
    }

    /// Appends several events in order, as one batch: one head lock, one multi-row insert, one head update.
    /// This is what group commit uses: concurrent requests' entries share one transaction.
    @discardableResult
    public static func append(_ events: [AuditEvent], on db: any Database, now: Date = Date()) async throws -> [AuditEntry] {
        try await append(events, on: db as! any SQLDatabase, now: now)
    }

    /// The same with SQLKit alone (on a SQLite file's own write connection too).
    @discardableResult
    public static func append(_ events: [AuditEvent], on sql: any SQLDatabase, now: Date = Date()) async throws -> [AuditEntry] {
        try await append(events, at: Array(repeating: now, count: events.count), on: sql)
    }

    /// The same, each event at its own time: the write gate appends the entries of a whole group of writes at once,
    /// each at the time its write gave.
    @discardableResult
    public static func append(_ events: [AuditEvent], at times: [Date], on sql: any SQLDatabase) async throws -> [AuditEntry] {
        precondition(times.count == events.count, "one time for each event")
        guard !events.isEmpty else { return [] }
        if let direct = sql as? DirectSQLiteDatabase { return try append(events, at: times, on: direct.connection) }
        if let postgres = sql as? any PostgresDatabase, !PreparedInTransaction.isGivenUp {
            return try await append(events, at: times, on: postgres)
        }
        return try await appendThroughSQLKit(events, at: times, on: sql)
    }

    /// The same through SQLKit in three statements: on SQLite through Fluent, and on PostgreSQL once this process has
    /// given up preparing inside transactions.
    static func appendThroughSQLKit(_ events: [AuditEvent], at times: [Date], on sql: any SQLDatabase) async throws -> [AuditEntry] {
        // Lock the head first (a row lock on PostgreSQL, the write lock on SQLite), moving its sequence on and reading it
        // in the same statement: on PostgreSQL each statement is a round trip inside the serialised section.
        guard let head = try await sql.raw("""
            UPDATE audit_head SET sequence = sequence + \(unsafeRaw: String(events.count)) WHERE id = 1 \
            RETURNING sequence, hash, mac
            """).first() else {
            throw AuditChainError.missingHead
        }
        let batch = try link(events, head: (sequence: try head.decode(column: "sequence", as: Int.self),
                                            hash: try head.decode(column: "hash", as: String.self),
                                            mac: try head.decode(column: "mac", as: String?.self)), at: times)
        // SQLite allows 32,766 bound values in one statement: 12 a row, so insert at most 1,000 rows at a time.
        for chunk in stride(from: 0, to: batch.entries.count, by: 1_000) {
            var insert = sql.insert(into: AuditEntryModel.schema,
                                    columns: ["id", "sequence", "at", "actor_id", "actor_role", "organisation_id", "action", "case_id",
                                              "outcome", "detail", "previous_hash", "hash"])
            for index in chunk..<min(chunk + 1_000, batch.entries.count) {
                let entry = batch.entries[index]
                insert = insert.values(SQLBind(UUID.timeOrdered(now: times[index])), SQLBind(entry.sequence), SQLBind(entry.at), SQLBind(entry.actorID),
                                       SQLBind(entry.actorRole), SQLBind(entry.organisationID), SQLBind(entry.action),
                                       SQLBind(entry.caseID), SQLBind(entry.outcome), SQLBind(entry.detail),
                                       SQLBind(entry.previousHash), SQLBind(entry.hash))
            }
            try await insert.run()
        }
        try await sql.update(PlainName("audit_head")).set(PlainName("hash"), to: SQLBind(batch.hash)).set(PlainName("mac"), to: SQLBind(batch.mac))
            .where(PlainName("id"), .equal, SQLBind(1)).run()
        return batch.entries
    }

    /// The same on a SQLite file's own write connection, in three statements whose text never changes, so that the
    /// connection keeps each prepared: the head moved on, one row inserted for each entry, the head's hash and seal.
    /// SQLKit's multi-row insert has a new text for each number of rows, so it was built, written out and prepared
    /// again for almost every group commit: about 3 % of the server's CPU on case reads, for the statements alone.
    /// The rows are stored exactly as through SQLKit (a UUID as upper-case text, every other field as text or a
    /// number), so the two paths write the same trail (`DirectSQLiteTests` compares them).
    static func append(_ events: [AuditEvent], at times: [Date], on connection: DirectSQLiteConnection) throws -> [AuditEntry] {
        guard let head = try connection.rows("UPDATE audit_head SET sequence = sequence + ? WHERE id = 1 RETURNING sequence, hash, mac",
                                             [.integer(events.count)], { row in
            (sequence: row.int(0), hash: try row.string(1), mac: row.text(2))
        }).first else {
            throw AuditChainError.missingHead
        }
        let batch = try link(events, head: head, at: times)
        for (index, entry) in batch.entries.enumerated() {
            _ = try connection.rows(insertOne, [
                .uuid(UUID.timeOrdered(now: times[index])), .integer(entry.sequence), .text(entry.at), .text(entry.actorID),
                .text(entry.actorRole), .text(entry.organisationID), .text(entry.action), .text(entry.caseID),
                .text(entry.outcome), .text(entry.detail), .text(entry.previousHash), .text(entry.hash),
            ]) { _ in () }
        }
        _ = try connection.rows("UPDATE audit_head SET hash = ?, mac = ? WHERE id = 1",
                                [.text(batch.hash), batch.mac.map { .text($0) } ?? .null]) { _ in () }
        return batch.entries
    }

    /// The same on PostgreSQL in two statements, each prepared once per connection: the head moved on and read; then
    /// the entries inserted from one array a column (`unnest`, so that the text is the same for any number) and the
    /// head's hash and seal set, in one statement. SQLKit's multi-row insert had a new text for each number of rows,
    /// which PostgreSQL parsed and planned at every group commit, and the server built and serialised at every one.
    /// Five interleaved rounds against SQLKit's: case reads 1.04× (4 of 5 ahead; PostgreSQL's CPU a read 61 → 46 µs),
    /// case openings 1.09× (5 of 5).
    ///
    /// It runs in the gate's transaction, so a prepared statement that fails is handled by `PreparedInTransaction`,
    /// which sends it again unnamed, with the same text and binds.
    static func append(_ events: [AuditEvent], at times: [Date], on postgres: any PostgresDatabase) async throws -> [AuditEntry] {
        let moved = AuditHeadStatement(count: events.count)
        let heads = try await runPreparedOrUnnamed(moved, on: postgres)
        guard let row = heads.first else { throw AuditChainError.missingHead }
        let columns = PostgresRandomAccessRow(row)
        let batch = try link(events, head: (sequence: try columns[0].decode(Int.self), hash: try columns[1].decode(String.self),
                                            mac: try columns[2].decode(String?.self)), at: times)
        _ = try await runPreparedOrUnnamed(AuditEntriesStatement(batch, at: times), on: postgres)
        return batch.entries
    }

    /// Runs `statement` prepared, or unnamed with the same text and binds (`PreparedInTransaction`).
    private static func runPreparedOrUnnamed<Statement: PostgresPreparedStatement>(_ statement: Statement,
                                                                                 on postgres: any PostgresDatabase) async throws -> [PostgresRow]
    where Statement.Row == PostgresRow {
        try await PreparedInTransaction.run(statement, on: postgres, { $0 }) {
            let query = PostgresQuery(unsafeSQL: Statement.sql, binds: try statement.makeBindings())
            let logger = postgres.logger
            return try await postgres.withConnection { connection in
                connection.query(query, logger: logger).map(\.rows)
            }.get()
        }
    }

    static let insertOne = """
        INSERT INTO \(AuditEntryModel.schema) (id, sequence, at, actor_id, actor_role, organisation_id, action, \
        case_id, outcome, detail, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// A batch linked onto the chain: its entries, and the head's new hash and seal.
    struct Batch: Sendable {
        var entries: [AuditEntry]
        var hash: String
        var mac: String?
    }

    /// Links `events` onto the chain after `head` — the head as read once its sequence was moved on by
    /// `events.count` under its lock — and seals the new head. Pure: `append` reads and writes the rows around it.
    static func link(_ events: [AuditEvent], head: (sequence: Int, hash: String, mac: String?), at times: [Date],
                     seal: AuditSeal? = AuditSeal.current) throws -> Batch {
        let last = head.sequence
        var previous = head.hash
        if seal == nil, head.mac != nil, last - events.count > 0 {
            // A sealed trail, and no key here (a command run without the server's settings): an entry appended now
            // would leave the head unsealed, and every server that has the key would refuse to write after it.
            throw AuditChainError(description: "the audit trail is sealed and this process has no audit key: run it with "
                + "SAFEGUARD_AUDIT_KEY_FILE (or SAFEGUARD_AUDIT_KEY) set as the server has it. Nothing was changed")
        }
        if let seal {
            // Never extend a head this key did not seal: the next seal would vouch for whatever was written before.
            let before = last - events.count
            if before > 0, head.mac != seal.mac(sequence: before, hash: previous) {
                throw AuditChainError(description: head.mac == nil
                    ? "the audit trail has entries but no seal: check it with `safeguard audit verify`, then seal it with `safeguard audit seal`"
                    : "the audit head's seal does not match: the trail was changed outside Safeguard, or this is not the key it was sealed with")
            }
        }
        // Formatted once for each run of equal times (a batch's are usually all one).
        var at = "", atTime: Date?
        var entries: [AuditEntry] = []
        entries.reserveCapacity(events.count)
        var scratch: [UInt8] = []
        for (offset, event) in events.enumerated() {
            if times[offset] != atTime {
                atTime = times[offset]
                at = times[offset].formatted(timestampFormat)
            }
            var entry = AuditEntry(
                sequence: last - events.count + 1 + offset, at: at,
                actorID: event.actorID?.lowercasedText ?? "", actorRole: event.actorRole,
                organisationID: event.organisationID?.lowercasedText ?? "", action: event.action,
                caseID: event.caseID?.lowercasedText ?? "", outcome: event.outcome, detail: event.detail,
                previousHash: previous, hash: "")
            entry.hash = hash(previous: previous, entry: entry, scratch: &scratch)
            previous = entry.hash
            entries.append(entry)
        }
        return Batch(entries: entries, hash: previous, mac: seal?.mac(sequence: last, hash: previous))
    }

    /// The outcome of checking the chain.
    public struct Verification: Sendable, Equatable {
        public var entriesChecked: Int
        /// The first entry that does not fit, and why; nil when the chain is whole.
        public var firstBadSequence: Int?
        public var problem: String?
        public var isValid: Bool { problem == nil }
        /// The chain is whole and only its head is not sealed yet: a trail written before the key was set, to be
        /// sealed with `safeguard audit seal`, not a sign of tampering.
        public var isOnlyUnsealed: Bool { firstBadSequence.map { problem == AuditChain.unsealedProblem($0) } ?? false }
    }

    static func unsealedProblem(_ sequence: Int) -> String {
        "entry \(sequence), the newest: the trail is not sealed; run `safeguard audit seal` once it verifies without a key"
    }

    /// Where a verification got to: the last entry checked and its hash. Verifying again from a checkpoint checks
    /// only the entries written since (and that the checkpoint's own entry is unchanged), so the auditor's page need
    /// not re-read the whole trail on every view; `safeguard audit verify` always checks from the first entry.
    public struct Checkpoint: Sendable, Equatable {
        public var sequence: Int
        public var hash: String
        public init(sequence: Int, hash: String) {
            self.sequence = sequence
            self.hash = hash
        }
    }

    /// Checks the whole chain from the first entry to the head row. `reader`: a SQLite file's own read connections,
    /// which read the trail's rows straight into the bytes that are hashed (see `VerifyPage`).
    public static func verify(on db: any Database, reader: SQLiteFileReader? = nil) async throws -> Verification {
        try await verify(on: db, from: nil, reader: reader).verification
    }

    /// Checks the chain from `checkpoint` (or the first entry) to the head row, and returns the new checkpoint.
    /// `seal`: the key the head must be sealed with (this process's, unless told otherwise; nil checks the chain only).
    public static func verify(on db: any Database, from checkpoint: Checkpoint?, seal: AuditSeal? = AuditSeal.current,
                              reader: SQLiteFileReader? = nil) async throws
        -> (verification: Verification, checkpoint: Checkpoint?) {
        let sql = db as! any SQLDatabase
        var previous = Array(genesisHash.utf8)
        var expected = 1
        if let checkpoint, checkpoint.sequence > 0 {
            let row = try await sql.raw("SELECT hash FROM audit_entries WHERE sequence = \(bind: checkpoint.sequence)").first()
            guard let stored = try row?.decode(column: "hash", as: String.self), stored == checkpoint.hash else {
                // The entry the last check ended on has changed or gone: check everything again.
                return try await verify(on: db, from: nil, seal: seal, reader: reader)
            }
            previous = Array(checkpoint.hash.utf8)
            expected = checkpoint.sequence + 1
        }
        func bad(_ sequence: Int?, _ problem: String) -> (Verification, Checkpoint?) {
            (Verification(entriesChecked: expected - 1, firstBadSequence: sequence, problem: problem), nil)
        }
        // In pages, so memory stays bounded however long the trail is. The next page is read while this one is
        // checked, and a page's hashes are checked in parallel: each entry's hash depends only on its own fields and
        // the previous hash it records, and that the previous hash it records is the hash of the entry before is a
        // plain comparison, done in order.
        let select = """
            SELECT sequence, at, actor_id, actor_role, organisation_id, action, case_id, outcome, detail, previous_hash, hash \
            FROM audit_entries WHERE sequence >= ? ORDER BY sequence LIMIT \(VerifyPage.size)
            """
        let sqlite = db as? any SQLiteDatabase
        @Sendable func page(from sequence: Int) async throws -> VerifyPage.Read {
            var page = VerifyPage()
            if let reader {
                // On the calling thread, in one read transaction, from SQLite's own buffers.
                try reader.read { connection in
                    _ = try connection.rows(select, [.integer(sequence)]) { row in try page.append(row) }
                }
            } else if let sqlite {
                // SQLite's own rows, read by position: SQLKit's Decodable path cost more than the hashing.
                for row in try await sqlite.query(select, [.integer(sequence)]) { page.append(fields: try AuditStore.value(row)) }
            } else if let postgres = db as? any PostgresDatabase {
                // PostgreSQL's rows only, as they arrive: the one event loop that receives them was the limit while it
                // also laid each out for hashing, so that is done off it, in parallel, while the next page arrives.
                let result = try await postgres.query(select.replacingOccurrences(of: "?", with: "$1"), [PostgresData(int: sequence)]).get()
                return .received(result.rows)
            } else {
                throw AuditChainError(description: "the audit trail can be checked on SQLite or PostgreSQL only")
            }
            return .laidOut(page)
        }
        let first = expected
        var next = Task { try await page(from: first) }
        while true {
            let read = try await next.value
            guard let last = try read.lastSequence else { break }
            let following = last + 1
            next = Task { try await page(from: following) }
            for part in try await read.parts() {
                let checking = part.page
                // The links, in order; the first broken one ends the check, after the hashes of the entries before it.
                let pageStart = expected
                var broken: (sequence: Int, problem: String)?
                var linked = checking.entries.count
                for index in checking.entries.indices {
                    let sequence = checking.entries[index].sequence
                    if sequence != expected {
                        broken = (sequence, "entry \(sequence): expected entry \(expected) before it; "
                            + "entries \(expected)–\(sequence - 1) were deleted")
                    } else if !checking.previousHash(of: index, is: previous, orHashOf: index - 1) {
                        broken = (sequence, "entry \(sequence): its previous hash does not match entry \(sequence - 1)")
                    }
                    if broken != nil { linked = index; break }
                    expected += 1
                }
                if linked > 0 { previous = checking.hash(of: linked - 1) }
                if let edited = part.firstEdited(below: linked) {
                    next.cancel()
                    let sequence = checking.entries[edited].sequence
                    expected = pageStart + edited
                    return bad(sequence, "entry \(sequence): its content does not match its hash (edited after it was written)")
                }
                if let broken {
                    next.cancel()
                    return bad(broken.sequence, broken.problem)
                }
            }
        }
        let previousHash = String(decoding: previous, as: UTF8.self)
        guard let head = try await sql.raw("SELECT sequence, hash, mac FROM audit_head WHERE id = 1").first() else {
            return bad(nil, "the audit head row is missing")
        }
        let headSequence = try head.decode(column: "sequence", as: Int.self)
        let headHash = try head.decode(column: "hash", as: String.self)
        if headSequence != expected - 1 {
            // Another process may have appended between the last page and reading the head: only a head that is
            // behind the entries, or ahead with no entries to show for it after a fresh look, is a problem.
            if headSequence > expected - 1,
               let after = try await sql.raw("SELECT COUNT(*) AS n FROM audit_entries WHERE sequence >= \(bind: expected)").first(),
               try after.decode(column: "n", as: Int.self) > 0 {
                return try await verify(on: db, from: Checkpoint(sequence: expected - 1, hash: previousHash), seal: seal, reader: reader)
            }
            return bad(expected, "entry \(expected): the chain ends at entry \(expected - 1) but \(headSequence) were written; "
                + "the newest entries were deleted")
        }
        if headHash != previousHash {
            return bad(expected - 1, "entry \(expected - 1): the newest entry does not match the hash recorded at the head")
        }
        if let seal, headSequence > 0 {
            let mac = try head.decode(column: "mac", as: String?.self)
            if mac != seal.mac(sequence: headSequence, hash: headHash) {
                return bad(headSequence, mac == nil
                    ? unsealedProblem(headSequence)
                    : "entry \(headSequence), the newest: the seal does not match: the trail was rewritten without the audit key, or this is not its key")
            }
        }
        return (Verification(entriesChecked: expected - 1, firstBadSequence: nil, problem: nil),
                Checkpoint(sequence: expected - 1, hash: previousHash))
    }
}

/// An audit entry's text fields, as the canonical form reads them: from an `AuditEntry`'s strings, or from the bytes
/// of a stored row where SQLite keeps them (the verifier's), so the one `AuditChain.canonical` serves both.
protocol AuditFields {
    var sequence: Int { get }
    func withBytes<R>(_ field: AuditField, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R
}

/// The text fields of an entry, numbered as the verifier's SELECT orders its columns.
enum AuditField: Int32 {
    case at = 1, actorID, actorRole, organisationID, action, caseID, outcome, detail, previousHash, hash
}

extension AuditEntry: AuditFields {
    func withBytes<R>(_ field: AuditField, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var text: String
        switch field {
        case .at: text = at
        case .actorID: text = actorID
        case .actorRole: text = actorRole
        case .organisationID: text = organisationID
        case .action: text = action
        case .caseID: text = caseID
        case .outcome: text = outcome
        case .detail: text = detail
        case .previousHash: text = previousHash
        case .hash: text = hash
        }
        return text.withUTF8(body)
    }
}

extension DirectSQLiteConnection.Row: AuditFields {
    var sequence: Int { int(0) }

    func withBytes<R>(_ field: AuditField, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        // A NULL reads as empty; the bytes are SQLite's, valid until the statement steps on.
        let bytes = sqlite_nio_sqlite3_column_text(statement, field.rawValue)
        return body(UnsafeBufferPointer(start: bytes, count: bytes == nil ? 0 : Int(sqlite_nio_sqlite3_column_bytes(statement, field.rawValue))))
    }
}

/// A row of `audit_entries` as PostgreSQL sent it, its cells' bytes copied end to end in one walk along the row.
///
/// Reading a row by position (`PostgresRandomAccessRow`) allocated an array of its cells for every row and made a
/// `PostgresCell` (a retained slice and column name) for every field the canonical form reads: that, not the hashing,
/// was most of a check's time on PostgreSQL. One reader serves a whole part of a page, reusing its buffer.
///
/// ```swift
/// var reader = PostgresAuditRowReader()
/// for row in rows { try reader.read(row); page.append(fields: reader) }
/// ```
struct PostgresAuditRowReader: AuditFields {
    private(set) var sequence = 0
    /// The fields' bytes, end to end, in the SELECT's order; `ends[n]` is where column `n`'s bytes end.
    private var bytes: [UInt8] = []
    private var ends = InlineArray<11, Int>(repeating: 0)

    init() { bytes.reserveCapacity(1_024) }

    /// Takes in `row`; refuses a row whose columns are not the ones the verifier's SELECT names.
    mutating func read(_ row: PostgresRow) throws {
        bytes.removeAll(keepingCapacity: true)
        var column = 0
        for cell in row {
            guard column < 11 else { throw Self.changedShape }
            if column == 0 {
                guard let sequence = Self.sequence(cell) else { throw Self.changedShape }
                self.sequence = sequence
            } else if let cell = cell.bytes {
                // Text comes as its UTF-8 bytes, in either format; a NULL reads as empty.
                cell.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
            }
            ends[column] = bytes.count
            column += 1
        }
        guard column == 11 else { throw Self.changedShape }
    }

    /// The sequence number of `row`, without taking in the rest of it.
    static func sequence(of row: PostgresRow) throws -> Int {
        guard row.count == 11, let first = row.first, let sequence = sequence(first) else { throw changedShape }
        return sequence
    }

    /// A `bigint` cell: its eight bytes in the binary format PostgresNIO asks for, else whatever PostgresNIO decodes.
    private static func sequence(_ cell: PostgresCell) -> Int? {
        if cell.format == .binary, cell.dataType == .int8, let bytes = cell.bytes, bytes.readableBytes == 8 {
            return bytes.getInteger(at: bytes.readerIndex, endianness: .big, as: Int64.self).map(Int.init)
        }
        return try? cell.decode(Int.self)
    }

    private static var changedShape: AuditChainError {
        AuditChainError(description: "an audit entry could not be read: the audit_entries table has changed shape")
    }

    func withBytes<R>(_ field: AuditField, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let column = Int(field.rawValue)
        let start = ends[column - 1], end = ends[column]
        return bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }
}

extension VerifyPage {
    /// One read of the trail: a page already laid out (SQLite's rows, laid out where SQLite keeps them), or the rows
    /// PostgreSQL sent, to be laid out in parallel parts.
    enum Read: Sendable {
        case laidOut(VerifyPage)
        case received([PostgresRow])

        /// The sequence number of the read's last entry; nil when it read none (the end of the trail).
        var lastSequence: Int? {
            get throws {
                switch self {
                case .laidOut(let page): return page.entries.last?.sequence
                case .received(let rows): return try rows.last.map(PostgresAuditRowReader.sequence(of:))
                }
            }
        }

        /// The read as pages to check in order, each with its first edited entry. PostgreSQL's rows are split into
        /// one part a core (two at least, so that the seams between parts are checked on any machine), each laid out
        /// and hashed by its own task; a page SQLite laid out is hashed on every core.
        func parts() async throws -> [Part] {
            switch self {
            case .laidOut(let page):
                return [Part(page: page, edited: await page.firstEdited(below: page.entries.count))]
            case .received(let rows):
                let count = max(2, min(4, ProcessInfo.processInfo.activeProcessorCount))
                let size = max((rows.count + count - 1) / count, 1)
                return try await withThrowingTaskGroup(of: (Int, Part).self) { group in
                    for (number, start) in stride(from: 0, to: rows.count, by: size).enumerated() {
                        group.addTask {
                            let end = min(start + size, rows.count)
                            var page = VerifyPage(capacity: end - start)
                            var reader = PostgresAuditRowReader()
                            for row in rows[start..<end] {
                                try reader.read(row)
                                page.append(fields: reader)
                            }
                            let edited = page.entries.indices.first { !page.holds($0) }
                            return (number, Part(page: page, edited: edited))
                        }
                    }
                    var parts: [(Int, Part)] = []
                    for try await part in group { parts.append(part) }
                    return parts.sorted { $0.0 < $1.0 }.map(\.1)
                }
            }
        }
    }

    /// A page to check, hashed already: `edited` is the first entry whose content does not give its hash, if any.
    struct Part: Sendable {
        var page: VerifyPage
        var edited: Int?

        /// The first of the first `count` entries whose content does not give its hash: an edit counts only before the
        /// first broken link, as a check in order would find it.
        func firstEdited(below count: Int) -> Int? {
            edited.flatMap { $0 < count ? $0 : nil }
        }
    }
}

/// A page of the trail as the verifier checks it. Each entry's hashed bytes — the previous hash it records, a line
/// break, its canonical content — lie end to end in one buffer, beside its stored hash in another, so checking a
/// page makes no string and hashes each entry where it lies.
struct VerifyPage: Sendable {
    /// Entries a page holds: a few megabytes.
    static let size = 20_000

    struct Entry: Sendable {
        var sequence: Int
        /// Where its hashed bytes are in `bytes`; the recorded previous hash is the first `previousCount` of them.
        var start: Int, previousCount: Int, end: Int
        /// Where its stored hash is in `hashes`.
        var hashStart: Int, hashEnd: Int
    }

    private(set) var entries: [Entry] = []
    private var bytes: [UInt8] = []
    private var hashes: [UInt8] = []
    private let capacity: Int

    /// `capacity`: the entries it is expected to hold, reserved at the first.
    init(capacity: Int = VerifyPage.size) { self.capacity = capacity }

    mutating func append<Fields: AuditFields>(fields: Fields) {
        if entries.isEmpty {
            entries.reserveCapacity(capacity)
            bytes.reserveCapacity(capacity * 400)
            hashes.reserveCapacity(capacity * 64)
        }
        let start = bytes.count
        fields.withBytes(.previousHash) { bytes.append(contentsOf: $0) }
        let previousCount = bytes.count - start
        bytes.append(0x0A)
        AuditChain.canonical(fields, into: &bytes)
        let hashStart = hashes.count
        fields.withBytes(.hash) { hashes.append(contentsOf: $0) }
        entries.append(Entry(sequence: fields.sequence, start: start, previousCount: previousCount, end: bytes.count,
                             hashStart: hashStart, hashEnd: hashes.count))
    }

    /// A stored row, read by position; refuses a table whose columns are not the ones the SELECT names.
    mutating func append(_ row: DirectSQLiteConnection.Row) throws {
        guard row.columnCount == 11, !row.isNull(0) else {
            throw AuditChainError(description: "an audit entry could not be read: the audit_entries table has changed shape")
        }
        append(fields: row)
    }

    /// The stored hash of entry `index`, as bytes.
    func hash(of index: Int) -> [UInt8] { Array(hashes[entries[index].hashStart..<entries[index].hashEnd]) }

    /// Whether entry `index` records as its previous hash the stored hash of entry `before` on this page, or
    /// `carried` (the last hash of the page before, or the checkpoint's) when it is the first.
    func previousHash(of index: Int, is carried: [UInt8], orHashOf before: Int) -> Bool {
        let entry = entries[index]
        let recorded = bytes[entry.start..<(entry.start + entry.previousCount)]
        if before < 0 { return recorded.elementsEqual(carried) }
        return recorded.elementsEqual(hashes[entries[before].hashStart..<entries[before].hashEnd])
    }

    /// Whether entry `index`'s stored hash is the hash of its bytes.
    func holds(_ index: Int) -> Bool {
        let entry = entries[index]
        return bytes.withUnsafeBytes { all in
            let digest = SHA256.hash(data: UnsafeRawBufferPointer(rebasing: all[entry.start..<entry.end]))
            return hashes.withUnsafeBufferPointer { stored in
                AuditChain.isHex(of: digest, UnsafeBufferPointer(rebasing: stored[entry.hashStart..<entry.hashEnd]))
            }
        }
    }

    /// The first of the first `count` entries whose content does not give its hash, hashing in parallel.
    func firstEdited(below count: Int) async -> Int? {
        let parts = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
        let size = max((count + parts - 1) / parts, 1)
        return await withTaskGroup(of: Int?.self) { group in
            for start in stride(from: 0, to: count, by: size) {
                group.addTask { (start..<min(start + size, count)).first { !holds($0) } }
            }
            var found: [Int] = []
            for await bad in group { if let bad { found.append(bad) } }
            return found.min()
        }
    }
}

extension AuditChain {
    /// Seals the head as it stands, after checking the whole chain: for a trail written before a key was configured.
    /// Returns the number of entries sealed; throws when the chain does not verify or no key is configured.
    public static func seal(on db: any Database) async throws -> Int {
        guard let seal = AuditSeal.current else {
            throw AuditChainError(description: "no audit key is configured: set SAFEGUARD_AUDIT_KEY or SAFEGUARD_AUDIT_KEY_FILE")
        }
        return try await db.transaction { db in
            let sql = db as! any SQLDatabase
            // Hold the head while checking, so nothing is appended between the check and the seal.
            try await sql.raw("UPDATE audit_head SET sequence = sequence WHERE id = 1").run()
            let result = try await verify(on: db, from: nil, seal: nil).verification
            guard result.isValid else {
                throw AuditChainError(description: "the trail does not verify, so it is not sealed: \(result.problem ?? "")")
            }
            guard let head = try await sql.raw("SELECT sequence, hash FROM audit_head WHERE id = 1").first() else {
                throw AuditChainError(description: "the audit head row is missing")
            }
            let sequence = try head.decode(column: "sequence", as: Int.self)
            let hash = try head.decode(column: "hash", as: String.self)
            try await sql.update("audit_head").set("mac", to: SQLBind(seal.mac(sequence: sequence, hash: hash)))
                .where("id", .equal, SQLBind(1)).run()
            return sequence
        }
    }

    /// How the head stands against this process's key, read from the head row alone (no walk of the chain).
    public enum SealState: Sendable, Equatable {
        /// No key is configured: the trail is chained, not sealed.
        case noKey
        /// No key is configured, but the head is sealed: this process was started without the key the trail is
        /// sealed with. Anything it appended would leave the head unsealed, and every keyed server refusing to write.
        case keyMissing
        /// The head is sealed with this key (or the trail is empty).
        case sealed
        /// The trail has entries but its head has no seal: it was written before a key was configured.
        case unsealed
        /// The head's seal is not this key's: another key, or a head rewritten without the key.
        case mismatched
    }

    public static func sealState(on db: any Database, seal: AuditSeal? = AuditSeal.current) async throws -> SealState {
        let sql = db as! any SQLDatabase
        guard let head = try await sql.raw("SELECT sequence, hash, mac FROM audit_head WHERE id = 1").first() else {
            return seal == nil ? .noKey : .mismatched
        }
        let sequence = try head.decode(column: "sequence", as: Int.self)
        let mac = try head.decode(column: "mac", as: String?.self)
        guard let seal else { return sequence > 0 && mac != nil ? .keyMissing : .noKey }
        guard sequence > 0 else { return .sealed }
        guard let mac else { return .unsealed }
        return mac == seal.mac(sequence: sequence, hash: try head.decode(column: "hash", as: String.self)) ? .sealed : .mismatched
    }
}

/// The chain cannot be appended to: the change it would record is refused (a server fault, not the client's).
public struct AuditChainError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(description: String) { self.description = description }

    static let missingHead = AuditChainError(
        description: "the audit head row is missing: the trail has been tampered with or not migrated")
}

/// Reading the audit trail.
public struct AuditStore: Sendable {
    let db: any Database
    public init(db: any Database) { self.db = db }

    static func value(_ row: SQLiteRow) throws -> AuditEntry {
        let c = row.columns
        guard c.count == 11, let sequence = c[0].data.integer else {
            throw AuditChainError(description: "an audit entry could not be read: the audit_entries table has changed shape")
        }
        func text(_ i: Int) -> String { c[i].data.string ?? "" }
        return AuditEntry(sequence: sequence, at: text(1), actorID: text(2), actorRole: text(3), organisationID: text(4),
                          action: text(5), caseID: text(6), outcome: text(7), detail: text(8), previousHash: text(9), hash: text(10))
    }

    static func value(_ m: AuditEntryModel) -> AuditEntry {
        AuditEntry(sequence: m.sequence, at: m.at, actorID: m.actorID, actorRole: m.actorRole,
                   organisationID: m.organisationID, action: m.action, caseID: m.caseID, outcome: m.outcome,
                   detail: m.detail, previousHash: m.previousHash, hash: m.hash)
    }

    /// How many entries are about one organisation.
    public func count(organisationID: UUID) async throws -> Int {
        try await AuditEntryModel.query(on: db).filter(\.$organisationID == organisationID.uuidString.lowercased()).count()
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

    /// Which organisation an entry is about, if the entry is there: whose part of the shared trail a break is in.
    public func organisationID(ofEntry sequence: Int) async throws -> String? {
        try await AuditEntryModel.query(on: db).filter(\.$sequence == sequence).first()?.organisationID
    }

    /// Whether the organisation's trail holds an entry for the case with exactly this action and detail, however
    /// long the case's trail is (by the index of entries by case).
    public func contains(organisationID: UUID, caseID: UUID, action: String, detail: String) async throws -> Bool {
        try await AuditEntryModel.query(on: db)
            .filter(\.$caseID == caseID.uuidString.lowercased())
            .filter(\.$organisationID == organisationID.uuidString.lowercased())
            .filter(\.$action == action).filter(\.$detail == detail)
            .first() != nil
    }
}

/// The audit head moved on by a batch's count, read in the same statement: its new sequence, its hash and its seal
/// (before the batch). The first of an append's two statements on PostgreSQL.
struct AuditHeadStatement: OneBindStatement {
    static let name = "safeguard_audit_head"
    static let sql = "UPDATE audit_head SET sequence = sequence + $1 WHERE id = 1 RETURNING sequence, hash, mac"

    var count: Int
    var bind: Int { count }
}

/// A batch's entries inserted, each column from one array, and the head given the batch's hash and seal: the second
/// of an append's two statements on PostgreSQL. The rows are the ones SQLKit's insert wrote (the same columns and
/// values; `PostgresAuditAppendTests` compares the two paths' trails).
struct AuditEntriesStatement: PostgresPreparedStatement {
    static let name = "safeguard_audit_entries"
    static let sql = """
        WITH entries AS (INSERT INTO \(AuditEntryModel.schema) (id, sequence, at, actor_id, actor_role, organisation_id, action, \
        case_id, outcome, detail, previous_hash, hash) \
        SELECT * FROM unnest($1::uuid[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
        $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])) \
        UPDATE audit_head SET hash = $13, mac = $14 WHERE id = 1
        """
    static let bindingDataTypes: [PostgresDataType] = [.uuidArray, .int8Array] + Array(repeating: .textArray, count: 10) + [.text, .text]
    typealias Row = PostgresRow

    let batch: AuditChain.Batch
    let ids: [UUID]

    init(_ batch: AuditChain.Batch, at times: [Date]) {
        self.batch = batch
        ids = times.map { UUID.timeOrdered(now: $0) }
    }

    func makeBindings() throws -> PostgresBindings {
        let entries = batch.entries
        var bindings = PostgresBindings(capacity: 14)
        bindings.append(ids)
        bindings.append(entries.map(\.sequence))
        for column in [\AuditEntry.at, \.actorID, \.actorRole, \.organisationID, \.action, \.caseID, \.outcome, \.detail,
                       \.previousHash, \.hash] {
            bindings.append(entries.map { $0[keyPath: column] })
        }
        bindings.append(batch.hash)
        if let mac = batch.mac { bindings.append(mac) } else { bindings.appendNull() }
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
