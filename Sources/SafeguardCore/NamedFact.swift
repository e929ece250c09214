/// A derived fact the guidance packs are written in, computed from the raw case facts.
///
/// The packs say *what* the guidance decides (`when: aggravatingFeatures`); this type says *how* each named
/// fact is read off the case: over every person, every piece of imagery, every device, tri-state throughout.
/// Welfare facts concern children: they never count for a person known to be 18 or over.
///
/// ```yaml
/// decisions:
///   route:
///     rules:
///       - when: aggravatingFeatures
///         value: fullInvestigation
///       - value: proportionate
/// ```
public enum NamedFact: String, CaseIterable, Sendable {
    // Aggravating features (College of Policing, Overview and Actions 2, 5, 10).
    case adultInvolved, exploitation, coercion, blackmail, grooming, profitMotive, violence
    case maliciousIntent, maliciousSharing, sexualActsUnder13, aggravatingFeatures
    case persistent, outcome21Exclusions, outcome21Available
    // Risk (Action 6).
    case notWilling, sharedWithoutPermission, notAgeAppropriate, higherRisk, willingOrAccidental
    // Welfare of the children involved (Actions 4 and 7; NSPCC referral criteria).
    case childAtImmediateRisk, childInImmediateDanger, immediateDangerReported, childSubjectToChildProtection
    case capacityToConsentConcern, parentalInvolvementRisk, previousIncidents
    // The imagery.
    case sexualActs, violentOrUnusualImagery, imagerySharedBeyondControl, imageryOnline, visualImagery
    case textMessages, uploadedToAdultSite
    // Devices.
    case anyDeviceSeized, seizedDeviceHoldsImagery, devicesRecorded
    // People.
    case possessorInvolved, onlineAbuse, adultAndChildUnder16

    /// What the fact means, in a sentence a policy lead can check against the guidance.
    public var meaning: String {
        switch self {
        case .adultInvolved: "someone aged 18 or over is involved in any role but reporter"
        case .exploitation: "there is exploitation"
        case .coercion: "there is coercion"
        case .blackmail: "there is blackmail"
        case .grooming: "there is grooming"
        case .profitMotive: "there is a profit motive"
        case .violence: "violence is present, in the circumstances or in the imagery"
        case .maliciousIntent: "malicious intent, including extensive or inappropriate sharing"
        case .maliciousSharing: "imagery shared without permission beyond the recipient's control, or uploaded to an adult site"
        case .sexualActsUnder13: "imagery shows sexual acts and depicts a child under 13"
        case .aggravatingFeatures: "any aggravating feature: an adult involved, exploitation, coercion, blackmail, grooming, a profit motive, violence, malicious intent, or sexual acts depicting a child under 13"
        case .persistent: "the behaviour is persistent"
        case .outcome21Exclusions: "any factor that rules out Outcome 21: an aggravating feature or persistent behaviour"
        case .outcome21Available: "Outcome 21 exists for this setting and jurisdiction (police in England or Wales)"
        case .notWilling: "the imagery was not taken or shared willingly"
        case .sharedWithoutPermission: "any imagery was shared without permission"
        case .notAgeAppropriate: "the behaviour was not age-appropriate"
        case .higherRisk: "higher risk: an aggravating feature, or not willing, or shared without permission, or not age-appropriate"
        case .willingOrAccidental: "willing participation or an accident (no evidence of intent)"
        case .childAtImmediateRisk: "a child is at risk of self-harm or in immediate danger"
        case .childInImmediateDanger: "a child is in immediate danger"
        case .immediateDangerReported: "someone not known to be 18 or over is known to be in immediate danger"
        case .childSubjectToChildProtection: "a child is in care or on a child protection plan"
        case .capacityToConsentConcern: "a child's capacity to consent is in doubt (e.g. a learning disability)"
        case .parentalInvolvementRisk: "involving a child's parents or carers could put the child at risk"
        case .previousIncidents: "a child involved has earlier incidents of this kind"
        case .sexualActs: "any image or video shows sexual acts"
        case .violentOrUnusualImagery: "any image or video is violent or shows acts unusual for the child's developmental stage"
        case .imagerySharedBeyondControl: "an image or video has been shared beyond the child's control, or uploaded to an adult site"
        case .imageryOnline: "imagery has been posted or shared on a platform or beyond the child's control"
        case .visualImagery: "the case involves an image or video (a photograph or pseudo-photograph)"
        case .textMessages: "the case involves sexual messages"
        case .uploadedToAdultSite: "imagery was uploaded to an adult site"
        case .anyDeviceSeized: "a device has been seized"
        case .seizedDeviceHoldsImagery: "a seized device holds imagery of someone"
        case .devicesRecorded: "devices are recorded on the case"
        case .possessorInvolved: "someone possesses the imagery"
        case .onlineAbuse: "signs of grooming or sexual abuse online: grooming, exploitation, coercion, blackmail or an adult involved"
        case .adultAndChildUnder16: "an adult is involved and a child in the case is under 16"
        }
    }
}

