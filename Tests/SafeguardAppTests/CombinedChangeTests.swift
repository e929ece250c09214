import FluentKit
import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import Testing
import Vapor

/// Case changes queued together at the write gate run at once on its connection (`CaseService.CaseChangeWrite`): on
/// PostgreSQL each fact update's round trips were made one after another while every other write waited (issue 9,
/// point 6). However they run, each change must be stored exactly as a change alone stores it, and one that cannot be
/// stored must fail alone, leaving nothing of itself.
@Suite struct CombinedChangeTests {
    /// The facts of `CombinedOpeningTests`, with B now 14: a change the engine re-assesses.
    static let changed = #"{"setting":"police","jurisdiction":"england","people":[{"ref":"A","age":15,"roles":["depicted","sender"]},{"ref":"B","age":14,"roles":["recipient"]}]}"#
    /// Another change of the same case: two changes of one case at one version differ, or the second would find its
    /// facts already held and be answered with the case rather than refused (`CaseService.change`).
    static let changedOtherwise = #"{"setting":"police","jurisdiction":"england","people":[{"ref":"A","age":15,"roles":["depicted","sender"]},{"ref":"B","age":13,"roles":["recipient"]}]}"#

    /// Opens `count` cases and holds the gate while each is changed once (the stale ones at version 0), then lets
    /// them all go at once: each change's answer, or its error.
    static func changeAtOnce(_ app: Application, _ actor: Identity, count: Int, stale: Set<Int> = [], sameCase: Bool = false,
                             clock: Date) async throws -> (records: [CaseRecord], outcomes: [Int: Result<CaseService.Detail, any Error>]) {
        let service = CombinedOpeningTests.service(app, clock: clock)
        let facts = try CaseFacts.decode(json: Data(CombinedOpeningTests.facts.utf8))
        let changed = try CaseFacts.decode(json: Data(Self.changed.utf8))
        let changedOtherwise = try CaseFacts.decode(json: Data(Self.changedOtherwise.utf8))
        var records: [CaseRecord] = []
        for i in 0..<(sameCase ? 1 : count) {
            records.append(try await service.open(by: actor, summary: "Pupil \(i): image shared", facts: facts).record)
        }
        await app.writeGate.acquire()
        let outcomes = await withTaskGroup(of: (Int, Result<CaseService.Detail, any Error>).self) { group in
            for i in 0..<count {
                let record = records[sameCase ? 0 : i]
                group.addTask {
                    do {
                        return (i, .success(try await service.change(by: actor, record, version: stale.contains(i) ? 0 : record.version,
                                                                     facts: sameCase && i > 0 ? changedOtherwise : changed,
                                                                     action: "case.facts.update")))
                    } catch { return (i, .failure(error)) }
                }
            }
            for _ in 0..<400 where await app.writeGate.queuedWriteCount() < count { try? await Task.sleep(nanoseconds: 25_000_000) }
            await app.writeGate.release()
            return await group.reduce(into: [Int: Result<CaseService.Detail, any Error>]()) { $0[$1.0] = $1.1 }
        }
        return (records, outcomes)
    }

    @Test("Case changes queued together are stored together, each with its version, facts, re-assessment, lines and audit entry as a change alone has them (issue 9, point 6)")
    func changesQueuedTogetherAreStoredTogether() async throws {
        try await Self.changesQueuedTogether()
    }

    /// The same on SQLite in memory, where the changes run together on Fluent's one connection (as on PostgreSQL),
    /// not one by one on a file's own write connection: whatever database the suite runs on.
    @Test("On SQLite in memory too, case changes queued together run together and are each stored as a change alone")
    func changesQueuedTogetherInMemory() async throws {
        try await Self.changesQueuedTogether { $0 = TestDatabase.options(.sqliteMemory) }
    }

