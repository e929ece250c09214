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
        let root = try arena.member(value, codingPath: [])
        var out: [UInt8] = []
        out.reserveCapacity(arena.bytes.count + 4_096)
        arena.write(root, into: &out)
        return out
    }

    public static func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try bytes(value), as: UTF8.self)
    }

    /// Appends `text` as a JSON string: quoted, with quotes, backslashes and control characters escaped, and `/` too
    /// when `escapingSlashes` (as `JSONEncoder` does unless told not to). Runs of plain bytes are copied whole.
    public static func appendString(_ text: UnsafeBufferPointer<UInt8>, escapingSlashes: Bool, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var run = 0
        for index in 0..<text.count {
            let byte = text[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
                    || (escapingSlashes && byte == UInt8(ascii: "/")) else { continue }
            if run < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: text[run..<index])) }
            run = index + 1
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
        if run < text.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: text[run..<text.count])) }
        out.append(UInt8(ascii: "\""))
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
    final class Node {
        enum Kind { case empty, object, array, single }
        var kind = Kind.empty
        var keys: [String] = []
        var members: [Member] = []
    }

    /// Where scalars are written as they are encoded, and the one place that turns a value into a member.
    final class Arena {
        var bytes: [UInt8] = []

        init() { bytes.reserveCapacity(16_384) }

        func member<T: Encodable>(_ value: T, codingPath: @autoclosure () -> [any CodingKey]) throws -> Member {
            let start = bytes.count
            if T.self == String.self {
                SortedJSON.appendString(value as! String, escapingSlashes: true, into: &bytes)
            } else if T.self == Bool.self {
                bytes.append(contentsOf: ((value as! Bool) ? "true" : "false").utf8)
            } else if T.self == Int.self {
                bytes.append(contentsOf: String(value as! Int).utf8)
            } else if Self.isOtherInteger(T.self), let integer = value as? any FixedWidthInteger {
                // Asked of the type first: a cast to a protocol for every object and array cost more than writing it.
                bytes.append(contentsOf: "\(integer)".utf8)
            } else if T.self == Date.self || T.self == Data.self || T.self == URL.self || T.self == Decimal.self
                        || T.self == Double.self || T.self == Float.self {
                // Formatted by JSONEncoder's own strategies: let it write them.
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                bytes.append(contentsOf: try encoder.encode(value))
            } else {
                let node = Node()
                try value.encode(to: NodeEncoder(arena: self, node: node, codingPath: codingPath()))
                // A value that wrote one value (an enum by its raw value, an optional) is that value.
                if node.kind == .single, case .bytes(let range)? = node.members.first { return .bytes(range) }
                return .node(node)
            }
            return .bytes(start..<bytes.count)
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
            case .bytes(let range): out.append(contentsOf: bytes[range])
            case .node(let node): write(node, into: &out)
            }
        }

        func write(_ node: Node, into out: inout [UInt8]) {
            switch node.kind {
            case .single:
                if let member = node.members.first { write(member, into: &out) }
            case .array:
                out.append(UInt8(ascii: "["))
                for (index, member) in node.members.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    write(member, into: &out)
                }
                out.append(UInt8(ascii: "]"))
            case .object, .empty:
                out.append(UInt8(ascii: "{"))
                let keys = node.keys
                // By key bytes; of a key given twice, the one given last (JSONEncoder keeps the last too).
                let order = keys.indices.sorted { a, b in
                    keys[a] == keys[b] ? a < b : keys[a].utf8.lexicographicallyPrecedes(keys[b].utf8)
                }
                var first = true
                for (position, index) in order.enumerated() {
                    if position + 1 < order.count, keys[order[position + 1]] == keys[index] { continue }
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    SortedJSON.appendString(keys[index], escapingSlashes: true, into: &out)
                    out.append(UInt8(ascii: ":"))
                    write(node.members[index], into: &out)
                }
                out.append(UInt8(ascii: "}"))
            }
        }
    }

    private struct NodeEncoder: Encoder {
        let arena: Arena
        let node: Node
        var codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if node.kind == .empty { node.kind = .object }
            return KeyedEncodingContainer(Keyed(arena: arena, node: node, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if node.kind == .empty { node.kind = .array }
            return Unkeyed(arena: arena, node: node, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            Single(arena: arena, node: node, codingPath: codingPath)
        }
    }

    private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let arena: Arena
        let node: Node
        var codingPath: [any CodingKey]

        private func add(_ key: Key, _ member: Member) {
            node.keys.append(key.stringValue)
            node.members.append(member)
        }
        private func nested(_ key: Key) -> NodeEncoder {
            let child = Node()
            add(key, .node(child))
            return NodeEncoder(arena: arena, node: child, codingPath: codingPath + [key])
        }

        mutating func encodeNil(forKey key: Key) throws { add(key, arena.null()) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            add(key, try arena.member(value, codingPath: codingPath + [key]))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey> { nested(key).container(keyedBy: keyType) }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { nested(key).unkeyedContainer() }
        mutating func superEncoder() -> any Encoder {
            let child = Node()
            node.keys.append("super")
            node.members.append(.node(child))
            return NodeEncoder(arena: arena, node: child, codingPath: codingPath)
        }
        mutating func superEncoder(forKey key: Key) -> any Encoder { nested(key) }
    }

    private struct Unkeyed: UnkeyedEncodingContainer {
        let arena: Arena
        let node: Node
        var codingPath: [any CodingKey]
        var count: Int { node.members.count }

        private func nested() -> NodeEncoder {
            let child = Node()
            node.members.append(.node(child))
            return NodeEncoder(arena: arena, node: child, codingPath: codingPath)
        }

        mutating func encodeNil() throws { node.members.append(arena.null()) }
        mutating func encode<T: Encodable>(_ value: T) throws { node.members.append(try arena.member(value, codingPath: codingPath)) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            nested().container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { nested().unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { nested() }
    }

    private struct Single: SingleValueEncodingContainer {
        let arena: Arena
        let node: Node
        var codingPath: [any CodingKey]

        private func set(_ member: Member) {
            node.kind = .single
            node.members = [member]
        }
        mutating func encodeNil() throws { set(arena.null()) }
        mutating func encode<T: Encodable>(_ value: T) throws { set(try arena.member(value, codingPath: codingPath)) }
    }
}
