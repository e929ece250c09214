/// One raw fact of a case that the engine can read, flip or leave unknown, e.g. `people[X].age`.
///
/// Variables are numbered by position, not registered: person `i`'s field `f` is
/// `i * PersonField.count + f`, and so on for imagery, circumstances and devices, so a case needs no table of them.
struct FactVariable: Hashable, Sendable {
    var index: Int32
}

enum PersonField: Int, CaseIterable, Sendable {
    case age, learningDisability, inCare, childProtectionPlan, selfHarmRisk, immediateDanger,
         parentalInvolvementRisk, previousIncidents

    var name: String {
        switch self {
        case .age: "age"
        case .learningDisability: "learningDisability"
        case .inCare: "inCare"
        case .childProtectionPlan: "childProtectionPlan"
        case .selfHarmRisk: "selfHarmRisk"
        case .immediateDanger: "immediateDanger"
        case .parentalInvolvementRisk: "parentalInvolvementRisk"
        case .previousIncidents: "previousIncidents"
        }
    }

    var isNumber: Bool { self == .age || self == .previousIncidents }

    var keyPath: KeyPath<Person, Tri>? {
        switch self {
        case .learningDisability: \.learningDisability
        case .inCare: \.inCare
        case .childProtectionPlan: \.childProtectionPlan
        case .selfHarmRisk: \.selfHarmRisk
        case .immediateDanger: \.immediateDanger
        case .parentalInvolvementRisk: \.parentalInvolvementRisk
        case .age, .previousIncidents: nil
        }
    }
}

enum ImageryField: Int, CaseIterable, Sendable {
    case sexualActs, violent, unusualForDevelopmentalStage, sharedWithoutPermission, sharedBeyondControl,
         uploadedToAdultSite

    var name: String {
        switch self {
        case .sexualActs: "sexualActs"
        case .violent: "violent"
        case .unusualForDevelopmentalStage: "unusualForDevelopmentalStage"
        case .sharedWithoutPermission: "sharedWithoutPermission"
        case .sharedBeyondControl: "sharedBeyondControl"
        case .uploadedToAdultSite: "uploadedToAdultSite"
        }
    }

    var keyPath: KeyPath<Imagery, Tri> {
        switch self {
        case .sexualActs: \.sexualActs
        case .violent: \.violent
        case .unusualForDevelopmentalStage: \.unusualForDevelopmentalStage
        case .sharedWithoutPermission: \.sharedWithoutPermission
        case .sharedBeyondControl: \.sharedBeyondControl
        case .uploadedToAdultSite: \.uploadedToAdultSite
        }
    }
}

/// Where a variable lives in the case facts.
enum FactLocation: Hashable, Sendable {
    case person(Int, PersonField)
    case imagery(Int, ImageryField)
    case circumstance(Int)
    case deviceSeized(Int)

    /// The name of the question template that asks for this fact, e.g. `age` or `circumstances.grooming`.
    var questionKey: String {
        switch self {
        case .person(_, let field): "people.\(field.name)"
        case .imagery(_, let field): "imagery.\(field.name)"
        case .circumstance(let i): "circumstances.\(Circumstances.factNames[i])"
        case .deviceSeized: "devices.seized"
        }
    }

    /// Every question template a pack must provide.
    static let allQuestionKeys: [String] =
        PersonField.allCases.map { "people.\($0.name)" } + ImageryField.allCases.map { "imagery.\($0.name)" }
        + Circumstances.factNames.map { "circumstances.\($0)" } + ["devices.seized"]
}

/// The value a variable holds: a yes/no fact or a whole number, either possibly unknown.
enum FactValue: Hashable, Sendable {
    case bool(Tri)
    case number(Int?)

    var isUnknown: Bool {
        switch self {
        case .bool(let t): t == .unknown
        case .number(let n): n == nil
        }
    }
}

/// The layout of one case's variables.
struct VariableSpace: Sendable {
    let people: Int
    let imagery: Int
    let devices: Int

