import Foundation
import Vapor

/// Reads a request body's shape in one linear pass, before anything parses it: JSON nesting, the number of fields,
/// and the length of each string; form bodies split into name and value pairs. A body over any cap is refused at
/// once, so no parser ever spends more than linear time on what one request sent.
///
/// ```swift
/// try BoundedBody.checkJSON(bytes)                // throws 400/413 naming the cap
/// let pairs = try BoundedBody.formPairs(bytes)    // [("summary", "…"), …]
/// ```
enum BoundedBody {
    /// Deepest nesting of JSON objects and arrays: the case facts need 4.
    static let maxDepth = 32
    /// Most fields (object members and array elements) in one body, or name and value pairs in one form.
    static let maxFields = 2_000
    static let maxFormPairs = 500
    /// Longest single string, in bytes as sent (escapes count): above every field's limit in characters.
    static let maxStringBytes = 32 * 1024

    /// Refuses JSON that nests too deep, has too many fields, or holds an over-long string. Malformed JSON is left
    /// for the decoder to describe.
    static func checkJSON(_ bytes: [UInt8]) throws {
        var depth = 0, fields = 0, inString = false, escaped = false, stringStart = 0
        for (i, b) in bytes.enumerated() {
            if inString {
                if escaped { escaped = false; continue }
                if b == UInt8(ascii: "\\") { escaped = true; continue }
                if b == UInt8(ascii: "\"") {
                    inString = false
                    if i - stringStart > maxStringBytes {
                        throw APIError.badRequest("a string in the body is over \(maxStringBytes / 1024) KiB; no field takes that much text")
                    }
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true; stringStart = i
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > maxDepth {
                    throw APIError.badRequest("the JSON nests deeper than \(maxDepth) levels; no request needs that")
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                fields += 1
                if fields > maxFields * 2 {
                    throw APIError(.payloadTooLarge, "too_large", "the JSON has more than \(maxFields) fields; send less")
                }
            default: break
            }
        }
        if inString, bytes.count - stringStart > maxStringBytes {
            throw APIError.badRequest("a string in the body is over \(maxStringBytes / 1024) KiB; no field takes that much text")
        }
    }

    /// The name and value pairs of an `application/x-www-form-urlencoded` body or a query string, decoded, in order.
    static func formPairs(_ bytes: some Collection<UInt8>) throws -> [(String, String)] {
        var pairs: [(String, String)] = []
        var start = bytes.startIndex
        var i = bytes.startIndex
        func take(_ piece: some Collection<UInt8>) throws {
            guard !piece.isEmpty else { return }
            guard pairs.count < maxFormPairs else {
                throw APIError(.payloadTooLarge, "too_large", "the form has more than \(maxFormPairs) fields; send less")
            }
            guard piece.count <= maxStringBytes * 3 else {
                throw APIError(.payloadTooLarge, "too_large", "a field in the form is over \(maxStringBytes / 1024) KiB; no field takes that much text")
            }
            let text = String(decoding: piece, as: UTF8.self)
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            pairs.append((decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
        }
        while i != bytes.endIndex {
            if bytes[i] == UInt8(ascii: "&") {
                try take(bytes[start..<i])
                start = bytes.index(after: i)
            }
            i = bytes.index(after: i)
        }
        try take(bytes[start..<i])
        return pairs
    }

    static func decode(_ s: Substring) -> String {
        let plus = s.contains("+") ? s.replacingOccurrences(of: "+", with: " ") : String(s)
        return plus.contains("%") ? (plus.removingPercentEncoding ?? plus) : plus
    }

    /// Every string in parsed JSON with the name of the member that holds it (array items take their array's name;
    /// member names are checked under "field name").
    static func strings(in value: Any, key: String = "body", into out: inout [(String, String)]) {
        if let s = value as? String { out.append((key, s)) }
        else if let a = value as? [Any] { for item in a { strings(in: item, key: key, into: &out) } }
        else if let d = value as? [String: Any] {
            // In name order, so that the same body is read the same way by every process (a dictionary's own order
            // changes from one process to the next).
            for (k, v) in d.sorted(by: { $0.key < $1.key }) {
                out.append(("field name", k))
                strings(in: v, key: k, into: &out)
            }
        }
    }
}
