import Foundation
import SQLKit
import VaporCSQLite

/// One connection to a SQLite file through SQLite's own API, on the calling thread: no thread pool, no event loop.
/// It is used by one thread at a time (whoever holds it: `SQLiteFileReader` hands read-only ones out and takes them
/// back; `SQLiteFileWriter` runs its one inside the write gate), and keeps its prepared statements.
public final class DirectSQLiteConnection: @unchecked Sendable {
    /// What a statement is given for a `?`.
    public enum Value: Sendable {
        case text(String)
        case integer(Int)
        case double(Double)
        case blob([UInt8])
        case null

        /// A UUID as Fluent's SQLite driver stores it: upper-case text.
        public static func uuid(_ id: UUID) -> Value { .text(id.text) }
    }

    /// A problem SQLite reported, with its message.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    init(path: String, readOnly: Bool) throws {
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite_nio_sqlite3_close(handle)
            throw Failure(description: "cannot open \(path)\(readOnly ? " to read" : ""): \(message)")
        }
        // A writer's checkpoint can hold a reader off for a moment, and another process's write a writer; wait
        // rather than fail.
        sqlite_nio_sqlite3_busy_timeout(handle, 5_000)
        // No memory mapping: in WAL mode a reader unmaps its whole mapping whenever anything was committed since its last
        // read transaction, which on a busy server is after every audit commit, and then faults every page in again.
        // Measured: reads about 11 % faster with plain reads (4,190/s against 3,750/s, five runs each).
    }

    deinit {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        sqlite_nio_sqlite3_close_v2(handle)
    }

    /// How many times SQLite had to prepare this connection's kept statements again (the tests look: it should
    /// stay 0, or keeping them saves nothing).
    public var reprepared: Int {
        statements.values.reduce(0) { $0 + Int(sqlite_nio_sqlite3_stmt_status($1, SQLITE_STMTSTATUS_REPREPARE, 0)) }
    }

    /// How many statements this connection keeps prepared (the tests look: a list's pages must not each add one).
    var keptStatementCount: Int { statements.count }

    func execute(_ sql: String) throws {
        let status = sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw failure(sql) }
    }

    private func failure(_ sql: String) -> Failure {
        Failure(description: "SQLite: \(String(cString: sqlite_nio_sqlite3_errmsg(handle))) (in \(sql.prefix(60))…)")
    }

    /// The most statements kept prepared: the fixed ones of the reads and the audit, and the commonest writes.
    /// SQLKit writes a multi-row insert's text by its row count, so not every text is worth keeping.
    private static let keptStatements = 96

    /// Runs `sql` with `binds` for its `?`s and maps each row with `row`. Unless `keep` is false (a text that varies,
    /// such as one with a bind for each of a list of values), the statement is kept prepared for the next time.
    public func rows<T>(_ sql: String, _ binds: [Value], keep: Bool = true, _ row: (Row) throws -> T) throws -> [T] {
        var kept = keep
        let statement: OpaquePointer
        if let prepared = statements[sql] {
            statement = prepared
        } else {
            kept = keep && statements.count < Self.keptStatements
            var made: OpaquePointer?
            let flags = kept ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
            let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, flags, &made, nil)
            guard status == SQLITE_OK, let made else { throw failure(sql) }
            if kept { statements[sql] = made }
            statement = made
        }
        // Every parameter is bound again each time, so bindings are not cleared: clearing them would make SQLite
        // prepare again any statement whose plan it thinks a bound value could change.
        defer { if kept { sqlite_nio_sqlite3_reset(statement) } else { sqlite_nio_sqlite3_finalize(statement) } }
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .text(let text):
                status = sqlite_nio_sqlite3_bind_text(statement, index, text, -1, SQLITE_TRANSIENT_VALUE)
            case .integer(let number): status = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(number))
            case .double(let number): status = sqlite_nio_sqlite3_bind_double(statement, index, number)
            case .blob(let bytes):
                status = bytes.withUnsafeBytes {
                    sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), SQLITE_TRANSIENT_VALUE)
                }
            case .null: status = sqlite_nio_sqlite3_bind_null(statement, index)
            }
            guard status == SQLITE_OK else { throw failure(sql) }
        }
        var results: [T] = []
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw failure(sql) }
            results.append(try row(Row(statement: statement)))
        }
        return results
    }
}

