import ArgumentParser
import Foundation
import SafeguardApp
import SafeguardCore
import SafeguardPersistence

/// `safeguard users list|disable|enable`.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "List users, or disable and enable them.",
        subcommands: [List.self, Disable.self, Enable.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organisations and their users.")
        func run() async throws {
            let all = try await withApplication { app in try await SafeguardServer.users(app).map { org, users in
                (org.name, org.kind.rawValue, users.map { ($0.email, $0.role.rawValue, $0.disabled) }) } }
            for (name, kind, users) in all {
                print("\(name) (\(kind))")
                for (email, role, disabled) in users { print("  \(role.padding(toLength: 15, withPad: " ", startingAt: 0)) \(email)\(disabled ? "  [disabled]" : "")") }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user (kept, but cannot sign in).")
        @Argument(help: "The user's email address.") var email: String
        func run() async throws {
            do {
                _ = try await withApplication { app in try await SafeguardServer.setDisabled(app, email: email, disabled: true) }
                print("Disabled \(email).")
            } catch let error as StoreError { failServer(describe(error)) }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
        @Argument(help: "The user's email address.") var email: String
        func run() async throws {
            do {
                _ = try await withApplication { app in try await SafeguardServer.setDisabled(app, email: email, disabled: false) }
                print("Enabled \(email).")
            } catch let error as StoreError { failServer(describe(error)) }
        }
    }
}
