import ArgumentParser
import Foundation
import SafeguardApp
import SafeguardCore
import SafeguardPersistence

extension OrganisationKind: ExpressibleByArgument {}
extension Jurisdiction: ExpressibleByArgument {}

/// `safeguard setup`: a real organisation and its first admin. The password is read from standard input.
struct SetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Create an organisation and its first admin (password read from standard input).")

    @Option(help: "The organisation's name.") var organisation: String
    @Option(help: "police, education or localAuthority.") var kind: OrganisationKind
    @Option(help: "england, wales, northernIreland or scotland.") var jurisdiction: Jurisdiction
    @Option(name: .customLong("admin-email"), help: "The first admin's email address.") var adminEmail: String
    @Option(name: .customLong("admin-name"), help: "The first admin's name.") var adminName = "Administrator"

    func run() async throws {
        FileHandle.standardError.write(Data("Password for \(adminEmail) (at least 12 characters), then Enter:\n".utf8))
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("no password on standard input: pipe one in, e.g. `printf '%s\\n' \"$PASSWORD\" | safeguard setup …`")
        }
        do {
            let (org, user) = try await withApplication { app in
                try await SafeguardServer.setup(app, organisation: organisation, kind: kind, jurisdiction: jurisdiction,
                                                adminEmail: adminEmail, adminName: adminName, password: line)
            }
            print("Created \(org.name) (\(org.kind.rawValue), \(org.jurisdiction.displayName)) with admin \(user.email).")
        } catch let error as StoreError {
            throw ValidationError(describe(error))
        }
    }
}

/// `safeguard tokens create|revoke`.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Create or revoke API bearer tokens.",
        subcommands: [Create.self, Revoke.self])

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
                print(secret)
                FileHandle.standardError.write(Data("Token \(token.id.uuidString.lowercased()) expires \(token.expiresAt). It is shown only now.\n".utf8))
            } catch let error as StoreError {
                throw ValidationError(describe(error))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id.")
        @Argument(help: "The token's id.") var id: String

        func run() async throws {
            guard let uuid = UUID(uuidString: id) else { throw ValidationError("give the token's id (a UUID)") }
            do {
                _ = try await withApplication { app in try await SafeguardServer.revokeToken(app, id: uuid) }
                print("Revoked \(id).")
            } catch let error as StoreError {
                throw ValidationError(describe(error))
            }
        }
    }
}

/// `safeguard audit verify`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the audit trail.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the whole hash chain; name the first entry that does not fit.")

        func run() async throws {
            let result = try await withApplication { app in try await SafeguardServer.verifyAudit(app) }
            if let problem = result.problem {
                print("The audit trail is BROKEN at \(problem)")
                throw ExitCode(1)
            }
            print("The audit trail is valid: \(result.entriesChecked) entries, each hash-chained to the one before.")
        }
    }
}

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
            } catch let error as StoreError { throw ValidationError(describe(error)) }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
        @Argument(help: "The user's email address.") var email: String
        func run() async throws {
            do {
                _ = try await withApplication { app in try await SafeguardServer.setDisabled(app, email: email, disabled: false) }
                print("Enabled \(email).")
            } catch let error as StoreError { throw ValidationError(describe(error)) }
        }
    }
}
