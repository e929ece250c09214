import FluentPostgresDriver
import Foundation
import SafeguardApp
import SafeguardPersistence
import class Vapor.Application

/// Runs `body` with a configured application, shutting it down afterwards.
///
/// Only a command that makes a database (`setup`, `demo-data`) may start from none. Any other, run without the
/// server's settings, would make a new empty database beside it and report on that: a nightly backup of nothing
/// that says "Backed up", an audit check that finds "0 entries" valid. It stops instead, saying what to set.
func withApplication<T: Sendable>(makesDatabase: Bool = false, _ body: (Application) async throws -> T) async throws -> T {
    var options = try SafeguardOptions.fromEnvironment()
    if !makesDatabase, case .sqliteFile(let path) = options.database, !FileManager.default.fileExists(atPath: path) {
        failServer(SafeguardOptions.noDatabase(at: path))
    }
    // Only the commands that make a database migrate it; the rest refuse one behind this binary (see `configure`).
    options.migrateOnStart = makesDatabase
    let app = try await SafeguardServer.makeApplication(options: options)
    do {
        let result = try await body(app)
        await SafeguardServer.finish(app)
        try await app.asyncShutdown()
        return result
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
}

/// Readable messages for errors that come from the stores.
func describe(_ error: any Error) -> String {
    switch error {
    case StoreError.notFound(let what): "not found: \(what)"
    case StoreError.duplicate(let message), StoreError.conflict(let message): message
    // The message is a sentence of its own; the field is the API's name for what was wrong ("disabled"), not words.
    case StoreError.invalid(_, let message): message
    // PostgreSQL's own description is one generic sentence; say what kind of failure it was instead.
    case is PSQLError: "\(LoggedError(error))"
    default: "\(error)"
    }
}

/// Prints what went wrong and what to do, without the usage text, and exits with status 1.
func failServer(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}
