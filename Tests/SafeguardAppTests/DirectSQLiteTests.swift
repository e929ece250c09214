import FluentPostgresDriver
import Foundation
import SQLKit
@testable import SafeguardPersistence
import Testing
import Vapor
@testable import SafeguardApp

/// A SQLite file's own connections (issue 9: reads, audit batches and case openings without Fluent's thread hops)
/// must read exactly what the Fluent path reads, see a write as soon as it is committed, and write all or nothing.
/// The case view cache (both databases) must follow every write, and the ids rows are given must be what they say.
@Suite struct DirectSQLiteTests {
    @Test("A case read through the direct reader equals the same read through Fluent, field for field",
          .enabled(if: TestDatabase.postgresURL == nil, "the direct reader is for SQLite files"))
    func directReadEqualsFluentRead() async throws {
        try await withApp { app in
            let reader = try #require(app.sqliteReader, "a SQLite file's server has the direct reader")
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let created = try await createCase(app, token: token)
            let id = created["id"] as! String
            let actions = created["actions"] as! [[String: Any]]
            // An action done, one not applicable with a (sealed) reason, and a due day: every kind of column.
            _ = try await send(app, .POST, "/api/v1/cases/\(id)/actions/\(actions[0]["id"] as! String)", token: token, json: ["status": "done"])
            let reasoned = try await send(app, .POST, "/api/v1/cases/\(id)/actions/\(actions[1]["id"] as! String)", token: token,
                                          json: ["status": "notApplicable", "reason": "already done by the school"])
            #expect(reasoned.status == .ok)

            let caseID = UUID(uuidString: id)!
            let organisationID = world.user("policeA.officer").organisationID
            let fluent = try #require(try await CaseStore(db: app.db, cipher: app.cipher).readView(id: caseID, organisationID: organisationID))
            let direct = try #require(try await CaseStore(db: app.db, cipher: app.cipher, reader: reader)
                .readView(id: caseID, organisationID: organisationID))
            #expect(direct.header == fluent.header)
            #expect(direct.header.summary == "Image shared between two pupils", "the summary is opened, not left sealed")
            #expect(direct.factsJSON == fluent.factsJSON)
            #expect(direct.actions == fluent.actions)
            #expect(direct.actions.contains { $0.reason == "already done by the school" })
            #expect(direct.actions.contains { $0.completedAt != nil && $0.completedBy != nil })
            #expect(direct.actions.contains { $0.dueOn != nil })
            let (a, b) = (try #require(direct.assessment), try #require(fluent.assessment))
            #expect(a.id == b.id && a.caseVersion == b.caseVersion && a.editions == b.editions && a.createdBy == b.createdBy
                    && a.createdAt == b.createdAt && a.json == b.json)

            // Another organisation's case is not found by either path.
            let other = world.user("policeB.officer").organisationID
            #expect(try await CaseStore(db: app.db, cipher: app.cipher, reader: reader).readView(id: caseID, organisationID: other) == nil)

            // A committed change is seen by the next read: the reader holds no snapshot between reads.
            let changed = try await send(app, .PATCH, "/api/v1/cases/\(id)", token: token,
                                         json: ["version": created["version"] as! Int, "summary": "Changed summary"])
            #expect(changed.status == .ok)
            let after = try #require(try await CaseStore(db: app.db, cipher: app.cipher, reader: reader)
                .readView(id: caseID, organisationID: organisationID))
            #expect(after.header.summary == "Changed summary")
            #expect(after.header.version == (created["version"] as! Int) + 1)

