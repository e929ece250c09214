import Foundation

/// A problem with case facts, naming the JSON path and what is allowed there.
///
/// ```swift
/// do { _ = try CaseFacts.decode(json: data) }
/// catch let error as CaseFactsError { print(error) }   // "people[1].age: expected a whole number 0–120 or null"
/// ```
public struct CaseFactsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is, e.g. `people[1].age`; empty for the document as a whole.
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

extension CaseFacts {
    /// Where a case is kept: the jurisdiction and setting of the organisation that keeps it. Facts sent to an
    /// organisation take both from it, so they may leave them out; if they give either, it must be the
    /// organisation's own.
    ///
    /// A decoder is given it in its `userInfo`, under ``CaseFacts/placeKey``, so that facts inside a larger body
    /// are decoded strictly in the same pass as the body:
    ///
    /// ```swift
    /// let place = CaseFacts.Place(jurisdiction: .wales, setting: .education)
    /// let facts = try CaseFacts.decode(json: Data(#"{"people":[]}"#.utf8), at: place)
    /// facts.jurisdiction   // .wales
    /// ```
    public struct Place: Sendable, Hashable {
        public var jurisdiction: Jurisdiction
        public var setting: Setting

        public init(jurisdiction: Jurisdiction, setting: Setting) {
            self.jurisdiction = jurisdiction
            self.setting = setting
        }
    }

    /// Facts kept at `place` with nothing known yet: what a case opened without facts starts from.
    public init(at place: Place) { self.init(jurisdiction: place.jurisdiction, setting: place.setting) }

    /// The `userInfo` key under which a decoder carries the ``Place`` of the facts it decodes.
    public static let placeKey = CodingUserInfoKey(rawValue: "safeguard.caseFacts.place")!

    /// Decodes and checks case facts from JSON, strictly: unknown keys and dangling references are errors. With a
    /// `place`, jurisdiction and setting may be left out, and must be the place's if given.
    public static func decode(json data: Data, at place: Place? = nil) throws(CaseFactsError) -> CaseFacts {
        let root: StrictRootProbe
        do {
            let decoder = JSONDecoder()
            if let place { decoder.userInfo[placeKey] = place }
            root = try decoder.decode(StrictRootProbe.self, from: data)
        } catch let error as CaseFactsError {
            throw error
        } catch {
            throw CaseFactsError(path: "", message: "not valid JSON: \(Self.describe(error))")
        }
        try root.facts.validateReferences()
        return root.facts
    }

    private static func describe(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }

    /// Checks that every reference names something in the case and that references are unique.
    public func validateReferences() throws(CaseFactsError) {
        let personRefs = try Self.uniqueRefs(people.map(\.ref), list: "people", example: "A", owner: "another person")
        func check(_ ref: String, at path: String) throws(CaseFactsError) {
            guard personRefs.contains(ref) else {
                let known = personRefs.isEmpty ? "there are no people in the case" :
                    "people in the case: \(personRefs.sorted().joined(separator: ", "))"
                throw CaseFactsError(path: path, message: "\"\(ref)\" is not a person in the case (\(known))")
            }
        }
        _ = try Self.uniqueRefs(imagery.map(\.ref), list: "imagery", example: "I1", owner: "other imagery")
        for (i, item) in imagery.enumerated() {
            for (j, ref) in item.depicts.enumerated() { try check(ref, at: "imagery[\(i)].depicts[\(j)]") }
        }
        _ = try Self.uniqueRefs(devices.map(\.ref), list: "devices", example: "D1", owner: "another device")
        for (i, device) in devices.enumerated() {
            if let owner = device.owner { try check(owner, at: "devices[\(i)].owner") }
            for (j, ref) in device.containsImageryOf.enumerated() {
                try check(ref, at: "devices[\(i)].containsImageryOf[\(j)]")
            }
        }
    }

