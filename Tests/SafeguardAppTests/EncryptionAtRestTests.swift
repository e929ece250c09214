import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import Spawning
import SQLKit
import Testing
import Vapor

/// Encryption at rest (issue 13, point 5): case free text is sealed with AES-GCM under a data key wrapped by a key
/// held outside the database; the database file, and a `pg_dump`, hold none of it.
@Suite struct EncryptionAtRestTests {
    /// Free text written into every encrypted column, each with a marker no code or guidance text contains.
    static let marker = "Zebracrossing"

    /// Writes free text through the API into every encrypted column: a summary (and its "Case opened" line), a note,
    /// a reason an action does not apply, a record, an Outcome 21 proposal and its review, a referral and the
    /// force's reason for declining it, a legal hold, a create sent with an `Idempotency-Key` (its answer is kept),
    /// and a two-factor secret. Returns the police case's id.
    @discardableResult
    static func writeEverywhere(_ app: Application, _ world: World) async throws -> String {
        let officer = world.token("policeA.officer")
        let created = try await send(app, .POST, "/api/v1/cases", token: officer,
                                     json: ["summary": "\(marker) summary: image shared between two pupils", "facts": sampleFacts],
                                     headers: [("Idempotency-Key", UUID().uuidString)])
        #expect(created.status == .created, "\(created.text)")
        let id = (created.json["id"] as! String).lowercased()
        #expect(try await send(app, .POST, "/api/v1/cases/\(id)/notes", token: officer, json: ["text": "\(marker) note"]).status == .created)
        let actions = try await send(app, .GET, "/api/v1/cases/\(id)", token: officer).json["actions"] as! [[String: Any]]
        let action = try #require(actions.first?["id"] as? String)
        let skipped = try await send(app, .POST, "/api/v1/cases/\(id)/actions/\(action)", token: officer,
                                     json: ["status": "notApplicable", "reason": "\(marker) reason"])
        #expect(skipped.status == .ok, "\(skipped.text)")
        let record = try await send(app, .POST, "/api/v1/cases/\(id)/records", token: officer, json: [
            "kind": "welfareCheck", "person": "A", "checkedOn": CaseController.today.description, "result": "\(marker) welfare"])
        #expect(record.status == .created, "\(record.text)")
        let proposal = try await send(app, .POST, "/api/v1/cases/\(id)/sign-offs", token: officer,
                                      json: ["kind": "outcome21", "rationale": "\(marker) rationale",
                                             "reasonWhileUndetermined": "\(marker) undetermined"])
        #expect(proposal.status == .created, "\(proposal.text)")
        let proposalID = try #require(proposal.json["id"] as? String)
        let refused = try await send(app, .POST, "/api/v1/cases/\(id)/sign-offs/\(proposalID)/decision",
                                     token: world.token("policeA.supervisor"), json: ["approve": false, "reason": "\(marker) refusal"])
        #expect(refused.status == .ok, "\(refused.text)")

        let school = try await createCase(app, token: world.token("school.dsl"), summary: "\(marker) concern")
        let referral = try await send(app, .POST, "/api/v1/cases/\((school["id"] as! String).lowercased())/referrals",
                                      token: world.token("school.dsl"),
                                      json: ["toOrganisationID": world.policeA.id.uuidString, "summary": "\(marker) referral",
                                             "share": ["people", "imagery"]])
        #expect(referral.status == .created, "\(referral.text)")
        let referralID = try #require(referral.json["id"] as? String)
        let waiting = try await send(app, .GET, "/api/v1/inbox", token: officer).json["referralsToAnswer"] as? [[String: Any]] ?? []
        let policeCase = try #require(waiting.first { $0["id"] as? String == referralID }?["toCaseID"] as? String)
        let declined = try await send(app, .POST, "/api/v1/cases/\(policeCase)/referrals/\(referralID)/response",
                                      token: officer, json: ["status": "declined", "reason": "\(marker) decline"])
        #expect(declined.status == .ok, "\(declined.text)")

        let reference = created.json["reference"] as! String
        let held = try await send(app, .PUT, "/api/v1/retention/holds/\(reference)", token: world.token("policeA.admin"),
                                  json: ["reason": "\(marker) hold"])
        #expect(held.status == .ok, "\(held.text)")
        try await enrolTwoFactor(app, world.user("policeA.supervisor"))
        return id
    }

