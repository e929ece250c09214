import ArgumentParser
import Foundation
import SafeguardApp
import SafeguardPersistence

/// `safeguard keys new|status|rotate`: the keys case free text is encrypted under.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Make, inspect and rotate the keys that case text is encrypted under.",
        subcommands: [New.self, Status.self, Rotate.self])

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new master key to FILE (readable by its owner only) for SAFEGUARD_DATA_KEY_FILE.")

        @Argument(help: "Where to write the key; an existing file is never overwritten.") var file: String

        func run() async throws {
            guard !FileManager.default.fileExists(atPath: file) else {
                failInput("\(file) exists already: a key file is never overwritten (losing a key loses the text under it)")
            }
            let key = MasterKey.generate()
            guard FileManager.default.createFile(atPath: file, contents: Data((key.base64 + "\n").utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                failInput("cannot write \(file): check the folder exists and can be written")
            }
            print("Wrote a master key to \(file) (fingerprint \(key.fingerprint)). Back it up apart from the database.")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the data keys and how many stored values each one seals.")

        func run() async throws {
            let (status, fingerprint) = try await withApplication { app in
                (try await FreeTextCipher.status(on: app.db), app.cipher.master.fingerprint)
            }
            print("Master key in use: fingerprint \(fingerprint).")
            for key in status.keys {
                print("Data key \(key.id)\(key.active ? " (active)" : ""): seals \(key.values) value(s); wrapped by master key "
                      + key.masters.joined(separator: " and "))
            }
            if status.plain > 0 { print("\(status.plain) value(s) written before encryption are not sealed yet: start the server once, or rotate.") }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seal everything again under a new data key while the servers run; optionally move to a new master key.")

        @Option(help: "A new master key file (from `safeguard keys new`): every data key is wrapped under it, and the old master key's wraps are deleted at the end.")
        var newKeyFile: String?
        @Option(help: "How long to wait for every running server to learn of the new key (they look every 5 seconds): 6 to 600.")
        var settleSeconds: Double = 12
        @Flag(help: "No server is running on this database, so there is nothing to wait for (allows --settle-seconds 0).")
        var noServersRunning = false

        func run() async throws {
            let newMaster: MasterKey?
            do { newMaster = try newKeyFile.map { try SafeguardOptions.readDataKey(path: $0) } } catch { failInput("\(error)") }
            guard settleSeconds >= 0, settleSeconds <= 600 else { failInput("--settle-seconds: from 6 to 600") }
            // A server still sealing new text under the old key while it is deleted would leave text nobody can read:
            // waiting less than the servers' 5 seconds is only for when none runs.
            guard settleSeconds >= 6 || noServersRunning else {
                failInput("--settle-seconds \(settleSeconds.formatted()) is shorter than the 5 seconds in which running servers learn of the "
                          + "new key: give 6 or more, or add --no-servers-running if every server on this database is stopped")
            }
            // "No servers running" is checked where it can be: a server still sealing under the old key while it is
            // deleted leaves text nobody can read (a review ran it beside a live server and got errors there).
            if noServersRunning, case .sqliteFile(let path) = try SafeguardOptions.fromEnvironment().database,
               let holder = SQLiteRestore.processUsing(databaseAt: path) {
                failInput("--no-servers-running, but \(holder) has \(path) open: stop it first, or leave out --no-servers-running "
                          + "and give --settle-seconds of 6 or more")
            }
            let (rotation, old) = try await withApplication { app in
                let old = app.cipher.master.fingerprint
                return (try await SafeguardServer.rotateKeys(app, newMaster: newMaster, settle: settleSeconds) { print($0) }, old)
            }
            print("Rotated: data key \(rotation.active) is the only one; \(rotation.resealed) value(s) sealed again.")
            if let newKeyFile {
                print("The data keys are wrapped under \(newKeyFile) only now (fingerprint \(rotation.master)): set "
                      + "SAFEGUARD_DATA_KEY_FILE to it on every server and restart them one at a time.")
                // A backup holds its own data keys, wrapped under the master key of its day: nothing said so, and an
                // operator who deleted the old file would find every earlier backup unreadable when it was needed.
                print("Keep the old master key file (fingerprint \(old)), apart from the backups, for as long as you "
                      + "keep any backup made before now: those backups open only with it (restore them with "
                      + "SAFEGUARD_DATA_KEY_FILE set to the old file).")
            }
        }
    }
}