    init(_ facts: CaseFacts) {
        people = facts.people.count
        imagery = facts.imagery.count
        devices = facts.devices.count
    }

    private var imageryBase: Int { people * PersonField.allCases.count }
    private var circumstanceBase: Int { imageryBase + imagery * ImageryField.allCases.count }
    private var deviceBase: Int { circumstanceBase + Circumstances.factNames.count }
    var count: Int { deviceBase + devices }

    func variable(_ location: FactLocation) -> FactVariable {
        switch location {
        case .person(let i, let f): FactVariable(index: Int32(i * PersonField.allCases.count + f.rawValue))
        case .imagery(let i, let f): FactVariable(index: Int32(imageryBase + i * ImageryField.allCases.count + f.rawValue))
        case .circumstance(let i): FactVariable(index: Int32(circumstanceBase + i))
        case .deviceSeized(let i): FactVariable(index: Int32(deviceBase + i))
        }
    }

    func location(_ variable: FactVariable) -> FactLocation {
        let v = Int(variable.index)
        if v < imageryBase {
            return .person(v / PersonField.allCases.count, PersonField(rawValue: v % PersonField.allCases.count)!)
        }
        if v < circumstanceBase {
            let w = v - imageryBase
            return .imagery(w / ImageryField.allCases.count, ImageryField(rawValue: w % ImageryField.allCases.count)!)
        }
        if v < deviceBase { return .circumstance(v - circumstanceBase) }
        return .deviceSeized(v - deviceBase)
    }

    /// Every variable of the case, in contract order.
    var allVariables: [FactVariable] { (0..<count).map { FactVariable(index: Int32($0)) } }
}

extension CaseFacts {
    func value(at location: FactLocation) -> FactValue {
        switch location {
        case .person(let i, .age): .number(people[i].age)
        case .person(let i, .previousIncidents): .number(people[i].previousIncidents)
        case .person(let i, let field): .bool(people[i][keyPath: field.keyPath!])
        case .imagery(let i, let field): .bool(imagery[i][keyPath: field.keyPath])
        case .circumstance(let i): .bool(circumstances[fact: i])
        case .deviceSeized(let i): .bool(devices[i].seized)
        }
    }

    mutating func set(_ value: FactValue, at location: FactLocation) {
        switch (location, value) {
        case (.person(let i, .age), .number(let n)): people[i].age = n
        case (.person(let i, .previousIncidents), .number(let n)): people[i].previousIncidents = n
        case (.person(let i, let field), .bool(let t)):
            switch field {
            case .learningDisability: people[i].learningDisability = t
            case .inCare: people[i].inCare = t
            case .childProtectionPlan: people[i].childProtectionPlan = t
            case .selfHarmRisk: people[i].selfHarmRisk = t
            case .immediateDanger: people[i].immediateDanger = t
            case .parentalInvolvementRisk: people[i].parentalInvolvementRisk = t
            case .age, .previousIncidents: break
            }
        case (.imagery(let i, let field), .bool(let t)):
            switch field {
            case .sexualActs: imagery[i].sexualActs = t
            case .violent: imagery[i].violent = t
            case .unusualForDevelopmentalStage: imagery[i].unusualForDevelopmentalStage = t
            case .sharedWithoutPermission: imagery[i].sharedWithoutPermission = t
            case .sharedBeyondControl: imagery[i].sharedBeyondControl = t
            case .uploadedToAdultSite: imagery[i].uploadedToAdultSite = t
            }
        case (.circumstance(let i), .bool(let t)): circumstances[fact: i] = t
        case (.deviceSeized(let i), .bool(let t)): devices[i].seized = t
        default: break
        }
    }

    /// The contract's path for a fact, naming people, imagery and devices by their references.
    func path(of location: FactLocation) -> String {
        switch location {
        case .person(let i, let f): "people[\(people[i].ref)].\(f.name)"
        case .imagery(let i, let f): "imagery[\(imagery[i].ref)].\(f.name)"
        case .circumstance(let i): "circumstances.\(Circumstances.factNames[i])"
        case .deviceSeized(let i): "devices[\(devices[i].ref)].seized"
        }
    }

