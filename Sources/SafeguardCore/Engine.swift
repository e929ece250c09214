import Foundation

/// Assesses one case against one guidance edition: decisions, recommendations, open questions and reasons.
///
/// Decisions are exact over the unknown facts: a decision is settled only when every way the unknowns could
/// turn out gives the same value, and `undetermined` only when two ways give different values. Kleene's logic
/// is exact for conditions in which each fact leans one way; a person's age leans both ways (an adult makes a
/// case aggravated, a child's welfare facts make a referral needed), so where Kleene leaves a condition unknown
/// the engine also tries each unknown age at the thresholds the condition uses.
struct Engine {
    let pack: GuidancePack
    let facts: CaseFacts
    let plan: CasePlan
    let evaluator: FormulaEvaluator
    var space: VariableSpace { plan.space }
    /// Per decision, its rules with adjacent same-valued rules joined: "required if A; required if B" is one
    /// condition "A or B", so an unknown A cannot hide a true B.
    var decisionGroups: [[RuleGroup]] { plan.decisionGroups }
    /// Whether any number fact (an age, a count) is unknown; if none is, Kleene's answer is already exact.
    let anyNumberUnknown: Bool
    /// The number facts (ages) each node reads, with representatives to try; filled when first needed.
    private var numberVarsCache: [[(FactVariable, [Int])]?]
    /// The facts behind each decision (reason ids), so that a recommendation that follows from a decision can name
    /// the facts rather than only the decision.
    var decisionFacts: [[Int]] = Array(repeating: [], count: DecisionKey.allCases.count)
    /// For each undetermined decision, the values it could still take (`possibleValues`); nil when settled. Set once
    /// the decisions are made; `holds` reads it.
    var possible: [[String]?] = Array(repeating: nil, count: DecisionKey.allCases.count)

    struct RuleGroup: Sendable {
        var value: String
        /// The group's condition: any of its members.
        var node: Int
        /// The pack's rule indices, and each rule's own condition (nil for a rule without `when`), so a reason can
        /// name only the members that hold, with their own paragraphs.
        var rules: [Int]
        var members: [Int?]
    }

    /// A condition with its fact parts compiled to formula nodes; decisions stay symbolic.
    indirect enum CompiledCondition: Sendable {
        case always
        case node(Int)
        case decision(DecisionKey, [String])
        case any([CompiledCondition])
        case all([CompiledCondition])
        case not(CompiledCondition)
    }

    /// Everything compiled for a case that depends on its shape (who is involved, the kinds of imagery and who
    /// it depicts, which lists are empty), not on its answers: cases of one shape share a plan.
    struct CasePlan: Sendable {
        let graph: FormulaGraph
        let space: VariableSpace
        let decisionGroups: [[RuleGroup]]
        /// Per decision, per rule group, the node "this group is the one that fires" (every earlier group fails and
        /// this one holds), and last the node "none fires": what `possibleValues` asks of each value exactly.
        let firingNodes: [[Int]]
        let recommendationConditions: [CompiledCondition]
        let offenceConditions: [CompiledCondition]
        let familyStepConditions: [CompiledCondition]
        /// Per decision, every variable its rules read, with the thresholds each number variable is compared to:
        /// the facts that could be open questions for it.
        let decisionVariables: [[(FactVariable, [Int])]]