            // A second assessment (the facts changed): both paths pick the same, the newest.
            var facts = Pages.knownFacts
            facts["assessedOn"] = nil
            let refacted = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: token,
                                          json: ["version": after.header.version, "facts": facts])
            #expect(refacted.status == .ok, "\(refacted.text)")
            let viaFluent = try #require(try await CaseStore(db: app.db, cipher: app.cipher).readView(id: caseID, organisationID: organisationID))
            let viaReader = try #require(try await CaseStore(db: app.db, cipher: app.cipher, reader: reader)
                .readView(id: caseID, organisationID: organisationID))
            #expect(viaReader.assessment?.id == viaFluent.assessment?.id)
            #expect(viaReader.assessment?.caseVersion == after.header.version + 1)
            #expect(viaReader.actions == viaFluent.actions)

            // Its statements are prepared once per connection and kept, even as writes go on between reads.
            for _ in 0..<3 {
                _ = try await CaseStore(db: app.db, cipher: app.cipher, reader: reader).readView(id: caseID, organisationID: organisationID)
                _ = try await send(app, .POST, "/api/v1/cases/\(id)/notes", token: token, json: ["text": "A note between reads"])
            }
            #expect(try reader.read { $0.reprepared } == 0)

            // The API's read goes through it, and answers the same.
            let read = try await send(app, .GET, "/api/v1/cases/\(id)", token: token)
            #expect(read.status == .ok && read.json["summary"] as? String == "Changed summary")
        }
    }

    @Test("A case read again comes from the cache only while nothing of it has been written, by any path (both databases)")
    func theCaseViewCacheFollowsEveryWrite() async throws {
        try await withApp { app in
            let reader = app.sqliteReader
            let cache = try #require(reader?.caseViews ?? app.caseViews, "every server keeps a case view cache")
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let created = try await createCase(app, token: token)
            let id = created["id"] as! String
            let caseID = UUID(uuidString: id)!
            let organisationID = world.user("policeA.officer").organisationID
            let store = CaseStore(db: app.db, cipher: app.cipher, reader: reader, views: app.caseViews)
            func read() async throws -> CaseReadView { try #require(try await store.readView(id: caseID, organisationID: organisationID)) }
            func fluent() async throws -> CaseReadView {
                // Through SQLKit's rows, by name: on PostgreSQL `store` reads by position.
                var plain = CaseStore(db: app.db, cipher: app.cipher)
                plain.readsRowsByPosition = false
                return try #require(try await plain.readView(id: caseID, organisationID: organisationID))
            }

            _ = try await read()
            let before = cache.counts
            let again = try await read()
            #expect(cache.counts.hits == before.hits + 1, "a second read at the same revision is served from the cache")
            #expect(again.actions == (try await fluent()).actions)
            let plain = try await fluent()
            #expect(again.header == plain.header && again.factsJSON == plain.factsJSON, "the case row reads the same by position as by name")
            #expect(again.header.summary == "Image shared between two pupils", "the summary is opened, not left sealed")

            // Through the API: an action done, with a reason (kept sealed in the cache, opened on the way out).
            let action = (created["actions"] as! [[String: Any]])[1]["id"] as! String
            let done = try await send(app, .POST, "/api/v1/cases/\(id)/actions/\(action)", token: token,
                                      json: ["status": "notApplicable", "reason": "already done by the school"])
            #expect(done.status == .ok)
            let afterAction = try await read()
            #expect(afterAction.actions == (try await fluent()).actions)
            #expect(afterAction.actions.contains { $0.reason == "already done by the school" })

            // By any other path at all: the database's triggers move the revision on.
            try await (app.db as! any SQLDatabase).update("case_actions").set("text", to: SQLBind("Changed outside the API"))
                .where("case_id", .equal, SQLBind(caseID)).run()
            #expect(try await read().actions.allSatisfy { $0.text == "Changed outside the API" })
            try await (app.db as! any SQLDatabase).delete(from: "case_actions").where("case_id", .equal, SQLBind(caseID)).run()
            #expect(try await read().actions.isEmpty)

            // A new assessment (the facts changed) is seen at once.
            let facts = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: token,
                                       json: ["version": (try await read()).header.version, "facts": Pages.knownFacts])
            #expect(facts.status == .ok, "\(facts.text)")
            let reassessed = try await read()
            let plainReassessed = try await fluent()
            #expect(reassessed.header == plainReassessed.header && reassessed.factsJSON == plainReassessed.factsJSON)
            #expect(reassessed.assessment?.id == (try await fluent()).assessment?.id)
            #expect(reassessed.actions == (try await fluent()).actions)
            #expect(!reassessed.actions.isEmpty)
        }
    }

    @Test("A list's total is kept only while none of the organisation's cases has been written, by any path; another organisation's writes leave it kept (both databases)")
    func theListTotalFollowsEveryWrite() async throws {
        try await withApp { app in
            let cache = app.caseCounts
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            func total(_ query: String = "") async throws -> Int {
                let reply = try await send(app, .GET, "/api/v1/cases?perPage=5\(query)", token: token)
                #expect(reply.status == .ok, "\(reply.text)")
                return try #require(reply.json["total"] as? Int)
            }
            let first = try await createCase(app, token: token)["id"] as! String
            _ = try await createCase(app, token: token)
            let open = try await total("&status=open")
            let all = try await total()
            let before = cache.counts
            #expect(try await total() == all)
            #expect(try await total("&status=open") == open)
            #expect(cache.counts.hits == before.hits + 2, "the same lists again are not counted again")

            // Another organisation's case: this organisation's totals are still kept.
            _ = try await createCase(app, token: world.token("policeB.officer"))
            let afterOther = cache.counts
            #expect(try await total() == all)
            #expect(cache.counts.hits == afterOther.hits + 1)

            // Through the API: a new case, and a case closed.
            _ = try await createCase(app, token: token)
            #expect(try await total() == all + 1)
            let closed = try await send(app, .PATCH, "/api/v1/cases/\(first)", token: token,
                                        json: ["version": 1, "status": "closed", "reason": "no further action"])
            #expect(closed.status == .ok, "\(closed.text)")
            #expect(try await total("&status=open") == open)   // one more opened, one closed

            // By any other path at all: the database's triggers move the revision on.
            try await (app.db as! any SQLDatabase).update("cases").set("status", to: SQLBind("closed"))
                .where("organisation_id", .equal, SQLBind(world.user("policeA.officer").organisationID)).run()
            #expect(try await total("&status=open") == 0)
            try await (app.db as! any SQLDatabase).raw("DELETE FROM case_events WHERE case_id = \(bind: UUID(uuidString: first)!)").run()
            try await (app.db as! any SQLDatabase).raw("DELETE FROM case_actions WHERE case_id = \(bind: UUID(uuidString: first)!)").run()
            try await (app.db as! any SQLDatabase).raw("DELETE FROM case_assessments WHERE case_id = \(bind: UUID(uuidString: first)!)").run()
            try await (app.db as! any SQLDatabase).raw("DELETE FROM cases WHERE id = \(bind: UUID(uuidString: first)!)").run()
            #expect(try await total() == all)
        }
    }

    @Test("A list read by position (a SQLite file's own reader; PostgreSQL's rows through PostgresNIO) equals the same list through SQLKit's rows: every filter, every page, both orders, the total, the home page's actions; on SQLite a list's pages and sizes share one kept statement (both databases)")
    func directListEqualsFluentList() async throws {
        try await withApp { app in
            let reader = app.sqliteReader
            #expect((reader == nil) == (TestDatabase.postgresURL != nil), "a SQLite file's server has the direct reader")
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let organisationID = officer.organisationID
            var ids: [UUID] = []
            for n in 0..<7 {
                let summary = n == 3 ? "Quote \" and slash / — Zoë" : "Image shared between two pupils \(n)"
                ids.append(UUID(uuidString: try await createCase(app, token: world.token("policeA.officer"), summary: summary)["id"] as! String)!)
            }
            // Every column a filter reads, varied: two closed, one with no open action, one owned by someone else,
            // two raised by someone else, and times apart (two at the same time, so the reference breaks the tie).
            let sql = app.db as! any SQLDatabase
            let other = world.user("policeA.supervisor").id
            let base = Date(timeIntervalSince1970: 1_764_601_842.25)
            for (n, id) in ids.enumerated() {
                try await sql.update("cases").set("updated_at", to: SQLBind(base.addingTimeInterval(Double(n == 5 ? 4 : n) * 3_600)))
                    .where("id", .equal, SQLBind(id)).run()
            }
            try await sql.update("cases").set("status", to: SQLBind("closed")).where("id", .in, [ids[1], ids[4]]).run()
            try await sql.update("cases").set("open_actions", to: SQLBind(0)).where("id", .equal, SQLBind(ids[2])).run()
            try await sql.update("cases").set("owner_id", to: SQLBind(other)).where("id", .equal, SQLBind(ids[6])).run()
            try await sql.update("cases").set("created_by", to: SQLBind(other)).where("id", .in, [ids[0], ids[6]]).run()

            var fluent = CaseStore(db: app.db, cipher: app.cipher)
            fluent.readsRowsByPosition = false
            let direct = CaseStore(db: app.db, cipher: app.cipher, reader: reader, counts: app.caseCounts)
            let filters: [CaseStore.ListFilter] = [
                .init(), .init(status: .open), .init(status: .closed), .init(hasOpenActions: true), .init(hasOpenActions: false),
                .init(updatedSince: base.addingTimeInterval(2 * 3_600)), .init(updatedBefore: base.addingTimeInterval(4 * 3_600)),
                .init(createdBy: other), .init(ownerID: officer.id), .init(ownerIDs: [other]), .init(ownerIDs: [other, officer.id]),
                .init(ownerIDs: []), .init(status: .open, hasOpenActions: true, ownerID: officer.id),
            ]
            for filter in filters {
                for page in 1...5 {
                    let want = try await fluent.listCases(organisationID: organisationID, filter: filter, page: page, perPage: 2)
                    // Twice: the second total comes from the kept count.
                    for _ in 1...2 {
                        let got = try await direct.listCases(organisationID: organisationID, filter: filter, page: page, perPage: 2)
                        #expect(got.cases == want.cases, "\(filter), page \(page)")
                        #expect(got.total == want.total, "\(filter), page \(page)")
                    }
                }
                for ascending in [false, true] {
                    let want = try await fluent.firstCases(organisationID: organisationID, filter: filter, limit: 3, longestUntouchedFirst: ascending)
                    let got = try await direct.firstCases(organisationID: organisationID, filter: filter, limit: 3, longestUntouchedFirst: ascending)
                    #expect(got == want, "\(filter), longest untouched first: \(ascending)")
                }
            }
            let all = try await direct.listCases(organisationID: organisationID, filter: .init(), page: 1, perPage: 10)
            #expect(all.total == 7 && all.cases.count == 7)
            #expect(all.cases.contains { $0.summary == "Quote \" and slash / — Zoë" }, "summaries are opened, not left sealed")
            #expect(all.cases.map(\.id) == [ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]],
                    "most recently updated first; at the same time, the later reference first")
            let wantActions = try await fluent.openActions(ownedBy: officer.id, organisationID: organisationID)
            let gotActions = try await direct.openActions(ownedBy: officer.id, organisationID: organisationID)
            #expect(!gotActions.isEmpty)
            #expect(gotActions.map(\.header) == wantActions.map(\.header) && gotActions.map(\.action) == wantActions.map(\.action))
            // A team's, in one query: the same as each member's together; an empty team has none.
            let team = try await direct.openActions(ownedByAnyOf: [officer.id, UUID.random()], organisationID: organisationID)
            #expect(Set(team.map(\.action.id)) == Set(gotActions.map(\.action.id)))
            #expect(try await direct.openActions(ownedByAnyOf: [], organisationID: organisationID).isEmpty)
            // Another organisation sees none of them.
            #expect(try await direct.listCases(organisationID: world.user("policeB.officer").organisationID, filter: .init(),
                                               page: 1, perPage: 10).total == 0)

            // Pages are binds, not text: thirty pages more, of two sizes, keep no statement more. (SQLite prepares a
            // statement with a bound LIMIT again at each run, as it plans with the value: that costs what Fluent's
            // driver pays for every statement, but kept statements stay few.)
            guard let reader else { return }
            let kept = try reader.read { $0.keptStatementCount }
            for page in 1...30 {
                _ = try await direct.listCases(organisationID: organisationID, filter: .init(), page: page, perPage: page.isMultiple(of: 2) ? 2 : 3)
            }
            #expect(try reader.read { $0.keptStatementCount } == kept)
        }
    }

    @Test("A query built with SQLKit reaches a SQLite file's own connection as SQLite's text and Fluent's stored values, and PostgresNIO as PostgreSQL's; a bind of another type is an error that names it (both databases)")
    func statementsFromSQLKit() async throws {
        try await withApp { app in
            let sql = app.db as! any SQLDatabase
            let id = UUID()
            let at = Date(timeIntervalSince1970: 1_764_601_842.5)
            let query = sql.select().column("id").from("cases").where("id", .equal, SQLBind(id)).where("version", .equal, SQLBind(3))
                .where("summary", .equal, SQLBind("x")).where("updated_at", .lessThan, SQLBind(at))
                .where("recommended", .equal, SQLBind(true)).query
            let (text, binds) = try DirectSQLiteConnection.statement(query, on: sql)
            if TestDatabase.postgresURL == nil { #expect(text.contains("?1") && text.contains("?5")) }
            #expect(binds.map(String.init(describing:)) == [DirectSQLiteConnection.Value.text(id.uuidString), .integer(3), .text("x"),
                                                            .double(1_764_601_842.5), .integer(1)].map(String.init(describing:)))
            let odd = sql.select().column("id").from("cases").where("id", .equal, SQLBind(Float(1))).query
            let error = #expect(throws: DirectSQLiteConnection.Failure.self) { try DirectSQLiteConnection.statement(odd, on: sql) }
            #expect(error?.description.contains("Float") == true)

            // The same for PostgreSQL's values, sent by position.
            let postgres = try PostgresStatement(query, on: sql)
            #expect(postgres.binds.map(\.type) == [.uuid, .int8, .text, .timestamptz, .bool])
            #expect(postgres.binds[0].uuid == id && postgres.binds[1].int == 3 && postgres.binds[2].string == "x"
                    && postgres.binds[3].date == at && postgres.binds[4].bool == true)
            if TestDatabase.postgresURL != nil { #expect(postgres.text.contains("$1") && postgres.text.contains("$5")) }
            let refused = #expect(throws: PostgresStatementError.self) { try PostgresStatement(odd, on: sql) }
            #expect(refused?.description.contains("Float") == true)
        }
    }

    @Test("Opening a case writes all or nothing: when its audit entry cannot be written, no part of the case is stored")
    func openingACaseIsAllOrNothing() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            _ = try await createCase(app, token: token)
            let before = try await (count(app, "cases"), count(app, "case_actions"), count(app, "case_assessments"),
                                    count(app, "case_events"), count(app, "audit_entries"))
            // Break the chain's head: the audit append fails, so the whole opening must roll back.
            try await (app.db as! any SQLDatabase).raw("DELETE FROM audit_head").run()
            let refused = try await send(app, .POST, "/api/v1/cases", token: token,
                                         json: ["summary": "Image shared between two pupils", "facts": sampleFacts])
            #expect(refused.status == .internalServerError)
            let after = try await (count(app, "cases"), count(app, "case_actions"), count(app, "case_assessments"),
                                   count(app, "case_events"))
            #expect(after.0 == before.0 && after.1 == before.1 && after.2 == before.2 && after.3 == before.3)
        }
    }

    @Test("Cases opened at once, many in one transaction, each get their own reference and all of their parts")
    func casesOpenedTogether() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let references = try await withThrowingTaskGroup(of: String.self) { group in
                for n in 0..<24 {
                    group.addTask {
                        let reply = try await send(app, .POST, "/api/v1/cases", token: token,
                                                   json: ["summary": "Case \(n)", "facts": sampleFacts])
                        #expect(reply.status == .created)
                        return reply.json["reference"] as? String ?? ""
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(references).count == 24 && !references.contains(""))
            let opened = try await (app.db as! any SQLDatabase).raw("""
                SELECT count(*) AS n FROM cases WHERE (SELECT count(*) FROM case_events e WHERE e.case_id = cases.id) = 1 \
                AND (SELECT count(*) FROM case_assessments a WHERE a.case_id = cases.id) = 1
                """).first()?.decode(column: "n", as: Int.self)
            #expect(opened == 24, "each case has its opening line and its assessment")
            let verify = try await send(app, .GET, "/api/v1/audit/verify", token: world.token("policeA.auditor"))
            #expect(verify.json["valid"] as? Bool == true, "\(verify.text)")
        }
    }

    @Test("Fact updates arriving together share transactions: each current one is stored in full, with its re-assessment, actions, chronology lines and audit entry (the group's entries appended together); a stale one changes nothing and leaves no entry")
    func factUpdatesTogether() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            var ids: [String] = []
            for n in 0..<6 { ids.append(try await createCase(app, token: token, summary: "Case \(n)")["id"] as! String) }
            let eventsBefore = try await count(app, "case_events")
            let gateBefore = await app.writeGate.counts()
            await app.writeGate.acquire()   // let the writes queue up, as they do under load
            let statuses = try await withThrowingTaskGroup(of: (String, UInt).self) { group in
                // Two different updates of each case at version 1: whichever runs first is stored, and the other is
                // stale (the same update twice would find its facts already held, and be answered with the case).
                for (n, id) in (ids + ids).enumerated() {
                    let blackmail = n >= ids.count
                    group.addTask {
                        var facts = coercedFacts
                        if blackmail { facts["circumstances"] = ["willing": false, "ageAppropriate": false, "coercion": true, "blackmail": true] }
                        let reply = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: token,
                                                   json: ["version": 1, "facts": facts])
                        return (id, reply.status.code)
                    }
                }
                try await Task.sleep(nanoseconds: 300_000_000)
                await app.writeGate.release()
                return try await group.reduce(into: [String: [UInt]]()) { $0[$1.0, default: []].append($1.1) }
            }
            for id in ids { #expect(statuses[id]?.sorted() == [200, 409], "one update of \(id) stored, one refused as stale") }
            let gateAfter = await app.writeGate.counts()
            #expect(gateAfter.transactions - gateBefore.transactions < gateAfter.writes - gateBefore.writes, "queued updates shared transactions")
            #expect(try await count(app, "case_events") == eventsBefore + 2 * ids.count, "a facts line and a decisions line for each case, no more")
            let sql = app.db as! any SQLDatabase
            // The group's entries were appended together at its end: only the updates that stood have one.
            let audited = try await sql.raw("SELECT case_id FROM audit_entries WHERE action = 'case.facts.update'").all()
                .map { try $0.decode(column: "case_id", as: String.self) }
            #expect(audited.sorted() == ids.map { $0.lowercased() }.sorted(), "one entry for each stored update, none for a stale one")
            for id in ids {
                let read = try await send(app, .GET, "/api/v1/cases/\(id)", token: token)
                #expect(read.json["version"] as? Int == 2)
                let circumstances = (read.json["facts"] as? [String: Any])?["circumstances"] as? [String: Any]
                #expect(circumstances?["coercion"] as? Bool == true)
                let actions = read.json["actions"] as? [[String: Any]] ?? []
                let open = actions.filter { $0["status"] as? String == "open" && $0["recommended"] as? Bool == true }.count
                #expect(read.json["openActions"] as? Int == open, "the case's count of open actions is its actions'")
                let row = try await sql.raw("""
                    SELECT (SELECT COUNT(*) FROM case_assessments WHERE case_id = cases.id) AS assessments, \
                    (SELECT MAX(case_version) FROM case_assessments WHERE case_id = cases.id) AS latest, \
                    (SELECT COUNT(DISTINCT sequence) FROM case_events WHERE case_id = cases.id) AS sequences, \
                    (SELECT COUNT(*) FROM case_events WHERE case_id = cases.id) AS lines \
                    FROM cases WHERE id = \(bind: UUID(uuidString: id)!)
                    """).first()
                #expect(try row?.decode(column: "assessments", as: Int.self) == 2)
                #expect(try row?.decode(column: "latest", as: Int.self) == 2)
                #expect(try row?.decode(column: "lines", as: Int.self) == 3)
                #expect(try row?.decode(column: "sequences", as: Int.self) == 3, "each chronology line has its own place")
            }
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    @Test("A fact update answers with the case as a read of it then gives it, byte for byte; a change of summary answers the same case")
    func aFactUpdateAnswersAsAReadDoes() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let id = try await createCase(app, token: token)["id"] as! String
            let updated = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: token, json: ["version": 1, "facts": coercedFacts])
            #expect(updated.status == .ok)
            let read = try await send(app, .GET, "/api/v1/cases/\(id)", token: token)
            #expect(updated.text == read.text)
            #expect(updated.json["version"] as? Int == 2)
            let renamed = try await send(app, .PATCH, "/api/v1/cases/\(id)", token: token, json: ["version": 2, "summary": "Renamed"])
            #expect(renamed.status == .ok, "\(renamed.text)")
            let again = try await send(app, .GET, "/api/v1/cases/\(id)", token: token)
            #expect(renamed.json["summary"] as? String == "Renamed")
            #expect(NSDictionary(dictionary: renamed.json) == NSDictionary(dictionary: again.json), "the same case, as JSON")
        }
    }

    @Test("A fact update writes all or nothing: when its audit entry cannot be written, the case, its assessments, actions and chronology are as they were")
    func aFactUpdateIsAllOrNothing() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let id = try await createCase(app, token: token)["id"] as! String
            let before = try await (count(app, "case_actions"), count(app, "case_assessments"), count(app, "case_events"))
            try await (app.db as! any SQLDatabase).raw("DELETE FROM audit_head").run()
            let refused = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: token, json: ["version": 1, "facts": coercedFacts])
            #expect(refused.status == .internalServerError)
            let after = try await (count(app, "case_actions"), count(app, "case_assessments"), count(app, "case_events"))
            #expect(after.0 == before.0 && after.1 == before.1 && after.2 == before.2)
            let row = try await (app.db as! any SQLDatabase).raw("SELECT version, facts_json FROM cases WHERE id = \(bind: UUID(uuidString: id)!)").first()
            #expect(try row?.decode(column: "version", as: Int.self) == 1)
            #expect(try row?.decode(column: "facts_json", as: String.self).contains("\"coercion\":false") == true)
        }
    }

    @Test("Issue 9: audit entries appended on a SQLite file's own connection (kept statements, no SQLKit) are stored exactly as through SQLKit on Fluent's: the same value types and text, column for column, one chain that verifies",
          .enabled(if: TestDatabase.postgresURL == nil, "the file's own write connection is for SQLite files"))
    func directAuditAppendStoresAsSQLKitDoes() async throws {
        try await withApp { app in
            let writer = try #require(app.sqliteWriter, "a SQLite file's server has its own write connection")
            let actor = UUID(), organisation = UUID(), caseID = UUID()
            @Sendable func events(_ tag: String) -> [AuditEvent] {
                [AuditEvent(actorID: actor, actorRole: "officer", organisationID: organisation, action: "case.read", caseID: caseID),
                 AuditEvent(actorID: nil, actorRole: "anonymous", organisationID: nil, action: "request.rejected",
                            outcome: "denied", detail: "status=401 route=\(tag)"),
                 AuditEvent(actorID: actor, actorRole: "officer", organisationID: organisation, action: "case.list", detail: "count=3")]
            }
            let at = Date(timeIntervalSince1970: 1_764_601_842.5)
            let sql = app.db as! any SQLDatabase
            let before = try await AuditChain.verify(on: app.db, reader: app.sqliteReader).entriesChecked
            // Through SQLKit on Fluent's connection, then twice on the file's own (two sizes of batch, then the first
            // again: the same kept statements), then SQLKit again: the chain runs through all four.
            let fluent = events("fluent"), fluent2 = events("fluent2")
            try await app.db.transaction { tx in _ = try await AuditChain.append(fluent, at: [at, at, at], on: tx as! any SQLDatabase) }
            for tag in ["direct", "direct2"] {
                try writer.begin()
                let direct = writer.sql(on: app.eventLoopGroup.any(), logger: app.logger)
                let appended = try await AuditChain.append(Array(events(tag).prefix(tag == "direct" ? 3 : 2)),
                                                           at: Array(repeating: at, count: tag == "direct" ? 3 : 2), on: direct)
                try writer.commit()
                #expect(appended.map(\.sequence) == Array((before + (tag == "direct" ? 4 : 7))...(before + (tag == "direct" ? 6 : 8))))
            }
            try await app.db.transaction { tx in _ = try await AuditChain.append(fluent2, at: [at, at, at], on: tx as! any SQLDatabase) }

            let columns = ["id", "sequence", "at", "actor_id", "actor_role", "organisation_id", "action", "case_id",
                           "outcome", "detail", "previous_hash", "hash"]
            let rows = try await sql.raw("""
                SELECT \(unsafeRaw: columns.map { "typeof(\($0)) AS t_\($0), CAST(\($0) AS TEXT) AS v_\($0)" }.joined(separator: ", "))
                FROM audit_entries WHERE sequence > \(bind: before) ORDER BY sequence
                """).all()
            #expect(rows.count == 11)
            func row(_ index: Int) throws -> [String: String] {
                var values: [String: String] = [:]
                for column in columns {
                    values["t_" + column] = try rows[index].decode(column: "t_" + column, as: String.self)
                    values["v_" + column] = try rows[index].decodeNil(column: "v_" + column) ? "NULL" : rows[index].decode(column: "v_" + column, as: String.self)
                }
                return values
            }
            // Entry k of each batch, through SQLKit (rows 0–2) and directly (rows 3–5): the same types, the same
            // fields but for the chain's own (id, sequence, hashes) and the rejection's route, which names its path.
            for k in 0..<3 {
                let viaSQLKit = try row(k), direct = try row(3 + k)
                for column in columns {
                    #expect(viaSQLKit["t_" + column] == direct["t_" + column], "entry \(k), \(column): type")
                    if !["id", "sequence", "previous_hash", "hash", "detail"].contains(column) {
                        #expect(viaSQLKit["v_" + column] == direct["v_" + column], "entry \(k), \(column)")
                    }
                }
                let id = try #require(direct["v_id"])
                #expect(id == id.uppercased() && UUID(uuidString: id) != nil, "an entry's id is stored as Fluent stores a UUID: \(id)")
            }
            let check = try await AuditChain.verify(on: app.db, reader: app.sqliteReader)
            #expect(check.isValid, "\(check.problem ?? "")")
            #expect(check.entriesChecked == before + 11)
        }
    }

    @Test("The case view cache is bounded: a full cache drops the case stored longest ago")
    func theCacheIsBounded() {
        let cache = CaseViewCache(capacity: 2)
        let (a, b, c) = (UUID(), UUID(), UUID())
        for id in [a, b, c] { cache.keep(.init(actions: [], assessment: nil), of: id, at: 1) }
        #expect(cache.value(of: a, at: 1) == nil)
        #expect(cache.value(of: b, at: 1) != nil && cache.value(of: c, at: 1) != nil)
        #expect(cache.value(of: c, at: 2) == nil, "another revision is a miss")
    }

    @Test("Ids are read as stored, in either case, and anything else is refused; written, they are uuidString's text")
    func idsParse() {
        func parse(_ text: String) -> UUID? {
            Array(text.utf8).withUnsafeBufferPointer { UUID(utf8: $0) }
        }
        for _ in 0..<2_000 {
            let id = UUID.random()
            #expect(parse(id.uuidString) == id)
            #expect(parse(id.uuidString.lowercased()) == id)
            #expect(UUID(text: id.uuidString[...]) == id)
            #expect(id.text == id.uuidString)
            #expect(id.lowercasedText == id.uuidString.lowercased())
        }
        let id = UUID()
        let mixed = String(id.uuidString.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.lowercased()) : $0.element })
        #expect(parse(mixed) == id)
        let zero = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        let full = UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))
        #expect(zero.text == "00000000-0000-0000-0000-000000000000" && UUID(text: zero.text) == zero)
        #expect(full.lowercasedText == "ffffffff-ffff-ffff-ffff-ffffffffffff" && UUID(text: full.lowercasedText) == full)
        // Refused: a wrong digit, a wrong or missing hyphen, a hyphen in the wrong place, too short or long, braces,
        // a trailing space, letters beyond f, and non-ASCII. Foundation refuses every one of them too.
        let text = id.uuidString
        let refused: [String] = [String(text.dropLast()) + "G", text.replacingOccurrences(of: "-", with: "_"), String(text.dropLast()),
                                 text + "0", "{\(text)}", String(text.dropLast()) + " ", text.replacingOccurrences(of: "-", with: ""),
                                 String(text.prefix(7)) + "-" + String(text.dropFirst(7).replacingOccurrences(of: "-", with: "")),
                                 String(text.dropLast()) + "é", "", "g0000000-0000-0000-0000-000000000000",
                                 "0000000-00000-0000-0000-000000000000"]
        for wrong in refused {
            #expect(parse(wrong) == nil, "\(wrong)")
            #expect(UUID(text: wrong) == nil, "\(wrong)")
            #expect(UUID(uuidString: wrong) == nil, "Foundation refuses \(wrong) too")
        }
        // Foundation's sscanf lets a leading space, a sign or "0x" before a pair of digits through (and reads another
        // id from them): these are refused here.
        for loose in [" " + String(text.dropFirst()), "+" + String(text.dropFirst()), "0x" + String(text.dropFirst(2))] {
            #expect(UUID(text: loose) == nil, "\(loose)")
        }
    }

    @Test("Ids made without Foundation's /dev/urandom are version 4 UUIDs, and do not repeat")
    func randomIDsAreVersionFourAndDistinct() {
        let ids = (0..<20_000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(500) {
            let text = Array(id.uuidString.utf8)
            #expect(text[14] == UInt8(ascii: "4"), "version 4 in \(id)")
            #expect([UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "A"), UInt8(ascii: "B")].contains(text[19]), "RFC 4122 variant in \(id)")
        }
        // Every other bit varies: no byte is stuck across the set.
        let first = ids[0].uuid
        var differs = [Bool](repeating: false, count: 16)
        for id in ids.dropFirst() {
            withUnsafeBytes(of: id.uuid) { a in withUnsafeBytes(of: first) { b in for i in 0..<16 where a[i] != b[i] { differs[i] = true } } }
        }
        #expect(differs.allSatisfy { $0 })
    }

    @Test("Audit entry ids sort by the millisecond they were made, as text too, and are version 7 UUIDs")
    func timeOrderedIDsSortByTime() {
        // Half way through each millisecond, so that no time rounds into the one before.
        func millisecond(_ n: Int) -> Date { Date(timeIntervalSince1970: (Double(1_764_601_842_123 + n) + 0.5) / 1_000) }
        let start = millisecond(0)
        let ids = (0..<2_000).map { UUID.timeOrdered(now: millisecond($0)) }
        let texts = ids.map(\.uuidString)
        #expect(texts == texts.sorted(), "later milliseconds sort later")
        #expect(Set(ids).count == ids.count)
        let sameMillisecond = (0..<1_000).map { _ in UUID.timeOrdered(now: start) }
        #expect(Set(sameMillisecond).count == 1_000, "ids made in the same millisecond still differ")
        #expect(sameMillisecond.allSatisfy { $0.uuidString.hasPrefix(String(ids[0].uuidString.prefix(13))) })
        #expect(ids.allSatisfy { Array($0.uuidString.utf8)[14] == UInt8(ascii: "7") })
        #expect(ids[0].uuidString.hasPrefix("019ADA77-49CB"), "the time in milliseconds, big-endian: \(ids[0])")
    }

    /// A fresh SQLite file in WAL mode with one table, for the checkpoint tests; removed by `body`'s end.
    private func withWALFile(_ body: (String) async throws -> Void) async throws {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(folder)/safeguard-checkpoint-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        // An empty file is an empty database (the server's connections do not create files).
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let setUp = try DirectSQLiteConnection(path: path, readOnly: false)
        try setUp.execute("PRAGMA journal_mode = WAL")
        try setUp.execute("CREATE TABLE t (x BLOB)")
        try await body(path)
    }

    /// Commits `count` transactions of 16 pages each through `writer`.
    private func commit(_ count: Int, through writer: SQLiteFileWriter) async throws {
        let sql = writer.sql(on: MultiThreadedEventLoopGroup.singleton.any(), logger: Logger(label: "test"))
        for _ in 0..<count {
            try writer.begin()
            try await sql.raw("INSERT INTO t VALUES (zeroblob(65536))").run()
            try writer.commit()
        }
    }

    private func walPages(_ path: String) throws -> Int {
        let bytes = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        return bytes / (4_096 + 24)
    }

    @Test("The server's commits leave the log's checkpoint to a thread of its own: the log grows past SQLite's 1,000 pages without a commit copying it back (a default connection copies it at 1,000), and a checkpoint then copies all of it")
    func commitsDoNotCheckpoint() async throws {
        try await withWALFile { path in
            let writer = try SQLiteFileWriter(path: path)
            writer.close()   // no background checkpoints: only a commit could copy the log now
            try await commit(120, through: writer)   // about 1,900 pages
            #expect(try walPages(path) > 1_500, "no commit checkpointed: the whole log is still there")
            let progress = try SQLiteCheckpointer(path: path).checkpoint()
            #expect(progress.logPages > 1_500)
            #expect(progress.checkpointedPages == progress.logPages, "no reader holds any of it back")
        }
        try await withWALFile { path in
            let writer = try SQLiteFileWriter(path: path, checkpointInBackground: false)
            try await commit(120, through: writer)
            #expect(try walPages(path) < 1_100, "SQLite's default: the commit past 1,000 pages copies the log back, and the log starts again")
        }
    }

    @Test("The background thread checkpoints soon after commits, and stops when the writer closes")
    func theBackgroundThreadCheckpoints() async throws {
        try await withWALFile { path in
            let writer = try SQLiteFileWriter(path: path)
            let checkpointer = try #require(writer.checkpointer)
            // Two rounds of commits, further apart than the thread's interval, as on a busy machine.
            try await commit(5, through: writer)
            try await Task.sleep(nanoseconds: 300_000_000)
            try await commit(5, through: writer)
            // The commits' pages reach the database file only by a checkpoint (the writer leaves them to the thread),
            // here by more than one: commits more than `interval` apart are checkpointed in rounds, and the log starts
            // again after each (a check for one checkpoint of all 160 pages failed in a loaded run of the suite). So
            // wait for the file to hold all 160 pages; usually that is within 100 ms, but allow a minute for a suite
            // on two cores.
            func fileBytes() throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 }
            var waited = 0
            while waited < 1_200, try fileBytes() < 160 * 4_096 || checkpointer.status().last.map({ $0.checkpointedPages < $0.logPages }) ?? true {
                try await Task.sleep(nanoseconds: 50_000_000)
                waited += 1
            }
            #expect(try fileBytes() >= 160 * 4_096, "every commit's pages were copied into the file")
            let last = try #require(checkpointer.status().last, "a checkpoint ran after the commits")
            #expect(last.checkpointedPages > 0 && last.checkpointedPages == last.logPages, "the last checkpoint copied all of its log")
            writer.close()
            let after = checkpointer.status().checkpoints
            try await commit(2, through: writer)
            try await Task.sleep(nanoseconds: 300_000_000)
            #expect(checkpointer.status().checkpoints == after, "no checkpoint after close")
        }
    }

    @Test("A reader that cannot open its file says which file, at start")
    func aMissingFileIsAnErrorAtStart() throws {
        #expect(throws: DirectSQLiteConnection.Failure.self) { try SQLiteFileReader(path: "/nonexistent/folder/safeguard.sqlite") }
    }
}

/// `sampleFacts` with the image taken under pressure: a re-assessment with other decisions and other actions.
private var coercedFacts: [String: Any] {
    var facts = sampleFacts
    facts["circumstances"] = ["willing": false, "ageAppropriate": false, "coercion": true]
    return facts
}
