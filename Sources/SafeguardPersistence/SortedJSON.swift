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
        let root = Node()
        try root.set(value, codingPath: [])
        var out: [UInt8] = []
        out.reserveCapacity(16_384)
        root.write(into: &out)
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

    /// One value being encoded: a scalar already written, an object or an array of values; none of them when the
    /// value asked for no container (written `{}`, as `JSONEncoder` writes it).
    final class Node {
        var scalar: [UInt8]?
        var object: [String: Node]?
        var array: [Node]?

        func set<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
            if T.self == String.self {
                var bytes: [UInt8] = []
                SortedJSON.appendString(value as! String, escapingSlashes: true, into: &bytes)
                scalar = bytes
            } else if T.self == Int.self {
                scalar = Array(String(value as! Int).utf8)
            } else if T.self == Bool.self {
                scalar = Array(((value as! Bool) ? "true" : "false").utf8)
            } else if let integer = value as? any FixedWidthInteger {
                scalar = Array("\(integer)".utf8)
            } else if T.self == Date.self || T.self == Data.self || T.self == URL.self || T.self == Decimal.self
                        || T.self == Double.self || T.self == Float.self {
                // Formatted by JSONEncoder's own strategies: let it write them.
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                scalar = Array(try encoder.encode(value))
            } else {
                try value.encode(to: NodeEncoder(node: self, codingPath: codingPath))
            }
        }

        func write(into out: inout [UInt8]) {
            if let scalar {
                out.append(contentsOf: scalar)
            } else if let array {
                out.append(UInt8(ascii: "["))
                for (index, element) in array.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    element.write(into: &out)
                }
                out.append(UInt8(ascii: "]"))
            } else {
                out.append(UInt8(ascii: "{"))
                let members = (object ?? [:]).sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                for (index, member) in members.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    SortedJSON.appendString(member.key, escapingSlashes: true, into: &out)
                    out.append(UInt8(ascii: ":"))
                    member.value.write(into: &out)
                }
                out.append(UInt8(ascii: "}"))
            }
        }

        func child(_ key: String) -> Node {
            let node = Node()
            if object == nil { object = [:] }
            object![key] = node
            return node
        }

        func appended() -> Node {
            let node = Node()
            if array == nil { array = [] }
            array!.append(node)
            return node
        }
    }

    private struct NodeEncoder: Encoder {
        let node: Node
        var codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if node.object == nil { node.object = [:] }
            return KeyedEncodingContainer(Keyed(node: node, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if node.array == nil { node.array = [] }
            return Unkeyed(node: node, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(node: node, codingPath: codingPath) }
    }

    private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        var codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) throws { node.child(key.stringValue).scalar = Array("null".utf8) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try node.child(key.stringValue).set(value, codingPath: codingPath + [key])
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey> {
            NodeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            NodeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.child("super"), codingPath: codingPath) }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            NodeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key])
        }
    }

    private struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey]
        var count: Int { node.array?.count ?? 0 }

        mutating func encodeNil() throws { node.appended().scalar = Array("null".utf8) }
        mutating func encode<T: Encodable>(_ value: T) throws { try node.appended().set(value, codingPath: codingPath) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            NodeEncoder(node: node.appended(), codingPath: codingPath).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            NodeEncoder(node: node.appended(), codingPath: codingPath).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.appended(), codingPath: codingPath) }
    }

    private struct Single: SingleValueEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey]

        mutating func encodeNil() throws { node.scalar = Array("null".utf8) }
        mutating func encode<T: Encodable>(_ value: T) throws { try node.set(value, codingPath: codingPath) }
    }
}
