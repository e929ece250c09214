import Foundation
@testable import SafeguardCore
@testable import SafeguardPersistence
import Testing

/// `SortedJSON` stores assessments in place of `JSONEncoder` with `.sortedKeys` (issue 9: it was the largest part of
/// opening a case), so it must write the very same bytes.
@Suite struct SortedJSONTests {
    static func foundation<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }

    @Test("Every worked example of every bundled pack is stored as JSONEncoder would store its assessment, and its facts too")
    func everyPackExample() throws {
        let examples = GuidanceLibrary.bundled.packs.flatMap(\.examples)
        #expect(examples.count >= 20, "the packs' examples are the spread of cases this checks")
        for example in examples {
            let assessment = GuidanceLibrary.bundled.assess(example.facts, today: CalendarDate("2026-11-30")!)
            #expect(try SortedJSON.bytes(assessment) == Self.foundation(assessment), "\(example.name)")
            #expect(try SortedJSON.bytes(example.facts) == Self.foundation(example.facts), "\(example.name): facts")
        }
    }

    @Test("One member of a stored assessment is found without parsing the rest: every worked example's decisions decode the same")
    func decisionsAloneOfEveryPackExample() throws {
        for example in GuidanceLibrary.bundled.packs.flatMap(\.examples) {
            let assessment = GuidanceLibrary.bundled.assess(example.facts, today: CalendarDate("2026-11-30")!)
            let stored = try SortedJSON.string(assessment)
            let member = try #require(SortedJSON.member("decisions", of: stored), "\(example.name)")
            #expect(try JSONDecoder().decode(Decisions.self, from: Data(member)) == assessment.decisions, "\(example.name)")
            // Any member is the bytes its value is written as.
            #expect(SortedJSON.member("assessedOn", of: stored) == (try SortedJSON.bytes(assessment.assessedOn)))
            #expect(SortedJSON.member("recommendations", of: stored) == (try SortedJSON.bytes(assessment.recommendations)))
        }
    }

    @Test("A member is found by its bounds: strings holding brackets, quotes and backslashes, spaces, nesting; nil when it cannot be sure")
    func memberBounds() {
        func member(_ json: String, _ key: String = "decisions") -> String? {
            SortedJSON.member(key, of: json).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(member(#"{"a":"}\"{[","decisions":{"x":"]}\\"},"z":[{"decisions":2}]}"#) == #"{"x":"]}\\"}"#)
        #expect(member(#" { "a" : [ 1 , { "b" : null } ] , "decisions" : true } "#) == "true")
        #expect(member(#"{"a":"\\","decisions":"ok"}"#) == #""ok""#)
        #expect(member(#"{"decisions":-1.5e3,"b":[]}"#) == "-1.5e3")
        #expect(member(#"{"decisions":[[],{}]}"#) == "[[],{}]")
        // Only the top level, only once, only plainly spelt.
        #expect(member(#"{"a":{"decisions":1}}"#) == nil)
        #expect(member(#"{"decisions":1,"decisions":2}"#) == nil)
        #expect(member(#"{"decision\u0073":1}"#) == nil)
        #expect(member(#"{"a":1}"#) == nil)
        #expect(member("{}") == nil)
        // Not an object, or not well formed where walked.
        for json in ["", "[1]", #""decisions""#, #"{"a":1,"decisions":"#, #"{"a" 1}"#, #"{"decisions":"open}"#,
                     #"{"decisions":{"x":1}"#, #"{"decisions":1 "b":2}"#, #"{"decisions":1,}"#] {
            #expect(member(json) == nil, "\(json)")
        }
    }

    struct Empty: Encodable {}

    struct Awkward: Encodable {
        var text = "quote \" backslash \\ slash / line\n tab\t \u{0}\u{1f}\u{7f} Ünïcödé — 😀"
        var keyed: [String: Int] = ["b": 1, "B": 2, "a10": 3, "a9": 4, "é": 5, "e": 6, "": 7, "Z/": 8]
        var absent: String? = nil
        var present: Int? = 0
        var small: Int8 = -8
        var large: UInt64 = .max
        var widths: [String: [Int64]] = ["each": [Int64(Int16.min), Int64(Int32.max), .min]]
        var int16: Int16 = -16, int32: Int32 = .min, int64: Int64 = .max
        var uint: UInt = .max, uint16: UInt16 = 16, uint32: UInt32 = .max
        var negative = Int.min
        var flag = false
        var number = 0.1
        var whole = 3.0
        var when = Date(timeIntervalSince1970: 1_764_601_842.5)
        var data = Data([0, 1, 254, 255])
        var link = URL(string: "https://example.invalid/a?b=c")!
        var nested: [[String]] = [[], ["x"], ["y", "z"]]
        var nothing = Empty()
        var nothings = [Empty(), Empty()]
        var tri: Tri = .unknown

        enum CodingKeys: String, CodingKey {
            case text, keyed, absent, present, small, large, negative, flag, number, whole, when, data, link, nested
            case nothing, nothings, tri, explicitNull = "explicit null", zSuper = "Zsuper"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(text, forKey: .text)
            try c.encode(keyed, forKey: .keyed)
            try c.encodeIfPresent(absent, forKey: .absent)
            try c.encodeIfPresent(present, forKey: .present)
            try c.encode(small, forKey: .small)
            try c.encode(large, forKey: .large)
            try c.encode(negative, forKey: .negative)
            try c.encode(flag, forKey: .flag)
            try c.encode(number, forKey: .number)
            try c.encode(whole, forKey: .whole)
            try c.encode(when, forKey: .when)
            try c.encode(data, forKey: .data)
            try c.encode(link, forKey: .link)
            try c.encode(nested, forKey: .nested)
            try c.encode(nothing, forKey: .nothing)
            try c.encode(nothings, forKey: .nothings)
            try c.encode(tri, forKey: .tri)
            try c.encodeNil(forKey: .explicitNull)
            var inner = c.nestedUnkeyedContainer(forKey: .zSuper)
            try inner.encodeNil()
            try inner.encode(1 as UInt8)
            var deeper = inner.nestedContainer(keyedBy: CodingKeys.self)
            try deeper.encode("later", forKey: .text)
            try deeper.encode("earlier", forKey: .absent)
            try deeper.encode("again", forKey: .text)   // a key given twice: JSONEncoder keeps the last
        }
    }

    @Test("Awkward values come out as JSONEncoder writes them: escapes, key order by bytes, a key given twice, nulls, every integer, and the types JSONEncoder formats itself")
    func awkwardValues() throws {
        let value = Awkward()
        let ours = try SortedJSON.bytes(value)
        #expect(ours == (try Self.foundation(value)), "\(String(decoding: ours, as: UTF8.self))")
        #expect(try SortedJSON.bytes([3, 1, 2]) == Self.foundation([3, 1, 2]))
        #expect(try SortedJSON.bytes("top/level") == Self.foundation("top/level"))
    }

    /// The escaper one byte at a time, as it was before it looked at eight bytes at once.
    static func escapedByteByByte(_ bytes: [UInt8], escapingSlashes: Bool) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "/") where escapingSlashes: out += [UInt8(ascii: "\\"), byte]
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case ..<0x20: out += Array(String(format: "\\u%04x", Int(byte)).utf8)
            default: out.append(byte)
            }
        }
        return out + [UInt8(ascii: "\"")]
    }

    @Test("Strings are escaped exactly as one byte at a time would, whatever their length and wherever an escape falls in a word of eight bytes")
    func escapesAtEveryPlace() throws {
        // Every byte that must be escaped, its neighbours, and bytes of multi-byte UTF-8 (at or above 0x80, where the
        // word tests must not see a control character).
        let awkward: [UInt8] = [0x00, 0x01, 0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x2E, 0x2F, 0x30,
                                0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xA2, 0xAF, 0xDC, 0xE2, 0xFF]
        var checked = 0
        for length in 0...24 {
            for position in 0..<max(length, 1) {
                for byte in awkward {
                    var text = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    if length > 0 { text[position] = byte }
                    for slashes in [true, false] {
                        var out: [UInt8] = []
                        text.withUnsafeBufferPointer { SortedJSON.appendString($0, escapingSlashes: slashes, into: &out) }
                        #expect(out == Self.escapedByteByByte(text, escapingSlashes: slashes), "\(text) slashes: \(slashes)")
                        checked += 1
                    }
                }
            }
        }
        // Longer texts of random bytes, several escapes to a word.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let text = (0..<Int.random(in: 0...200, using: &generator)).map { _ in
                Bool.random(using: &generator) ? awkward.randomElement(using: &generator)! : UInt8.random(in: 0x20...0x7E, using: &generator)
            }
            var out: [UInt8] = []
            text.withUnsafeBufferPointer { SortedJSON.appendString($0, escapingSlashes: true, into: &out) }
            #expect(out == Self.escapedByteByByte(text, escapingSlashes: true), "\(text)")
        }
        #expect(checked > 10_000)
    }

    /// Notes the coding path it is encoded at (as "key" or "[index]"), in each container it opens.
    final class PathLog: @unchecked Sendable { var paths: [String] = [] }
    struct PathProbe: Encodable {
        let log: PathLog
        static func describe(_ path: [any CodingKey]) -> String {
            path.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }.joined(separator: ".")
        }
        func encode(to encoder: any Encoder) throws {
            log.paths.append(Self.describe(encoder.codingPath))
            var single = encoder.singleValueContainer()
            log.paths.append("single " + Self.describe(single.codingPath))
            try single.encode("probe")
        }
    }
    struct PathTree: Encodable {
        let log: PathLog
        enum CodingKeys: String, CodingKey { case a, b }
        func encode(to encoder: any Encoder) throws {
            var keyed = encoder.container(keyedBy: CodingKeys.self)
            try keyed.encode(PathProbe(log: log), forKey: .a)
            var list = keyed.nestedUnkeyedContainer(forKey: .b)
            log.paths.append("list " + PathProbe.describe(list.codingPath))
            try list.encode("x")
            try list.encode(PathProbe(log: log))
            var inner = list.nestedContainer(keyedBy: CodingKeys.self)
            log.paths.append("inner " + PathProbe.describe(inner.codingPath))
            try inner.encode([PathProbe(log: log)], forKey: .a)
        }
    }

    @Test("A value asking where it is being encoded is told its whole coding path, keys and indexes from the root (the path is made only when asked)")
    func codingPaths() throws {
        let ours = PathLog()
        _ = try SortedJSON.bytes(PathTree(log: ours))
        #expect(ours.paths == ["a", "single a", "list b", "b.[1]", "single b.[1]", "inner b.[2]", "b.[2].a.[0]", "single b.[2].a.[0]"])
        // JSONEncoder (swift-foundation 6.3) tells the same paths except inside a nested unkeyed container, where it
        // drops the keys above the element ("[1]" for "b.[1]"); that is not copied.
    }

    @Test("A value's nodes are freed once it is written: a child does not keep its parent alive, nor the parent its child")
    func nodesAreFreed() throws {
        weak var root: SortedJSON.Node?
        weak var child: SortedJSON.Node?
        try {
            let arena = SortedJSON.Arena()
            let member = try arena.member(Awkward(), parent: nil, step: .root)
            guard case .node(let node) = member else { Issue.record("an object is a node"); return }
            root = node
            child = node.entries.lazy.compactMap { entry -> SortedJSON.Node? in
                if case .node(let inner) = entry.member { inner } else { nil }
            }.first
            #expect(child != nil && child?.parent === node)
            var out: [UInt8] = []
            arena.write(member, into: &out)
            #expect(!out.isEmpty)
        }()
        #expect(root == nil, "the root node was not freed")
        #expect(child == nil, "a child node was not freed")
    }
}

