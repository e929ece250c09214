@testable import SafeguardApp
@testable import SafeguardPersistence
import Testing
import Vapor

/// `CaseStore.findCase(id:organisationID:)` reads the case's one row by column (through a SQLite file's reader when the
/// store has one), as a case read does, where it built a Fluent model: every change to a case through the API loads
/// the case with it first. It must find exactly what the Fluent model gave (`findCase(reference:)` still builds one).
@Suite struct FindCaseTests {
    @Test func findingACaseByIdGivesWhatItsModelGives() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let id = try #require(UUID(uuidString: created["id"] as! String))
            let plain = CaseStore(db: app.db, cipher: app.cipher)
            let fluent = try #require(try await plain.findCase(reference: created["reference"] as! String, organisationID: officer.organisationID))
            // Without a reader or cache (inside a transaction), with the view cache (PostgreSQL's prepared row), and
            // through a SQLite file's reader when the tests run on one.
            let stores = [plain, CaseStore(db: app.db, cipher: app.cipher, reader: app.sqliteReader, views: app.caseViews)]
            for store in stores {
                let found = try #require(try await store.findCase(id: id, organisationID: officer.organisationID))
                #expect(found == fluent, "the same record, facts decoded and summary opened")
                #expect(found.summary == "Image shared between two pupils")
                #expect(try await store.findCase(id: id, organisationID: UUID()) == nil, "not another organisation's")
                #expect(try await store.findCase(id: UUID(), organisationID: officer.organisationID) == nil, "nor an unknown id")
            }
            let inTransaction = try await app.db.transaction { tx in
                try await CaseStore(db: tx, cipher: app.cipher).findCase(id: id, organisationID: officer.organisationID)
            }
            #expect(inTransaction == fluent)
        }
    }

    @Test func theLatestDecisionsAreTheStoredAssessmentsWhicheverWayTheyAreRead() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let id = try #require(UUID(uuidString: created["id"] as! String))
            let plain = CaseStore(db: app.db, cipher: app.cipher)
            let stored = try #require(try await plain.latestAssessment(caseID: id))
            let viaReader = try await CaseStore(db: app.db, cipher: app.cipher, reader: app.sqliteReader).latestDecisions(caseID: id)
            let viaDatabase = try await plain.latestDecisions(caseID: id)
            #expect(viaReader == stored.assessment.decisions && viaDatabase == stored.assessment.decisions)
            #expect(try await plain.latestDecisions(caseID: UUID()) == nil, "a case with no assessment has no decisions")
        }
    }
}