    static func changesQueuedTogether(_ modify: (inout SafeguardOptions) -> Void = { _ in }) async throws {
        try await withApp(modify) { app in
            let world = try await seedWorld(app)
            let actor = world.acting("policeA.officer")
            let then = anHourAgo()
            let changed = try CaseFacts.decode(json: Data(Self.changed.utf8))
        let changedOtherwise = try CaseFacts.decode(json: Data(Self.changedOtherwise.utf8))
            let combinedBefore = await app.writeGate.combinedWriteCount()
            let (records, outcomes) = try await Self.changeAtOnce(app, actor, count: 10, clock: then)
            #expect(outcomes.count == 10)
            if app.directWrites == nil {
                #expect(await app.writeGate.combinedWriteCount() - combinedBefore >= 10, "run together, not one by one")
            }
            if case .sqliteMemory = app.safeguardOptions.database { #expect(app.directWrites == nil) }
            let store = CaseStore(db: app.db, cipher: app.cipher)
            let events = ResponseStore(db: app.db, cipher: app.cipher)
            for (i, record) in records.enumerated() {
                let detail = try #require(try outcomes[i]?.get())
                let stored = try #require(try await store.findCase(id: record.id, organisationID: actor.organisation.id))
                #expect(stored == detail.record, "case \(i) is stored as it was answered")
                #expect(stored.version == 2 && stored.facts == changed && stored.updatedAt == then)
                let assessment = try #require(try await store.latestAssessment(caseID: record.id))
                #expect(assessment.caseVersion == 2 && assessment.id == detail.assessment?.id)
                let actions = try await store.actions(caseID: record.id)
                #expect(actions == detail.actions, "case \(i)'s actions are its own, as they now stand")
                let lines = try await events.chronology(caseID: record.id)
                #expect(lines.map(\.kind).prefix(2) == ["case.created", "facts.changed"])
                #expect(lines[1].summary.hasPrefix("Facts changed (version 2)"))
                let read = try #require(try await store.readView(id: record.id, organisationID: actor.organisation.id))
                #expect(read.factsJSON == detail.view?.factsJSON && read.header == detail.view?.header, "the answer given is what a read gives")
            }
            let audited = try await AuditStore(db: app.db).entries(organisationID: actor.organisation.id, limit: 50, actionContains: "case.facts.update")
            #expect(Set(audited.compactMap(\.caseID)) == Set(records.map { $0.id.uuidString.lowercased() }))
            #expect(audited.allSatisfy { $0.detail == "version=2" })
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    @Test("A change at a stale version fails alone with a conflict: the changes queued beside it are stored, and nothing of it is, nor its audit entry (issue 9: nothing already stored is lost or half-written)")
    func aStaleChangeFailsAlone() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let actor = world.acting("policeA.officer")
            let auditBefore = try await AuditStore(db: app.db).count()
            let (records, outcomes) = try await Self.changeAtOnce(app, actor, count: 6, stale: [2], clock: anHourAgo())
            let store = CaseStore(db: app.db, cipher: app.cipher)
            let events = ResponseStore(db: app.db, cipher: app.cipher)
            for (i, record) in records.enumerated() {
                let version = try await store.findCase(id: record.id, organisationID: actor.organisation.id)?.version
                let lines = try await events.chronology(caseID: record.id).map(\.kind)
                let assessments = try await store.latestAssessment(caseID: record.id)?.caseVersion
                if i == 2 {
                    guard case .failure(let error as StoreError)? = outcomes[i], case .conflict = error else {
                        Issue.record("case 2 should fail as stale: \(String(describing: outcomes[i]))"); continue
                    }
                    #expect(version == 1 && lines == ["case.created"] && assessments == 1, "nothing of the stale change is kept")
                } else {
                    #expect((try? outcomes[i]?.get()) != nil, "case \(i) is changed")
                    #expect(version == 2 && lines.prefix(2) == ["case.created", "facts.changed"] && assessments == 2)
                }
            }
            // Six openings and five changes.
            #expect(try await AuditStore(db: app.db).count() == auditBefore + 6 + 5)
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    @Test("Two changes of one case at one version queued together: one is stored, the other is refused as stale, as when they come one after the other")
    func twoChangesOfOneCaseAtOneVersion() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let actor = world.acting("policeA.officer")
            let (records, outcomes) = try await Self.changeAtOnce(app, actor, count: 2, sameCase: true, clock: anHourAgo())
            let stored = outcomes.values.compactMap { try? $0.get() }
            #expect(stored.count == 1 && stored.first?.record.version == 2)
            let refused = outcomes.values.filter { result in
                if case .failure(let error as StoreError) = result, case .conflict = error { true } else { false }
            }
            #expect(refused.count == 1, "the other is refused as stale (409)")
            let record = try #require(records.first)
            #expect(try await CaseStore(db: app.db, cipher: app.cipher).findCase(id: record.id, organisationID: actor.organisation.id)?.version == 2)
            #expect(try await ResponseStore(db: app.db, cipher: app.cipher).chronology(caseID: record.id).map(\.kind).filter { $0 == "facts.changed" }.count == 1)
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }
}
