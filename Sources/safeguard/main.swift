// Temporary entry point on the `server` branch; the lead's main.swift replaces it at merge.
import ArgumentParser

struct Safeguard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safeguard",
        abstract: "Safeguard: case management and decision support. It never holds an image.",
        subcommands: [ServeCommand.self, MigrateCommand.self, SetupCommand.self, TokensCommand.self,
                      AuditCommand.self, UsersCommand.self])
}

func start() async {
    await Safeguard.main()
}

await start()
