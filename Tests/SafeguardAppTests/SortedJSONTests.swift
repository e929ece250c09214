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
}
