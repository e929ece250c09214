import Foundation
import Testing
@testable import SafeguardCore

/// Each nation's cases are assessed under that nation's own guidance, or under a named fallback with a note; the
/// library refuses gaps and overlaps per setting and nation; record rules cite through the pack; worked examples run.
@Suite("Guidance by nation")
struct NationTests {
    let library = GuidanceLibrary.bundled

    static func packText(_ file: String) throws -> String {
        try String(contentsOf: GuidanceLibrary.bundledDirectory.appendingPathComponent(file), encoding: .utf8)
    }

    /// The NSPCC pack with its nations and dates changed, as a second edition in a hand-made library.
    static func schoolPack(id: String = "test-school", jurisdictions: String, fallbackFor: String = "[]",
                           from: String, until: String? = nil) throws -> GuidancePack {
        var text = try packText("nspcc-ukcis-2024.yaml")
        // Its worked examples are England's; a copy for another nation leaves them out.
        text = String(text[..<text.range(of: "\nexamples:\n")!.lowerBound]) + "\n"
        text = text.replacingOccurrences(of: "id: nspcc-ukcis\n", with: "id: \(id)\n")
            .replacingOccurrences(of: "jurisdictions: [england]\n", with: "jurisdictions: \(jurisdictions)\n")
            .replacingOccurrences(of: "fallbackFor: [wales, scotland, northernIreland]\n", with: "fallbackFor: \(fallbackFor)\n")
            .replacingOccurrences(of: "appliesFrom: 2024-04-11\n", with: "appliesFrom: \(from)\n" + (until.map { "appliesUntil: \($0)\n" } ?? ""))
        return try GuidanceLibrary.decodePack(yaml: text)
    }

    static func policePacks() -> [GuidancePack] { GuidanceLibrary.bundled.packs.filter { $0.setting == .police } }

    // MARK: Choosing the edition

    @Test("England cites exactly what it cited before: the College of Policing for police, the NSPCC for schools")
    func englandUnchanged() {
        let police = assess(baseCase(.police, .england))
        #expect(police.guidance.map(\.id) == ["college-of-policing", "uk-law"])
        #expect(police.guidance.first?.edition == "current")
        #expect(police.notes == [])
        let school = assess(baseCase(.education, .england))
        #expect(school.guidance.map(\.id) == ["nspcc-ukcis", "uk-law"])
        #expect(school.notes == [])
    }

    @Test("Police in Wales follow the College of Policing's England-and-Wales edition with no note")
    func walesPolice() {
        let police = assess(baseCase(.police, .wales))
        #expect(police.guidance.first?.id == "college-of-policing")
        #expect(police.notes == [])
    }

    @Test("Police in Northern Ireland fall back to the College of Policing, and the assessment says so; no Outcome 21")
    func northernIrelandPoliceFallback() {
        let police = assess(baseCase(.police, .northernIreland))
        #expect(police.guidance.first?.id == "college-of-policing")
        #expect(police.notes.count == 1)
        let note = police.notes.first ?? ""
        #expect(note.contains("Safeguard holds no police guidance of Northern Ireland's own"))
        #expect(note.contains("written for England and Wales"))
        #expect(police.decisions.outcome21 == .notAvailable)
    }

    @Test("A nation whose own edition starts later falls back before that date, and uses its own after")
    func ownEditionFromItsDate() throws {
        let welsh = try Self.schoolPack(id: "welsh-test", jurisdictions: "[wales]", from: "2025-01-01")
        let nspcc = try Self.schoolPack(id: "nspcc-test", jurisdictions: "[england]", fallbackFor: "[wales, scotland, northernIreland]", from: "2024-04-11")
        let library = GuidanceLibrary(packs: Self.policePacks() + [welsh, nspcc], law: library.law)
        #expect(library.problems().map(\.description) == [])
        let before = library.edition(for: .education, in: .wales, on: CalendarDate("2024-06-01")!)
        #expect(before.pack.id == "nspcc-test")
        #expect(before.note?.contains("None of the school guidance Safeguard holds for Wales was in force on 1 June 2024") == true)
        let after = library.edition(for: .education, in: .wales, on: CalendarDate("2026-06-01")!)
        #expect(after.pack.id == "welsh-test")
        #expect(after.note == nil)
        #expect(library.edition(for: .education, in: .england, on: CalendarDate("2026-06-01")!).pack.id == "nspcc-test")
    }