extension NamedFact {
    /// The fact's position in `allCases`, without hashing: assessment builds these per case, so lookups are hot.
    var ordinal: Int {
        // A String-backed enum without payloads is stored as its case index.
        MemoryLayout<NamedFact>.size == 1 ? Int(unsafeBitCast(self, to: UInt8.self)) : NamedFact.allCases.firstIndex(of: self)!
    }
}

/// Builds the formula of each named fact for one case, each once.
struct NamedFactCompiler {
    var graph: FormulaGraph
    let facts: CaseFacts
    let space: VariableSpace
    let outcome21InJurisdiction: Bool
    private var built: [Int?]

    init(facts: CaseFacts, outcome21InJurisdiction: Bool) {
        self.graph = FormulaGraph()
        self.facts = facts
        self.space = VariableSpace(facts)
        self.outcome21InJurisdiction = outcome21InJurisdiction
        self.built = Array(repeating: nil, count: NamedFact.allCases.count)
    }

    mutating func node(_ fact: NamedFact) -> Int {
        let i = fact.ordinal
        if let n = built[i] { return n }
        let n = build(fact)
        built[i] = n
        return n
    }

    // MARK: Leaves

    private mutating func circumstance(_ name: String) -> Int {
        graph.fact(space.variable(.circumstance(Circumstances.factNames.firstIndex(of: name)!)))
    }

    private mutating func person(_ i: Int, _ field: PersonField) -> Int { graph.fact(space.variable(.person(i, field))) }

    private mutating func image(_ j: Int, _ field: ImageryField) -> Int { graph.fact(space.variable(.imagery(j, field))) }

    private mutating func isAdult(_ i: Int) -> Int { graph.atLeast(space.variable(.person(i, .age)), 18) }
    private mutating func isChild(_ i: Int) -> Int { graph.atLeast(space.variable(.person(i, .age)), 18, negated: true) }
    private mutating func isUnder(_ age: Int, _ i: Int) -> Int {
        graph.atLeast(space.variable(.person(i, .age)), age, negated: true)
    }

    /// A welfare fact of a child: true only for someone not 18 or over.
    private mutating func childWith(_ i: Int, _ fields: PersonField...) -> Int {
        let child = isChild(i)
        let any = graph.any(fields.map { person(i, $0) })
        return graph.all([child, any])
    }

    private mutating func overPeople(_ body: (inout NamedFactCompiler, Int) -> Int) -> Int {
        var items: [Int] = []
        for i in facts.people.indices { items.append(body(&self, i)) }
        return graph.any(items)
    }

    private mutating func overVisualImagery(_ body: (inout NamedFactCompiler, Int) -> Int) -> Int {
        var items: [Int] = []
        for j in facts.imagery.indices where facts.imagery[j].kind.isVisual { items.append(body(&self, j)) }
        return graph.any(items)
    }

    private mutating func overImagery(_ body: (inout NamedFactCompiler, Int) -> Int) -> Int {
        var items: [Int] = []
        for j in facts.imagery.indices { items.append(body(&self, j)) }
        return graph.any(items)
    }

    // MARK: Definitions

