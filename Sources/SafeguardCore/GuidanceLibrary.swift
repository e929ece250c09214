import Foundation
import Yams

/// Every guidance edition Safeguard knows, loaded from its bundled packs, and the way to assess a case by them.
///
/// ```swift
/// let library = GuidanceLibrary.bundled
/// let facts = try CaseFacts.decode(json: data)
/// let assessment = library.assess(facts, today: CalendarDate("2026-11-23")!)
/// ```
public struct GuidanceLibrary: Sendable {
    public let packs: [GuidancePack]
    public let law: LawPack
    /// Compiled case plans by shape; see ``PlanCache``.
    let plans: PlanCache

    /// The packs shipped with Safeguard. They are checked by the test suite, so failing to load them is a build fault.
    public static let bundled: GuidanceLibrary = {
        do { return try loadBundled() } catch { fatalError("The bundled guidance packs do not load: \(error)") }
    }()

    public init(packs: [GuidancePack], law: LawPack, cachingPlans: Bool = true) {
        self.packs = packs.sorted { ($0.setting.rawValue, $0.appliesFrom) < ($1.setting.rawValue, $1.appliesFrom) }
        self.law = law
        self.plans = PlanCache(enabled: cachingPlans)
    }

    /// The same packs without sharing compiled plans between cases: for measuring the cost of a case never seen.
    public func withoutPlanCache() -> GuidanceLibrary { GuidanceLibrary(packs: packs, law: law, cachingPlans: false) }