    /// The reference a question about this fact is about, if any (`X` in "How old is X?").
    func subject(of location: FactLocation) -> String? {
        switch location {
        case .person(let i, _): people[i].ref
        case .imagery(let i, _): imagery[i].ref
        case .circumstance: nil
        case .deviceSeized(let i): devices[i].ref
        }
    }
}

/// A structural fact that is always known (a list, a role, the setting), kept so that "because" can name it.
enum ConstantLabel: Hashable, Sendable {
    case none
    case setting, jurisdiction
    case platforms(imagery: Int)
    case kind(imagery: Int)
    case devicesHoldImagery(device: Int)
    case roles(person: Int)
}

/// A node of a case's formula graph. Negation is pushed to the leaves when a formula is built.
enum FormulaNode: Sendable {
    case constant(Tri, ConstantLabel)
    case fact(FactVariable, negated: Bool)
    /// `value >= threshold` for a number fact (an age, a count); negated: `value < threshold`.
    case atLeast(FactVariable, Int, negated: Bool)
    case any(Range<Int>)
    case all(Range<Int>)
    /// True when the child is known true, false otherwise: "known" semantics for flags such as `emergency`.
    case knownTrue(Int, negated: Bool)
}

/// The formulas of one case: named facts and the guidance's conditions, as nodes over the case's variables.
struct FormulaGraph: Sendable {
    private(set) var nodes: [FormulaNode] = []
    private(set) var children: [Int] = []
    private var negations: [Int: Int] = [:]
    /// Which variables (by index mod 64) each node may read, once the graph is finished; it depends only on the
    /// graph, so cases that share a plan share it.
    private(set) var masks: [UInt64] = []

    /// Computes `masks`. Children are always built before their parents, so one pass in order does it.
    mutating func finish() {
        var masks = [UInt64](repeating: 0, count: nodes.count)
        for (n, node) in nodes.enumerated() {
            switch node {
            case .constant: break
            case .fact(let v, _), .atLeast(let v, _, _): masks[n] = FormulaEvaluator.bit(v)
            case .knownTrue(let child, _): masks[n] = masks[child]
            case .any(let range), .all(let range): for c in children[range] { masks[n] |= masks[c] }
            }
        }
        self.masks = masks
    }

    init() {
        nodes.reserveCapacity(256)
        children.reserveCapacity(512)
        _ = constant(.false)   // node 0
        _ = constant(.true)    // node 1
    }

    static let falseNode = 0
    static let trueNode = 1

    mutating func add(_ node: FormulaNode) -> Int {
        nodes.append(node)
        return nodes.count - 1
    }

    mutating func constant(_ value: Tri, _ label: ConstantLabel = .none) -> Int {
        if label == .none && nodes.count >= 2 {
            if value == .false { return Self.falseNode }
            if value == .true { return Self.trueNode }
        }
        return add(.constant(value, label))
    }

    mutating func fact(_ variable: FactVariable, negated: Bool = false) -> Int {
        add(.fact(variable, negated: negated))
    }

    mutating func atLeast(_ variable: FactVariable, _ threshold: Int, negated: Bool = false) -> Int {
        add(.atLeast(variable, threshold, negated: negated))
    }

    mutating func knownTrue(_ child: Int) -> Int { add(.knownTrue(child, negated: false)) }

    mutating func any(_ items: [Int]) -> Int { junction(items, isAny: true) }
    mutating func all(_ items: [Int]) -> Int { junction(items, isAny: false) }

    private mutating func junction(_ items: [Int], isAny: Bool) -> Int {
        // Unlabelled constants fold away; labelled ones stay so that "because" can name them.
        let absorbing = isAny ? Self.trueNode : Self.falseNode
        let neutral = isAny ? Self.falseNode : Self.trueNode
        // Children go straight into the shared list; a junction that folds away takes them back out.
        let start = children.count
        for item in items {
            if item == absorbing {
                children.removeSubrange(start...)
                return absorbing
            }
            if item != neutral { children.append(item) }
        }
        switch children.count - start {
        case 0: return neutral
        case 1:
            let only = children[start]
            children.removeLast()
            return only
        default: return add(isAny ? .any(start..<children.count) : .all(start..<children.count))
        }
    }

