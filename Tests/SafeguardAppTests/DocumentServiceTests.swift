import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import Testing
import Vapor

/// `DocumentService` produces a family's documents for the acting user, with no HTTP request, on its injected clock,
/// and writes down that it did: a chronology line and an audit entry, in one transaction.
@Suite struct DocumentServiceTests {
    @Test func anInformationSheetIsProducedForTheActingUserOnTheInjectedClock() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let record = try await openedCase(app, world)
            let caseID = record.id
            let then = anHourAgo()
            var records = RecordService(cipher: app.cipher, assessor: .bundled)
            records.clock = { then }
            // No overlay for the force: the sheet is made from the case's stored assessment.
            let documents = DocumentService(db: app.db, cipher: app.cipher, gate: app.writeGate, records: records, overlays: { _ in nil })

            let sheet = try await documents.informationSheet(for: record, by: world.acting("policeA.officer"))
            let text = sheet.render().plainText
            #expect(text.contains(record.reference) && text.contains(officer.displayName))
            let line = try #require(try await ResponseStore(db: app.db, cipher: app.cipher).chronology(caseID: caseID).last)
            #expect(line.kind == "document.informationSheet" && line.at == then && line.actorID == officer.id)
            let entry = try #require(try await AuditStore(db: app.db).entries(organisationID: officer.organisationID, limit: 1, caseID: caseID).first)
            #expect(entry.action == "case.document.informationSheet" && entry.actorID == officer.id.uuidString.lowercased())

            // Shown again as it was: audited again, but the chronology says it was produced once (six views had made
            // six lines). Once the sheet says something else (another person gives it, with their name on it), a new line.
            let lines = try await ResponseStore(db: app.db, cipher: app.cipher).chronology(caseID: caseID).count
            let audited = try await AuditStore(db: app.db).count()
            _ = try await documents.informationSheet(for: record, by: world.acting("policeA.officer"))
            #expect(try await ResponseStore(db: app.db, cipher: app.cipher).chronology(caseID: caseID).count == lines)
            #expect(try await AuditStore(db: app.db).count() == audited + 1)
            _ = try await documents.informationSheet(for: record, by: world.acting("policeA.supervisor"))
            #expect(try await ResponseStore(db: app.db, cipher: app.cipher).chronology(caseID: caseID).count == lines + 1)
        }
    }
}