    @Test("Dates of a note are in words, not as an ISO day")
    func notesInWords() {
        let police = assess(baseCase(.police, on: "2014-03-01"))
        #expect(police.notes.first?.contains("was in force on 1 March 2014") == true)
        #expect(police.notes.first?.contains("2014-03-01") == false)
    }

    // MARK: Validation

    @Test("Validation refuses two editions governing one nation and setting at once")
    func overlapRefused() throws {
        let a = try Self.schoolPack(id: "a", jurisdictions: "[england, wales, scotland, northernIreland]", from: "2024-01-01")
        let b = try Self.schoolPack(id: "b", jurisdictions: "[wales]", from: "2025-01-01")
        let problems = GuidanceLibrary(packs: Self.policePacks() + [a, b], law: library.law).problems().map(\.description)
        #expect(problems == ["b 2024.appliesFrom: for education in wales, a 2024 has no appliesUntil, so the two overlap; end it the day before 2025-01-01"])
    }

    @Test("Validation refuses a gap between one nation's editions, and accepts them back to back")
    func gapRefused() throws {
        let first = try Self.schoolPack(id: "first", jurisdictions: "[england, wales, scotland, northernIreland]", from: "2020-01-01", until: "2023-12-30")
        let second = try Self.schoolPack(id: "second", jurisdictions: "[england, wales, scotland, northernIreland]", from: "2024-01-01")
        let problems = GuidanceLibrary(packs: Self.policePacks() + [first, second], law: library.law).problems().map(\.description)
        #expect(problems.count == 4)
        #expect(problems.first == "first 2024.appliesUntil: for education in england, leaves a gap: first 2024 ends 2023-12-30 but second 2024 begins 2024-01-01")
        let joined = try Self.schoolPack(id: "first", jurisdictions: "[england, wales, scotland, northernIreland]", from: "2020-01-01", until: "2023-12-31")
        #expect(GuidanceLibrary(packs: Self.policePacks() + [joined, second], law: library.law).problems().map(\.description) == [])
    }

