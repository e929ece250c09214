import Foundation

extension Assessment {
    /// The assessment as plain text for a person: decisions first, then what to find out, then what to do, all in
    /// words (the edition's `questions` word the facts a reason rests on). Each recommendation keeps its id in
    /// brackets, the name `safeguard guidance show` lists its rule under.
    ///
    /// ```swift
    /// print(assessment.plainText(questions: pack.questions))
    /// ```
    public func plainText(questions: [String: String] = [:]) -> String {
        var out = ""
        let editions = guidance.map { "\($0.title) (\($0.publisher), \($0.edition))" }.joined(separator: "; ")
        out += "Assessed on \(Words.day(assessedOn)) under: \(editions)\n"
        for note in notes { out += "Note: \(note)\n" }
        out += "\nDECISIONS\n"
        func label(_ decision: String) -> String { DecisionKey(rawValue: decision)?.label ?? Words.of(decision) }
        func value(_ decision: String, _ value: String) -> String { DecisionKey(rawValue: decision)?.words(for: value) ?? Words.of(value) }
        let width = decisionReasons.map { label($0.decision).count }.max() ?? 0
        for reason in decisionReasons {
            let name = label(reason.decision)
            let pad = String(repeating: " ", count: width - name.count)
            let cites = Citation.inWords(reason.citations.map(\.section))
            out += "  \(name)\(pad)  \(value(reason.decision, reason.value))" + (cites.isEmpty ? "" : "  (\(cites))") + "\n"
            if reason.decision == DecisionKey.involveParents.rawValue, decisions.involveParentsOf.count > 1 {
                let each = decisions.involveParentsOf.sorted { $0.key < $1.key }.map { "\($0.key): \(value(reason.decision, $0.value.rawValue))" }
                out += "  \(String(repeating: " ", count: width))  for each child: \(each.joined(separator: "; "))\n"
            }
        }
        if decisions.emergency { out += "\n!! EMERGENCY: someone is in immediate danger. Act now.\n" }
        out += "\nOPEN QUESTIONS (answer these next)\n"
        if openQuestions.isEmpty { out += "  None: every decision is settled by the facts known.\n" }
        for q in openQuestions {
            out += "  - \(q.question)  (it would settle: \(Words.join(q.affects.map(label))); in the facts: \(q.fact))\n"
        }
        out += "\nRECOMMENDATIONS\n"
        for severity in Severity.allCases {
            let items = recommendations.filter { $0.severity == severity }
            guard !items.isEmpty else { continue }
            out += "  \(severity.rawValue.uppercased())\n"
            for r in items {
                out += "  - \(r.text)" + (r.people.isEmpty ? "" : " (for \(r.people.joined(separator: ", ")))") + "\n"
                let main = guidance.first?.title
                let cites = r.citations.map { $0.document == main ? Citation.label($0.section) : "\($0.document), \(Citation.label($0.section))" }
                out += "      \(cites.joined(separator: "; "))  [\(r.id)]\n"
                if !r.because.isEmpty { out += "      why: \(r.because.map { Words.because($0, questions: questions) }.joined(separator: "; "))\n" }
            }
        }
        if !offences.isEmpty {
            out += "\nOFFENCES THAT MAY APPLY (as the guidance lists the law)\n"
            for o in offences {
                let classification = o.homeOfficeClassification.map { " (Home Office classification \($0))" } ?? ""
                out += "  - \(o.legislation)\(classification): \(o.description)\n"
            }
        }
        if !resources.isEmpty {
            out += "\nHELP AND SUPPORT\n"
            for r in resources {
                let details = [r.phone.map { "tel \($0)" }, r.text.map { "text \($0)" }, r.email, r.web].compactMap { $0 }
                out += "  - \(r.name) (\(r.forWhom)): \(details.joined(separator: ", "))\n"
            }
        }
        return out
    }
}

extension GuidancePack {
    /// Every rule of the edition with its citation, for a policy lead reviewing the encoding against the document.
    public func plainText() -> String {
        var out = "\(title)\n\(publisher). \(published).\nEdition \(edition), \(setting.rawValue), applies "
        out += "from \(Words.day(appliesFrom))" + (appliesUntil.map { " until \(Words.day($0))" } ?? " (current)") + ".\n"
        if let dateNote { out += "Dates: \(dateNote)\n" }
        out += "\n\(summary)\n"
        if !positions.isEmpty {
            out += "\nPOSITIONS OF THIS EDITION\n"
            for (k, v) in positions.sorted(by: { $0.key < $1.key }) { out += "  \(k): \(v)\n" }
        }
        let byID = Dictionary(sections.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func cited(_ ids: [String]) -> String { ids.joined(separator: ", ") }
        out += "\nDECISIONS (first rule that holds gives the value; an unknown fact makes it undetermined)\n"
        for key in DecisionKey.allCases {
            guard let rules = decisions[key.rawValue] else { continue }
            out += "  \(key.rawValue)  [\(cited(rules.citations))]\n"
            for rule in rules.rules {
                let condition = rule.when.map { "when \($0.description)" } ?? "otherwise"
                let extra = rule.citations.isEmpty ? "" : "  [\(cited(rule.citations))]"
                out += "    \(rule.value)  \(condition)\(extra)\n"
            }
        }
        out += "\nRECOMMENDATIONS\n"
        for rule in recommendations {
            out += "  \(rule.id) (\(rule.severity.rawValue)) when \(rule.when.description)  [\(cited(rule.citations))]\n"
            out += "    \(rule.text)\n"
        }
        out += "\nSECTIONS CITED\n"
        for section in sections {
            let users = recommendations.filter { $0.citations.contains(section.id) }.map(\.id)
                + decisions.filter { $0.value.citations.contains(section.id) || $0.value.rules.contains { $0.citations.contains(section.id) } }.map(\.key).sorted()
            out += "  \(section.id) (\(section.heading)): \(section.summary)\n"
            out += "    rules: \(users.isEmpty ? "none" : users.joined(separator: ", "))\n"
            _ = byID
        }
        return out
    }
}
