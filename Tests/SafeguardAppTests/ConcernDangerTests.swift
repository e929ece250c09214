import Foundation
@testable import SafeguardApp
import SafeguardCore
import Testing
import Vapor

/// A concern's first words can say a child is in danger now (NSPCC, Reporting: "If you think a child is in immediate
/// danger, contact the police on 999"; Wales Safeguarding Procedures: contact the emergency services without delay).
/// Found in a hands-on review as a Welsh DSP: a teacher who wrote that a child "wants to die" had no way to say so, was
/// shown "no immediate danger known", and the concern waited for triage as an ordinary one.
@Suite struct ConcernDangerTests {
    @Test func aConcernThatAChildIsInDangerSaysCall999AndComesFirstForTheLead() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let staff = try await Pages.signIn(app, "staff@school.test")
            let form = try await Pages.get(app, "/cases/new", staff)
            #expect(form.text.contains("Is a young person in immediate danger now?"))
            #expect(form.text.contains("call 999 now, then tell the designated safeguarding person in person straight away"))
            let calm = try await Pages.post(app, "/cases/new", staff, [("summary", "Image shared in year 9"), ("kind", "image"), ("danger", "no")])
            #expect(calm.status == .seeOther)
            let urgent = try await Pages.post(app, "/cases/new", staff,
                                              [("summary", "A is in tears and says she wants to die"), ("kind", "image"), ("ageA", "12"), ("danger", "A")])
            #expect(urgent.status == .seeOther)
            let casePath = try #require(urgent.headers.first(name: .location))
            let page = try await Pages.get(app, casePath, staff)
            #expect(page.text.contains("A young person is in immediate danger: call 999 now if nobody has"))
            #expect(!page.text.contains("No immediate danger known"))
            let id = String(casePath.split(separator: "/")[1])
            let read = try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("school.dsl")).json
            let facts = try #require(read["facts"] as? [String: Any])
            let people = try #require(facts["people"] as? [[String: Any]])
            #expect(people.first { $0["ref"] as? String == "A" }?["immediateDanger"] as? Bool == true)
            let decisions = (((read["assessment"] as? [String: Any])?["assessment"] as? [String: Any])?["decisions"] as? [String: Any]) ?? [:]
            #expect(decisions["emergency"] as? Bool == true, "\(read)")

            let dsl = try await Pages.signIn(app, "dsl@school.test")
            let home = try await Pages.get(app, "/", dsl)
            let urgentRow = try #require(home.text.range(of: "Urgent: a child may be in immediate danger"))
            let calmRow = try #require(home.text.range(of: "Image shared in year 9"))
            #expect(urgentRow.lowerBound < calmRow.lowerBound, "the urgent concern comes first")
            #expect(home.text.components(separatedBy: "Urgent: a child may be in immediate danger").count == 2, "only that one")
        }
    }
}
