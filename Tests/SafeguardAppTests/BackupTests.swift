import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
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
}
