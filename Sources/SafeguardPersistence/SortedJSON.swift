import Foundation

/// Writes a value as JSON with sorted keys: byte for byte what Foundation's `JSONEncoder` with `.sortedKeys` writes
/// on Linux, without its cost. An assessment is stored this way at every case opening and fact change, and
/// `JSONEncoder` was the largest part of opening a case.
///
/// Keys are sorted by their UTF-8 bytes, as Foundation sorts them off Apple's platforms; strings are escaped as it
/// escapes them (`/` as `\/`). Dates, data, URLs, decimals and floating-point numbers, which `JSONEncoder` formats by
/// its own strategies, are handed to it one value at a time. A test holds the two equal on every bundled example.
///
/// ```swift
/// let text = try SortedJSON.string(assessment)   // what JSONEncoder with .sortedKeys writes
/// ```
public enum SortedJSON {
    public static func bytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        let arena = Arena()
        let root = try arena.member(value, parent: nil, step: .root)
        var out: [UInt8] = []
        out.reserveCapacity(arena.bytes.count + 4_096)
        arena.write(root, into: &out)
        return out
    }

    public static func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try bytes(value), as: UTF8.self)
    }

    /// The bytes of the value of `key` in a JSON object's top level, found by walking the members' bounds without
    /// parsing them; nil when the text is not an object, has no such member or has it twice, spells its key with
    /// escapes, or is not well formed where walked. A caller decodes the member alone, and on nil decodes the whole.
    ///
    /// The member is not checked beyond its bounds (decoding it does that), nor is the rest of the object: it is for
    /// JSON this store wrote, where one member of a 20 KB assessment is wanted.
    ///
    /// ```swift
    /// SortedJSON.member("b", of: #"{"a":"}","b":{"c":[1]}}"#)   // the bytes of {"c":[1]}
    /// ```
    public static func member(_ key: String, of json: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let n = json.count
        var i = 0
        func skipSpace() { while i < n, json[i] == 0x20 || json[i] == 0x0A || json[i] == 0x0D || json[i] == 0x09 { i += 1 } }
        /// The index of the quote that ends the string whose opening quote is at `start`.
        func endOfString(_ start: Int) -> Int? {
            var j = start + 1
            while j < n {
                if json[j] == UInt8(ascii: "\\") { j += 2; continue }
                if json[j] == UInt8(ascii: "\"") { return j }
                j += 1
            }
            return nil
        }
        /// The index just past the value starting at `start`.
        func endOfValue(_ start: Int) -> Int? {
            guard start < n else { return nil }
            switch json[start] {
            case UInt8(ascii: "\""):
                return endOfString(start).map { $0 + 1 }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0, j = start
                while j < n {
                    switch json[j] {
                    case UInt8(ascii: "\""):
                        guard let end = endOfString(j) else { return nil }
                        j = end
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 { return j + 1 }
                    default: break
                    }
                    j += 1
                }
                return nil
            default:
                // A number, true, false or null: up to the next separator.
                var j = start
                while j < n, json[j] != UInt8(ascii: ","), json[j] != UInt8(ascii: "}"), json[j] != UInt8(ascii: "]"),
                      json[j] != 0x20, json[j] != 0x0A, json[j] != 0x0D, json[j] != 0x09 { j += 1 }
                return j > start ? j : nil
            }
        }
        let wanted = Array(key.utf8)
        var found: Range<Int>?
        skipSpace()
        guard i < n, json[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        skipSpace()
        if i < n, json[i] == UInt8(ascii: "}") { return nil }
        while true {
            skipSpace()
            guard i < n, json[i] == UInt8(ascii: "\""), let keyEnd = endOfString(i) else { return nil }
            let name = json[(i + 1)..<keyEnd]
            if name.contains(UInt8(ascii: "\\")) { return nil }
            i = keyEnd + 1
            skipSpace()
            guard i < n, json[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            guard let valueEnd = endOfValue(i) else { return nil }
            if name.elementsEqual(wanted) {
                guard found == nil else { return nil }
                found = i..<valueEnd
            }
            i = valueEnd
            skipSpace()
            guard i < n else { return nil }
            if json[i] == UInt8(ascii: ",") { i += 1; continue }
            guard json[i] == UInt8(ascii: "}") else { return nil }
            return found.map { Array(json[$0]) }
        }
    }

    /// `member(_:of:)` of a string's UTF-8.
    public static func member(_ key: String, of json: String) -> [UInt8]? {
        var json = json
        return json.withUTF8 { member(key, of: $0) }
    }

    /// Appends `text` as a JSON string: quoted, with quotes, backslashes and control characters escaped, and `/` too
    /// when `escapingSlashes` (as `JSONEncoder` does unless told not to). Runs of plain bytes are copied whole, and
    /// found eight bytes at a time: most text has nothing to escape, and this was a fifth of writing an assessment.
    public static func appendString(_ text: UnsafeBufferPointer<UInt8>, escapingSlashes: Bool, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        guard let base = text.baseAddress else {
            out.append(UInt8(ascii: "\""))
            return
        }
        let count = text.count
        var run = 0
        var index = 0
        while true {
            while index &+ 8 <= count,
                  !wordNeedsEscape(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self), escapingSlashes: escapingSlashes) {
                index &+= 8
            }
            guard index < count else { break }
            let byte = base[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
                    || (escapingSlashes && byte == UInt8(ascii: "/")) else {
                index &+= 1
                continue
            }
            if run < index { out.append(contentsOf: UnsafeBufferPointer(start: base + run, count: index - run)) }
            index &+= 1
            run = index
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]])
            }
        }
        if run < count { out.append(contentsOf: UnsafeBufferPointer(start: base + run, count: count - run)) }
        out.append(UInt8(ascii: "\""))
    }

    /// Whether any of eight bytes must be escaped: one below 0x20, a quote, a backslash, or (when asked) a slash. The
    /// classic word-at-a-time tests (a byte below n; a zero byte after XOR), exact as a yes or no for the word.
    @inline(__always)
    static func wordNeedsEscape(_ word: UInt64, escapingSlashes: Bool) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let control = (word &- ones &* 0x20) & ~word & highs != 0
        let quote = hasZero(word ^ (ones &* UInt64(UInt8(ascii: "\""))))
        let backslash = hasZero(word ^ (ones &* UInt64(UInt8(ascii: "\\"))))
        let slash = escapingSlashes && hasZero(word ^ (ones &* UInt64(UInt8(ascii: "/"))))
        return control || quote || backslash || slash
    }

    public static func appendString(_ text: String, escapingSlashes: Bool, into out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString($0, escapingSlashes: escapingSlashes, into: &out) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A value as encoded so far: scalars are already JSON, written into the arena as they come (no allocation of
    /// their own); an object or array is a `Node`, written out once everything is in, with its keys sorted.
    enum Member {
        case bytes(Range<Int>)
        case node(Node)
    }

    /// A value that asked the encoder for a container: an object (keys and members), an array, or one value; none of
    /// them when it asked for no container (written `{}`, as `JSONEncoder` writes it).
    ///
    /// A node also knows where it sits (its parent and its key or index), so that a coding path is made only when
    /// something asks for one: making it for every value was a fifth of the work.
    final class Node {
        enum Kind { case empty, object, array, single }
        enum Step { case root, key(any CodingKey), index(Int) }
        var kind = Kind.empty
        /// An object's keys and members in the order given; an array's members (with empty keys).
        var entries: [(key: String, member: Member)] = []
        /// What a single-value container was given.
        var single: Member?
        /// Unowned: a parent holds its children in `entries`, so a strong link back would keep every tree alive
        /// for ever (a leak at every case opening). A child is only ever used while its parent is being encoded.
        unowned let parent: Node?
        let step: Step

        init(parent: Node?, step: Step) {
            self.parent = parent
            self.step = step
        }

        /// The keys from the root to this node, as `Encoder.codingPath` gives them.
        var codingPath: [any CodingKey] {
            var path: [any CodingKey] = []
            var node: Node? = self
            while let current = node {
                switch current.step {
                case .root: break
                case .key(let key): path.append(key)
                case .index(let index): path.append(IndexKey(intValue: index))
                }
                node = current.parent
            }
            return path.reversed()
        }
    }

    /// An array element's place in a coding path.
    struct IndexKey: CodingKey {
        var stringValue: String { "Index \(intValue ?? 0)" }
        var intValue: Int?
        init(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }

    /// Where scalars are written as they are encoded, and the one place that turns a value into a member.
    final class Arena {
        var bytes: [UInt8] = []

        init() { bytes.reserveCapacity(16_384) }

        func string(_ value: String) -> Member {
            let start = bytes.count
            SortedJSON.appendString(value, escapingSlashes: true, into: &bytes)
            return .bytes(start..<bytes.count)
        }

        func bool(_ value: Bool) -> Member {
            let start = bytes.count
            bytes.append(contentsOf: (value ? "true" : "false").utf8)
            return .bytes(start..<bytes.count)
        }

        func int(_ value: Int) -> Member {
            let start = bytes.count
            if value >= 0 && value < 10 {
                bytes.append(UInt8(ascii: "0") + UInt8(value))
            } else {
                bytes.append(contentsOf: String(value).utf8)
            }
            return .bytes(start..<bytes.count)
        }

        /// `value` as a member; `parent` and `step` say where it sits, for a coding path if one is asked for.
        func member<T: Encodable>(_ value: T, parent: Node?, step: @autoclosure () -> Node.Step) throws -> Member {
            // The type is compared first, then the value read as that type: no dynamic cast, which cost more than
            // writing the value.
            if T.self == String.self {
                return string(unsafeBitCast(value, to: String.self))
            } else if T.self == Bool.self {
                return bool(unsafeBitCast(value, to: Bool.self))
            } else if T.self == Int.self {
                return int(unsafeBitCast(value, to: Int.self))
            } else if Self.isOtherInteger(T.self), let integer = value as? any FixedWidthInteger {
                let start = bytes.count
                bytes.append(contentsOf: "\(integer)".utf8)
                return .bytes(start..<bytes.count)
            } else if T.self == Date.self || T.self == Data.self || T.self == URL.self || T.self == Decimal.self
                        || T.self == Double.self || T.self == Float.self {
                // Formatted by JSONEncoder's own strategies: let it write them.
                let start = bytes.count
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                bytes.append(contentsOf: try encoder.encode(value))
                return .bytes(start..<bytes.count)
            } else {
                let node = Node(parent: parent, step: step())
                try value.encode(to: NodeEncoder(arena: self, node: node))
                // A value that wrote one value (an enum by its raw value, an optional) is that value.
                if node.kind == .single, case .bytes(let range)? = node.single { return .bytes(range) }
                return .node(node)
            }
        }

        /// Two keys in the order of their UTF-8 bytes: compared in place (keys are native strings, so this is one
        /// `memcmp`), the slower generic way only when a key is not stored contiguously.
        static func compareBytes(_ a: String, _ b: String) -> ComparisonResult {
            let result = a.utf8.withContiguousStorageIfAvailable { x in
                b.utf8.withContiguousStorageIfAvailable { y -> ComparisonResult in
                    let common = min(x.count, y.count)
                    let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                    if order != 0 { return order < 0 ? .orderedAscending : .orderedDescending }
                    return x.count == y.count ? .orderedSame : (x.count < y.count ? .orderedAscending : .orderedDescending)
                }
            }
            if let result = result ?? nil { return result }
            if a.utf8.elementsEqual(b.utf8) { return .orderedSame }
            return a.utf8.lexicographicallyPrecedes(b.utf8) ? .orderedAscending : .orderedDescending
        }

        /// An integer type other than `Int`, which `JSONEncoder` writes as a plain number too.
        static func isOtherInteger(_ type: Any.Type) -> Bool {
            type == Int8.self || type == Int16.self || type == Int32.self || type == Int64.self || type == UInt.self
                || type == UInt8.self || type == UInt16.self || type == UInt32.self || type == UInt64.self
        }

        func null() -> Member {
            let start = bytes.count
            bytes.append(contentsOf: "null".utf8)
            return .bytes(start..<bytes.count)
        }

        func write(_ member: Member, into out: inout [UInt8]) {
            switch member {
            case .bytes(let range): bytes.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[range])) }
            case .node(let node): write(node, into: &out)
            }
        }

        func write(_ node: Node, into out: inout [UInt8]) {
            switch node.kind {
            case .single:
                if let member = node.single { write(member, into: &out) }
            case .array:
                out.append(UInt8(ascii: "["))
                for (index, entry) in node.entries.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    write(entry.member, into: &out)
                }
                out.append(UInt8(ascii: "]"))
            case .object, .empty:
                out.append(UInt8(ascii: "{"))
                let entries = node.entries
                // By key bytes; of a key given twice, the one given last (JSONEncoder keeps the last too).
                let order = entries.indices.sorted { a, b in
                    switch Self.compareBytes(entries[a].key, entries[b].key) {
                    case .orderedSame: a < b
                    case .orderedAscending: true
                    case .orderedDescending: false
                    }
                }
                var first = true
                for (position, index) in order.enumerated() {
                    if position + 1 < order.count, entries[order[position + 1]].key == entries[index].key { continue }
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    SortedJSON.appendString(entries[index].key, escapingSlashes: true, into: &out)
                    out.append(UInt8(ascii: ":"))
                    write(entries[index].member, into: &out)
                }
                out.append(UInt8(ascii: "}"))
            }
        }
    }

    private struct NodeEncoder: Encoder {
        let arena: Arena
        let node: Node
        var codingPath: [any CodingKey] { node.codingPath }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if node.kind == .empty {
                node.kind = .object
                node.entries.reserveCapacity(8)
            }
            return KeyedEncodingContainer(Keyed(arena: arena, node: node))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if node.kind == .empty { node.kind = .array }
            return Unkeyed(arena: arena, node: node)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            Single(arena: arena, node: node)
        }
    }

    private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let arena: Arena
        let node: Node
        var codingPath: [any CodingKey] { node.codingPath }

        private func add(_ key: Key, _ member: Member) {
            node.entries.append((key.stringValue, member))
        }
        private func nested(_ key: Key) -> NodeEncoder {
            let child = Node(parent: node, step: .key(key))
            add(key, .node(child))
            return NodeEncoder(arena: arena, node: child)
        }

        mutating func encodeNil(forKey key: Key) throws { add(key, arena.null()) }
        mutating func encode(_ value: String, forKey key: Key) throws { add(key, arena.string(value)) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { add(key, arena.bool(value)) }
        mutating func encode(_ value: Int, forKey key: Key) throws { add(key, arena.int(value)) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            add(key, try arena.member(value, parent: node, step: .key(key)))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey> { nested(key).container(keyedBy: keyType) }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { nested(key).unkeyedContainer() }
        mutating func superEncoder() -> any Encoder {
            let child = Node(parent: node, step: .key(SuperKey()))
            node.entries.append(("super", .node(child)))
            return NodeEncoder(arena: arena, node: child)
        }
        mutating func superEncoder(forKey key: Key) -> any Encoder { nested(key) }
    }

    /// The key `superEncoder()` writes under.
    private struct SuperKey: CodingKey {
        var stringValue: String { "super" }
        var intValue: Int? { nil }
        init() {}
        init?(stringValue: String) { nil }
        init?(intValue: Int) { nil }
    }

    private struct Unkeyed: UnkeyedEncodingContainer {
        let arena: Arena
        let node: Node
        var codingPath: [any CodingKey] { node.codingPath }
        var count: Int { node.entries.count }

        private func add(_ member: Member) { node.entries.append(("", member)) }
        private func nested() -> NodeEncoder {
            let child = Node(parent: node, step: .index(node.entries.count))
            add(.node(child))
            return NodeEncoder(arena: arena, node: child)
        }

        mutating func encodeNil() throws { add(arena.null()) }
        mutating func encode(_ value: String) throws { add(arena.string(value)) }
        mutating func encode(_ value: Bool) throws { add(arena.bool(value)) }
        mutating func encode(_ value: Int) throws { add(arena.int(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            add(try arena.member(value, parent: node, step: .index(node.entries.count)))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            nested().container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { nested().unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { nested() }
    }

    private struct Single: SingleValueEncodingContainer {
        let arena: Arena
        let node: Node
        var codingPath: [any CodingKey] { node.codingPath }

        private func set(_ member: Member) {
            node.kind = .single
            node.single = member
        }
        mutating func encodeNil() throws { set(arena.null()) }
        mutating func encode(_ value: String) throws { set(arena.string(value)) }
        mutating func encode(_ value: Bool) throws { set(arena.bool(value)) }
        mutating func encode(_ value: Int) throws { set(arena.int(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws { set(try arena.member(value, parent: node.parent, step: node.step)) }
    }
}