    /// The references of one list, each a short label (`isLabel`) used once.
    private static func uniqueRefs(_ refs: [String], list: String, example: String, owner: String)
        throws(CaseFactsError) -> Set<String> {
        var seen = Set<String>()
        for (i, ref) in refs.enumerated() {
            guard !ref.isEmpty else {
                throw CaseFactsError(path: "\(list)[\(i)].ref", message: "expected a short reference such as \"\(example)\"")
            }
            guard isLabel(ref) else {
                throw CaseFactsError(path: "\(list)[\(i)].ref", message: "a reference is one to three letters, with a number if you like "
                                     + "(\"\(example)\", \"B2\"), never a name: \"\(ref.prefix(20))\" is not one")
            }
            guard seen.insert(ref).inserted else {
                throw CaseFactsError(path: "\(list)[\(i)].ref", message: "\"\(ref)\" is used by \(owner); references must be unique")
            }
        }
        return seen
    }
}

extension CaseFacts {
    /// A reference as the guidance uses them, "A", "B2", "I1": one to three ASCII letters, then at most three digits.
    /// References are printed on documents and copied into the audit trail, which is never edited or erased with the
    /// case: a longer one invites a name ("JaneSmith14"), which would then outlive the case there.
    public static func isLabel(_ ref: String) -> Bool {
        let bytes = Array(ref.utf8)
        let letters = bytes.prefix { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
        let digits = bytes.dropFirst(letters.count)
        return (1...3).contains(letters.count) && digits.count <= 3 && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

// MARK: - Strict decoding

struct StrictRootProbe: Decodable {
    var facts: CaseFacts
    init(from decoder: Decoder) throws {
        let o = try StrictObject(decoder, path: "", allowed: CaseFacts.keys)
        let place = decoder.userInfo[CaseFacts.placeKey] as? CaseFacts.Place
        let jurisdiction: Jurisdiction = try o.placed("jurisdiction", place?.jurisdiction)
        let setting: Setting = try o.placed("setting", place?.setting)
        var assessedOn: CalendarDate?
        if let text = try o.string("assessedOn") {
            guard let date = CalendarDate(text) else {
                throw CaseFactsError(path: "assessedOn", message: "expected a date written YYYY-MM-DD, or null for today")
            }
            assessedOn = date
        }
        let people = try o.array("people") { d, p in try Person(strict: d, path: p) }
        let imagery = try o.array("imagery") { d, p in try Imagery(strict: d, path: p) }
        let circumstances = try o.object("circumstances") { d, p in try Circumstances(strict: d, path: p) }
            ?? Circumstances()
        let devices = try o.array("devices") { d, p in try Device(strict: d, path: p) }
        facts = CaseFacts(jurisdiction: jurisdiction, setting: setting, assessedOn: assessedOn, people: people,
                          imagery: imagery, circumstances: circumstances, devices: devices)
    }
}

extension CaseFacts {
    static let keys = ["jurisdiction", "setting", "assessedOn", "people", "imagery", "circumstances", "devices"]
}

extension Person {
    static let keys = ["ref", "age", "roles", "learningDisability", "inCare", "childProtectionPlan", "selfHarmRisk",
                       "immediateDanger", "parentalInvolvementRisk", "previousIncidents"]

    init(strict decoder: Decoder, path: String) throws {
        let o = try StrictObject(decoder, path: path, allowed: Person.keys)
        self.init(
            ref: try o.requiredString("ref", example: "\"A\""),
            age: try o.int("age", in: 0...120, expected: "a whole number 0–120 or null"),
            roles: try o.enumArray("roles"),
            learningDisability: try o.tri("learningDisability"),
            inCare: try o.tri("inCare"),
            childProtectionPlan: try o.tri("childProtectionPlan"),
            selfHarmRisk: try o.tri("selfHarmRisk"),
            immediateDanger: try o.tri("immediateDanger"),
            parentalInvolvementRisk: try o.tri("parentalInvolvementRisk"),
            previousIncidents: try o.int("previousIncidents", in: 0...1000, expected: "a whole number 0 or more, or null")
        )
    }
}

extension Imagery {
    static let keys = ["ref", "kind", "depicts", "sexualActs", "violent", "unusualForDevelopmentalStage",
                       "sharedWithoutPermission", "sharedBeyondControl", "uploadedToAdultSite", "platforms"]

    init(strict decoder: Decoder, path: String) throws {
        let o = try StrictObject(decoder, path: path, allowed: Imagery.keys)
        guard let kind: ImageryKind = try o.enumValue("kind") else {
            throw CaseFactsError(path: o.path("kind"),
                                 message: "required: one of \(ImageryKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.init(
            ref: try o.requiredString("ref", example: "\"I1\""),
            kind: kind,
            depicts: try o.stringArray("depicts"),
            sexualActs: try o.tri("sexualActs"),
            violent: try o.tri("violent"),
            unusualForDevelopmentalStage: try o.tri("unusualForDevelopmentalStage"),
            sharedWithoutPermission: try o.tri("sharedWithoutPermission"),
            sharedBeyondControl: try o.tri("sharedBeyondControl"),
            uploadedToAdultSite: try o.tri("uploadedToAdultSite"),
            platforms: try o.enumArray("platforms")
        )
    }
}

extension Circumstances {
    init(strict decoder: Decoder, path: String) throws {
        let o = try StrictObject(decoder, path: path, allowed: Circumstances.factNames)
        self.init()
        for (i, name) in Circumstances.factNames.enumerated() {
            self[fact: i] = try o.tri(name)
        }
    }
}

extension Device {
    static let keys = ["ref", "owner", "seized", "containsImageryOf"]

    init(strict decoder: Decoder, path: String) throws {
        let o = try StrictObject(decoder, path: path, allowed: Device.keys)
        self.init(
            ref: try o.requiredString("ref", example: "\"D1\""),
            owner: try o.string("owner"),
            seized: try o.tri("seized"),
            containsImageryOf: try o.stringArray("containsImageryOf")
        )
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A JSON object read strictly: every key must be one of `allowed`, every value of the expected type.
struct StrictObject {
    let container: KeyedDecodingContainer<AnyKey>
    let base: String

    init(_ decoder: Decoder, path: String, allowed: [String]) throws {
        guard let container = try? decoder.container(keyedBy: AnyKey.self) else {
            throw CaseFactsError(path: path, message: "expected an object { … }")
        }
        self.container = container
        self.base = path
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            throw CaseFactsError(path: self.path(key.stringValue), message: unknownKeyMessage(key.stringValue, allowed: allowed))
        }
    }

    func path(_ key: String) -> String { base.isEmpty ? key : "\(base).\(key)" }

    private func isAbsentOrNull(_ key: String) throws -> Bool {
        let k = AnyKey(key)
        return try !container.contains(k) || container.decodeNil(forKey: k)
    }

    func tri(_ key: String) throws -> Tri {
        if try isAbsentOrNull(key) { return .unknown }
        guard let value = try? container.decode(Bool.self, forKey: AnyKey(key)) else {
            throw CaseFactsError(path: path(key), message: "expected true, false or null (not known yet)")
        }
        return value ? .true : .false
    }

    func int(_ key: String, in range: ClosedRange<Int>, expected: String) throws -> Int? {
        if try isAbsentOrNull(key) { return nil }
        guard let value = try? container.decode(Int.self, forKey: AnyKey(key)), range.contains(value) else {
            throw CaseFactsError(path: path(key), message: "expected \(expected)")
        }
        return value
    }

    func string(_ key: String) throws -> String? {
        if try isAbsentOrNull(key) { return nil }
        guard let value = try? container.decode(String.self, forKey: AnyKey(key)) else {
            throw CaseFactsError(path: path(key), message: "expected a string or null")
        }
        return value
    }

    func requiredString(_ key: String, example: String) throws -> String {
        guard let value = try string(key), !value.isEmpty else {
            throw CaseFactsError(path: path(key), message: "required: a short reference such as \(example)")
        }
        try guarded(value, key, path(key))
        return value
    }

    /// References are stored and printed: the text guard's rules hold for them however the facts arrive.
    func guarded(_ value: String, _ key: String, _ path: String) throws {
        if let refusal = TextGuard.check(value, limit: FieldLimits.limit(for: key)) {
            throw CaseFactsError(path: path, message: refusal.message)
        }
    }

    func enumValue<E: RawRepresentable & CaseIterable>(_ key: String) throws -> E? where E.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = E(rawValue: text) else {
            throw CaseFactsError(path: path(key), message: Self.expectedOneOf(E.self, got: text))
        }
        return value
    }

    /// A jurisdiction or setting: the place's when there is one (given or not, it must be that), else required.
    func placed<E: RawRepresentable & CaseIterable & Equatable>(_ key: String, _ own: E?) throws -> E
    where E.RawValue == String {
        let given: E? = try enumValue(key)
        if let own {
            if let given, given != own {
                throw CaseFactsError(path: path(key), message: "this organisation's cases have \(key) \(own.rawValue)")
            }
            return own
        }
        guard let given else {
            throw CaseFactsError(path: path(key), message: "required: one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return given
    }

    static func expectedOneOf<E: RawRepresentable & CaseIterable>(_: E.Type, got: String) -> String
    where E.RawValue == String {
        let allowed = E.allCases.map(\.rawValue)
        var message = "\"\(got)\" is not allowed; expected one of \(allowed.joined(separator: ", "))"
        if let near = nearest(to: got, in: allowed) { message += " (did you mean \"\(near)\"?)" }
        return message
    }

    func stringArray(_ key: String) throws -> [String] {
        if try isAbsentOrNull(key) { return [] }
        guard let values = try? container.decode([String].self, forKey: AnyKey(key)) else {
            throw CaseFactsError(path: path(key), message: "expected a list of references, e.g. [\"A\"]")
        }
        for (i, value) in values.enumerated() { try guarded(value, key, "\(path(key))[\(i)]") }
        return values
    }

    func enumArray<E: RawRepresentable & CaseIterable & Equatable>(_ key: String) throws -> [E] where E.RawValue == String {
        let texts: [String]
        if try isAbsentOrNull(key) { return [] }
        do { texts = try container.decode([String].self, forKey: AnyKey(key)) } catch {
            throw CaseFactsError(path: path(key),
                                 message: "expected a list drawn from \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var result: [E] = []
        result.reserveCapacity(texts.count)
        for (i, text) in texts.enumerated() {
            guard let value = E(rawValue: text) else {
                throw CaseFactsError(path: "\(path(key))[\(i)]", message: Self.expectedOneOf(E.self, got: text))
            }
            if !result.contains(value) { result.append(value) }
        }
        return result
    }

    func array<T>(_ key: String, element: (Decoder, String) throws -> T) throws -> [T] {
        if try isAbsentOrNull(key) { return [] }
        guard var list = try? container.nestedUnkeyedContainer(forKey: AnyKey(key)) else {
            throw CaseFactsError(path: path(key), message: "expected a list [ … ]")
        }
        var result: [T] = []
        if let count = list.count { result.reserveCapacity(count) }
        var index = 0
        while !list.isAtEnd {
            result.append(try element(try list.superDecoder(), "\(path(key))[\(index)]"))
            index += 1
        }
        return result
    }

    func object<T>(_ key: String, decode: (Decoder, String) throws -> T) throws -> T? {
        if try isAbsentOrNull(key) { return nil }
        return try decode(try container.superDecoder(forKey: AnyKey(key)), path(key))
    }
}

/// What to say about a key that is not allowed: a likely intended key, then every key allowed there.
func unknownKeyMessage(_ key: String, allowed: [String]) -> String {
    var message = "unknown key"
    if let near = nearest(to: key, in: allowed) { message += " (did you mean \"\(near)\"?)" }
    return message + "; allowed here: \(allowed.joined(separator: ", "))"
}

/// The closest allowed word to a misspelt one, if it is close enough to be a likely typo.
func nearest(to word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, cb) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
    let lower = Array(word.lowercased())
    let scored = candidates.sorted().map { ($0, distance(lower, Array($0.lowercased()))) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 4) else { return nil }
    return best.0
}