    @Test("Validation refuses a nation with neither an edition of its own nor a named fallback")
    func uncoveredRefused() throws {
        let english = try Self.schoolPack(id: "english", jurisdictions: "[england]", fallbackFor: "[wales]", from: "2024-01-01")
        let problems = GuidanceLibrary(packs: Self.policePacks() + [english], law: library.law).problems().map(\.description)
        #expect(problems == ["education in northernIreland: no edition governs it and none is named as its fallback (`fallbackFor`)",
                             "education in scotland: no edition governs it and none is named as its fallback (`fallbackFor`)"])
    }

    @Test("A pack must name the nations it governs, and may not stand in for one it governs")
    func packNations() throws {
        let none = try Self.schoolPack(jurisdictions: "[]", from: "2024-01-01")
        #expect(none.problems().map(\.description).contains("jurisdictions: name at least one nation whose cases this edition governs"))
        let both = try Self.schoolPack(jurisdictions: "[england]", fallbackFor: "[england]", from: "2024-01-01")
        #expect(both.problems().map(\.description) == ["fallbackFor[0]: england is governed by this edition already"])
        #expect(throws: PackError.self) { try Self.schoolPack(jurisdictions: "[englund]", from: "2024-01-01") }
    }

    // MARK: Record rules cite through the pack

    @Test("Record rules cite the same Actions and paragraphs as before, from the packs (College of Policing, Actions 1–17; 2016 paragraphs 9–26)")
    func recordRulesUnchanged() {
        let current = library.pack(id: "college-of-policing", edition: "current")!
        let first = library.pack(id: "college-of-policing", edition: "2016 (v1.0)")!
        let nspcc = library.pack(id: "nspcc-ukcis")!
        let expected: [(RecordRule, String?, String?, String?)] = [
            (.recordCrime, "Action 1", "9", nil), (.welfare, "Action 2", "10", nil), (.checks, "Action 3", "11", nil),
            (.referral, "Action 4", "12", "When to make a child protection referral"), (.accounts, "Action 5", "14", nil),
            (.seizure, "Action 5", "15", "What to do with a sexting image"), (.routineSeizure, "Action 6", "15", nil),
            (.interview, "Action 6", "16", nil), (.nextSteps, "Action 7", "17", nil),
            (.removal, "Action 8", "18", "Getting an explicit image removed"), (.outcomeCodes, "Action 9", "19", nil),
            (.outcome21Criteria, "Action 10", "20", nil), (.outcome21Review, "Action 11", "21", nil),
            (.communicate, "Action 12", "22", nil), (.outcome21Letter, "Action 13", "22", nil), (.deletion, "Action 14", "23", nil),
            (.deviceReturn, "Action 15", "24", nil), (.caid, "Action 16", "25", nil), (.contactForm, "Action 17", "26", nil),
            (.gathering, nil, nil, "Gathering information"), (.talking, nil, nil, "Talking to a young person"),
            (.supporting, "Action 2", "10", "Supporting children and young people"),
            (.reviewing, nil, nil, "Recording and reviewing"), (.reporting, nil, nil, "Reporting"),
            (.schoolDevices, nil, nil, "What to do with a sexting image"),
        ]
        #expect(Set(expected.map(\.0)) == Set(RecordRule.allCases))
        for (rule, a, b, c) in expected {
            #expect(current.citation(for: rule)?.section == a, "current \(rule)")
            #expect(first.citation(for: rule)?.section == b, "2016 \(rule)")
            #expect(nspcc.citation(for: rule)?.section == c, "NSPCC \(rule)")
        }
        #expect(current.inBrackets(.communicate, .outcome21Letter) == " (Action 12 and Action 13)")
        #expect(first.inBrackets(.communicate, .outcome21Letter) == " (paragraph 22)")
        #expect(nspcc.inBrackets(.recordCrime) == "")
        #expect(current.inBracketsWithPublisher(.outcome21Review) == " (College of Policing, Action 11)")
    }

    @Test("check: a record rule that is not one, or cites a section the edition lacks, is named with its location")
    func recordRuleProblems() throws {
        var text = try Self.packText("nspcc-ukcis-2024.yaml")
        text = text.replacingOccurrences(of: "  removal: \"Getting an explicit image removed\"", with: "  remova: \"Getting an explicit image removed\"")
            .replacingOccurrences(of: "  reporting: \"Reporting\"", with: "  reporting: \"Reportin\"")
        let problems = try GuidanceLibrary.decodePack(yaml: text).problems().map(\.description)
        #expect(problems.contains { $0.hasPrefix(#"recordRules.remova: not a rule for recording the response (did you mean "removal"?)"#) })
        #expect(problems.contains(#"recordRules.reporting[0]: "Reportin" is not a section of this edition (did you mean "Reporting"?)"#))
    }

    @Test("No Action number or paragraph number is written in Swift outside comments")
    func noActionNumbersInSwift() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        #expect(files.count > 50)
        let pattern = try Regex(#"\bAction \d|\bActions \d|\bparagraph \d|\bpara \d"#)
        var found: [String] = []
        for file in files {
            for (n, line) in try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }
                let beforeComment = code.components(separatedBy: " // ").first ?? code
                if beforeComment.contains(pattern) { found.append("\(file.lastPathComponent):\(n + 1)") }
            }
        }
        #expect(found == [])
    }

    // MARK: Worked examples in the packs

    static let examples: [(pack: String, index: Int)] = GuidanceLibrary.bundled.packs.flatMap { pack in
        pack.examples.indices.map { ("\(pack.id) \(pack.edition) \(pack.setting.rawValue)", $0) }
    }

    @Test("Every worked example in every pack gives the decisions it states", arguments: NationTests.examples)
    func workedExample(pack name: String, index: Int) {
        let pack = library.packs.first { "\($0.id) \($0.edition) \($0.setting.rawValue)" == name }!
        let example = pack.examples[index]
        #expect(library.failures(of: example, in: pack, today: testToday) == [], "\(name): \(example.name)")
    }

    @Test("A worked example that states the wrong decision fails, naming what differs")
    func wrongExampleFails() throws {
        let yaml = """
        name: A wrong expectation
        facts: { jurisdiction: england, setting: education, people: [{ ref: A, age: 15, roles: [depicted, sender], selfHarmRisk: true }] }
        expect: { childProtectionReferral: notRequired, emergency: true }
        recommendationsPresent: [reportToCEOP]
        recommendationsAbsent: [childProtectionReferral]
        offences: [poca1978s1]
        notesContain: [Wales]
        """
        let example = try GuidanceLibrary.decodeExample(yaml: yaml)
        let failures = library.failures(of: example, in: library.pack(id: "nspcc-ukcis")!, today: testToday)
        #expect(failures.contains("childProtectionReferral is immediate, expected notRequired"))
        #expect(failures.contains("emergency is false, expected true"))
        #expect(failures.contains("recommendation reportToCEOP is missing"))
        #expect(failures.contains("recommendation childProtectionReferral is given, expected it absent"))
        #expect(failures.contains { $0.hasPrefix("offences are [") })
        #expect(failures.contains("no note says \"Wales\""))
    }

    @Test("An example's facts are checked as strictly as the API's, with the path inside the example")
    func exampleFactsStrict() {
        let yaml = """
        name: A typo
        facts: { jurisdiction: england, setting: education, people: [{ ref: A, agee: 15 }] }
        """
        #expect { try GuidanceLibrary.decodeExample(yaml: yaml) } throws: { error in
            "\(error)".contains("people[0]") && "\(error)".contains("agee")
        }
    }

    // MARK: Age of criminal responsibility (Scotland)

    @Test("Scotland: no offence is suggested against children under 12 for conduct from 17 December 2021, and the assessment says why (Age of Criminal Responsibility (Scotland) Act 2019, section 1)")
    func scotlandUnder12() {
        let young = assess(baseCase(.police, .scotland, on: "2026-06-01") { facts in
            facts.people[0].age = 11
            facts.people[1].age = 11
        })
        #expect(young.offences == [])
        #expect(young.notes.contains { $0.contains("No offence is suggested") && $0.contains("A (11), B (11)") && $0.contains("under 12") })
        let older = assess(baseCase(.police, .scotland, on: "2026-06-01"))
        #expect(older.offences.map(\.id).contains("cgsa1982s52"))
        #expect(!older.notes.contains { $0.contains("No offence is suggested") })
    }

    @Test("Scotland: with one child under 12 and one older, offences stay and the note names the younger child")
    func scotlandMixedAges() {
        let mixed = assess(baseCase(.police, .scotland, on: "2026-06-01") { $0.people[0].age = 11 })
        #expect(mixed.offences.map(\.id).contains("cgsa1982s52"))
        #expect(mixed.notes.contains { $0.hasPrefix("No offence is suggested against A (11): under 12.") })
    }

    @Test("Scotland: before 17 December 2021 the age was 8, so an 11-year-old's conduct then could be an offence")
    func scotlandBefore2021() {
        let earlier = assess(baseCase(.police, .scotland, on: "2021-06-01") { facts in
            facts.people[0].age = 11
            facts.people[1].age = 11
        })
        #expect(earlier.offences.map(\.id).contains("cgsa1982s52"))
        let seven = assess(baseCase(.police, .scotland, on: "2021-06-01") { facts in
            facts.people[0].age = 7
            facts.people[1].age = 7
        })
        #expect(seven.offences == [])
        #expect(seven.notes.contains { $0.contains("under 8") })
    }

    @Test("England keeps its offences for a child of 11: the rule is Scotland's")
    func englandUnder12Unchanged() {
        let english = assess(baseCase(.police, .england) { facts in
            facts.people[0].age = 11
            facts.people[1].age = 11
        })
        #expect(english.offences.map(\.id).contains("poca1978s1"))
    }
}


