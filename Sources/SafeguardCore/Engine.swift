/// Assesses one case against one guidance edition: decisions, recommendations, open questions and reasons.
///
/// Decisions are exact over the unknown facts: a decision is settled only when every way the unknowns could
/// turn out gives the same value, and `undetermined` only when two ways give different values. Kleene's logic
/// is exact for conditions in which each fact leans one way; a person's age leans both ways (an adult makes a
/// case aggravated, a child's welfare facts make a referral needed), so where Kleene leaves a condition unknown
/// the engine also tries each unknown age at the thresholds the condition uses.
struct Engine {
    let pack: GuidancePack
    let law: JurisdictionLaw?
    let facts: CaseFacts
    private(set) var compiler: NamedFactCompiler
    /// Per decision, its rules with adjacent same-valued rules joined: "required if A; required if B" is one
    /// condition "A or B", so an unknown A cannot hide a true B.
    private(set) var decisionGroups: [[RuleGroup]] = []
    private var numberVarsCache: [Int: [(FactVariable, [Int])]] = [:]
    /// The facts behind each decision, once worked out, so that a recommendation that follows from a decision can
    /// name the facts rather than only the decision.
    var decisionFacts: [[String]] = Array(repeating: [], count: DecisionKey.allCases.count)

    init(pack: GuidancePack, law: JurisdictionLaw?, facts: CaseFacts) {
        self.pack = pack
        self.law = law
        self.facts = facts
        self.compiler = NamedFactCompiler(facts: facts, outcome21InJurisdiction: law?.outcome21Available ?? false)
        for key in DecisionKey.allCases {
            var groups: [RuleGroup] = []
            for (i, rule) in (pack.decisions[key.rawValue]?.rules ?? []).enumerated() {
                let node = rule.when.map { compile($0) } ?? FormulaGraph.trueNode
                if let last = groups.last, last.value == rule.value {
                    groups[groups.count - 1].rules.append(i)
                    groups[groups.count - 1].node = compiler.graph.any([last.node, node])
                } else {
                    groups.append(RuleGroup(value: rule.value, node: node, rules: [i]))
                }
            }
            decisionGroups.append(groups)
        }
    }

    struct RuleGroup {
        var value: String
        var node: Int
        var rules: [Int]
    }

    private var evaluator: FormulaEvaluator {
        FormulaEvaluator(graph: compiler.graph, facts: facts, space: compiler.space)
    }

    /// Compiles a condition that reads facts only.
    mutating func compile(_ condition: Condition) -> Int {
        switch condition {
        case .always: return FormulaGraph.trueNode
        case .fact(let f): return compiler.node(f)
        case .any(let items):
            let nodes = items.map { compile($0) }
            return compiler.graph.any(nodes)
        case .all(let items):
            let nodes = items.map { compile($0) }
            return compiler.graph.all(nodes)
        case .not(let inner):
            let node = compile(inner)
            return compiler.graph.not(node)
        case .decision:
            // Decisions are read by `holds`, never compiled; validation keeps them out of decision rules.
            return FormulaGraph.falseNode
        }
    }

    // MARK: Exact evaluation

    private mutating func numberVariables(of node: Int) -> [(FactVariable, [Int])] {
        if let cached = numberVarsCache[node] { return cached }
        let result = compiler.graph.numberThresholds(of: node)
            .map { ($0.key, Engine.representatives(of: $0.value)) }
            .sorted { $0.0.index < $1.0.index }
        numberVarsCache[node] = result
        return result
    }

    /// One value from each interval the thresholds cut the whole numbers into.
    static func representatives(of thresholds: Set<Int>) -> [Int] {
        let sorted = thresholds.sorted()
        guard let first = sorted.first else { return [] }
        return [max(0, first - 1)] + sorted
    }

    mutating func exact(_ node: Int, _ overrides: Overrides) -> Tri {
        let eval = evaluator
        let kleene = eval.evaluate(node, overrides)
        if kleene != .unknown { return kleene }
        for (variable, representatives) in numberVariables(of: node) {
            guard eval.value(variable, overrides).isUnknown else { continue }
            var agreed: Tri?
            for age in representatives {
                let value = eval.evaluate(node, overrides.with(variable, .number(age)))
                if value == .unknown || (agreed != nil && agreed != value) { agreed = .unknown; break }
                agreed = value
            }
            if let agreed, agreed != .unknown { return agreed }
        }
        return .unknown
    }

    /// The value of a decision, and the index of the rule group that gave it (nil when undetermined).
    mutating func decide(_ key: DecisionKey, _ overrides: Overrides = .none) -> (value: String, rule: Int?) {
        for (i, group) in decisionGroups[key.index].enumerated() {
            switch exact(group.node, overrides) {
            case .true: return (group.value, i)
            case .false: continue
            case .unknown:
                // A flag (emergency) is raised only on what is known.
                if let undetermined = key.undeterminedValue { return (undetermined, nil) }
                continue
            }
        }
        return (key.undeterminedValue ?? "false", nil)
    }

