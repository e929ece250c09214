import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import Testing
import Vapor

/// Issue 11, point 3: a case opened twice for one incident is merged into the other, and both chronologies are kept.
@Suite struct MergeTests {
    @Test func mergingClosesTheDuplicateAndTheOtherShowsBothChronologies() async throws {
        try await ResponseJourneyTests.journey { j in
            let first = try await j.call("policeA.officer", .POST, "/cases", ["summary": "First", "facts": ResponseJourneyTests.consensualFacts], expect: .created)
            let second = try await j.call("policeA.officer", .POST, "/cases", ["summary": "Second", "facts": ResponseJourneyTests.consensualFacts], expect: .created)
            let (keep, duplicate) = (first.json["id"] as! String, second.json["id"] as! String)
            let keepReference = first.json["reference"] as! String
            try await j.call("policeA.officer", .POST, "/cases/\(duplicate)/notes", ["text": "a note on the duplicate"], expect: .created)
            let version = second.json["version"] as! Int
            // Refused: no reason; into itself; a case of another organisation (not found there); a stale version.
            try await j.call("policeA.officer", .POST, "/cases/\(duplicate)/merge", ["into": keepReference, "version": version], expect: .unprocessableEntity)
            try await j.call("policeA.officer", .POST, "/cases/\(duplicate)/merge", ["into": duplicate, "version": version, "reason": "x"], expect: .unprocessableEntity)
            let other = try await j.call("policeB.officer", .POST, "/cases", ["summary": "B", "facts": ResponseJourneyTests.consensualFacts], expect: .created)
            let refused = try await j.call("policeA.officer", .POST, "/cases/\(duplicate)/merge",
                                           ["into": other.json["id"] as! String, "version": version, "reason": "x"], expect: .unprocessableEntity)
            #expect(refused.text.contains("\"field\":\"into\""))
            try await j.call("policeA.officer", .POST, "/cases/\(duplicate)/merge", ["into": keepReference, "version": version + 5, "reason": "x"], expect: .conflict)

            let merged = try await j.call("policeA.officer", .POST, "/cases/\(duplicate)/merge",
                                          ["into": keepReference.lowercased(), "version": version, "reason": "Same image, reported twice"], expect: .ok)
            #expect(merged.json["status"] as? String == "closed")
            // The kept case's chronology holds both, the duplicate's lines marked as from it.
            let lines = try await j.chronology("policeA.officer", keep)
            let duplicateReference = second.json["reference"] as! String
            #expect(lines.contains { $0.hasPrefix("Case \(duplicateReference) merged into this case by") && $0.contains("Same image, reported twice") })
            #expect(lines.contains { $0 == "From case \(duplicateReference): Case opened: Second" } || lines.contains { $0.hasPrefix("From case \(duplicateReference): ") },
                    "the duplicate's own chronology is kept and shown: \(lines)")
            #expect(try await j.chronology("policeA.officer", duplicate).contains { $0.hasPrefix("Merged into case \(keepReference) by") })
            // The duplicate stays closed; merging it again, or into it, is refused.
            let reopen = try await j.call("policeA.officer", .PATCH, "/cases/\(duplicate)",
                                          ["version": merged.json["version"] as! Int, "status": "open", "reason": "oops"], expect: .conflict)
            #expect(reopen.text.contains("merged into case \(keepReference)"))
            try await j.call("policeA.officer", .POST, "/cases/\(duplicate)/merge", ["into": keepReference, "version": merged.json["version"] as! Int, "reason": "x"], expect: .conflict)
            let third = try await j.call("policeA.officer", .POST, "/cases", ["summary": "Third", "facts": ResponseJourneyTests.consensualFacts], expect: .created)
            try await j.call("policeA.officer", .POST, "/cases/\(third.json["id"] as! String)/merge",
                             ["into": duplicateReference, "version": third.json["version"] as! Int, "reason": "x"], expect: .unprocessableEntity)
            // Both audited.
            let audit = try await AuditStore(db: j.app.db).entries(organisationID: nil, limit: 100, actionContains: "case.merge")
            #expect(audit.count == 2)
        }
    }

    @Test func theCasePageMergesByReferenceAndShowsWhereItWent() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let keep = try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)
            let duplicate = try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let id = (duplicate["id"] as! String).lowercased()
            let page = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(page.text.contains("Merge this case into another"))
            let missing = try await Pages.post(app, "/cases/\(id)/merge", officer, [("into", "SG-1999-000009"), ("reason", "same"), ("version", "1")])
            #expect(missing.status == .unprocessableEntity && missing.text.contains("<a href=\"#into\">"))
            let done = try await Pages.post(app, "/cases/\(id)/merge", officer,
                                            [("into", keep["reference"] as! String), ("reason", "same incident"), ("version", "\(duplicate["version"] as! Int)")])
            #expect(done.status == .seeOther)
            #expect(done.headers.first(name: .location) == "/cases/\((keep["id"] as! String).lowercased())")
            let kept = try await Pages.get(app, done.headers.first(name: .location)!, officer)
            #expect(kept.text.contains("Merged into this case: <a href=\"/cases/\(id)\">\(duplicate["reference"] as! String)</a>"))
            // The merged case is closed, so opening it asks for a fresh second factor first, as any closed case does.
            let gone = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(gone.status == .seeOther && gone.headers.first(name: .location) == "/step-up?to=/cases/\(id)")
            // A supervisor's code at sign-in is fresh: the merged case says where it went, and offers neither merging
            // again nor reopening (both would be refused).
            let supervisor = try await Pages.signIn(app, "supervisor@policeA.test")
            let merged = try await Pages.get(app, "/cases/\(id)", supervisor)
            #expect(merged.status == .ok)
            let keptReference = keep["reference"] as! String
            #expect(merged.text.contains("This case was merged into case \(keptReference)"))
            #expect(merged.text.contains("<a href=\"/cases/\((keep["id"] as! String).lowercased())\">Go to case \(keptReference)</a>"))
            #expect(!merged.text.contains("Merge this case into another"))
            #expect(!merged.text.contains("Reopen this case"))
            // Staff raise concerns; they do not merge cases.
            let staff = try await Pages.signIn(app, "staff@school.test")
            let concern = try await createCase(app, token: world.token("school.staff"))
            let refused = try await Pages.post(app, "/cases/\((concern["id"] as! String).lowercased())/merge", staff, [("into", "x"), ("reason", "y"), ("version", "1")])
            #expect(refused.status == .forbidden)
        }
    }
}