    /// The negation of a node, built by De Morgan's laws down to the leaves.
    mutating func not(_ node: Int) -> Int {
        if node == Self.trueNode { return Self.falseNode }
        if node == Self.falseNode { return Self.trueNode }
        if let known = negations[node] { return known }
        let result: Int
        switch nodes[node] {
        case .constant(let value, let label): result = add(.constant(!value, label))
        case .fact(let v, let negated): result = add(.fact(v, negated: !negated))
        case .atLeast(let v, let t, let negated): result = add(.atLeast(v, t, negated: !negated))
        case .knownTrue(let c, let negated): result = add(.knownTrue(c, negated: !negated))
        case .any(let range):
            let negatedChildren = children[range].map { $0 }
            result = all(negatedChildren.map { self.not($0) })
        case .all(let range):
            let negatedChildren = children[range].map { $0 }
            result = any(negatedChildren.map { self.not($0) })
        }
        negations[node] = result
        negations[result] = node
        return result
    }

    func childList(_ range: Range<Int>) -> ArraySlice<Int> { children[range] }

    /// For each list of roots, the variables they read (in index order) with the thresholds each number variable
    /// is compared to. One stamp array serves every list, so the walks allocate only their results.
    func variableLists(_ rootLists: [[Int]]) -> [[(FactVariable, [Int])]] {
        var stamp = [Int32](repeating: -1, count: nodes.count)
        var stack: [Int] = []
        var lists: [[(FactVariable, [Int])]] = []
        for (k, roots) in rootLists.enumerated() {
            var variables: [FactVariable] = []
            var thresholds: [[Int]] = []
            stack.append(contentsOf: roots)
            while let n = stack.popLast() {
                guard stamp[n] != Int32(k) else { continue }
                stamp[n] = Int32(k)
                switch nodes[n] {
                case .fact(let v, _):
                    if !variables.contains(v) { variables.append(v); thresholds.append([]) }
                case .atLeast(let v, let t, _):
                    if let i = variables.firstIndex(of: v) {
                        if !thresholds[i].contains(t) { thresholds[i].append(t) }
                    } else {
                        variables.append(v)
                        thresholds.append([t])
                    }
                case .any(let r), .all(let r): stack.append(contentsOf: children[r])
                case .knownTrue(let c, _): stack.append(c)
                case .constant: break
                }
            }
            lists.append(zip(variables, thresholds).sorted { $0.0.index < $1.0.index })
        }
        return lists
    }

}

/// Values that replace a case's own for one evaluation: a flipped fact, an age tried at a threshold.
struct Overrides: Sendable {
    var first: (FactVariable, FactValue)?
    var second: (FactVariable, FactValue)?
    /// The overridden variables' bits (index mod 64), to skip every node that cannot read them.
    var mask: UInt64 = 0

    static let none = Overrides()

    func with(_ variable: FactVariable, _ value: FactValue) -> Overrides {
        var copy = self
        if copy.first == nil { copy.first = (variable, value) } else { copy.second = (variable, value) }
        copy.mask |= FormulaEvaluator.bit(variable)
        return copy
    }

    @inline(__always)
    func lookup(_ variable: FactVariable) -> FactValue? {
        if let (v, value) = first, v == variable { return value }
        if let (v, value) = second, v == variable { return value }
        return nil
    }
}

/// Evaluates formula nodes with Kleene's logic over a snapshot of a case's fact values, through overrides.
struct FormulaEvaluator {
    let graph: FormulaGraph
    /// Every variable's value, by index: read once from the case so that evaluation never walks the facts.
    let values: [FactValue]
    /// Every node's value with no overrides. Children are always built before their parents, so one pass in
    /// order fills it.
    let base: [Tri]
    /// Which variables (by index mod 64) each node may read: a node whose mask misses an override keeps its base
    /// value, so flipping one fact re-evaluates only the nodes that read it.
    let masks: [UInt64]