    // MARK: Conditions with decisions

    mutating func holds(_ condition: Condition, decisions: [String]) -> Tri {
        switch condition {
        case .always: return .true
        case .decision(let key, let values): return Tri(values.contains(decisions[key.index]))
        case .any(let items): return items.anyTri { holds($0, decisions: decisions) }
        case .all(let items): return items.allTri { holds($0, decisions: decisions) }
        case .not(let inner): return !holds(inner, decisions: decisions)
        case .fact: return exact(compile(condition), .none)
        }
    }

    /// The facts that make a condition hold (or fail, for a `not`).
    mutating func because(_ condition: Condition, decisions: [String], into reasons: inout [String]) {
        switch condition {
        case .always:
            let text = "setting = \(facts.setting.rawValue)"
            if !reasons.contains(text) { reasons.append(text) }
        case .decision(let key, _):
            let text = "\(key.rawValue) = \(decisions[key.index])"
            if !reasons.contains(text) { reasons.append(text) }
            for fact in decisionFacts[key.index] where !reasons.contains(fact) { reasons.append(fact) }
        case .fact:
            evaluator.explain(compile(condition), into: &reasons)
        case .not(let inner):
            because(inner, decisions: decisions, into: &reasons)
        case .any(let items):
            let target = holds(condition, decisions: decisions)
            for item in items where holds(item, decisions: decisions) == target {
                because(item, decisions: decisions, into: &reasons)
            }
        case .all(let items):
            let target = holds(condition, decisions: decisions)
            for item in items where holds(item, decisions: decisions) == target || target == .true {
                because(item, decisions: decisions, into: &reasons)
            }
        }
    }

    // MARK: Open questions

    /// Unknown facts whose answer changes a decision, each with the decisions it changes.
    mutating func openQuestions(decisions: [String]) -> [(FactVariable, [DecisionKey])] {
        // A settled decision stays settled whatever an unknown turns out to be, so only the undetermined ones,
        // and the emergency flag (raised on what is known), can change.
        let watched = DecisionKey.allCases.filter { $0 == .emergency || decisions[$0.index] == "undetermined" }
        var candidates = Set<FactVariable>()
        var thresholds: [FactVariable: Set<Int>] = [:]
        let eval = evaluator
        for key in watched {
            for node in decisionGroups[key.index].map(\.node) {
                for v in compiler.graph.variables(of: node) where eval.value(v, .none).isUnknown { candidates.insert(v) }
                for (v, t) in compiler.graph.numberThresholds(of: node) { thresholds[v, default: []].formUnion(t) }
            }
        }
        var result: [(FactVariable, [DecisionKey])] = []
        for variable in candidates.sorted(by: { $0.index < $1.index }) {
            let completions: [FactValue]
            if let t = thresholds[variable] {
                completions = Engine.representatives(of: t).map { .number($0) }
            } else {
                completions = [.bool(.true), .bool(.false)]
            }
            var affects: [DecisionKey] = []
            for key in watched {
                let first = decide(key, Overrides.none.with(variable, completions[0])).value
                for completion in completions.dropFirst()
                where decide(key, Overrides.none.with(variable, completion)).value != first {
                    affects.append(key)
                    break
                }
            }
            if !affects.isEmpty { result.append((variable, affects)) }
        }
        return result
    }
}

