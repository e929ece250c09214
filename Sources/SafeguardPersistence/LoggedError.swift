import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import NIOCore
import NIOPosix

/// What the server's log says of an error it could not handle: enough for whoever runs it to tell what failed (the
/// database could not be reached, a constraint, a full disk), never words the error may have taken from a request.
///
/// PostgreSQL's own messages can quote what was sent (`invalid input syntax for type uuid: "…"`, a duplicate key's
/// value), so of a PostgreSQL error only its kind, its SQLSTATE and the names of the table and constraint are told,
/// and of a connection failure the socket's error. SQLite's messages name tables, columns and constraints but quote
/// no bound value, so they are told whole, as are the errors of the data keys and the audit trail, whose words are
/// ours. Any other error is told by its type alone, as before.
///
/// ```swift
/// request.logger.error("request failed: \(LoggedError(error))")
/// // request failed: PostgreSQL: server, SQLSTATE 23505, constraint users_email_key, table users
/// ```
public struct LoggedError: CustomStringConvertible, Sendable {
    public let description: String

    public init(_ error: any Error) {
        switch error {
        case let error as PSQLError:
            var parts = ["\(error.code)"]
            if let info = error.serverInfo {
                if let state = info[.sqlState] { parts.append("SQLSTATE \(state)") }
                if let constraint = info[.constraintName] { parts.append("constraint \(constraint)") }
                if let table = info[.tableName] { parts.append("table \(table)") }
            }
            if let underlying = error.underlying { parts.append(Self.connectionFailure(underlying)) }
            description = "PostgreSQL: " + parts.joined(separator: ", ")
        case let error as SQLiteError:
            description = "SQLite: \(error.reason): \(error.message)"
        case let error as DirectSQLiteConnection.Failure:
            description = error.description
        // Our own words of keys and of the audit trail: they name columns, ids and fingerprints, never case text.
        case let error as FreeTextCipherError:
            description = error.description
        case let error as AuditChainError:
            description = error.description
        case let error where Self.isConnectionFailure(error):
            description = "\(error)"
        default:
            description = String(reflecting: type(of: error))
        }
    }

    /// Errors of sockets and of the pool of connections, which say nothing of what was sent.
    private static func isConnectionFailure(_ error: any Error) -> Bool {
        error is ChannelError || error is IOError || error is NIOConnectionError || error is ConnectionPoolTimeoutError
            || error is ConnectionPoolError
    }

    private static func connectionFailure(_ error: any Error) -> String {
        isConnectionFailure(error) ? "\(error)" : String(reflecting: type(of: error))
    }
}
