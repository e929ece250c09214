import Foundation
import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO

/// SQLKit's `SQLDatabase` on a `DirectSQLiteConnection`: SQLKit's builders and raw SQL, run at once on the calling
/// thread, with no thread pool or event loop between statements. For the writes the write gate runs on a SQLite file
/// (`WriteGate.runSQL`): a case opened through Fluent cost two thread switches for each of its dozen statements,
/// and the writes of a whole force queue behind the one in progress.
///
/// Values are encoded and decoded exactly as Fluent's SQLite driver does (`SQLiteDataEncoder`, `SQLiteDataDecoder`),
/// so a row written here reads the same through Fluent, and the reverse.
///
/// ```swift
/// let sql = DirectSQLiteDatabase(connection: connection, eventLoop: loop, logger: logger)
/// try await sql.insert(into: "case_events").columns("id", …).values(…).run()
/// ```
public struct DirectSQLiteDatabase: SQLDatabase {
    let connection: DirectSQLiteConnection
    public let eventLoop: any EventLoop
    public let logger: Logger
    public var dialect: any SQLDialect { SQLiteDialect() }
    public var queryLogLevel: Logger.Level? { nil }

    init(connection: DirectSQLiteConnection, eventLoop: any EventLoop, logger: Logger) {
        self.connection = connection
        self.eventLoop = eventLoop
        self.logger = logger
    }

    public func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    public func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try run(query, onRow)
    }

    public func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> ()) throws {
        let (text, binds) = serialize(query)
        let encoder = SQLiteDataEncoder()
        let values = try binds.map { bind -> DirectSQLiteConnection.Value in
            switch try encoder.encode(bind) {
            case .integer(let number): .integer(number)
            case .float(let number): .double(number)
            case .text(let string): .text(string)
            case .blob(let buffer): .blob(Array(buffer.readableBytesView))
            case .null: .null
            }
        }
        _ = try connection.rows(text, values) { row in
            var columns: [String] = []
            var data: [SQLiteData] = []
            for column in 0..<row.columnCount {
                columns.append(row.name(column))
                switch row.value(column) {
                case .integer(let number): data.append(.integer(number))
                case .double(let number): data.append(.float(number))
                case .text(let string): data.append(.text(string))
                case .blob(let bytes): data.append(.blob(ByteBuffer(bytes: bytes)))
                case .null: data.append(.null)
                }
            }
            onRow(Row(columns: columns, values: data))
        }
    }

    /// A row as SQLKit reads it, decoded as Fluent's SQLite driver decodes.
    struct Row: SQLRow {
        let columns: [String]
        let values: [SQLiteData]

        var allColumns: [String] { columns }
        func contains(column: String) -> Bool { columns.contains(column) }

        func decodeNil(column: String) throws -> Bool {
            guard let index = columns.firstIndex(of: column) else { return true }
            return values[index] == .null
        }

        func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
            guard let index = columns.firstIndex(of: column) else {
                throw DirectSQLiteConnection.Failure(description: "no column \(column) in the row")
            }
            return try SQLiteDataDecoder().decode(D.self, from: values[index])
        }
    }
}
