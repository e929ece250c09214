import Foundation

// Case facts encode to the contract's JSON; unknown facts are written as `null`, never left out, so that a reader
// sees every question that is still open.

extension Tri: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = container.decodeNil() ? .unknown : Tri(try container.decode(Bool.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value = bool { try container.encode(value) } else { try container.encodeNil() }
    }
}

extension CaseFacts: Codable {
    private enum Keys: String, CodingKey {
        case jurisdiction, setting, assessedOn, people, imagery, circumstances, devices
    }

    /// Decoding through `Decodable` is as strict as ``CaseFacts/decode(json:)``, without the reference checks.
    public init(from decoder: Decoder) throws {
        let probe = try StrictRootProbe(from: decoder)
        self = probe.facts
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(jurisdiction, forKey: .jurisdiction)
        try c.encode(setting, forKey: .setting)
        try c.encode(assessedOn, forKey: .assessedOn)
        try c.encode(people, forKey: .people)
        try c.encode(imagery, forKey: .imagery)
        try c.encode(circumstances, forKey: .circumstances)
        try c.encode(devices, forKey: .devices)
    }

    /// The facts as JSON in the contract's shape, keys sorted so that equal facts give equal bytes.
    public func jsonData(pretty: Bool = false) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys]
        // Encoding plain value types to JSON cannot fail.
        return try! encoder.encode(self)
    }
}

extension Person: Codable {
    private enum Keys: String, CodingKey {
        case ref, age, roles, learningDisability, inCare, childProtectionPlan, selfHarmRisk, immediateDanger,
             parentalInvolvementRisk, previousIncidents
    }

    public init(from decoder: Decoder) throws { try self.init(strict: decoder, path: "person") }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(ref, forKey: .ref)
        try c.encode(age, forKey: .age)
        try c.encode(roles, forKey: .roles)
        try c.encode(learningDisability, forKey: .learningDisability)
        try c.encode(inCare, forKey: .inCare)
        try c.encode(childProtectionPlan, forKey: .childProtectionPlan)
        try c.encode(selfHarmRisk, forKey: .selfHarmRisk)
        try c.encode(immediateDanger, forKey: .immediateDanger)
        try c.encode(parentalInvolvementRisk, forKey: .parentalInvolvementRisk)
        try c.encode(previousIncidents, forKey: .previousIncidents)
    }
}

extension Imagery: Codable {
    private enum Keys: String, CodingKey {
        case ref, kind, depicts, sexualActs, violent, unusualForDevelopmentalStage, sharedWithoutPermission,
             sharedBeyondControl, uploadedToAdultSite, platforms
    }

    public init(from decoder: Decoder) throws { try self.init(strict: decoder, path: "imagery") }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(ref, forKey: .ref)
        try c.encode(kind, forKey: .kind)
        try c.encode(depicts, forKey: .depicts)
        try c.encode(sexualActs, forKey: .sexualActs)
        try c.encode(violent, forKey: .violent)
        try c.encode(unusualForDevelopmentalStage, forKey: .unusualForDevelopmentalStage)
        try c.encode(sharedWithoutPermission, forKey: .sharedWithoutPermission)
        try c.encode(sharedBeyondControl, forKey: .sharedBeyondControl)
        try c.encode(uploadedToAdultSite, forKey: .uploadedToAdultSite)
        try c.encode(platforms, forKey: .platforms)
    }
}

extension Circumstances: Codable {
    public init(from decoder: Decoder) throws { try self.init(strict: decoder, path: "circumstances") }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        for (i, name) in Circumstances.factNames.enumerated() {
            try c.encode(self[fact: i], forKey: AnyKey(name))
        }
    }
}

extension Device: Codable {
    private enum Keys: String, CodingKey { case ref, owner, seized, containsImageryOf }

    public init(from decoder: Decoder) throws { try self.init(strict: decoder, path: "device") }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(ref, forKey: .ref)
        try c.encode(owner, forKey: .owner)
        try c.encode(seized, forKey: .seized)
        try c.encode(containsImageryOf, forKey: .containsImageryOf)
    }
}
