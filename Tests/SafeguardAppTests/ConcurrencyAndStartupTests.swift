import Fluent
import Foundation
import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

@Suite struct ConcurrencyTests {
    @Test func concurrentUpdatesAtOneVersionLetExactlyOneWin() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await createCase(app, token: world.token("policeA.officer"))["id"] as! String
            let clients = 8
            let statuses = try await withThrowingTaskGroup(of: (Int, HTTPStatus).self) { group in
                for i in 0..<clients {
                    group.addTask {
                        var facts = sampleFacts
                        facts["people"] = [["ref": "A", "age": 15, "roles": ["depicted"], "previousIncidents": i]]
                        facts["imagery"] = [[String: Any]]()
                        facts["devices"] = [[String: Any]]()
                        let token = world.token(i % 2 == 0 ? "policeA.officer" : "policeA.supervisor")
                        let reply = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: token, json: ["version": 1, "facts": facts])
                        return (i, reply.status)
                    }
                }
                var result: [(Int, HTTPStatus)] = []
                for try await item in group { result.append(item) }
                return result
            }
            let winners = statuses.filter { $0.1 == .ok }
            #expect(winners.count == 1, "\(statuses.map { $0.1.code })")
            #expect(statuses.filter { $0.1 == .conflict }.count == clients - 1)
            let winner = try #require(winners.first?.0)
            let read = try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("policeA.officer"))
            #expect(read.json["version"] as? Int == 2)
            let people = (read.json["facts"] as? [String: Any])?["people"] as? [[String: Any]]
            #expect(people?.first?["previousIncidents"] as? Int == winner, "the stored facts are the winner's")
            let history = try await send(app, .GET, "/api/v1/cases/\(id)/assessments", token: world.token("policeA.officer"))
            #expect(history.array.count == 2, "one assessment for the creation, one for the single winning update")
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }
}