        init(pack: GuidancePack, law: JurisdictionLaw?, facts: CaseFacts) {
            var compiler = NamedFactCompiler(facts: facts, outcome21InJurisdiction: law?.outcome21Available ?? false)
            var groupsByKey: [[RuleGroup]] = []
            for key in DecisionKey.allCases {
                var groups: [RuleGroup] = []
                for (i, rule) in (pack.decisionList[key.index]?.rules ?? []).enumerated() {
                    let member = rule.when.map { Engine.compile($0, &compiler) }
                    let node = member ?? FormulaGraph.trueNode
                    if let last = groups.last, last.value == rule.value {
                        groups[groups.count - 1].rules.append(i)
                        groups[groups.count - 1].members.append(member)
                        groups[groups.count - 1].node = compiler.graph.any([last.node, node])
                    } else {
                        groups.append(RuleGroup(value: rule.value, node: node, rules: [i], members: [member]))
                    }
                }
                groupsByKey.append(groups)
            }
            decisionGroups = groupsByKey
            firingNodes = groupsByKey.map { groups in
                var nodes: [Int] = []
                var earlier: [Int] = []
                for group in groups {
                    nodes.append(earlier.isEmpty ? group.node
                                 : compiler.graph.all([compiler.graph.not(compiler.graph.any(earlier)), group.node]))
                    earlier.append(group.node)
                }
                nodes.append(earlier.isEmpty ? FormulaGraph.trueNode : compiler.graph.not(compiler.graph.any(earlier)))
                return nodes
            }
            recommendationConditions = pack.recommendations.map { Engine.compileCondition($0.when, &compiler) }
            offenceConditions = (law?.offences ?? []).map { Engine.compileCondition($0.when, &compiler) }
            familyStepConditions = pack.familySteps.map { Engine.compileCondition($0.when, &compiler) }
            space = compiler.space
            compiler.graph.finish()
            graph = compiler.graph
            decisionVariables = compiler.graph.variableLists(groupsByKey.map { $0.map(\.node) })
        }

        /// What a plan depends on, as numbers: the edition, the setting, the jurisdiction and its law, and the
        /// case's structure. Anything the compiler reads from the facts other than their tri-state answers and
        /// numbers must be here, or two cases would share a plan they should not.
        static func shape(packIndex: Int, outcome21: Bool, facts: CaseFacts) -> [Int] {
            // The jurisdiction picks the law's offence list, so it is part of the shape as well as Outcome 21.
            var key: [Int] = [packIndex, outcome21 ? 1 : 0, facts.setting == .police ? 0 : 1,
                              Jurisdiction.allCases.firstIndex(of: facts.jurisdiction)!, facts.people.count]
            key.reserveCapacity(8 + facts.people.count + facts.imagery.count * 5 + facts.devices.count)
            for p in facts.people { key.append((p.isInvolved ? 1 : 0) | (p.roles.contains(.possessor) ? 2 : 0)) }
            key.append(facts.imagery.count)
            for i in facts.imagery {
                key.append(ImageryKind.allCases.firstIndex(of: i.kind)! | (i.platforms.isEmpty ? 0 : 8))
                key.append(i.depicts.count)
                for ref in i.depicts { key.append(facts.people.firstIndex { $0.ref == ref } ?? -1) }
            }
            key.append(facts.devices.count)
            for d in facts.devices { key.append(d.containsImageryOf.isEmpty ? 0 : 1) }
            return key
        }
    }

    init(pack: GuidancePack, law: JurisdictionLaw?, facts: CaseFacts) {
        self.init(pack: pack, plan: CasePlan(pack: pack, law: law, facts: facts), facts: facts)
    }

    init(pack: GuidancePack, plan: CasePlan, facts: CaseFacts) {
        self.pack = pack
        self.facts = facts
        self.plan = plan
        evaluator = FormulaEvaluator(graph: plan.graph, facts: facts, space: plan.space)
        numberVarsCache = Array(repeating: nil, count: plan.graph.nodes.count)
        anyNumberUnknown = evaluator.values.contains { if case .number(nil) = $0 { true } else { false } }
    }

    var recommendationConditions: [CompiledCondition] { plan.recommendationConditions }
    var offenceConditions: [CompiledCondition] { plan.offenceConditions }