    /// The folder of bundled packs.
    public static var bundledDirectory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("guidance", isDirectory: true)
    }

    public static func loadBundled() throws -> GuidanceLibrary { try load(directory: bundledDirectory) }

    /// Loads every `*.yaml` in a folder: guidance packs, and exactly one law pack (`law.yaml`).
    public static func load(directory: URL) throws -> GuidanceLibrary {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        var packs: [GuidancePack] = []
        var law: LawPack?
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            do {
                if file.lastPathComponent == "law.yaml" {
                    law = try YAMLDecoder().decode(LawPack.self, from: text)
                } else {
                    packs.append(try YAMLDecoder().decode(GuidancePack.self, from: text))
                }
            } catch {
                throw PackError(path: file.lastPathComponent + ": " + PackError.from(error).path,
                                message: PackError.from(error).message)
            }
        }
        guard let law else { throw PackError(path: directory.path, message: "no law.yaml in the guidance folder") }
        return GuidanceLibrary(packs: packs, law: law)
    }

    /// Decodes one pack from YAML text, naming the location of the first structural problem.
    public static func decodePack(yaml: String) throws(PackError) -> GuidancePack {
        do { return try YAMLDecoder().decode(GuidancePack.self, from: yaml) } catch { throw PackError.from(error) }
    }

    /// Decodes one worked example, as a pack's `examples` holds them.
    public static func decodeExample(yaml: String) throws(PackError) -> PackExample {
        do { return try YAMLDecoder().decode(PackExample.self, from: yaml) } catch { throw PackError.from(error) }
    }

    public static func decodeLaw(yaml: String) throws(PackError) -> LawPack {
        do { return try YAMLDecoder().decode(LawPack.self, from: yaml) } catch { throw PackError.from(error) }
    }

    public static func decodeOverlay(yaml: String) throws(PackError) -> LocalOverlay {
        do { return try YAMLDecoder().decode(LocalOverlay.self, from: yaml) } catch { throw PackError.from(error) }
    }

    /// The edition in force for a setting in a nation on a date, and a note when it is not the nation's own.
    ///
    /// A nation's own edition in force comes first. Failing that, an edition that names itself as a fallback for
    /// the nation (`fallbackFor`), with a note saying so. Failing both, the nearest in time of those editions, with
    /// a note saying that no edition we hold was in force then.
    ///
    /// ```swift
    /// let (pack, note) = library.edition(for: .education, in: .wales, on: CalendarDate("2026-11-30")!)
    /// ```
    public func edition(for setting: Setting, in jurisdiction: Jurisdiction, on date: CalendarDate) -> (pack: GuidancePack, note: String?) {
        let own = packs.filter { $0.setting == setting && $0.jurisdictions.contains(jurisdiction) }
        if let pack = own.last(where: { $0.applies(on: date) }) { return (pack, nil) }
        let fallbacks = packs.filter { $0.setting == setting && $0.fallbackFor.contains(jurisdiction) }
        let what = "\(setting == .police ? "police" : "school") guidance"
        let nation = jurisdiction.displayName
        if let pack = fallbacks.last(where: { $0.applies(on: date) }) {
            let ownNote = own.isEmpty ? "Safeguard holds no \(what) of \(nation)'s own"
                : "None of the \(what) Safeguard holds for \(nation) was in force on \(Words.day(date))"
            return (pack, ownNote + "; this case is assessed under \(pack.title) (\(pack.edition)) from \(pack.publisher), "
                    + "which is written for \(Words.nations(pack.jurisdictions)). Check it against the guidance that applies in \(nation).")
        }
        let candidates = (own.isEmpty ? fallbacks : own).sorted { $0.appliesFrom < $1.appliesFrom }
        guard let earliest = candidates.first, let latest = candidates.last else {
            // Validation refuses a library with a nation and setting uncovered; this is only reached by a hand-made one.
            let any = packs.first { $0.setting == setting } ?? packs[0]
            return (any, "Safeguard holds no \(what) for \(nation); this case is assessed under \(any.title) (\(any.edition)).")
        }
        if date < earliest.appliesFrom {
            return (earliest, "No \(what) we hold for \(nation) was in force on \(Words.day(date)); "
                + "assessed under the earliest we hold, \(earliest.title) (\(earliest.edition)), in force from \(Words.day(earliest.appliesFrom)).")
        }
        return (latest, "No \(what) we hold for \(nation) covers \(Words.day(date)); assessed under \(latest.title) (\(latest.edition)).")
    }

    /// The edition for a case: its setting and nation, on its assessment date or `today`.
    public func edition(for facts: CaseFacts, today: CalendarDate) -> (pack: GuidancePack, note: String?) {
        edition(for: facts.setting, in: facts.jurisdiction, on: facts.assessedOn ?? today)
    }

    /// Who takes a child protection referral in a nation, in its own guidance's words: named by the nation's school
    /// edition (the one that speaks of referrals there), "children's social care" where it names none.
    ///
    /// ```swift
    /// library.socialCare(in: .northernIreland, on: today)   // "the Gateway Team of the local Health and Social Care Trust"
    /// ```
    public func socialCare(in jurisdiction: Jurisdiction, on date: CalendarDate) -> String {
        edition(for: .education, in: jurisdiction, on: date).pack.socialCare ?? GuidancePack.socialCareDefault
    }

    public func pack(id: String, edition: String? = nil) -> GuidancePack? {
        packs.last { $0.id == id && (edition == nil || $0.edition == edition) }
    }

    // MARK: Validation

    /// Every problem in the library's packs, each with its location; empty when all is well.
    public func problems() -> [PackError] {
        var problems: [PackError] = []
        for pack in packs { problems += pack.problems().map { PackError(path: "\(pack.id) \(pack.edition): \($0.path)", message: $0.message) } }
        problems += law.problems().map { PackError(path: "law: \($0.path)", message: $0.message) }
        // Pages link to a section by pack id and edition, so the pair must name one pack.
        var seenEditions = Set<String>()
        for pack in packs where !seenEditions.insert("\(pack.id) \(pack.edition)").inserted {
            problems.append(PackError(path: "\(pack.id) \(pack.edition)", message: "two packs have this id and edition; give each setting's pack its own id"))
        }
        for setting in Setting.allCases {
            if !packs.contains(where: { $0.setting == setting }) {
                problems.append(PackError(path: setting.rawValue, message: "no guidance edition for this setting"))
                continue
            }
            for jurisdiction in Jurisdiction.allCases {
                let editions = packs.filter { $0.setting == setting && $0.jurisdictions.contains(jurisdiction) }
                    .sorted { $0.appliesFrom < $1.appliesFrom }
                let where_ = "\(setting.rawValue) in \(jurisdiction.rawValue)"
                if editions.isEmpty && !packs.contains(where: { $0.setting == setting && $0.fallbackFor.contains(jurisdiction) }) {
                    problems.append(PackError(path: where_, message: "no edition governs it and none is named as its fallback (`fallbackFor`)"))
                }
                for (a, b) in zip(editions, editions.dropFirst()) {
                    guard let until = a.appliesUntil else {
                        problems.append(PackError(path: "\(b.id) \(b.edition).appliesFrom",
                                                  message: "for \(where_), \(a.id) \(a.edition) has no appliesUntil, so the two overlap; end it the day before \(b.appliesFrom)"))
                        continue
                    }
                    if until >= b.appliesFrom {
                        problems.append(PackError(path: "\(b.id) \(b.edition).appliesFrom",
                                                  message: "for \(where_), overlaps \(a.id) \(a.edition), which applies until \(until)"))
                    } else if until.nextDay < b.appliesFrom {
                        problems.append(PackError(path: "\(a.id) \(a.edition).appliesUntil",
                                                  message: "for \(where_), leaves a gap: \(a.id) \(a.edition) ends \(until) but \(b.id) \(b.edition) begins \(b.appliesFrom)"))
                    }
                }
            }
            // Two editions naming themselves fallback for one nation at once would make the choice arbitrary.
            for jurisdiction in Jurisdiction.allCases {
                let fallbacks = packs.filter { $0.setting == setting && $0.fallbackFor.contains(jurisdiction) }
                    .sorted { $0.appliesFrom < $1.appliesFrom }
                for (a, b) in zip(fallbacks, fallbacks.dropFirst()) where a.appliesUntil.map({ $0 >= b.appliesFrom }) ?? true {
                    problems.append(PackError(path: "\(b.id) \(b.edition).fallbackFor",
                                              message: "\(a.id) \(a.edition) is already the fallback for \(setting.rawValue) in \(jurisdiction.rawValue) on those dates"))
                }
            }
        }
        let offenceIDs = Set(law.jurisdictions.values.flatMap { $0.offences.map(\.id) })
        for pack in packs {
            for (i, example) in pack.examples.enumerated() {
                for (j, id) in (example.offences ?? []).enumerated() where !offenceIDs.contains(id) {
                    problems.append(PackError(path: "\(pack.id) \(pack.edition): examples[\(i)].offences[\(j)]",
                                              message: "\"\(id)\" is not an offence of the law pack"))
                }
            }
        }
        return problems
    }

    /// Problems with an overlay against the packs it applies to.
    public func problems(in overlay: LocalOverlay) -> [PackError] {
        var problems: [PackError] = []
        let knownPacks = Set(packs.map(\.id))
        for (i, id) in overlay.appliesTo.enumerated() where !knownPacks.contains(id) {
            problems.append(PackError(path: "appliesTo[\(i)]", message: "\"\(id)\" is not a guidance pack; known: \(knownPacks.sorted().joined(separator: ", "))"))
        }
        let ids = Set(packs.filter { overlay.applies(to: $0) }.flatMap { $0.recommendations.map(\.id) })
        for key in overlay.recommendationText.keys.sorted() where !ids.contains(key) {
            var message = "\"\(key)\" is not a recommendation of the packs this overlay applies to"
            if let near = nearest(to: key, in: Array(ids)) { message += " (did you mean \"\(near)\"?)" }
            problems.append(PackError(path: "recommendationText.\(key)", message: message))
        }
        for (key, text) in overlay.recommendationText where text.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append(PackError(path: "recommendationText.\(key)", message: "replacement wording is empty"))
        }
        for (i, contact) in overlay.contacts.enumerated() {
            if contact.phone == nil && contact.email == nil && contact.web == nil && contact.text == nil {
                problems.append(PackError(path: "contacts[\(i)]", message: "a contact needs a phone, email, web or text detail"))
            }
        }
        return problems
    }
}