    @inline(__always)
    static func bit(_ variable: FactVariable) -> UInt64 { 1 << UInt64(variable.index & 63) }

    init(graph: FormulaGraph, facts: CaseFacts, space: VariableSpace) {
        self.graph = graph
        // In variable order: people's fields, imagery's fields, circumstances, devices (see VariableSpace).
        var values: [FactValue] = []
        values.reserveCapacity(space.count)
        for p in facts.people {
            values.append(.number(p.age))
            values.append(.bool(p.learningDisability))
            values.append(.bool(p.inCare))
            values.append(.bool(p.childProtectionPlan))
            values.append(.bool(p.selfHarmRisk))
            values.append(.bool(p.immediateDanger))
            values.append(.bool(p.parentalInvolvementRisk))
            values.append(.number(p.previousIncidents))
        }
        for i in facts.imagery {
            values.append(.bool(i.sexualActs))
            values.append(.bool(i.violent))
            values.append(.bool(i.unusualForDevelopmentalStage))
            values.append(.bool(i.sharedWithoutPermission))
            values.append(.bool(i.sharedBeyondControl))
            values.append(.bool(i.uploadedToAdultSite))
        }
        for c in Circumstances.factNames.indices { values.append(.bool(facts.circumstances[fact: c])) }
        for d in facts.devices { values.append(.bool(d.seized)) }
        assert(values.count == space.count && values.indices.allSatisfy { values[$0] == facts.value(at: space.location(FactVariable(index: Int32($0)))) })
        self.values = values
        var base = [Tri](repeating: .unknown, count: graph.nodes.count)
        for (n, node) in graph.nodes.enumerated() {
            switch node {
            case .constant(let value, _):
                base[n] = value
            case .fact(let v, let negated):
                if case .bool(let t) = values[Int(v.index)] { base[n] = negated ? !t : t }
            case .atLeast(let v, let threshold, let negated):
                if case .number(let number) = values[Int(v.index)], let number { base[n] = Tri((number >= threshold) != negated) }
            case .knownTrue(let child, let negated):
                base[n] = Tri((base[child] == .true) != negated)
            case .any(let range):
                var result = Tri.false
                for c in graph.childList(range) { result = result || base[c] }
                base[n] = result
            case .all(let range):
                var result = Tri.true
                for c in graph.childList(range) { result = result && base[c] }
                base[n] = result
            }
        }
        self.base = base
        precondition(graph.masks.count == graph.nodes.count, "evaluate a finished graph: call FormulaGraph.finish() first")
        self.masks = graph.masks
    }

    @inline(__always)
    func value(_ variable: FactVariable, _ overrides: Overrides) -> FactValue {
        if let o = overrides.lookup(variable) { return o }
        return values[Int(variable.index)]
    }

    func evaluate(_ node: Int, _ overrides: Overrides = .none) -> Tri {
        if masks[node] & overrides.mask == 0 { return base[node] }
        switch graph.nodes[node] {
        case .constant(let value, _):
            return value
        case .fact(let v, let negated):
            guard case .bool(let t) = value(v, overrides) else { return .unknown }
            return negated ? !t : t
        case .atLeast(let v, let threshold, let negated):
            guard case .number(let n) = value(v, overrides), let n else { return .unknown }
            return Tri((n >= threshold) != negated)
        case .knownTrue(let child, let negated):
            return Tri((evaluate(child, overrides) == .true) != negated)
        case .any(let range):
            return graph.childList(range).anyTri { evaluate($0, overrides) }
        case .all(let range):
            return graph.childList(range).allTri { evaluate($0, overrides) }
        }
    }

