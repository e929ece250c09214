import FluentPostgresDriver
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// A query built with SQLKit, sent to PostgreSQL through PostgresNIO itself and read by position, for reads of many
/// rows: PostgresKit's `SQLRow` decodes each column through `Decodable`, looked up by name, which was two fifths of a
/// case list's server CPU on PostgreSQL.
///
/// The query is still built once, with SQLKit, for both databases; this only sends it another way.
///
/// ```swift
/// let statement = try PostgresStatement(sql.select().column("id").from("cases").query, on: sql)
/// let ids = try await statement.rows(on: postgres) { try $0[0].decode(UUID.self) }
/// ```
struct PostgresStatement {
    let text: String
    let binds: [PostgresData]

    /// Serialises `query` with PostgreSQL's dialect (`$1`, `$2`…). A bind of a type this does not know is an error
    /// that names it, not a guess.
    init(_ query: any SQLExpression, on database: any SQLDatabase) throws {
        var serializer = SQLSerializer(database: database)
        query.serialize(to: &serializer)
        text = serializer.sql
        binds = try serializer.binds.map { bind -> PostgresData in
            switch bind {
            case let id as UUID: return PostgresData(uuid: id)
            case let text as String: return PostgresData(string: text)
            case let number as Int: return PostgresData(int: number)
            case let flag as Bool: return PostgresData(bool: flag)
            case let date as Date: return PostgresData(date: date)
            case let number as Double: return PostgresData(double: number)
            default: throw PostgresStatementError(description: "a bind of type \(type(of: bind)) has no PostgreSQL value here")
            }
        }
    }

    /// Runs the statement and maps each row, read by position (the order of the SELECT), with `row`.
    func rows<T>(on postgres: any PostgresDatabase, _ row: (PostgresRandomAccessRow) throws -> T) async throws -> [T] {
        try await postgres.query(text, binds).get().rows.map { try row(PostgresRandomAccessRow($0)) }
    }
}

/// A query that cannot be sent by position.
struct PostgresStatementError: Error, CustomStringConvertible {
    var description: String
}

/// A statement with fixed text that PostgreSQL parses and plans once per connection, not at every run: for the
/// reads every request makes. Sent as an unnamed statement, as `PostgresStatement` sends one, the case read's row cost
/// PostgreSQL about three times the work (`pgbench` on the same query: 15,000–17,000 runs a second unprepared, about
/// 44,000 prepared). PostgresNIO prepares it on a connection the first time it runs there, and keeps a preparation's
/// failure for the life of that connection: so a read runs one outside a transaction, through `runPrepared`, and
/// sends the unnamed statement when that answers nothing. (A case opening runs one inside the gate's transaction,
/// with the care `PreparedOpening` describes.)
///
/// ```swift
/// let rows = try await postgres.run(CaseRowStatement(id: id, organisationID: organisationID))
/// ```
extension PostgresDatabase {
    /// `statement`'s rows, or nil if it failed for any reason: the caller then sends the unnamed statement, which
    /// parses afresh and throws its own error if something is still wrong. A passing fault, or PostgresNIO answering
    /// with a failed preparation's error it keeps for the connection, must make a read slower, never refuse it. Only
    /// outside a transaction, where a failed statement leaves nothing behind.
    func runPrepared<Statement: PostgresPreparedStatement>(_ statement: Statement) async -> [Statement.Row]? where Statement.Row: Sendable {
        try? await run(statement)
    }

    func run<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row] where Statement.Row: Sendable {
        let logger = self.logger
        return try await withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                var rows: [Statement.Row] = []
                for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
                return rows
            }
        }.get()
    }
}

