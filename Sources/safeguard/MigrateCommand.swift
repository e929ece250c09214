import ArgumentParser
import Foundation
import SafeguardApp
import SafeguardPersistence

/// `safeguard migrate`: bring the database schema up to date.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Run database migrations and exit.")

    func run() async throws {
        let options = try SafeguardOptions.fromEnvironment()
        let app = try await SafeguardServer.makeApplication(options: options)
        try await app.asyncShutdown()
        print("Migrated: \(options.database)")
    }
}
