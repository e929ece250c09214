import Foundation
import Spawning
import Testing
@testable import SafeguardCore

/// The `safeguard` command as a person runs it: exit status, what it prints, and where it says the problem is.
@Suite("Command line")
struct CommandLineTests {
    /// The built `safeguard` binary, beside the test bundle in the build folder.
    static var binary: URL {
        var dir = Bundle.module.bundleURL.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("safeguard").path) {
            dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        }
        return dir.appendingPathComponent("safeguard")
    }

    func run(_ arguments: [String], stdin: String? = nil) throws -> ChildProcess.Run {
        try ChildProcess.run(Self.binary.path, arguments, input: stdin)
    }

    @Test("assess --json - answers with the contract's keys")
    func assessJSON() throws {
        let result = try run(["assess", "--json", "-"], stdin: String(decoding: baseCase().jsonData(), as: UTF8.self))
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(Set(object.keys).isSuperset(of: ["guidance", "decisions", "recommendations", "openQuestions"]))
        #expect((object["decisions"] as? [String: Any])?["outcome21"] as? String == "eligible")
    }

    @Test("assess names each nation's own guidance and cites its sections: Wales, Scotland and Northern Ireland schools, Scottish police", arguments: [
        (Setting.education, Jurisdiction.wales, "welsh-government-sharing-nudes"),
        (Setting.education, Jurisdiction.scotland, "scottish-government-child-protection-education"),
        (Setting.police, Jurisdiction.scotland, "scottish-government-child-protection-police"),
        (Setting.education, Jurisdiction.northernIreland, "de-ni-safeguarding-in-schools"),
    ])
    func assessByNation(setting: Setting, jurisdiction: Jurisdiction, packID: String) throws {
        let result = try run(["assess", "--json", "-"], stdin: String(decoding: baseCase(setting, jurisdiction).jsonData(), as: UTF8.self))
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let guidance = (object["guidance"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(guidance.first == packID)
        let pack = try #require(GuidanceLibrary.bundled.packs.first { $0.id == packID })
        let cited = (object["recommendations"] as? [[String: Any]] ?? []).flatMap { ($0["citations"] as? [[String: Any]]) ?? [] }
        #expect(!cited.isEmpty)
        #expect(cited.allSatisfy { $0["document"] as? String == pack.title }, "every citation is of the nation's own guidance")
        let sections = Set(pack.sections.map(\.id))
        #expect(cited.allSatisfy { sections.contains($0["section"] as? String ?? "") })
        #expect((object["notes"] as? [String] ?? []).isEmpty, "its own edition: no fallback note")
    }

    @Test("assess prints decisions, then open questions, then recommendations by severity")
    func assessText() throws {
        let facts = baseCase { $0.circumstances.grooming = .unknown }
        let result = try run(["assess", "-"], stdin: String(decoding: facts.jsonData(), as: UTF8.self))
        #expect(result.status == 0)
        let text = result.output
        let order = ["DECISIONS", "OPEN QUESTIONS", "Is there any sign of grooming?", "RECOMMENDATIONS", "  MUST", "  SHOULD", "  CONSIDER"]
        let positions = order.map { text.range(of: $0)?.lowerBound }
        #expect(!positions.contains(nil), "missing a heading in:\n\(text)")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
    }

    @Test("Bad input exits with status 2 and names the path and what is allowed")
    func badInput() throws {
        let result = try run(["assess", "-"], stdin: #"{"jurisdiction":"england","setting":"police","people":[{"ref":"A"},{"ref":"B","age":-1}]}"#)
        #expect(result.status == 2)
        #expect(result.error == "error: people[1].age: expected a whole number 0–120 or null\n")
        #expect(result.output.isEmpty)
        let missing = try run(["assess", "/no/such/file.json"])
        #expect(missing.status == 2 && missing.error.contains("cannot read /no/such/file.json"))
    }

    @Test("guidance list shows each nation's editions, the dates they apply and the nations they govern")
    func list() throws {
        let result = try run(["guidance", "list"])
        #expect(result.status == 0)
        let nations = result.output.components(separatedBy: "\n").split { !$0.hasPrefix(" ") && !$0.isEmpty }
        #expect(result.output.hasPrefix("England\n  police  college-of-policing  2016 (v1.0)  from 1 November 2016 until 31 December 2022"))
        #expect(result.output.contains("  police  college-of-policing  current  from 1 January 2023 (current)"))
        #expect(result.output.contains("  education  nspcc-ukcis  2024  from 11 April 2024 (current)"))
        #expect(result.output.range(of: #"\d{4}-\d{2}-\d{2}"#, options: .regularExpression) == nil, "no ISO dates for a person to read")
        for nation in ["Wales", "Scotland", "Northern Ireland"] { #expect(result.output.contains("\n\(nation)\n")) }
        #expect(nations.count >= 4)
    }

    @Test("guidance show prints the rules with citations; an unknown id is a clear error")
    func show() throws {
        let result = try run(["guidance", "show", "college-of-policing"])
        #expect(result.status == 0 && result.output.contains("deviceReturnSignOff (must) when seizedDeviceHoldsImagery  [Action 15]"))
        let old = try run(["guidance", "show", "college-of-policing", "--edition", "2016 (v1.0)"])
        #expect(old.output.contains("[24]"))
        #expect(try run(["guidance", "show", "college-of-policing", "--edition", "2016"]).output == old.output, "an edition by its first word")
        let unknown = try run(["guidance", "show", "acpo"])
        #expect(unknown.status == 2 && unknown.error.contains("no guidance pack \"acpo\""))
    }

    @Test("guidance check validates a file and names each problem with its location")
    func check() throws {
        let good = GuidanceLibrary.bundledDirectory.appendingPathComponent("nspcc-ukcis-2024.yaml").path
        let ok = try run(["guidance", "check", good])
        #expect(ok.status == 0 && ok.output.hasSuffix("guidance pack is valid\n"))
        let law = try run(["guidance", "check", GuidanceLibrary.bundledDirectory.appendingPathComponent("law.yaml").path])
        #expect(law.status == 0 && law.output.contains("law pack is valid"))
        let text = try String(contentsOfFile: good, encoding: .utf8).replacingOccurrences(of: "citations: [Reporting]\n    rules:", with: "citations: [Reportin]\n    rules:")
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("bad-pack-\(UUID().uuidString).yaml")
        try text.write(to: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: bad) }
        let result = try run(["guidance", "check", bad.path])
        #expect(result.status == 1)
        #expect(result.output.contains(#"decisions.emergency.citations[0]: "Reportin" is not a section of this edition (did you mean "Reporting"?)"#))
    }

    @Test("letter outcome21 writes the family's record (Action 13); a letter to a parent must name the child")
    func outcome21Letter() throws {
        let common = ["letter", "outcome21", "--name", "Ms Jones", "--crime-type", "possession of an indecent image of a child",
                      "--reference", "NS/26/1", "--force", "Northshire Police", "--officer", "PC 1 Patel", "--phone", "101",
                      "--date", "2019-06-01"]
        let result = try run(common + ["--to", "parent", "--child", "Sam"])
        #expect(result.status == 0)
        #expect(result.output.contains("Your child, Sam, has been recorded on police systems against possession"))
        #expect(result.output.contains("No guarantee can be given"))   // 2019: the 2016 edition's wording
        let html = try run(common + ["--to", "young-person", "--html"])
        #expect(html.status == 0 && html.output.contains("<p>You have been recorded"))
        let missing = try run(common + ["--to", "parent"])
        #expect(missing.status == 2 && missing.error == "error: --child: a letter to a parent names the child\n")
        // The signature block and the overlay's letterhead (issue 11, point 6).
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let overlay = root.appendingPathComponent("examples/northshire-overlay.yaml").path
        let signed = try run(common + ["--to", "young-person", "--rank", "Police Constable", "--collar-number", "1", "--overlay", overlay])
        #expect(signed.status == 0)
        #expect(signed.output.hasPrefix("Northshire Police (example)\nPolice Headquarters, 1 Example Street, Northtown NT1 1AA\nTelephone 101\n\n"))
        #expect(signed.output.hasSuffix("Yours sincerely,\nPC 1 Patel\nPolice Constable 1\nNorthshire Police\n"))
    }
}