/// Issue 12, point 5: a new edition is a YAML file (and, when it replaces one, that one's end date). The library is
/// loaded from a folder holding the shipped files plus a revised Northern Ireland edition: no Swift changes.
@Suite("A new edition is a file")
struct NewEditionIsAFileTests {
    @Test("A revised edition added as a file is validated, its examples run, and cases from its date cite it")
    func newEditionFromAFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("safeguard-editions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try FileManager.default.contentsOfDirectory(atPath: GuidanceLibrary.bundledDirectory.path) where file.hasSuffix(".yaml") {
            try FileManager.default.copyItem(at: GuidanceLibrary.bundledDirectory.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        let old = folder.appendingPathComponent("de-circular-2017-04-education.yaml")
        let text = try String(contentsOf: old, encoding: .utf8)
        // The old edition ends the day before the new one starts: the only edit to an existing file.
        try text.replacingOccurrences(of: "appliesFrom: 2017-05-01\n", with: "appliesFrom: 2017-05-01\nappliesUntil: 2027-08-31\n")
            .write(to: old, atomically: true, encoding: .utf8)
        // The new edition: a copy with its own edition name and date (its examples carry no date, so they are
        // assessed in its time).
        let revised = text.replacingOccurrences(of: "edition: \"Circular 2017/04\"", with: "edition: \"Circular 2027/01\"")
            .replacingOccurrences(of: "appliesFrom: 2017-05-01\n", with: "appliesFrom: 2027-09-01\n")
        try revised.write(to: folder.appendingPathComponent("de-circular-2027-01-education.yaml"), atomically: true, encoding: .utf8)

        let library = try GuidanceLibrary.load(directory: folder)
        #expect(library.problems().map(\.description) == [])
        let new = try #require(library.packs.first { $0.edition == "Circular 2027/01" })
        #expect(!new.examples.isEmpty)
        for example in new.examples {
            #expect(library.failures(of: example, in: new, today: CalendarDate("2027-10-01")!) == [], "\(example.name)")
        }
        let facts = baseCase(.education, .northernIreland, on: "2027-10-01")
        #expect(library.assess(facts, today: testToday).guidance.first?.edition == "Circular 2027/01")
        #expect(library.assess(baseCase(.education, .northernIreland, on: "2026-10-01"), today: testToday).guidance.first?.edition == "Circular 2017/04")
        #expect(library.assess(baseCase(.education, .england, on: "2027-10-01"), today: testToday).guidance.first?.id == "nspcc-ukcis", "England is untouched")
    }
}

/// Welsh Government, Sharing nudes and semi-nudes, "What this advice covers": it does not cover exchanging sexual texts
/// that do not contain images. A review found a messages-only concern run through the image guidance with no word of it.
@Suite struct MessagesOnlyScopeTests {
    @Test("Wales: a case of messages alone says the advice does not cover it")
    func walesSaysMessagesAreOutOfScope() {
        let messages = assess(baseCase(.education, .wales) { $0.imagery[0].kind = .message })
        #expect(messages.notes.contains { $0.contains("does not cover exchanging sexual texts that do not contain images") })
        let image = assess(baseCase(.education, .wales))
        #expect(!image.notes.contains { $0.contains("sexual texts") }, "an image is covered")
        let england = assess(baseCase(.education, .england) { $0.imagery[0].kind = .message })
        #expect(!england.notes.contains { $0.contains("sexual texts") }, "the NSPCC's advice covers sexual messages")
    }
}