extension DirectSQLiteConnection {
    /// A query built with SQLKit, as SQLite's text and the values of its binds, so that a query that is built one way
    /// for both databases can also run here. SQLKit numbers its binds (`?1`, `?2`), in the order of `binds`.
    ///
    /// Values are given as Fluent's SQLite driver stores them: ids as upper-case text, times as seconds since 1970,
    /// true and false as 1 and 0. A bind of any other type is an error that names it, not a guess.
    public static func statement(_ query: any SQLExpression, on database: any SQLDatabase) throws -> (text: String, binds: [Value]) {
        var serializer = SQLSerializer(database: database)
        query.serialize(to: &serializer)
        let binds = try serializer.binds.map { bind -> Value in
            switch bind {
            case let id as UUID: return .uuid(id)
            case let text as String: return .text(text)
            case let number as Int: return .integer(number)
            case let flag as Bool: return .integer(flag ? 1 : 0)
            case let date as Date: return .double(date.timeIntervalSince1970)
            case let number as Double: return .double(number)
            default: throw Failure(description: "a bind of type \(type(of: bind)) has no SQLite value here")
            }
        }
        return (serializer.sql, binds)
    }

    /// The current row of a statement, read by column position (the order of the SELECT).
    public struct Row {
        let statement: OpaquePointer

        /// How many columns the row has, and each one's name.
        public var columnCount: Int32 { sqlite_nio_sqlite3_column_count(statement) }
        public func name(_ column: Int32) -> String { String(cString: sqlite_nio_sqlite3_column_name(statement, column)) }

        /// A column's value as it is stored, whatever its type.
        public func value(_ column: Int32) -> Value {
            switch sqlite_nio_sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER: return .integer(int(column))
            case SQLITE_FLOAT: return .double(double(column))
            case SQLITE_TEXT: return .text(text(column) ?? "")
            case SQLITE_BLOB:
                let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
                guard count > 0, let bytes = sqlite_nio_sqlite3_column_blob(statement, column) else { return .blob([]) }
                return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
            default: return .null
            }
        }

        public func isNull(_ column: Int32) -> Bool { sqlite_nio_sqlite3_column_type(statement, column) == SQLITE_NULL }

        public func text(_ column: Int32) -> String? {
            guard let bytes = sqlite_nio_sqlite3_column_text(statement, column) else { return nil }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
        }

        public func string(_ column: Int32) throws -> String {
            guard let text = text(column) else { throw Failure(description: "column \(column) is empty where text was expected") }
            return text
        }

        public func int(_ column: Int32) -> Int { Int(sqlite_nio_sqlite3_column_int64(statement, column)) }

        public func double(_ column: Int32) -> Double { sqlite_nio_sqlite3_column_double(statement, column) }

        public func bool(_ column: Int32) -> Bool { sqlite_nio_sqlite3_column_int64(statement, column) != 0 }

        /// An id as stored (36 characters of text), parsed here: Foundation's parser goes through `sscanf`, which
        /// was a visible share of a case read.
        public func uuid(_ column: Int32) throws -> UUID {
            guard let bytes = sqlite_nio_sqlite3_column_text(statement, column) else {
                throw Failure(description: "column \(column) is empty where an id was expected")
            }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard let id = UUID(utf8: UnsafeBufferPointer(start: bytes, count: count)) else {
                throw Failure(description: "column \(column) does not hold an id")
            }
            return id
        }

        public func optionalUUID(_ column: Int32) throws -> UUID? { isNull(column) ? nil : try uuid(column) }

        /// A time as Fluent's SQLite driver stores it (seconds since 1970, as a real number), rounded to the
        /// microsecond as that driver rounds it, so that a time read here equals one read through Fluent.
        public func date(_ column: Int32) -> Date? {
            switch sqlite_nio_sqlite3_column_type(statement, column) {
            case SQLITE_FLOAT, SQLITE_INTEGER:
                let since1970 = sqlite_nio_sqlite3_column_double(statement, column)
                let sinceReference = since1970 - Date.timeIntervalBetween1970AndReferenceDate
                return Date(timeIntervalSinceReferenceDate: (sinceReference * 1e6).rounded() / 1e6)
            case SQLITE_TEXT:
                return text(column).flatMap { try? Date($0, strategy: .iso8601) }
            default:
                return nil
            }
        }
    }
}

/// SQLite's "copy this text now" destructor, which C spells as a cast of -1 that Swift cannot import.
private let SQLITE_TRANSIENT_VALUE = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
