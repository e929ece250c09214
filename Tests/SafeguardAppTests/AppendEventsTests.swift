import Foundation
import SafeguardCore
@testable import SafeguardApp
@testable import SafeguardPersistence
import Testing
import Vapor

/// `ResponseStore.appendEvents` writes a case's chronology lines; on PostgreSQL in one statement that numbers them on
/// from the case's last line itself, where it read the last number in a statement of its own first. The lines must
/// come out numbered on, in order, as given, with or without an actor, on both databases.
@Suite struct AppendEventsTests {
    @Test func linesAreNumberedOnFromTheCasesLastInTheOrderGiven() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let id = try #require(UUID(uuidString: created["id"] as! String))
            let events = ResponseStore(db: app.db, cipher: app.cipher)
            let opened = try await events.chronology(caseID: id)
            let last = try #require(opened.last?.sequence)
            let at = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            // Two lines by no one (a system step), then one by the officer, inside a transaction as a write makes them.
            try await app.db.transaction { tx in
                try await ResponseStore(db: tx, cipher: app.cipher).appendEvents(
                    caseID: id, actorID: nil, actorRole: "system",
                    [("retention.warned", "Due for review: 'quotes', \"doubles\" and a line\nbreak"), ("retention.kept", "Kept another year")], at: at)
            }
            try await events.appendEvents(caseID: id, actorID: officer.id, actorRole: "officer", [("note.added", "A note")], at: at)
            let lines = try await events.chronology(caseID: id)
            #expect(lines.prefix(opened.count).elementsEqual(opened), "the lines before are untouched")
            let added = Array(lines.dropFirst(opened.count))
            #expect(added == [
                CaseEvent(sequence: last + 1, at: at, actorID: nil, actorRole: "system", kind: "retention.warned",
                          summary: "Due for review: 'quotes', \"doubles\" and a line\nbreak"),
                CaseEvent(sequence: last + 2, at: at, actorID: nil, actorRole: "system", kind: "retention.kept", summary: "Kept another year"),
                CaseEvent(sequence: last + 3, at: at, actorID: officer.id, actorRole: "officer", kind: "note.added", summary: "A note"),
            ])
            // Another case's lines are numbered on their own.
            let other = try await createCase(app, token: world.token("policeA.officer"))
            let otherID = try #require(UUID(uuidString: other["id"] as! String))
            try await events.appendEvents(caseID: otherID, actorID: officer.id, actorRole: "officer", [("note.added", "Another")], at: at)
            #expect(try await events.chronology(caseID: otherID).map(\.sequence) == Array(1...(opened.count + 1)))
        }
    }

    @Test("A chronology line is kept to its first 2,000 characters on every path that writes lines: appended, and a case's first line as it is opened")
    func longLinesAreCutWhereTheyAreStored() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let record = try await openedCase(app, world)
            // Past the limit by ten characters, the last twenty of them outside ASCII: characters, not bytes, are counted.
            let long = String(repeating: "a", count: 1_990) + String(repeating: "é", count: 20)
            let kept = String(long.prefix(ResponseStore.lineLimit))
            #expect(ResponseStore.lineLimit == 2_000 && kept.count == 2_000)
            let events = ResponseStore(db: app.db, cipher: app.cipher)
            try await app.db.transaction { tx in
                try await ResponseStore(db: tx, cipher: app.cipher).appendEvents(
                    caseID: record.id, actorID: officer.id, actorRole: "officer", [("note.added", long)], at: Date())
            }
            #expect(try await events.chronology(caseID: record.id).last?.summary == kept)

            let store = CaseStore(db: app.db, cipher: app.cipher)
            let opening = try store.opening(organisationID: officer.organisationID, createdBy: officer.id, summary: "Long first line",
                                            status: .open, facts: record.facts,
                                            assessment: GuidanceLibrary.bundled.assess(record.facts, today: CaseController.today),
                                            chronology: ("case.created", long, "officer"), mustActionDays: 1, now: Date())
            _ = try await app.db.transaction { tx in try await CaseStore(db: tx, cipher: app.cipher).open([opening]) }
            #expect(try await events.chronology(caseID: opening.caseID).map(\.summary) == [kept])
        }
    }
}