extension GuidanceLibrary {
    /// Assesses a case by the edition in force on its `assessedOn` date (or `today`), with an optional local overlay.
    public func assess(_ facts: CaseFacts, today: CalendarDate, overlay: LocalOverlay? = nil) -> Assessment {
        let date = facts.assessedOn ?? today
        let (pack, note) = edition(for: facts.setting, on: date)
        let jurisdictionLaw = law.law(for: facts.jurisdiction)
        var engine = Engine(pack: pack, law: jurisdictionLaw, facts: facts)
        func cite(_ sections: [String]) -> [Citation] { sections.map { Citation(document: pack.title, section: $0) } }
        func citeLaw(_ sections: [String]) -> [Citation] { sections.map { Citation(document: law.title, section: $0) } }

        // Decisions.
        var values: [String] = []
        var firedRules: [Int?] = []
        for key in DecisionKey.allCases {
            let (value, rule) = engine.decide(key)
            values.append(value)
            firedRules.append(rule)
        }

        // Open questions.
        let openQuestions = engine.openQuestions(decisions: values).map { variable, affects -> OpenQuestion in
            let location = engine.compiler.space.location(variable)
            var question = pack.questions[location.questionKey] ?? "What is \(facts.path(of: location))?"
            if let subject = facts.subject(of: location) { question = question.replacingOccurrences(of: "{ref}", with: subject) }
            return OpenQuestion(fact: facts.path(of: location), question: question, affects: affects.map(\.rawValue))
        }

        // Why each decision is what it is.
        var reasons: [DecisionReason] = []
        for key in DecisionKey.allCases {
            let rules = pack.decisions[key.rawValue]?.rules ?? []
            let groups = engine.decisionGroups[key.index]
            var because: [String] = []
            var citations = pack.decisions[key.rawValue]?.citations ?? []
            if let fired = firedRules[key.index] {
                // The earlier groups that did not hold, then the members of the group that did.
                for earlier in groups[..<fired] {
                    for r in earlier.rules { if let when = rules[r].when { engine.because(when, decisions: values, into: &because) } }
                }
                for r in groups[fired].rules {
                    guard let when = rules[r].when else { citations += rules[r].citations; continue }
                    if engine.holds(when, decisions: values) == .true || groups[fired].rules.count == 1 {
                        citations += rules[r].citations
                        engine.because(when, decisions: values, into: &because)
                    }
                }
            } else if let open = groups.first(where: { engine.exact($0.node, .none) == .unknown }) {
                for r in open.rules {
                    if let when = rules[r].when, engine.holds(when, decisions: values) == .unknown {
                        engine.because(when, decisions: values, into: &because)
                    }
                }
            }
            if because.isEmpty { because = ["setting = \(facts.setting.rawValue)", "jurisdiction = \(facts.jurisdiction.rawValue)"] }
            var unique: [String] = []
            for c in citations where !unique.contains(c) { unique.append(c) }
            reasons.append(DecisionReason(decision: key.rawValue, value: values[key.index], citations: cite(unique),
                                          because: because))
        }

        for reason in reasons { engine.decisionFacts[DecisionKey(rawValue: reason.decision)!.index] = reason.because }

        // Recommendations.
        let overlayApplies = overlay.map { $0.applies(to: pack) } ?? false
        var recommendations: [Recommendation] = []
        for rule in pack.recommendations where engine.holds(rule.when, decisions: values) == .true {
            var because: [String] = []
            engine.because(rule.when, decisions: values, into: &because)
            let text = overlayApplies ? overlay?.recommendationText[rule.id] ?? rule.text : rule.text
            recommendations.append(Recommendation(id: rule.id, severity: rule.severity, text: text,
                                                  citations: cite(rule.citations), because: because))
        }

        // Offences that may apply.
        var offences: [Offence] = []
        for rule in jurisdictionLaw?.offences ?? [] where engine.holds(rule.when, decisions: values) == .true {
            var because: [String] = []
            engine.because(rule.when, decisions: values, into: &because)
            offences.append(Offence(id: rule.id, legislation: rule.legislation, description: rule.description,
                                    citations: citeLaw(rule.citations), because: because))
        }

        // Resources for the family, then the organisation's own.
        var resources = pack.resources.map { entry in
            Resource(id: entry.id, name: entry.name, forWhom: entry.forWhom, description: entry.description,
                     phone: entry.phone, email: entry.email, web: entry.web, text: entry.text,
                     source: entry.source ?? (entry.citations.isEmpty ? pack.title : "\(pack.title), \(entry.citations.joined(separator: ", "))"))
        }
        if let overlay, overlayApplies {
            resources += overlay.contacts.map { entry in
                Resource(id: entry.id, name: entry.name, forWhom: entry.forWhom, description: entry.description,
                         phone: entry.phone, email: entry.email, web: entry.web, text: entry.text,
                         source: "local overlay: \(overlay.organisation)")
            }
        }

        let decisions = Decisions(
            route: RouteDecision(rawValue: values[DecisionKey.route.index]) ?? .undetermined,
            childProtectionReferral: ReferralDecision(rawValue: values[DecisionKey.childProtectionReferral.index]) ?? .undetermined,
            emergency: values[DecisionKey.emergency.index] == "true",
            outcome21: Outcome21Decision(rawValue: values[DecisionKey.outcome21.index]) ?? .undetermined,
            deviceSeizure: DeviceSeizureDecision(rawValue: values[DecisionKey.deviceSeizure.index]) ?? .undetermined,
            visuallyRecordedInterview: RecommendedDecision(rawValue: values[DecisionKey.visuallyRecordedInterview.index]) ?? .undetermined,
            caidReferral: RequiredDecision(rawValue: values[DecisionKey.caidReferral.index]) ?? .undetermined,
            policeReferral: RequiredDecision(rawValue: values[DecisionKey.policeReferral.index]) ?? .undetermined,
            ceopReport: RecommendedDecision(rawValue: values[DecisionKey.ceopReport.index]) ?? .undetermined,
            involveParents: ParentsDecision(rawValue: values[DecisionKey.involveParents.index]) ?? .undetermined)

        var guidance = [pack.reference]
        if jurisdictionLaw != nil { guidance.append(law.reference) }
        return Assessment(guidance: guidance, decisions: decisions, recommendations: recommendations,
                          openQuestions: openQuestions, assessedOn: date, decisionReasons: reasons,
                          offences: offences, resources: resources, notes: note.map { [$0] } ?? [])
    }
}