    /// Every value of every encrypted column, as stored.
    static func storedValues(_ app: Application) async throws -> [EncryptedColumn: [String]] {
        let sql = app.db as! any SQLDatabase
        var values: [EncryptedColumn: [String]] = [:]
        for column in EncryptedColumn.all {
            values[column] = try await sql.raw("SELECT \(ident: column.column) AS v FROM \(ident: column.table) WHERE \(ident: column.column) IS NOT NULL")
                .all().map { try $0.decode(column: "v", as: String.self) }
        }
        return values
    }

    @Test("Every encrypted column holds only sealed values, and the API and pages read them back")
    func everyColumnIsSealed() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await Self.writeEverywhere(app, world)
            let stored = try await Self.storedValues(app)
            for column in EncryptedColumn.all {
                let values = stored[column] ?? []
                #expect(!values.isEmpty, "the walk writes \(column)")
                for value in values {
                    #expect(value.hasPrefix("enc1:" + app.cipher.activeKeyID + ":"), "\(column) holds \(value.prefix(30))…")
                    #expect(!value.contains(Self.marker))
                }
            }
            // Read back in full through the API and the case page.
            let read = try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("policeA.officer"))
            #expect(read.json["summary"] as? String == "\(Self.marker) summary: image shared between two pupils")
            let notes = try await send(app, .GET, "/api/v1/cases/\(id)/notes", token: world.token("policeA.officer")).array
            #expect(notes.first?["text"] as? String == "\(Self.marker) note")
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let page = try await Pages.get(app, "/cases/\(id)", officer)
            let records = try await send(app, .GET, "/api/v1/cases/\(id)/records", token: world.token("policeA.officer")).text
            #expect(records.contains("\(Self.marker) welfare"))
            let missing = ["summary: image shared", "reason", "rationale", "refusal"]
                .filter { !page.text.contains("\(Self.marker) \($0)") }
            #expect(missing == [], "the case page shows each")
            // Search by reference, crime reference and status works on the plain columns.
            let reference = read.json["reference"] as! String
            #expect(try await CaseStore(db: app.db, cipher: app.cipher).findCase(reference: reference, organisationID: world.policeA.id)?.summary
                    == "\(Self.marker) summary: image shared between two pupils")
            let open = try await send(app, .GET, "/api/v1/cases?status=open", token: world.token("policeA.officer")).json
            #expect((open["cases"] as? [[String: Any]] ?? []).contains { $0["reference"] as? String == reference && ($0["summary"] as? String)?.hasPrefix(Self.marker) == true })
        }
    }

    @Test("The SQLite file and its log hold none of the case text", .enabled(if: TestDatabase.postgresURL == nil))
    func sqliteFileHoldsNoText() async throws {
        var path = ""
        try await withApp({ path = { if case .sqliteFile(let p) = $0.database { return p } else { return "" } }($0) }) { app in
            let world = try await seedWorld(app)
            try await Self.writeEverywhere(app, world)
            try await (app.db as! any SQLDatabase).raw("PRAGMA wal_checkpoint(TRUNCATE)").run()
            for file in [path, path + "-wal"] {
                guard let bytes = FileManager.default.contents(atPath: file) else { continue }
                #expect(bytes.range(of: Data(Self.marker.utf8)) == nil, "\(file) holds case text in the clear")
                // The check can fail: the same file does hold the plain reference.
                if file == path { #expect(bytes.range(of: Data("SG-".utf8)) != nil) }
            }
        }
    }

    static var pgDump: String? {
        let candidates = ["/usr/bin/pg_dump"] + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin/pg_dump" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test("A pg_dump of the database holds none of the case text",
          .enabled(if: TestDatabase.postgresURL != nil && pgDump != nil, "needs PostgreSQL and its pg_dump"))
    func pgDumpHoldsNoText() async throws {
        var schema = ""
        try await withApp({ schema = $0.postgresSchema ?? "" }) { app in
            let world = try await seedWorld(app)
            try await Self.writeEverywhere(app, world)
            let dump = try ChildProcess.run(Self.pgDump!, ["--schema=\(schema)", "--data-only", TestDatabase.postgresURL!])
            #expect(dump.termination == .exited(0), "\(dump.error)")
            let text = dump.output
            #expect(text.contains("SG-"), "the dump holds the cases (their plain references)")
            #expect(!text.contains(Self.marker), "the dump holds case text in the clear")
        }
    }

    @Test("Rotation seals everything under a new data key while the server runs, and can move to a new master key")
    func rotation() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await Self.writeEverywhere(app, world)
            let before = app.cipher.activeKeyID
            let rotation = try await app.cipher.rotate(on: app.db, settle: 0)
            #expect(rotation.retired == [before])
            #expect(rotation.active != before && app.cipher.activeKeyID == rotation.active)
            #expect(rotation.resealed > 12)
            for (column, values) in try await Self.storedValues(app) {
                for value in values { #expect(FreeTextCipher.keyID(of: value) == rotation.active, "\(column)") }
            }
            let status = try await FreeTextCipher.status(on: app.db)
            #expect(status.keys.map(\.id) == [rotation.active] && status.plain == 0)
            // The server goes on reading and writing with no restart.
            let read = try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("policeA.officer"))
            #expect(read.json["summary"] as? String == "\(Self.marker) summary: image shared between two pupils")
            #expect(try await send(app, .POST, "/api/v1/cases/\(id)/notes", token: world.token("policeA.officer"),
                                   json: ["text": "after rotation"]).status == .created)

            // A new master key: the old one no longer opens the database.
            let newMaster = MasterKey.generate()
            let moved = try await app.cipher.rotate(on: app.db, newMaster: newMaster, settle: 0)
            #expect(moved.master == newMaster.fingerprint)
            await #expect(throws: FreeTextCipherError.self) { _ = try await FreeTextCipher.load(on: app.db, master: TestDatabase.dataKey) }
            let reopened = try await FreeTextCipher.load(on: app.db, master: newMaster)
            let note = try await CaseStore(db: app.db, cipher: reopened).notes(caseID: UUID(uuidString: id)!).last
            #expect(note?.text == "after rotation")
        }
    }

    @Test("A server told of a new data key by another's rotation reads and writes with it without a restart")
    func refreshLearnsNewKeys() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await Self.writeEverywhere(app, world)
            // Another machine's view of the same database.
            let other = try await FreeTextCipher.load(on: app.db, master: TestDatabase.dataKey)
            let rotation = try await other.rotate(on: app.db, settle: 0)
            #expect(app.cipher.activeKeyID != rotation.active)
            try await app.cipher.refresh(on: app.db)
            #expect(app.cipher.activeKeyID == rotation.active)
            let read = try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("policeA.officer"))
            #expect(read.json["summary"] as? String == "\(Self.marker) summary: image shared between two pupils")
        }
    }

    @Test("A lost or wrong key stops the start with what to do; it never reads as empty")
    func lostKeyStopsTheStart() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            do {
                _ = try await FreeTextCipher.load(on: app.db, master: nil)
                Issue.record("opened without a key")
            } catch let error as FreeTextCipherError {
                #expect(error.description.contains("SAFEGUARD_DATA_KEY_FILE"))
                #expect(error.description.contains(TestDatabase.dataKey.fingerprint), "names the key it needs")
            }
            let wrong = MasterKey.generate()
            do {
                _ = try await FreeTextCipher.load(on: app.db, master: wrong)
                Issue.record("opened with the wrong key")
            } catch let error as FreeTextCipherError {
                #expect(error.description.contains(wrong.fingerprint) && error.description.contains(TestDatabase.dataKey.fingerprint))
            }
        }
    }

    @Test("A SQLite server with no key set makes one beside the database at first start, and needs it afterwards",
          .enabled(if: TestDatabase.postgresURL == nil))
    func defaultKeyFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("safeguard-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = TestDatabase.options(.sqliteFile(folder.appendingPathComponent("safeguard.sqlite").path))
        options.dataKey = nil
        options.dataKeyFile = folder.appendingPathComponent("safeguard-data.key").path
        let first = try await SafeguardServer.makeApplication(options: options)
        let fingerprint = first.cipher.master.fingerprint
        try await first.asyncShutdown()
        let attributes = try FileManager.default.attributesOfItem(atPath: options.dataKeyFile!)
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "only its owner can read the key")
        let second = try await SafeguardServer.makeApplication(options: options)
        #expect(second.cipher.master.fingerprint == fingerprint, "the same key is read again")
        try await second.asyncShutdown()
        try FileManager.default.removeItem(atPath: options.dataKeyFile!)
        do {
            let third = try await SafeguardServer.makeApplication(options: options)
            try? await third.asyncShutdown()
            Issue.record("started without its key file")
        } catch {
            #expect("\(error)".contains("missing"), "\(error)")
        }
    }

    @Test("A sealed value moved to another column or changed in the database is an error, not empty text")
    func tamperingIsAnError() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await Self.writeEverywhere(app, world)
            let sql = app.db as! any SQLDatabase
            let summary = try await sql.raw("SELECT summary FROM cases WHERE id = \(bind: UUID(uuidString: id)!)").first()!
                .decode(column: "summary", as: String.self)
            try await sql.raw("UPDATE case_notes SET text = \(bind: summary) WHERE case_id = \(bind: UUID(uuidString: id)!)").run()
            let store = CaseStore(db: app.db, cipher: app.cipher)
            await #expect(throws: FreeTextCipherError.self) { _ = try await store.notes(caseID: UUID(uuidString: id)!) }
            // One character in the middle of the ciphertext (not the last, whose low bits base64 may ignore).
            var flipped = Array(summary)
            let middle = flipped.count / 2
            flipped[middle] = flipped[middle] == "A" ? "B" : "A"
            try await sql.raw("UPDATE cases SET summary = \(bind: String(flipped)) WHERE id = \(bind: UUID(uuidString: id)!)").run()
            await #expect(throws: FreeTextCipherError.self) {
                _ = try await store.findCase(id: UUID(uuidString: id)!, organisationID: world.policeA.id)
            }
        }
    }

    @Test("Text stored before encryption is sealed when the database first gets a key")
    func plainTextFromBeforeIsSealed() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await Self.writeEverywhere(app, world)
            let sql = app.db as! any SQLDatabase
            // As a database from before encryption: every value in plain text, and no data key.
            for column in EncryptedColumn.all {
                for row in try await sql.raw("SELECT id, \(ident: column.column) AS v FROM \(ident: column.table) WHERE \(ident: column.column) IS NOT NULL").all() {
                    let plain = try app.cipher.open(try row.decode(column: "v", as: String.self), in: column)
                    try await sql.raw("UPDATE \(ident: column.table) SET \(ident: column.column) = \(bind: plain) WHERE id = \(bind: try row.decode(column: "id", as: UUID.self))").run()
                }
            }
            try await sql.raw("UPDATE case_notes SET text = 'written before encryption' WHERE case_id = \(bind: UUID(uuidString: id)!)").run()
            try await sql.raw("DELETE FROM data_keys").run()
            #expect(try await FreeTextCipher.status(on: app.db).plain > 0)
            let cipher = try await FreeTextCipher.load(on: app.db, master: TestDatabase.dataKey)
            #expect(try await FreeTextCipher.status(on: app.db).plain == 0)
            let notes = try await CaseStore(db: app.db, cipher: cipher).notes(caseID: UUID(uuidString: id)!)
            #expect(notes.map(\.text) == ["written before encryption"])
        }
    }

    /// A copy of the database is not a list of live sessions, nor of what they carry: a page session is stored under
    /// the SHA-256 of its cookie, and its values (the form token, a two-factor secret being set up, a notice that
    /// can quote a reason) sealed under the data key (found in a security review: both were in the table as they were).
    @Test func pageSessionsAreStoredUnderAHashWithTheirValuesSealed() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let setUp = try await Pages.get(app, "/account/two-factor", officer)
            let secret = try #require(setUp.text.range(of: #"<code class="secret" data-verbatim>([A-Z2-7 ]+)</code>"#, options: .regularExpression)
                .map { String(setUp.text[$0]).replacingOccurrences(of: #"<[^>]+>"#, with: "", options: .regularExpression) })
            let cookie = try #require(officer.cookie.split(separator: "=", maxSplits: 1).last.map(String.init)).removingPercentEncoding ?? ""
            let rows = try await (app.db as! any SQLDatabase).raw("SELECT key, CAST(data AS TEXT) AS data FROM _fluent_sessions").all()
            #expect(!rows.isEmpty)
            var stored = ""
            for row in rows {
                let key = try row.decode(column: "key", as: String.self)
                #expect(key.hasPrefix("sha256:") && key != cookie && !key.contains(cookie))
                stored += key + (try row.decode(column: "data", as: String.self))
            }
            #expect(stored.contains("enc1:"))
            #expect(!stored.contains(secret.replacingOccurrences(of: " ", with: "")) && !stored.contains(secret), "the secret being set up is sealed")
            #expect(!officer.csrf.isEmpty && !stored.contains(officer.csrf), "the form token is sealed")
            // And the session still works: the page reads it back.
            #expect(try await Pages.get(app, "/account/two-factor", officer).text.contains(secret))
        }
    }
}
