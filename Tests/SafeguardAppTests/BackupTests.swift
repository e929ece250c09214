import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// `safeguard backup` (`SafeguardServer.backup`): a SQLite file copied as one snapshot while the server runs, which a
/// server started on the copy opens with its cases and a trail that verifies; never over a file that exists; and on
/// PostgreSQL refused with the word to use `pg_dump`. The release smoke test runs the command itself.
@Suite struct BackupTests {
    @Test func aBackupOfASQLiteFileOpensWithItsCasesAndATrailThatVerifies() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sg-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("copy.sqlite").path
        var opened: (id: UUID, organisationID: UUID, reference: String)?
        try await withApp({ $0 = TestDatabase.options(.sqliteFile(folder.appendingPathComponent("live.sqlite").path)) }) { app in
            let world = try await seedWorld(app)
            let record = try await openedCase(app, world)
            opened = (record.id, record.organisationID, record.reference)
            try await SafeguardServer.backup(app, to: copy)
            // Readable by its owner alone: it holds what the database does (found world-readable in a security review).
            #expect(try FileManager.default.attributesOfItem(atPath: copy)[.posixPermissions] as? Int == 0o600)
            // A backup never overwrites a file: the second is refused, naming the file, and the first is unchanged.
            let size = try FileManager.default.attributesOfItem(atPath: copy)[.size] as? Int
            await #expect { try await SafeguardServer.backup(app, to: copy) } throws: { error in
                "\(error)".contains("already exists")
            }
            #expect(try FileManager.default.attributesOfItem(atPath: copy)[.size] as? Int == size)
        }
        let original = try #require(opened)
        try await withApp({ $0 = TestDatabase.options(.sqliteFile(copy)) }) { app in
            let restored = try #require(try await CaseStore(db: app.db, cipher: app.cipher).findCase(id: original.id, organisationID: original.organisationID))
            #expect(restored.reference == original.reference)
            let verification = try await AuditChain.verify(on: app.db)
            #expect(verification.firstBadSequence == nil && verification.entriesChecked > 0)
        }
    }

    @Test(PostgresPreparedOpeningTests.needsPostgres)
    func aPostgreSQLDatabaseIsBackedUpWithItsOwnTools() async throws {
        try await withApp { app in
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("sg-backup-\(UUID().uuidString).sqlite").path
            await #expect { try await SafeguardServer.backup(app, to: path) } throws: { error in "\(error)".contains("pg_dump") }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    /// `safeguard restore` (`SQLiteRestore`): the backup comes back exactly, with no write-ahead log left beside the
    /// path to be replayed onto it (a hand restore after a crash gave a damaged mix of the backup and later writes);
    /// the database it replaces is kept aside with its log; a damaged file, one that is not Safeguard's, and a
    /// database some process has open are refused, changing nothing.
    @Test func aRestoreBringsBackTheBackupExactlyAndKeepsWhatItReplaced() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sg-restore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let live = folder.appendingPathComponent("live.sqlite").path
        let copy = folder.appendingPathComponent("copy.sqlite").path
        var before: (id: UUID, organisationID: UUID)?
        var after: UUID?
        try await withApp({ $0 = TestDatabase.options(.sqliteFile(live)) }) { app in
            let world = try await seedWorld(app)
            let first = try await openedCase(app, world)
            before = (first.id, first.organisationID)
            // A backup into a folder that does not exist says what to do, not SQLite's "cantOpen".
            await #expect { try await SafeguardServer.backup(app, to: folder.appendingPathComponent("none/copy.sqlite").path) } throws: {
                "\($0)".contains("does not exist: make it first")
            }
            try await SafeguardServer.backup(app, to: copy)
            after = try #require(try await createCase(app, token: world.token("policeA.officer"))["id"] as? String).flatMap(UUID.init(uuidString:))
            // While this process has the database open, a restore is refused and nothing moves.
            #expect { try SQLiteRestore.restore(from: copy, to: live) } throws: {
                "\($0)".contains("process \(getpid())") && "\($0)".contains("stop the server")
            }
            #expect(FileManager.default.fileExists(atPath: live))
            // The database as it stands now, with the later case (the test's app removes its own file when it stops).
            try await SafeguardServer.backup(app, to: live + ".now")
        }
        try FileManager.default.moveItem(atPath: live + ".now", toPath: live)
        // What a crash leaves: a write-ahead log beside the database.
        try Data("a log left by a crash".utf8).write(to: URL(fileURLWithPath: live + "-wal"))
        // Refused, changing nothing: a damaged backup, a database that is not Safeguard's, the database itself.
        let damaged = folder.appendingPathComponent("damaged.sqlite").path
        var bytes = try Data(contentsOf: URL(fileURLWithPath: copy))
        bytes.replaceSubrange(200..<min(bytes.count, 20_000), with: Data(repeating: 0x5A, count: min(bytes.count, 20_000) - 200))
        try bytes.write(to: URL(fileURLWithPath: damaged))
        #expect { try SQLiteRestore.restore(from: damaged, to: live) } throws: { "\($0)".contains("choose another backup") }
        let foreign = folder.appendingPathComponent("foreign.sqlite").path
        FileManager.default.createFile(atPath: foreign, contents: Data())
        try DirectSQLiteConnection(path: foreign, readOnly: false).execute("CREATE TABLE t (x INTEGER)")
        #expect { try SQLiteRestore.restore(from: foreign, to: live) } throws: { "\($0)".contains("is not a Safeguard database") }
        #expect { try SQLiteRestore.restore(from: live, to: live) } throws: { "\($0)".contains("is the database itself") }
        #expect(FileManager.default.fileExists(atPath: live + "-wal"), "nothing moved")

        let restored = try SQLiteRestore.restore(from: copy, to: live, now: Date(timeIntervalSince1970: 1_796_428_800))
        let kept = try #require(restored.keptAs)
        #expect(kept == live + ".before-restore-20261205-000000")
        #expect(FileManager.default.fileExists(atPath: kept) && FileManager.default.fileExists(atPath: kept + "-wal"), "kept with its log")
        #expect(!FileManager.default.fileExists(atPath: live + "-wal"), "no log left to replay onto the backup")
        let original = try #require(before)
        try await withApp({ $0 = TestDatabase.options(.sqliteFile(live)) }) { app in
            let store = CaseStore(db: app.db, cipher: app.cipher)
            #expect(try await store.findCase(id: original.id, organisationID: original.organisationID) != nil)
            #expect(try await store.findCase(id: try #require(after), organisationID: original.organisationID) == nil, "the case opened after the backup is not there")
            #expect(try await AuditChain.verify(on: app.db).isValid)
            let integrity = try await (app.db as! any SQLDatabase).raw("PRAGMA integrity_check").first()?.decode(column: "integrity_check", as: String.self)
            #expect(integrity == "ok")
        }
    }
}
