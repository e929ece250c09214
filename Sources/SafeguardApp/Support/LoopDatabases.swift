import FluentKit
import NIOConcurrencyHelpers
import Vapor

/// The application's default database as seen from each event loop, made once per loop and kept. Vapor's `req.db`
/// makes a new one every time it is asked (a look in the configured databases under a lock, and the driver's database
/// built afresh), which was 2–3 % of a PostgreSQL case read's CPU even asked once a read. A database made for a loop
/// lends that loop's connections, as `req.db` does; it logs with the application's logger rather than the
/// request's (Fluent logs queries only at debug level, and errors are logged by the request's own middleware).
///
/// ```swift
/// let service = CaseService(db: req.loopDatabase, …)
/// ```
final class LoopDatabases: Sendable {
    private let kept = NIOLockedValueBox<[ObjectIdentifier: any Database]>([:])

    /// The database for `eventLoop`, made by `make` the first time.
    func database(on eventLoop: any EventLoop, _ make: () -> any Database) -> any Database {
        let key = ObjectIdentifier(eventLoop)
        if let database = kept.withLockedValue({ $0[key] }) { return database }
        let database = make()
        kept.withLockedValue { $0[key] = database }
        return database
    }
}

struct LoopDatabasesKey: StorageKey { typealias Value = LoopDatabases }

extension Application {
    var loopDatabases: LoopDatabases { kept(LoopDatabasesKey.self) { LoopDatabases() } }
}

extension Request {
    /// The application's default database on this request's event loop (`LoopDatabases`).
    var loopDatabase: any Database {
        let application = application
        let eventLoop = eventLoop
        return application.loopDatabases.database(on: eventLoop) {
            application.databases.database(logger: application.logger, on: eventLoop)!
        }
    }
}