    /// The facts behind a node's value, as reason ids: for a true "any", the true parts; for a false "all", the
    /// false parts. Ids are rendered to text once per assessment by ``ReasonText``.
    func explain(_ node: Int, into reasons: inout [Int]) {
        switch graph.nodes[node] {
        case .constant(_, let label):
            if label != .none { Self.append(ReasonText.labelID(node: node, variables: values.count), to: &reasons) }
        case .fact(let v, _), .atLeast(let v, _, _):
            Self.append(Int(v.index), to: &reasons)
        case .knownTrue(let child, _):
            explain(child, into: &reasons)
        case .any(let range), .all(let range):
            let result = evaluate(node)
            for c in graph.childList(range) where evaluate(c) == result { explain(c, into: &reasons) }
        }
    }

    @inline(__always)
    static func append(_ id: Int, to reasons: inout [Int]) {
        if !reasons.contains(id) { reasons.append(id) }
    }
}

/// Renders reason ids to the contract's "because" text, each distinct fact once per assessment.
///
/// Ids: a variable's index; past the variables, a labelled constant's node; negative, the setting, the
/// jurisdiction and each decision.
struct ReasonText {
    let facts: CaseFacts
    let space: VariableSpace
    let evaluator: FormulaEvaluator
    /// Rendered texts, few per assessment: a short list searched in order beats a table sized for every node.
    private var cache: [(Int, String)] = []

    init(facts: CaseFacts, space: VariableSpace, evaluator: FormulaEvaluator) {
        self.facts = facts
        self.space = space
        self.evaluator = evaluator
        cache.reserveCapacity(48)
    }

    static let settingID = -1
    static let jurisdictionID = -2
    static func decisionID(_ key: DecisionKey) -> Int { -10 - key.index }
    static func labelID(node: Int, variables: Int) -> Int { variables + node }

    mutating func text(_ id: Int, decisions: [String]) -> String {
        if let cached = cache.first(where: { $0.0 == id }) { return cached.1 }
        let text: String
        switch id {
        case Self.settingID: text = "setting = \(facts.setting.rawValue)"
        case Self.jurisdictionID: text = "jurisdiction = \(facts.jurisdiction.rawValue)"
        case ..<(-9):
            let key = DecisionKey.allCases[-10 - id]
            text = "\(key.rawValue) = \(decisions[key.index])"
        case 0..<space.count:
            let variable = FactVariable(index: Int32(id))
            let path = facts.path(of: space.location(variable))
            switch evaluator.values[id] {
            case .bool(let t): text = path + (t == .unknown ? " = not known" : t == .true ? " = true" : " = false")
            case .number(let n): text = path + " = " + (n.map { String($0) } ?? "not known")
            }
        default:
            guard case .constant(_, let label) = evaluator.graph.nodes[id - space.count] else { text = ""; break }
            text = describe(label)
        }
        cache.append((id, text))
        return text
    }

    mutating func texts(_ ids: [Int], decisions: [String]) -> [String] { ids.map { text($0, decisions: decisions) } }

    private func describe(_ label: ConstantLabel) -> String {
        switch label {
        case .none: return ""
        case .setting: return "setting = \(facts.setting.rawValue)"
        case .jurisdiction: return "jurisdiction = \(facts.jurisdiction.rawValue)"
        case .platforms(let i):
            let list = facts.imagery[i].platforms.map(\.rawValue).joined(separator: ", ")
            return "imagery[\(facts.imagery[i].ref)].platforms = \(list.isEmpty ? "none" : list)"
        case .kind(let i): return "imagery[\(facts.imagery[i].ref)].kind = \(facts.imagery[i].kind.rawValue)"
        case .devicesHoldImagery(let d):
            let list = facts.devices[d].containsImageryOf.joined(separator: ", ")
            return "devices[\(facts.devices[d].ref)].containsImageryOf = \(list.isEmpty ? "none" : list)"
        case .roles(let p):
            return "people[\(facts.people[p].ref)].roles = \(facts.people[p].roles.map(\.rawValue).joined(separator: ", "))"
        }
    }
}
