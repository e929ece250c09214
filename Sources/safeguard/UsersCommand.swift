import ArgumentParser
import Foundation
import SafeguardApp
import SafeguardCore
import SafeguardPersistence

/// `safeguard users list|disable|enable|reset-link`.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "List users, disable and enable them, or make a password reset link.",
        subcommands: [List.self, Disable.self, Enable.self, ResetLink.self])

    struct ResetLink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-link",
            abstract: "Make a one-time link for a user to choose a new password (valid for an hour; their sessions end when it is used).")
        @Argument(help: "The user's email address.") var email: String
        @Option(help: "The address people reach Safeguard at, e.g. https://safeguard.example.police.uk (default: SAFEGUARD_PUBLIC_URL, else only the path is printed).")
        var baseURL: String?
        func run() async throws {
            let given = (baseURL ?? ProcessInfo.processInfo.environment["SAFEGUARD_PUBLIC_URL"] ?? "").trimmingCharacters(in: .whitespaces)
            if !given.isEmpty, !given.hasPrefix("https://"), !given.hasPrefix("http://") {
                failServer("\(baseURL == nil ? "SAFEGUARD_PUBLIC_URL" : "--base-url") must be a whole address, starting https:// "
                           + "(e.g. https://safeguard.example.police.uk), not \(given)")
            }
            do {
                let (path, code, codePath, expiresAt, name) = try await withApplication { app in try await SafeguardServer.passwordResetLink(app, email: email) }
                let base = (baseURL ?? ProcessInfo.processInfo.environment["SAFEGUARD_PUBLIC_URL"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/ "))
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_GB")
                formatter.timeZone = TimeZone(identifier: "Europe/London")
                formatter.dateFormat = "h:mm"
                let hour = formatter.string(from: expiresAt)
                formatter.dateFormat = "a"
                let half = formatter.string(from: expiresAt).lowercased()
                formatter.dateFormat = "d MMMM yyyy"
                print("A one-time reset code for \(name) to choose a new password. It works once, until \(hour)\(half) on \(formatter.string(from: expiresAt)) (UK time).")
                print("Give it to them in person or read it out over the phone, never by email:")
                print("  \(code)")
                print("They type it at \(base.isEmpty ? codePath : base + codePath), or open this link, which holds the same code:")
                print(base.isEmpty ? path : base + path)
                if base.isEmpty { print("(These are paths: put your Safeguard address in front, or pass --base-url.)") }
            } catch let error as StoreError { failServer(describe(error)) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organisations and their users.")
        func run() async throws {
            let all = try await withApplication { app in try await SafeguardServer.users(app).map { org, users in
                (org.name, "\(org.kind.words), \(org.jurisdiction.displayName)",
                 users.map { ($0.email, SafeguardServer.words(for: $0.role, in: org.jurisdiction), $0.disabled) }) } }
            let width = all.flatMap { $0.2.map(\.1.count) }.max() ?? 0
            for (name, kind, users) in all {
                print("\(name) (\(kind))")
                for (email, role, disabled) in users { print("  \(role.padding(toLength: width + 2, withPad: " ", startingAt: 0))\(email)\(disabled ? "  (disabled: cannot sign in)" : "")") }
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
