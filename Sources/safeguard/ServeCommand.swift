import ArgumentParser
import Foundation
import SafeguardApp
import SafeguardPersistence
import class Vapor.Application

/// `safeguard serve`: the web server and JSON API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Start the server (database from DATABASE_URL, default ./data/safeguard.sqlite).")

    @Option(help: "The address to listen on.") var hostname = "127.0.0.1"
    @Option(help: "The port to listen on.") var port = 8080
    @Flag(help: "Seed demo organisations and one user per role (once), and print their sign-in details.") var demo = false

    func run() async throws {
        let options = try SafeguardOptions.fromEnvironment()
        let app = try await SafeguardServer.makeApplication(
            options: options, arguments: ["safeguard", "serve", "--hostname", hostname, "--port", String(port)])
        do {
            try await SafeguardServer.checkAuditSeal(app)
            if demo {
                let accounts = try await SafeguardServer.seedDemo(app)
                say("Demo accounts (password for all: \(SafeguardServer.demoPassword)):")
                var organisation = ""
                // As wide as the longest role, so none is cut ("Designated teacher for child protectio").
                let width = (accounts.map(\.roleWords.count).max() ?? 0) + 1
                for account in accounts {
                    if account.organisation != organisation {
                        organisation = account.organisation
                        say("  \(organisation)")
                    }
                    say("    \(account.roleWords.padding(toLength: width, withPad: " ", startingAt: 0)) \(account.email)"
                        + (account.twoFactorSecret.map { "   two-factor key: \($0)" } ?? ""))
                }
                say("Accounts with a two-factor key sign in with a code too: add the key to an authenticator app (or run")
                say("  oathtool --totp -b 'KEY'  from Debian's oathtool). The demo keys are fixed and public: demo use only.")
                say("Sign in at http://\(hostname):\(port)/sign-in, or get an API token:")
                say("  curl -s -X POST http://\(hostname):\(port)/api/v1/tokens -H 'Content-Type: application/json' \\")
                say("    -d '{\"email\":\"\(accounts.first?.email ?? "")\",\"password\":\"\(SafeguardServer.demoPassword)\"}'")
            } else if try await SafeguardServer.users(app).allSatisfy({ $0.1.isEmpty }) {
                // A first run with an empty database: say how to get a working sign-in.
                // As the person started it: `swift run` from a checkout, the installed command on a server.
                let command = (Bundle.main.executablePath ?? "").contains("/.build/") ? "swift run safeguard" : "safeguard"
                say("No accounts yet. For a first look with demo accounts, stop this and run: \(command) serve --demo")
                say("For your own organisation: \(command) setup --organisation NAME --kind police|education|localAuthority \\")
                say("  --jurisdiction england|wales|northernIreland|scotland --admin-email EMAIL   (the password is read from standard input)")
            }
            say("Safeguard on http://\(hostname):\(port) — \(options.database)")
            try await app.execute()
            // Stop taking requests and let those in flight finish before the database closes:
            // the application's own shutdown would close the database first.
            await app.server.shutdown()
            await SafeguardServer.finish(app)
            await SafeguardServer.logCommitCounts(app)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}

/// Writes a line to standard output at once (not buffered), so it shows before the server starts logging.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
