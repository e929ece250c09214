import Foundation

extension UUID {
    /// An id from its text: 8-4-4-4-12 hexadecimal digits, either case, as `uuidString` and PostgreSQL write it; nil
    /// for anything else. Foundation's `UUID(uuidString:)` goes through `sscanf`, a visible share of a case read (the
    /// id in its path is parsed twice, and every id read from SQLite once).
    ///
    /// ```swift
    /// UUID(text: "01A23B96-0B32-7874-9363-A328729A5DDF")   // the id
    /// UUID(text: "not an id")                              // nil
    /// ```
    public init?(text: some StringProtocol) {
        var text = String(text)
        guard let id = text.withUTF8({ UUID(utf8: $0) }) else { return nil }
        self = id
    }

    /// An id from the UTF-8 bytes of its text (a column's bytes, read in place); nil unless exactly 36 bytes of
    /// 8-4-4-4-12 hexadecimal digits.
    public init?(utf8 text: UnsafeBufferPointer<UInt8>) {
        guard text.count == 36 else { return nil }
        @inline(__always) func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c &- 48
            case 65...70: c &- 55
            case 97...102: c &- 87
            default: nil
            }
        }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &value) { bytes -> Bool in
            var index = 0
            var byte = 0
            while index < 36 {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard text[index] == UInt8(ascii: "-") else { return false }
                    index += 1
                    continue
                }
                guard let high = nibble(text[index]), let low = nibble(text[index + 1]) else { return false }
                bytes[byte] = high << 4 | low
                byte += 1
                index += 2
            }
            return true
        }
        guard parsed else { return nil }
        self = UUID(uuid: value)
    }

    /// The id as `uuidString` writes it (capitals, 8-4-4-4-12), without its formatter (`snprintf`, for every id bound
    /// to a SQLite statement).
    public var text: String { text(digits: Self.upperDigits) }

    /// The id as `uuidString.lowercased()` writes it (as the audit trail stores ids), in one step.
    public var lowercasedText: String { text(digits: Self.lowerDigits) }

    private static let upperDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
    private static let lowerDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The id as `text` writes it, added to the end of `out` (a response body), with no string made between.
    public func appendText(to out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: 36))
        out.withUnsafeMutableBufferPointer { write(digits: Self.upperDigits, into: UnsafeMutableBufferPointer(rebasing: $0[start...])) }
    }

    private func text(digits: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            write(digits: digits, into: out)
            return 36
        }
    }

    /// The 36 characters, 8-4-4-4-12, into `out` (at least 36 long).
    private func write(digits: [UInt8], into out: UnsafeMutableBufferPointer<UInt8>) {
        withUnsafeBytes(of: uuid) { id in
            var position = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                out[position] = digits[Int(id[index] >> 4)]
                out[position + 1] = digits[Int(id[index] & 0x0F)]
                position += 2
            }
        }
    }
}
