import FluentPostgresDriver
import Foundation
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
/// failure for the life of that connection: so run one only outside a transaction, and on an error try the unnamed
/// statement once (as `CaseStore.readView` does).
///
/// ```swift
/// let rows = try await postgres.run(CaseRowStatement(id: id, organisationID: organisationID))
/// ```
extension PostgresDatabase {
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