    private mutating func build(_ fact: NamedFact) -> Int {
        switch fact {
        case .adultInvolved:
            return overPeople { c, i in c.facts.people[i].isInvolved ? c.isAdult(i) : FormulaGraph.falseNode }
        case .exploitation: return circumstance("exploitation")
        case .coercion: return circumstance("coercion")
        case .blackmail: return circumstance("blackmail")
        case .grooming: return circumstance("grooming")
        case .profitMotive: return circumstance("profitMotive")
        case .persistent: return circumstance("persistent")
        case .violence:
            let stated = circumstance("violence")
            let shown = overVisualImagery { c, j in c.image(j, .violent) }
            return graph.any([stated, shown])
        case .maliciousSharing:
            return overImagery { c, j in
                let beyond = c.graph.all([c.image(j, .sharedWithoutPermission), c.image(j, .sharedBeyondControl)])
                return c.graph.any([beyond, c.image(j, .uploadedToAdultSite)])
            }
        case .maliciousIntent:
            return graph.any([circumstance("maliciousIntent"), node(.maliciousSharing)])
        case .sexualActsUnder13:
            return overVisualImagery { c, j in
                let depicted = c.facts.imagery[j].depicts.compactMap { ref in c.facts.people.firstIndex { $0.ref == ref } }
                let under13 = c.graph.any(depicted.map { c.isUnder(13, $0) })
                return c.graph.all([c.image(j, .sexualActs), under13])
            }
        case .aggravatingFeatures:
            let parts: [NamedFact] = [.adultInvolved, .exploitation, .coercion, .blackmail, .grooming, .profitMotive,
                                      .violence, .maliciousIntent, .sexualActsUnder13]
            return graph.any(parts.map { node($0) })
        case .outcome21Exclusions:
            return graph.any([node(.aggravatingFeatures), node(.persistent)])
        case .outcome21Available:
            return graph.constant(Tri(outcome21InJurisdiction && facts.setting == .police), .jurisdiction)
        case .notWilling:
            return graph.not(circumstance("willing"))
        case .sharedWithoutPermission:
            return overImagery { c, j in c.image(j, .sharedWithoutPermission) }
        case .notAgeAppropriate:
            return graph.not(circumstance("ageAppropriate"))
        case .higherRisk:
            return graph.any([node(.aggravatingFeatures), node(.notWilling), node(.sharedWithoutPermission),
                              node(.notAgeAppropriate)])
        case .willingOrAccidental:
            return graph.any([circumstance("willing"), circumstance("accidental")])
        case .childAtImmediateRisk:
            return overPeople { c, i in c.childWith(i, .selfHarmRisk, .immediateDanger) }
        case .childInImmediateDanger:
            return overPeople { c, i in c.childWith(i, .immediateDanger) }
        case .immediateDangerReported:
            // "Known" semantics: a flag is raised on what is known, and a person of unknown age counts.
            return overPeople { c, i in
                let danger = c.graph.knownTrue(c.person(i, .immediateDanger))
                let knownAdult = c.graph.knownTrue(c.isAdult(i))
                return c.graph.all([danger, c.graph.not(knownAdult)])
            }
        case .childSubjectToChildProtection:
            return overPeople { c, i in c.childWith(i, .inCare, .childProtectionPlan) }
        case .capacityToConsentConcern:
            return overPeople { c, i in c.childWith(i, .learningDisability) }
        case .parentalInvolvementRisk:
            return overPeople { c, i in c.childWith(i, .parentalInvolvementRisk) }
        case .previousIncidents:
            return overPeople { c, i in
                guard c.facts.people[i].isInvolved else { return FormulaGraph.falseNode }
                let some = c.graph.atLeast(c.space.variable(.person(i, .previousIncidents)), 1)
                return c.graph.all([c.isChild(i), some])
            }
        case .sexualActs:
            return overVisualImagery { c, j in c.image(j, .sexualActs) }
        case .violentOrUnusualImagery:
            return overVisualImagery { c, j in c.graph.any([c.image(j, .violent), c.image(j, .unusualForDevelopmentalStage)]) }
        case .imagerySharedBeyondControl:
            // An upload to an adult site is beyond the child's control whether or not that box was ticked.
            return overVisualImagery { c, j in c.graph.any([c.image(j, .sharedBeyondControl), c.image(j, .uploadedToAdultSite)]) }
        case .imageryOnline:
            return overImagery { c, j in
                let posted = c.graph.constant(Tri(!c.facts.imagery[j].platforms.isEmpty), .platforms(imagery: j))
                return c.graph.any([posted, c.image(j, .sharedBeyondControl), c.image(j, .uploadedToAdultSite)])
            }
        case .uploadedToAdultSite:
            return overImagery { c, j in c.image(j, .uploadedToAdultSite) }
        case .visualImagery:
            return overImagery { c, j in
                c.graph.constant(Tri(c.facts.imagery[j].kind.isVisual), .kind(imagery: j))
            }
        case .textMessages:
            return overImagery { c, j in
                c.graph.constant(Tri(c.facts.imagery[j].kind == .message), .kind(imagery: j))
            }
        case .anyDeviceSeized:
            return graph.any(facts.devices.indices.map { graph.fact(space.variable(.deviceSeized($0))) })
        case .seizedDeviceHoldsImagery:
            var items: [Int] = []
            for d in facts.devices.indices {
                let holds = graph.constant(Tri(!facts.devices[d].containsImageryOf.isEmpty), .devicesHoldImagery(device: d))
                items.append(graph.all([graph.fact(space.variable(.deviceSeized(d))), holds]))
            }
            return graph.any(items)
        case .devicesRecorded:
            return graph.constant(Tri(!facts.devices.isEmpty))
        case .possessorInvolved:
            return overPeople { c, i in
                c.graph.constant(Tri(c.facts.people[i].roles.contains(.possessor)), .roles(person: i))
            }
        case .onlineAbuse:
            return graph.any([node(.grooming), node(.exploitation), node(.coercion), node(.blackmail),
                              node(.adultInvolved)])
        case .adultAndChildUnder16:
            let under16 = overPeople { c, i in c.isUnder(16, i) }
            return graph.all([node(.adultInvolved), under16])
        }
    }
}
