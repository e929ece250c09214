import ArgumentParser
import FluentPostgresDriver
import Foundation
import SafeguardCore

/// The Safeguard command line: assess a case, and read or check the guidance packs.
@main
struct Safeguard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safeguard",
        abstract: "Case management and decision support for responses to nude and semi-nude image sharing by young people.",
        subcommands: [Assess.self, GuidanceCommand.self, ServeCommand.self, MigrateCommand.self, SetupCommand.self,
                      TokensCommand.self, AuditCommand.self, UsersCommand.self, LetterCommand.self,
                      DemoDataCommand.self, BackupCommand.self, RestoreCommand.self, SubjectAccessCommand.self, RetentionCommand.self,
                      KeysCommand.self]
    )

    /// As ArgumentParser's own, but a PostgreSQL error is told in the words `describe` gives it: its own description
    /// is one generic sentence, which left whoever started the server with a database out of reach nothing to go on.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand { try await asynchronous.run() } else { try command.run() }
        } catch let error as PSQLError {
            FileHandle.standardError.write(Data("Error: \(describe(error))\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

/// Today's date in the UK's calendar (UTC is close enough for the date an edition came into force).
func today() -> CalendarDate { CalendarDate(utcDayOf: Date()) }

/// Reads a file, or standard input for `-`.
func readInput(_ path: String) throws -> Data {
    if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw InputError("cannot read \(path): no such file, or not readable")
    }
    return data
}

struct InputError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Prints a problem with the user's input and exits with status 2, as for any bad input.
func failInput(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(2)
}