@Suite struct StartupTests {
    @Test func aFileDatabaseIsCreatedWithWALAndFullSynchronousCommits() async throws {
        guard TestDatabase.postgresURL == nil else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sg-\(UUID().uuidString)/data")
        let path = folder.appendingPathComponent("safeguard.sqlite").path
        let app = try await Application.make(.testing)
        do {
            try await configure(app, options: TestDatabase.options(try DatabaseLocation(url: "sqlite://" + path)))
            #expect(FileManager.default.fileExists(atPath: path), "created on first start, with its folder")
            let settings = try await SafeguardSchema.prepareSQLite(app.db)
            #expect(settings.journalMode == "wal")
            #expect(settings.synchronous == 2, "FULL")
            #expect(try await count(app, "audit_head") == 1, "migrations ran on start")
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
        // Starting again runs no migration twice.
        let again = try await Application.make(.testing)
        do {
            try await configure(again, options: TestDatabase.options(.sqliteFile(path)))
            #expect(try await count(again, "audit_head") == 1)
        } catch {
            try? await again.asyncShutdown()
            throw error
        }
        try await again.asyncShutdown()
    }

    @Test func databaseURLsAreReadOrExplained() throws {
        #expect(try DatabaseLocation(url: nil) == .sqliteFile("./data/safeguard.sqlite"))
        #expect(try DatabaseLocation(url: "sqlite:///var/lib/sg.sqlite") == .sqliteFile("/var/lib/sg.sqlite"))
        #expect(try DatabaseLocation(url: "postgres://u:p@127.0.0.1:5432/db") == .postgres("postgres://u:p@127.0.0.1:5432/db"))
        #expect(!DatabaseLocation.postgres("postgres://u:secret@h/db").description.contains("secret"))
        #expect(throws: DatabaseLocation.Invalid.self) { try DatabaseLocation(url: "mysql://x") }
    }

    /// The demo's passwords and two-factor keys are public: they are never added to a database holding a real
    /// organisation (where a demo force would also appear to real schools as one to refer to).
    @Test func theDemoIsNeverAddedBesideRealOrganisations() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let before = try await AccountStore(db: app.db).organisations().count
            await #expect { try await SafeguardServer.seedDemo(app) } throws: {
                "\($0)".contains("this database holds organisations that are not the demo's (Test Police A, Test Police B, Test School")
                    && "\($0)".contains("never added beside real ones")
            }
            await #expect(throws: (any Error).self) { try await SafeguardServer.seedDemoCases(app, count: 1) }
            #expect(try await AccountStore(db: app.db).organisations().count == before, "nothing added")
        }
    }

    /// The other way round: a real organisation is never set up on the demo's database (found in an administrator's
    /// review: `safeguard setup` went through there).
    @Test func aRealOrganisationIsNeverSetUpBesideTheDemo() async throws {
        try await withApp { app in
            _ = try await SafeguardServer.seedDemo(app)
            let before = try await AccountStore(db: app.db).organisations().count
            await #expect { try await SafeguardServer.setup(app, organisation: "North Shire Police", kind: .police, jurisdiction: .england,
                                                             adminEmail: "admin@northshire.police.invalid", adminName: "Sam Admin",
                                                             password: "umber kestrel violin drift 57") } throws: {
                "\($0)".contains("this database holds the demo organisations") && "\($0)".contains("a database of its own")
            }
            #expect(try await AccountStore(db: app.db).organisations().count == before, "nothing added")
        }
    }

    /// `safeguard setup` makes an organisation whose name every other organisation sees: the text guard holds there
    /// too (a security review made a force named with a right-to-left override, printed reversed to schools).
    @Test func setupNamesMeetTheTextGuardsRules() async throws {
        try await withApp { app in
            await #expect { try await SafeguardServer.setup(app, organisation: "Evil\u{202E}ecilop", kind: .police, jurisdiction: .england,
                                                             adminEmail: "admin@force.test", adminName: "Admin", password: "pebble ferry walnut orchid") } throws: {
                "\($0)".contains("--organisation") && "\($0)".contains("U+202E")
            }
            await #expect { try await SafeguardServer.setup(app, organisation: "  ", kind: .police, jurisdiction: .england,
                                                             adminEmail: "admin@force.test", adminName: "Admin", password: "pebble ferry walnut orchid") } throws: {
                "\($0)".contains("--organisation is empty")
            }
            #expect(try await AccountStore(db: app.db).organisations().isEmpty, "nothing made")
            let (made, _) = try await SafeguardServer.setup(app, organisation: "Dyfed-Powys Police", kind: .police, jurisdiction: .wales,
                                                            adminEmail: "admin@force.test", adminName: "Admin", password: "pebble ferry walnut orchid")
            #expect(made.name == "Dyfed-Powys Police")
        }
    }

    /// A maintenance command (`users list`, `backup`, …) does not migrate: a newer binary's command once changed the
    /// schema under running servers. A database behind the migrations is refused with what to run; a current one
    /// opens as before.
    @Test func withoutMigratingADatabaseBehindIsRefusedAndACurrentOneOpens() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sg-migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = TestDatabase.options(.sqliteFile(folder.appendingPathComponent("db.sqlite").path))
        options.migrateOnStart = false
        await #expect { try await SafeguardServer.makeApplication(options: options) } throws: {
            "\($0)".contains("the database is behind this version of Safeguard") && "\($0)".contains("run `safeguard migrate`")
        }
        options.migrateOnStart = true
        let migrated = try await SafeguardServer.makeApplication(options: options)
        try await migrated.asyncShutdown()
        options.migrateOnStart = false
        let opened = try await SafeguardServer.makeApplication(options: options)
        #expect(try await opened.migrator.previewPrepareBatch().get().isEmpty)
        try await opened.asyncShutdown()
    }

    @Test func theDemoIsSeededOnceWithOneUserPerRole() async throws {
        try await withApp { app in
            let accounts = try await SafeguardServer.seedDemo(app)
            #expect(Set(accounts.map(\.role)) == Set(Role.allCases))
            let organisations = try await AccountStore(db: app.db).organisations()
            #expect(Set(organisations.map(\.jurisdiction)) == Set(SafeguardCore.Jurisdiction.allCases), "a demo organisation in every nation")
            #expect(organisations.contains { $0.kind == .education && $0.jurisdiction == .northernIreland })
            #expect(organisations.contains { $0.kind == .education && $0.jurisdiction == .wales })
            let users = try await count(app, "users")
            let again = try await SafeguardServer.seedDemo(app)
            #expect(again.count == accounts.count)
            #expect(try await count(app, "users") == users, "seeded once")
            let token = try await send(app, .POST, "/api/v1/tokens", json: ["email": accounts[0].email, "password": SafeguardServer.demoPassword])
            #expect(token.status == .created)
        }
    }
}
