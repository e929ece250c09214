import ArgumentParser
import Foundation
import SafeguardApp
import SafeguardCore
import SafeguardPersistence

/// `safeguard tokens create|revoke`.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Create, list or revoke API bearer tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's API tokens still in use, with the id to revoke each by.")
        @Option(help: "The user's email address.") var email: String

        func run() async throws {
            do {
                let tokens = try await withApplication { app in try await SafeguardServer.tokens(app, email: email) }
                guard !tokens.isEmpty else { print("\(email) has no API tokens in use."); return }
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_GB")
                formatter.timeZone = TimeZone(identifier: "Europe/London")
                formatter.dateFormat = "d MMMM yyyy"
                print("API tokens of \(email) in use (revoke one with: safeguard tokens revoke ID):")
                for token in tokens {
                    print("  \(token.id.uuidString.lowercased())  \(token.name)  made \(token.createdAt.map(formatter.string(from:)) ?? "on a day not recorded"), works until \(formatter.string(from: token.expiresAt))")
                }
            } catch let error as StoreError {
                failServer(describe(error))
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token for a user and print it (once).")
        @Option(help: "The user's email address.") var email: String
        @Option(help: "A name for the token.") var name = "cli"
        @Option(help: "Days until it expires (1–365).") var days = 30

        func run() async throws {
            guard (1...365).contains(days) else { throw ValidationError("--days must be 1–365") }
            do {
                let (secret, token) = try await withApplication { app in
                    try await SafeguardServer.createToken(app, email: email, name: name, days: days)
                }
                // The token alone on standard output, so that TOKEN=$(safeguard tokens create …) takes it; what it is,
                // on standard error.
                print(secret)
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_GB")
                formatter.timeZone = TimeZone(identifier: "Europe/London")
                formatter.dateFormat = "d MMMM yyyy"
                FileHandle.standardError.write(Data(("That is the token for \(email), shown only now: keep it like a password. It lasts until "
                    + "\(formatter.string(from: token.expiresAt)). To revoke it: safeguard tokens revoke \(token.id.uuidString.lowercased())\n").utf8))
            } catch let error as StoreError {
                failServer(describe(error))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id.")
        @Argument(help: "The token's id.") var id: String

        func run() async throws {
            guard let uuid = UUID(text: id) else { throw ValidationError("give the token's id (a UUID)") }
            do {
                _ = try await withApplication { app in try await SafeguardServer.revokeToken(app, id: uuid) }
                print("Revoked \(id).")
            } catch let error as StoreError {
                failServer(describe(error))
            }
        }
    }
}