extension GuidancePack {
    /// Every problem in this pack: citations that do not resolve, missing decisions or questions, bad values.
    public func problems() -> [PackError] {
        var problems: [PackError] = []
        func problem(_ path: String, _ message: String) { problems.append(PackError(path: path, message: message)) }
        let sectionIDs = Set(sections.map(\.id))
        var seenSections = Set<String>()
        for (i, section) in sections.enumerated() where !seenSections.insert(section.id).inserted {
            problem("sections[\(i)].id", "\"\(section.id)\" appears twice")
        }
        func checkCitations(_ citations: [String], at path: String, required: Bool = true) {
            if required && citations.isEmpty { problem(path, "needs at least one citation") }
            for (i, c) in citations.enumerated() where !sectionIDs.contains(c) {
                var message = "\"\(c)\" is not a section of this edition"
                if let near = nearest(to: c, in: Array(sectionIDs)) { message += " (did you mean \"\(near)\"?)" }
                problem("\(path)[\(i)]", message)
            }
        }
        if let until = appliesUntil, until < appliesFrom { problem("appliesUntil", "is before appliesFrom") }
        for name in recordNames.keys.sorted() {
            guard let kind = RecordKind(rawValue: name) else {
                problem("recordNames.\(name)", "is not a record kind (one of \(RecordKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            if !kind.settings.contains(setting) { problem("recordNames.\(name)", "is not a record of this edition's setting (\(setting.rawValue))") }
        }
        for name in decisionNames.keys.sorted() where DecisionKey(rawValue: name) == nil {
            problem("decisionNames.\(name)", "is not a decision (one of \(DecisionKey.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        // The one word a pack's text may leave to the nation is the social care service's name; any other braces
        // would reach a page as they are.
        for (path, text) in recommendations.enumerated().map({ ("recommendations[\($0)].text", $1.text) })
            + familySteps.enumerated().map({ ("familySteps[\($0)].text", $1.text) })
        where text.replacingOccurrences(of: Self.socialCarePlaceholder, with: "").contains(where: { $0 == "{" || $0 == "}" }) {
            problem(path, "only \(Self.socialCarePlaceholder) may stand in braces for a word the case's nation fills in")
        }
        for key in DecisionKey.allCases where decisions[key.rawValue] == nil {
            problem("decisions", "no rules for \(key.rawValue); every decision must be produced")
        }
        for (name, rules) in decisions.sorted(by: { $0.key < $1.key }) {
            let path = "decisions.\(name)"
            guard let key = DecisionKey(rawValue: name) else {
                problem(path, "not a decision of the contract; expected one of \(DecisionKey.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            checkCitations(rules.citations, at: "\(path).citations")
            if rules.rules.isEmpty { problem("\(path).rules", "needs at least one rule") }
            if let last = rules.rules.last, last.when != nil {
                problem("\(path).rules[\(rules.rules.count - 1)]", "the last rule must have no `when`, so that every case gets a value")
            }
            var seenValues: [String] = []
            for (i, rule) in rules.rules.enumerated() {
                if seenValues.last != rule.value && seenValues.contains(rule.value) {
                    problem("\(path).rules[\(i)].value", "\"\(rule.value)\" also comes from an earlier rule that is not next to this one; put rules with the same value together")
                }
                seenValues.append(rule.value)
                if !key.allowedValues.contains(rule.value) {
                    problem("\(path).rules[\(i)].value", "\"\(rule.value)\" is not allowed; expected one of \(key.allowedValues.joined(separator: ", "))")
                }
                if rule.value == key.undeterminedValue {
                    problem("\(path).rules[\(i)].value", "`undetermined` comes from unknown facts, never from a rule")
                }
                if let when = rule.when, !when.decisionKeys.isEmpty {
                    problem("\(path).rules[\(i)].when", "a decision's rules may read facts only, not other decisions")
                }
                checkCitations(rule.citations, at: "\(path).rules[\(i)].citations", required: false)
            }
        }
        var seenRecommendations = Set<String>()
        for (i, rule) in recommendations.enumerated() {
            let path = "recommendations[\(i)]"
            if rule.id.isEmpty { problem("\(path).id", "is empty") }
            if !seenRecommendations.insert(rule.id).inserted { problem("\(path).id", "\"\(rule.id)\" appears twice") }
            if rule.text.trimmingCharacters(in: .whitespaces).isEmpty { problem("\(path).text", "is empty") }
            checkCitations(rule.citations, at: "\(path).citations")
        }
        for key in FactLocation.allQuestionKeys where questions[key] == nil {
            problem("questions", "no question for \(key)")
        }
        for (key, question) in questions.sorted(by: { $0.key < $1.key }) where !question.trimmingCharacters(in: .whitespaces).hasSuffix("?") {
            problem("questions.\(key)", "a question ends with a question mark; put any explanation before it")
        }
        for key in questions.keys.sorted() where !FactLocation.allQuestionKeys.contains(key) {
            problem("questions.\(key)", "not a fact; expected one of \(FactLocation.allQuestionKeys.joined(separator: ", "))")
        }
        for (i, resource) in resources.enumerated() {
            checkCitations(resource.citations, at: "resources[\(i)].citations", required: resource.source == nil)
        }
        if jurisdictions.isEmpty { problem("jurisdictions", "name at least one nation whose cases this edition governs") }
        if let url, !url.hasPrefix("https://") || url.contains(" ") { problem("url", "give the published document's https:// address") }
        for (i, j) in fallbackFor.enumerated() where jurisdictions.contains(j) {
            problem("fallbackFor[\(i)]", "\(j.rawValue) is governed by this edition already")
        }
        if leadRole != nil && setting != .education { problem("leadRole", "only an education edition names the school's lead") }
        for (name, section) in recordRules.sorted(by: { $0.key < $1.key }) {
            if RecordRule(rawValue: name) == nil {
                var message = "not a rule for recording the response"
                if let near = nearest(to: name, in: RecordRule.allCases.map(\.rawValue)) { message += " (did you mean \"\(near)\"?)" }
                problem("recordRules.\(name)", message + "; expected one of \(RecordRule.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            checkCitations([section], at: "recordRules.\(name)")
        }
        let recommendationIDs = Set(recommendations.map(\.id))
        for (i, example) in examples.enumerated() {
            let path = "examples[\(i)]"
            if example.facts.setting != setting {
                problem("\(path).facts.setting", "is \(example.facts.setting.rawValue); this edition is for \(setting.rawValue)")
            }
            if !jurisdictions.contains(example.facts.jurisdiction) && !fallbackFor.contains(example.facts.jurisdiction) {
                problem("\(path).facts.jurisdiction", "\(example.facts.jurisdiction.rawValue) is not a nation this edition governs or stands in for")
            }
            for (name, value) in example.expect.sorted(by: { $0.key < $1.key }) {
                guard let key = DecisionKey(rawValue: name) else {
                    problem("\(path).expect.\(name)", "not a decision; expected one of \(DecisionKey.allCases.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                if !key.allowedValues.contains(value) && value != key.undeterminedValue {
                    problem("\(path).expect.\(name)", "\"\(value)\" is not a value of \(name); expected one of \(key.allowedValues.joined(separator: ", "))")
                }
            }
            for (list, ids) in [("recommendationsPresent", example.recommendationsPresent), ("recommendationsAbsent", example.recommendationsAbsent)] {
                for (j, id) in ids.enumerated() where !recommendationIDs.contains(id) {
                    var message = "\"\(id)\" is not a recommendation of this edition"
                    if let near = nearest(to: id, in: Array(recommendationIDs)) { message += " (did you mean \"\(near)\"?)" }
                    problem("\(path).\(list)[\(j)]", message)
                }
            }
        }
        return problems
    }
}

extension LawPack {
    public func problems() -> [PackError] {
        var problems: [PackError] = []
        let sectionIDs = Set(sections.map(\.id))
        for j in Jurisdiction.allCases where jurisdictions[j.rawValue] == nil {
            problems.append(PackError(path: "jurisdictions", message: "nothing for \(j.rawValue)"))
        }
        for (name, law) in jurisdictions.sorted(by: { $0.key < $1.key }) {
            if Jurisdiction(rawValue: name) == nil {
                problems.append(PackError(path: "jurisdictions.\(name)", message: "not a jurisdiction"))
            }
            var all = law.citations.enumerated().map { ("jurisdictions.\(name).citations[\($0)]", $1) }
            for (i, offence) in law.offences.enumerated() {
                if offence.citations.isEmpty {
                    problems.append(PackError(path: "jurisdictions.\(name).offences[\(i)].citations", message: "needs at least one citation"))
                }
                all += offence.citations.enumerated().map { ("jurisdictions.\(name).offences[\(i)].citations[\($0)]", $1) }
                if let from = offence.inForceFrom, let until = offence.inForceUntil, from > until {
                    problems.append(PackError(path: "jurisdictions.\(name).offences[\(i)].inForceFrom", message: "is after inForceUntil"))
                }
            }
            var outcomeIDs = Set<String>()
            for (i, outcome) in law.outcomes.enumerated() {
                let path = "jurisdictions.\(name).outcomes[\(i)]"
                if !outcomeIDs.insert(outcome.id).inserted { problems.append(PackError(path: "\(path).id", message: "\"\(outcome.id)\" appears twice")) }
                if let min = outcome.minimumAge, let max = outcome.maximumAge, min > max {
                    problems.append(PackError(path: "\(path).minimumAge", message: "is above maximumAge"))
                }
                if outcome.source.trimmingCharacters(in: .whitespaces).isEmpty {
                    problems.append(PackError(path: "\(path).source", message: "say where the outcome comes from"))
                }
                // The form shows the ages from minimumAge and maximumAge ("For 16 and 17 year-olds."): a note that
                // opens with them again reads twice.
                if let ages = outcome.ages, outcome.note.lowercased().hasPrefix(ages.lowercased()) {
                    problems.append(PackError(path: "\(path).note", message: "repeats the ages (\(ages)) the form already shows; start with what else is true"))
                }
            }
            if law.outcome21Available && !law.outcomes.isEmpty {
                problems.append(PackError(path: "jurisdictions.\(name).outcomes", message: "the Home Office outcome codes apply where Outcome 21 does; list national outcomes only for the other nations"))
            }
            for (path, c) in all where !sectionIDs.contains(c) {
                problems.append(PackError(path: path, message: "\"\(c)\" is not a section of \(title)"))
            }
        }
        return problems
    }
}

extension GuidanceLibrary {
    /// What an edition's worked example gets wrong, each in a sentence; empty when the example holds.
    ///
    /// The example is assessed under `pack` itself. Without an `assessedOn` it is assessed on the edition's last day,
    /// or, for an edition still in force, on `today` (never before the edition's first day).
    ///
    /// ```swift
    /// for example in pack.examples { XCTAssertEqual(library.failures(of: example, in: pack, today: today), []) }
    /// ```
    public func failures(of example: PackExample, in pack: GuidancePack, today: CalendarDate) -> [String] {
        let date = example.facts.assessedOn ?? pack.appliesUntil ?? max(pack.appliesFrom, today)
        // A pack being checked may not be one of ours, so it must not share compiled plans with those that are.
        let assessment = withoutPlanCache().assess(example.facts, under: pack, on: date)
        var failures: [String] = []
        for (name, expected) in example.expect.sorted(by: { $0.key < $1.key }) {
            let actual = DecisionKey(rawValue: name).map { assessment.decisions.value(of: $0) } ?? "not a decision"
            if actual != expected { failures.append("\(name) is \(actual), expected \(expected)") }
        }
        let given = Set(assessment.recommendations.map(\.id))
        for id in example.recommendationsPresent where !given.contains(id) {
            failures.append("recommendation \(id) is missing")
        }
        for id in example.recommendationsAbsent where given.contains(id) {
            failures.append("recommendation \(id) is given, expected it absent")
        }
        if let expected = example.offences {
            let actual = assessment.offences.map(\.id)
            if Set(actual) != Set(expected) {
                failures.append("offences are [\(actual.joined(separator: ", "))], expected [\(expected.joined(separator: ", "))]")
            }
        }
        for words in example.notesContain where !assessment.notes.contains(where: { $0.contains(words) }) {
            failures.append("no note says \"\(words)\"")
        }
        return failures
    }
}
