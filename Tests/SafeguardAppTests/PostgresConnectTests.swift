import FluentPostgresDriver
import Foundation
import NIOCore
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// A new PostgreSQL connection is given up after the deadline set for it: a server that accepts the connection and
/// never answers its sign-in costs a request that long, then a clear failure. (It runs without PostgreSQL: the
/// "server" here is a socket that says nothing.)
@Suite struct PostgresConnectTests {
    @Test func aConnectionThatIsNotReadyInTimeIsGivenUpAtTheDeadlineSet() async throws {
        try await withSilentServer { port in
            let app = try await Application.make(.testing)
            app.databases.use(try DatabaseLocation.postgres("postgres://nobody:nothing@127.0.0.1:\(port)/none")
                                  .configuration(poolTimeout: 120, connectTimeout: 1),
                              as: .psql)
            let error = await #expect(throws: PSQLError.self) {
                try await (app.db(.psql) as! any SQLDatabase).raw("SELECT 1").run()
            }
            try? await app.asyncShutdown()
            // The deadline it gave up at is the one set, not PostgresNIO's own ten seconds.
            #expect(error?.code == .connectionError)
            #expect((error?.underlying as? ChannelError) == .connectTimeout(.seconds(1)), "\(error.map { String(reflecting: $0) } ?? "")")
            // And the server's log says so: PostgreSQL's own description of any error is one generic sentence.
            #expect(error.map { "\(LoggedError($0))" } == "PostgreSQL: connectionError, Connect timeout (1 s)")
        }
    }
}