    /// Compiles a condition that reads facts only into one formula node.
    static func compile(_ condition: Condition, _ compiler: inout NamedFactCompiler) -> Int {
        switch condition {
        case .always: return FormulaGraph.trueNode
        case .fact(let f): return compiler.node(f)
        case .any(let items):
            let nodes = items.map { compile($0, &compiler) }
            return compiler.graph.any(nodes)
        case .all(let items):
            let nodes = items.map { compile($0, &compiler) }
            return compiler.graph.all(nodes)
        case .not(let inner):
            let node = compile(inner, &compiler)
            return compiler.graph.not(node)
        case .decision:
            // Validation keeps decisions out of fact-only conditions.
            return FormulaGraph.falseNode
        }
    }

    /// Compiles a condition that may read decisions: each fact-only part becomes one node, evaluated exactly.
    static func compileCondition(_ condition: Condition, _ compiler: inout NamedFactCompiler) -> CompiledCondition {
        if condition == .always { return .always }
        if condition.decisionKeys.isEmpty { return .node(compile(condition, &compiler)) }
        switch condition {
        case .decision(let key, let values): return .decision(key, values)
        case .any(let items): return .any(items.map { compileCondition($0, &compiler) })
        case .all(let items): return .all(items.map { compileCondition($0, &compiler) })
        case .not(let inner): return .not(compileCondition(inner, &compiler))
        case .always, .fact: return .node(compile(condition, &compiler))
        }
    }

    // MARK: Exact evaluation

    private mutating func numberVariables(of node: Int) -> [(FactVariable, [Int])] {
        if let cached = numberVarsCache[node] { return cached }
        let result = evaluator.graph.variableLists([[node]])[0]
            .filter { !$0.1.isEmpty }
            .map { ($0.0, Engine.representatives(of: $0.1)) }
        numberVarsCache[node] = result
        return result
    }

    /// One value from each interval the thresholds cut the whole numbers into.
    static func representatives(of thresholds: [Int]) -> [Int] {
        let sorted = thresholds.sorted()
        guard let first = sorted.first else { return [] }
        return [max(0, first - 1)] + sorted
    }

