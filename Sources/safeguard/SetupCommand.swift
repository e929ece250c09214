import ArgumentParser
import Foundation
import SafeguardApp
import SafeguardCore
import SafeguardPersistence

/// Read as people say it: "school" is an education organisation (a review typed `--kind school` and was told to give
/// one of the code's words, "localAuthority" among them).
extension OrganisationKind: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: " ", with: "") {
        case "police", "force": self = .police
        case "school", "education", "college": self = .education
        case "localauthority", "council": self = .localAuthority
        default: return nil
        }
    }

    public static var allValueStrings: [String] { ["police", "school", "local-authority"] }
}
extension Jurisdiction: ExpressibleByArgument {}

/// `safeguard setup`: a real organisation and its first admin. The password is read from standard input.
struct SetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Create an organisation and its first admin (password read from standard input).")

    @Option(help: "The organisation's name.") var organisation: String
    @Option(help: "police, school (or education) or local-authority.") var kind: OrganisationKind
    @Option(help: "england, wales, northernIreland or scotland.") var jurisdiction: Jurisdiction
    @Option(name: .customLong("admin-email"), help: "The first admin's email address.") var adminEmail: String
    @Option(name: .customLong("admin-name"), help: "The first admin's name.") var adminName = "Administrator"

    func run() async throws {
        FileHandle.standardError.write(Data("Password for \(adminEmail) (at least 12 characters), then Enter:\n".utf8))
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("no password on standard input: pipe one in, e.g. `printf '%s\\n' \"$PASSWORD\" | safeguard setup …`")
        }
        do {
            let (org, user) = try await withApplication(makesDatabase: true) { app in
                try await SafeguardServer.setup(app, organisation: organisation, kind: kind, jurisdiction: jurisdiction,
                                                adminEmail: adminEmail, adminName: adminName, password: line)
            }
            print("Created \(org.name) (\(org.kind.words), \(org.jurisdiction.displayName)) with admin \(user.email).")
        } catch let error as StoreError {
            failServer(describe(error))
        }
    }
}