/// A case's row for a read, by its id and organisation: the columns of `CaseStore.readHeaderColumns`, in that order,
/// and then its revision.
struct CaseRowStatement: PostgresPreparedStatement {
    static let name = "safeguard_case_row"
    static let sql = "SELECT \(CaseStore.readHeaderColumns), revision FROM cases WHERE id = $1 AND organisation_id = $2"
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid]
    typealias Row = PostgresRow

    var id: UUID
    var organisationID: UUID

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(id)
        bindings.append(organisationID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// The case rows of several ids at once, for reads that waited together (`CaseRowReads`): the columns of
/// `CaseStore.readHeaderColumns`, in that order, and then the revision. The organisation is checked by the caller,
/// row by row, as `CaseRowStatement` checks it in its WHERE.
struct CaseRowsByIDStatement: OneBindStatement {
    static let name = "safeguard_case_rows_by_id"
    static let sql = "SELECT \(CaseStore.readHeaderColumns), revision FROM cases WHERE id = ANY($1)"

    var ids: [UUID]
    var bind: [UUID] { ids }
}

/// A prepared statement with one bind whose rows are taken as PostgresNIO gives them (read by position by the
/// caller): its binding types, binding and rows follow from its bind; a statement gives its name, text and bind.
protocol OneBindStatement: PostgresPreparedStatement where Row == PostgresRow {
    associatedtype Bind: PostgresEncodable & Sendable
    var bind: Bind { get }
}

extension OneBindStatement {
    static var bindingDataTypes: [PostgresDataType] { [Bind.psqlType] }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        try bindings.append(bind)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// A read of one case's rows by its id, prepared once per connection as the case row is.
protocol CaseRowsStatement: OneBindStatement where Bind == UUID {
    var caseID: UUID { get }
}

extension CaseRowsStatement {
    var bind: UUID { caseID }
}

/// A case's actions for a read, oldest first: the columns of `CaseStore.readActionColumns`, in that order. For a read
/// whose case is not in the case view cache.
struct CaseActionsStatement: CaseRowsStatement {
    static let name = "safeguard_case_actions"
    static let sql = "\(CaseStore.actionsQuery) WHERE case_id = $1 \(CaseStore.actionsOrder)"
    var caseID: UUID
}

/// A case's latest assessment for a read: the columns of `CaseStore.readAssessmentColumns`, in that order.
struct LatestAssessmentStatement: CaseRowsStatement {
    static let name = "safeguard_latest_assessment"
    static let sql = "\(CaseStore.latestAssessmentQuery) WHERE case_id = $1 \(CaseStore.latestAssessmentOrder)"
    var caseID: UUID
}

/// A case opening's one statement (see `CaseStore.openingTakingItsNumber`), prepared once per connection instead of
/// parsed and planned at every opening. An opening runs while the write gate is held, so PostgreSQL's time to parse
/// and plan it (about 0.4 ms under load, by its own statement log) was time every other write waited. Measured in six
/// interleaved rounds against the unnamed statement: PostgreSQL's CPU an opening 737 µs against 1,022, the gate held
/// 1.3 ms a write against 1.55, openings a second ahead in five rounds (median +11 %).
///
/// Its text is SQLKit's, as the unnamed statement's is, and the same for every opening with actions: the first such
/// opening's text is the one prepared (an opening with none has another text, and is sent unnamed). It runs inside
/// the gate's transaction, where PostgresNIO's habit of keeping a failed preparation's error for the connection's
/// life matters: `CaseStore` sends the unnamed statement when the prepared one fails (throwing the first error if the
/// transaction had failed with it), and gives up preparing openings in this process if PostgreSQL says the statement
/// it prepared is not there (a pooler that does not keep prepared statements).
///
/// ```swift
/// if let prepared = PreparedOpening(statement, on: sql) { rows = try await postgres.run(prepared) }
/// ```
struct PreparedOpening: PostgresPreparedStatement {
    static let name = "safeguard_case_opening"
    static var sql: String { text.withLockedValue { $0 ?? "" } }
    typealias Row = PostgresRow

    /// The text prepared: the first opening's.
    private static let text = NIOLockedValueBox<String?>(nil)

    let bindings: PostgresBindings

    /// The statement with its binds; nil when it is to be sent unnamed (another text, a bind that has no typed
    /// PostgreSQL value here, or preparing given up).
    init?(_ query: any SQLExpression, on database: any SQLDatabase) {
        guard !PreparedInTransaction.isGivenUp else { return nil }
        var serializer = SQLSerializer(database: database)
        query.serialize(to: &serializer)
        let text = serializer.sql
        guard Self.text.withLockedValue({ registered in
            if registered == nil { registered = text }
            return registered == text
        }) else { return nil }
        var bindings = PostgresBindings(capacity: serializer.binds.count)
        for bind in serializer.binds {
            if let value = bind as? any PostgresThrowingDynamicTypeEncodable {
                guard (try? bindings.append(value)) != nil else { return nil }
            } else if (bind as? any OptionalBind)?.isNone == true {
                bindings.appendNull()
            } else {
                return nil
            }
        }
        self.bindings = bindings
    }

    func makeBindings() throws -> PostgresBindings { bindings }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// Statements prepared once per connection inside a transaction (a case opening, an audit append), and what to do
/// when one fails. PostgresNIO keeps a failed preparation's error for the connection's life and answers with it
/// without sending anything; and a statement that did run and fail has failed the transaction. So the statement is
/// sent again unnamed: if that is refused only because the transaction had failed, the prepared statement's error is
/// the cause, and it is the one thrown. If PostgreSQL says a prepared statement was not there (a pooler such as
/// PgBouncer in transaction mode), this process stops preparing inside transactions, and the error thrown is
/// `PreparedStatementLost`: the write gate runs that transaction again, once, unnamed (or, for a write under a savepoint
/// of its own, that write again from its savepoint).
///
/// ```swift
/// let rows = try await PreparedInTransaction.run(prepared, on: postgres) { try await unnamed() }
/// ```
enum PreparedInTransaction {
    /// Set once PostgreSQL has said a statement prepared on a connection was not there.
    private static let notKept = NIOLockedValueBox(false)

    /// `statement`'s rows, prepared; if that fails, `unnamed`'s (see above for which error is thrown).
    static func run<Statement: PostgresPreparedStatement, T>(_ statement: Statement, on postgres: any PostgresDatabase,
                                                            _ read: ([PostgresRow]) throws -> T,
                                                            unnamed: () async throws -> T) async throws -> T
    where Statement.Row == PostgresRow {
        do {
            return try read(try await postgres.run(statement))
        } catch let preparedError {
            if isNotKept(preparedError) { notKept.withLockedValue { $0 = true } }
            do {
                return try await unnamed()
            } catch {
                guard isInFailedTransaction(error) else { throw error }
                if isNotKept(preparedError) { throw PreparedStatementLost(underlying: preparedError) }
                throw preparedError
            }
        }
    }

    /// Whether this process has given up preparing inside transactions.
    static var isGivenUp: Bool { notKept.withLockedValue { $0 } }

    /// Prepares inside transactions again after giving up (the tests: that is the whole process's state).
    static func prepareAgain() { notKept.withLockedValue { $0 = false } }

    /// Whether `error` is PostgreSQL saying a prepared statement was not there on the connection.
    static func isNotKept(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "26000"
    }

    /// Whether `error` is PostgreSQL refusing a statement because its transaction had already failed.
    static func isInFailedTransaction(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "25P02"
    }
}

/// A transaction that failed only because PostgreSQL no longer had a statement PostgresNIO had prepared on its
/// connection (a pooler): nothing of it stands, and the same writes run again succeed, since this process no longer
/// prepares such statements (`WriteGate` runs them again, once: the transaction, or a write back at its savepoint).
public struct PreparedStatementLost: Error, CustomStringConvertible {
    public let underlying: any Error
    public var description: String { "a prepared statement was not there on the database connection: \(String(reflecting: underlying))" }
}

/// An optional bind, whatever it wraps: SQLKit hands binds over as `any Encodable`, and a nil must go as NULL.
private protocol OptionalBind { var isNone: Bool { get } }
extension Optional: OptionalBind { fileprivate var isNone: Bool { self == nil } }

/// An array bind whose elements may be NULL, in PostgreSQL's binary array format: PostgresNIO encodes arrays of
/// values only, and a statement whose rows come from arrays (`unnest`) has columns that may be NULL.
///
/// ```swift
/// SQLQueryString("SELECT * FROM unnest(\(bind: PostgresNullableArray(actions.map(\.createdAt)))::timestamptz[])")
/// ```
struct PostgresNullableArray<Element: PostgresArrayEncodable & Encodable & Sendable>: PostgresEncodable, Encodable, Sendable {
    var elements: [Element?]

    init(_ elements: [Element?]) { self.elements = elements }

    static var psqlType: PostgresDataType { Element.psqlArrayType }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer,
                                                   context: PostgresEncodingContext<JSONEncoder>) throws {
        // Dimensions, whether any element is NULL, the elements' type; then the one dimension's length and lower bound.
        buffer.writeInteger(elements.isEmpty ? 0 : 1, as: Int32.self)
        buffer.writeInteger(elements.contains { $0 == nil } ? 1 : 0, as: Int32.self)
        buffer.writeInteger(Element.psqlType.rawValue)
        guard !elements.isEmpty else { return }
        buffer.writeInteger(Int32(elements.count))
        buffer.writeInteger(1, as: Int32.self)
        for element in elements {
            guard let element else {
                buffer.writeInteger(-1, as: Int32.self)
                continue
            }
            // Each element is its length, then its bytes.
            let start = buffer.writerIndex
            buffer.writeInteger(0, as: Int32.self)
            try element.encode(into: &buffer, context: context)
            buffer.setInteger(Int32(buffer.writerIndex - start - 4), at: start)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(elements)
    }
}