    mutating func exact(_ node: Int, _ overrides: Overrides) -> Tri {
        let kleene = evaluator.evaluate(node, overrides)
        if kleene != .unknown || !anyNumberUnknown { return kleene }
        for (variable, representatives) in numberVariables(of: node) {
            guard evaluator.value(variable, overrides).isUnknown else { continue }
            var agreed: Tri?
            for age in representatives {
                let value = evaluator.evaluate(node, overrides.with(variable, .number(age)))
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

    /// The values an undetermined decision could still take once the unknowns are answered, in its rules' order:
    /// each rule group that fires in some completion (every earlier group fails and it holds), and "undetermined"
    /// if in some completion none fires. As exact as the decisions themselves (`exact`), so "every possible value
    /// calls for a referral" is safe to act on, and a value that cannot be reached is not named.
    ///
    /// ```swift
    /// engine.possibleValues(.childProtectionReferral)   // ["immediate", "required"]: a referral either way
    /// ```
    mutating func possibleValues(_ key: DecisionKey) -> [String] {
        var values: [String] = []
        let groups = decisionGroups[key.index]
        for (group, node) in zip(groups, plan.firingNodes[key.index]) where exact(node, .none) != .false {
            if !values.contains(group.value) { values.append(group.value) }
        }
        if let undetermined = key.undeterminedValue, exact(plan.firingNodes[key.index][groups.count], .none) != .false {
            values.append(undetermined)
        }
        return values
    }

    // MARK: Conditions with decisions

    mutating func holds(_ condition: CompiledCondition, decisions: [String]) -> Tri {
        switch condition {
        case .always: return .true
        case .node(let n): return exact(n, .none)
        case .decision(let key, let values):
            if values.contains(decisions[key.index]) { return .true }
            // Undetermined, but every value it could still take is one of these: it holds already (issue 11). A
            // referral that is required whichever way the open questions go is required now.
            if let possible = possible[key.index], !possible.isEmpty, possible.allSatisfy(values.contains) { return .true }
            return .false
        case .any(let items):
            var result = Tri.false
            for item in items { result = result || holds(item, decisions: decisions) }
            return result
        case .all(let items):
            var result = Tri.true
            for item in items { result = result && holds(item, decisions: decisions) }
            return result
        case .not(let inner): return !holds(inner, decisions: decisions)
        }
    }

    /// The facts that make a condition hold (or fail, under a `not`), as reason ids.
    mutating func because(_ condition: CompiledCondition, decisions: [String], into reasons: inout [Int]) {
        switch condition {
        case .always:
            FormulaEvaluator.append(ReasonText.settingID, to: &reasons)
        case .node(let n):
            evaluator.explain(n, into: &reasons)
        case .decision(let key, _):
            FormulaEvaluator.append(ReasonText.decisionID(key), to: &reasons)
            for id in decisionFacts[key.index] { FormulaEvaluator.append(id, to: &reasons) }
        case .not(let inner):
            because(inner, decisions: decisions, into: &reasons)
        case .any(let items), .all(let items):
            let target = holds(condition, decisions: decisions)
            let isAll: Bool
            if case .all = condition { isAll = true } else { isAll = false }
            for item in items where (isAll && target == .true) || holds(item, decisions: decisions) == target {
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
        var marks = [Bool](repeating: false, count: space.count)
        var thresholds = [[Int]](repeating: [], count: space.count)
        for key in watched {
            for (v, t) in plan.decisionVariables[key.index] where evaluator.values[Int(v.index)].isUnknown {
                marks[Int(v.index)] = true
                for threshold in t where !thresholds[Int(v.index)].contains(threshold) { thresholds[Int(v.index)].append(threshold) }
            }
        }
        let candidates = marks.indices.filter { marks[$0] }.map { FactVariable(index: Int32($0)) }
        var result: [(FactVariable, [DecisionKey])] = []
        for variable in candidates {
            let completions: [FactValue]
            if case let t = thresholds[Int(variable.index)], !t.isEmpty {
                completions = Engine.representatives(of: t).map { .number($0) }
            } else {
                completions = [.bool(.true), .bool(.false)]
            }
            var affects: [DecisionKey] = []
            let bit = FormulaEvaluator.bit(variable)
            for key in watched {
                // A decision none of whose rules can read the fact cannot change with it.
                guard decisionGroups[key.index].contains(where: { evaluator.masks[$0.node] & bit != 0 }) else { continue }
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
        let (pack, note) = edition(for: facts.setting, in: facts.jurisdiction, on: date)
        return assess(facts, under: pack, on: date, note: note, overlay: overlay)
    }

    /// Assesses a case under a given edition, as a pack's worked examples are run, whatever edition the library
    /// would choose for it.
    public func assess(_ facts: CaseFacts, under pack: GuidancePack, on date: CalendarDate, note: String? = nil,
                       overlay: LocalOverlay? = nil) -> Assessment {
        let jurisdictionLaw = law.law(for: facts.jurisdiction)
        let packIndex = packs.firstIndex { $0.id == pack.id && $0.edition == pack.edition } ?? -1
        let shape = Engine.CasePlan.shape(packIndex: packIndex, outcome21: jurisdictionLaw?.outcome21Available ?? false, facts: facts)
        let plan = plans.plan(for: shape) { Engine.CasePlan(pack: pack, law: jurisdictionLaw, facts: facts) }
        var engine = Engine(pack: pack, plan: plan, facts: facts)
        var text = ReasonText(facts: facts, space: engine.space, evaluator: engine.evaluator)
        func cite(_ sections: [String]) -> [Citation] { sections.map { Citation(document: pack.title, section: $0) } }

        // Decisions.
        var values: [String] = []
        var firedGroups: [Int?] = []
        values.reserveCapacity(DecisionKey.allCases.count)
        for key in DecisionKey.allCases {
            let (value, group) = engine.decide(key)
            values.append(value)
            firedGroups.append(group)
        }

        for key in DecisionKey.allCases where values[key.index] == key.undeterminedValue {
            engine.possible[key.index] = engine.possibleValues(key)
        }

        // Why each decision is what it is: the earlier rules that did not hold, then those of the rule that did.
        var reasons: [DecisionReason] = []
        for key in DecisionKey.allCases {
            let decision = pack.decisionList[key.index]
            let rules = decision?.rules ?? []
            let groups = engine.decisionGroups[key.index]
            var because: [Int] = []
            var citations = decision?.citations ?? []
            if let fired = firedGroups[key.index] {
                for earlier in groups[..<fired] { engine.evaluator.explain(earlier.node, into: &because) }
                // Name only the members that hold, with their own paragraphs. (A group settled only by trying
                // unknown ages may have no member true on its own: then the group as a whole explains it.)
                let group = groups[fired]
                for (r, member) in zip(group.rules, group.members) {
                    guard let member else { citations += rules[r].citations; continue }
                    if group.members.count == 1 || engine.evaluator.evaluate(member) == .true {
                        citations += rules[r].citations
                        engine.evaluator.explain(member, into: &because)
                    }
                }
                if because.isEmpty && group.members.contains(where: { $0 != nil }) {
                    engine.evaluator.explain(group.node, into: &because)
                    for r in group.rules { citations += rules[r].citations }
                }
            } else if let open = groups.first(where: { engine.evaluator.evaluate($0.node) == .unknown }) {
                engine.evaluator.explain(open.node, into: &because)
            }
            if because.isEmpty { because = [ReasonText.settingID, ReasonText.jurisdictionID] }
            engine.decisionFacts[key.index] = because
            var unique: [String] = []
            for c in citations where !unique.contains(c) { unique.append(c) }
            reasons.append(DecisionReason(decision: key.rawValue, value: values[key.index], citations: cite(unique),
                                          because: text.texts(because, decisions: values), possible: engine.possible[key.index]))
        }

        // Involving parents, decided for each child as if only that child's parents were in question: the one fact
        // that makes parents a risk is the child's own, so the others' is taken as no. A's parents can then be
        // involved while B's risk is still being found out (issue 11).
        let parentsKey = DecisionKey.involveParents.index
        var involveParentsOf: [String: ParentsDecision] = [:]
        if let overall = ParentsDecision(rawValue: values[parentsKey]), pack.decisionList[parentsKey] != nil {
            for child in facts.people where (child.age ?? 0) < 18 {
                let others = facts.people.indices.filter { facts.people[$0].ref != child.ref && facts.people[$0].parentalInvolvementRisk != .false }
                guard !others.isEmpty else { involveParentsOf[child.ref] = overall; continue }
                var alone = facts
                for i in others { alone.people[i].parentalInvolvementRisk = .false }
                var single = Engine(pack: pack, plan: plan, facts: alone)
                involveParentsOf[child.ref] = ParentsDecision(rawValue: single.decide(.involveParents).value) ?? .undetermined
            }
        }
        // Where a child's value differs from the whole case's, a recommendation that turns on it is raised for the
        // children it holds for, and says so (`people`).
        let perChild = involveParentsOf.contains { $0.value != .undetermined && $0.value.rawValue != values[parentsKey] }
        let childrenByValue = Dictionary(grouping: involveParentsOf.filter { $0.value != .undetermined }.keys.sorted()) { involveParentsOf[$0]! }

        // Recommendations.
        let overlayApplies = overlay.map { $0.applies(to: pack) } ?? false
        var recommendations: [Recommendation] = []
        for (ruleIndex, (rule, condition)) in zip(pack.recommendations, engine.recommendationConditions).enumerated() {
            let holds = engine.holds(condition, decisions: values) == .true
            var people: [String] = []
            var basis = values
            if perChild, rule.when.decisionKeys.contains(.involveParents) {
                let possible = engine.possible[parentsKey]
                engine.possible[parentsKey] = nil
                for (value, refs) in childrenByValue.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    var asIf = values
                    asIf[parentsKey] = value.rawValue
                    if engine.holds(condition, decisions: asIf) == .true {
                        people += refs
                        if !holds { basis = asIf }
                    }
                }
                engine.possible[parentsKey] = possible
                people.sort()
                guard holds || !people.isEmpty else { continue }
            } else if !holds {
                continue
            }
            var because: [Int] = []
            engine.because(condition, decisions: basis, into: &because)
            var wording = overlayApplies ? overlay?.recommendationText[rule.id] ?? rule.text : rule.text
            if pack.recommendationNamesSocialCare[ruleIndex] || (overlayApplies && wording.contains(GuidancePack.socialCarePlaceholder)) {
                wording = wording.replacingOccurrences(of: GuidancePack.socialCarePlaceholder, with: socialCare(in: facts.jurisdiction, on: date))
            }
            var reasons = text.texts(because, decisions: basis)
            if !people.isEmpty {
                // For some children only: the reason is each one's own answer, not the whole case's.
                reasons = people.compactMap { ref in
                    facts.people.first { $0.ref == ref }.map { "people[\(ref)].parentalInvolvementRisk = \($0.parentalInvolvementRisk == .true)" }
                }
            }
            var recommendation = Recommendation(id: rule.id, severity: rule.severity, text: wording,
                                                citations: pack.recommendationCitations[ruleIndex],
                                                because: reasons, standing: rule.standing)
            recommendation.people = people
            recommendation.dueWithinDays = rule.dueWithinDays
            recommendations.append(recommendation)
        }

        // Open questions.
        let openQuestions = engine.openQuestions(decisions: values).map { variable, affects -> OpenQuestion in
            let location = engine.space.location(variable)
            let template = pack.questionTemplates[location.questionKey] ?? ["What is \(facts.path(of: location))?"]
            let question = template.joined(separator: facts.subject(of: location) ?? "")
            return OpenQuestion(fact: facts.path(of: location), question: question, affects: affects.map(\.rawValue))
        }

        // Offences that may apply.
        var offences: [Offence] = []
        for (rule, condition) in zip(jurisdictionLaw?.offences ?? [], engine.offenceConditions)
        where rule.inForce(on: date) && engine.holds(condition, decisions: values) == .true {
            var because: [Int] = []
            engine.because(condition, decisions: values, into: &because)
            offences.append(Offence(id: rule.id, legislation: rule.legislation, description: rule.description,
                                    homeOfficeClassification: rule.homeOfficeClassification,
                                    citations: rule.citations.map { Citation(document: law.title, section: $0) },
                                    because: text.texts(because, decisions: values) + (rule.dateReason(on: date).map { [$0] } ?? [])))
        }

        // No offence is suggested against a child the law says cannot commit one. The facts hold no date of the
        // conduct, so the assessment date stands for it, and the note says so.
        var notes = note.map { [$0] } ?? []
        if let scope = pack.messagesOnlyNote, !facts.imagery.isEmpty, facts.imagery.allSatisfy({ $0.kind == .message }) {
            notes.append(scope)
        }
        if let rule = jurisdictionLaw?.ageOfCriminalResponsibility {
            let minimum = rule.age(on: date)
            let actors = facts.people.filter(\.acted)
            let under = actors.filter { ($0.age ?? Int.max) < minimum }
            if !under.isEmpty {
                let who = under.map { "\($0.ref) (\($0.age!))" }.joined(separator: ", ")
                let law = "\(rule.legislation): in \(facts.jurisdiction.displayName) a child under \(minimum) cannot commit an offence"
                    + (rule.from.map { date >= $0 ? " (for conduct from \(Words.day($0)); this assessment takes its date, \(Words.day(date)), as the date of the conduct)" : "" } ?? "")
                if under.count == actors.count {
                    offences = []
                    notes.append("No offence is suggested: everyone who took, asked for, sent, shared or kept the imagery is under \(minimum) (\(who)). \(law).")
                } else {
                    notes.append("No offence is suggested against \(who): under \(minimum). \(law).")
                }
            }
        }

        // Resources for the family, then the organisation's own.
        var resources = pack.resourceList
        if let overlay, overlayApplies {
            resources += overlay.contacts.map { entry in
                Resource(id: entry.id, name: entry.name, forWhom: entry.forWhom, description: entry.description,
                         phone: entry.phone, email: entry.email, web: entry.web, text: entry.text,
                         source: "local overlay: \(overlay.organisation)")
            }
        }

        func value<T: RawRepresentable>(_ key: DecisionKey, _: T.Type, _ fallback: T) -> T where T.RawValue == String {
            T(rawValue: values[key.index]) ?? fallback
        }
        let decisions = Decisions(
            route: value(.route, RouteDecision.self, .undetermined),
            childProtectionReferral: value(.childProtectionReferral, ReferralDecision.self, .undetermined),
            emergency: values[DecisionKey.emergency.index] == "true",
            outcome21: value(.outcome21, Outcome21Decision.self, .undetermined),
            deviceSeizure: value(.deviceSeizure, DeviceSeizureDecision.self, .undetermined),
            visuallyRecordedInterview: value(.visuallyRecordedInterview, RecommendedDecision.self, .undetermined),
            caidReferral: value(.caidReferral, RequiredDecision.self, .undetermined),
            policeReferral: value(.policeReferral, RequiredDecision.self, .undetermined),
            ceopReport: value(.ceopReport, RecommendedDecision.self, .undetermined),
            involveParents: value(.involveParents, ParentsDecision.self, .undetermined),
            involveParentsOf: involveParentsOf)

        // What happens next, for the family.
        var familySteps: [FamilyStep] = []
        for (index, (step, condition)) in zip(pack.familySteps, engine.plan.familyStepConditions).enumerated()
        where engine.holds(condition, decisions: values) == .true {
            let text = pack.familyStepNamesSocialCare[index]
                ? step.text.replacingOccurrences(of: GuidancePack.socialCarePlaceholder, with: socialCare(in: facts.jurisdiction, on: date)) : step.text
            familySteps.append(FamilyStep(text: text, citations: cite(step.citations)))
        }

        var guidance = [pack.reference]
        if jurisdictionLaw != nil { guidance.append(law.reference) }
        return Assessment(guidance: guidance, decisions: decisions, recommendations: recommendations,
                          openQuestions: openQuestions, assessedOn: date, decisionReasons: reasons,
                          offences: offences, resources: resources, notes: notes,
                          familySteps: familySteps)
    }
}

/// Compiled plans by case shape, shared by every assessment a library makes. Bounded: when full it starts again,
/// which costs one compilation per shape.
final class PlanCache: @unchecked Sendable {
    private let lock = NSLock()
    private var plans: [[Int]: Engine.CasePlan] = [:]
    private let capacity: Int
    /// Off for benchmarks that measure the cost of compiling every case afresh.
    let enabled: Bool

    init(capacity: Int = 512, enabled: Bool = true) {
        self.capacity = capacity
        self.enabled = enabled
    }

    func plan(for shape: [Int], make: () -> Engine.CasePlan) -> Engine.CasePlan {
        guard enabled else { return make() }
        lock.lock()
        if let plan = plans[shape] { lock.unlock(); return plan }
        lock.unlock()
        let plan = make()
        lock.lock()
        if plans.count >= capacity { plans.removeAll(keepingCapacity: true) }
        plans[shape] = plan
        lock.unlock()
        return plan
    }
}
