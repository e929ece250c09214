/// The ways binary data is commonly written as text, each as a lenient decoder: it decodes what it can and stops at
/// the first character outside its alphabet, because the guard wants the bytes, not a verdict on the encoding.
///
/// Each decoder takes the text's UTF-8 bytes and a starting offset, so the guard can try every alignment: a file
/// whose encoding starts one to four characters into a run (after `AAAA`, say) decodes cleanly from the right offset.
///
/// ```swift
/// var decoded: [UInt8] = []
/// BinaryCarriers.base64(Array("/9j/4AAQ".utf8)[...], into: &decoded)   // [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]
/// ```
enum BinaryCarriers {
    /// Each alphabet as a 256-entry table: the value of a byte, or -1 when it is not in the alphabet.
    static func table(_ alphabet: String, caseInsensitive: Bool = false) -> [Int16] {
        var t = [Int16](repeating: -1, count: 256)
        for (value, byte) in alphabet.utf8.enumerated() {
            t[Int(byte)] = Int16(value)
            if caseInsensitive, byte >= 0x41, byte <= 0x5A { t[Int(byte) + 32] = Int16(value) }
        }
        return t
    }

    /// Standard and URL-safe base64 together.
    static let base64Table: [Int16] = {
        var t = table("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        t[Int(UInt8(ascii: "-"))] = 62
        t[Int(UInt8(ascii: "_"))] = 63
        return t
    }()
    static let base32Table = table("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", caseInsensitive: true)
    static let hexTable = table("0123456789ABCDEF", caseInsensitive: true)
    static let z85Table = table("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")
    static let rfc1924Table = table("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~")
    static let ascii85Table: [Int16] = {
        var t = [Int16](repeating: -1, count: 256)
        for byte in 0x21...0x75 { t[byte] = Int16(byte - 0x21) }
        return t
    }()

    /// Packs `bitsPerSymbol`-bit values into bytes, MSB first (base64, base32, hex), into `out` (emptied first): the
    /// guard decodes every run in every alignment into one buffer, not an array each.
    static func packBits(_ text: ArraySlice<UInt8>, table: [Int16], bitsPerSymbol: Int, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(text.count * bitsPerSymbol / 8)
        var buffer = 0, count = 0
        for byte in text {
            let value = table[Int(byte)]
            if value < 0 { break }
            buffer = (buffer << bitsPerSymbol | Int(value)) & 0xFFFF
            count += bitsPerSymbol
            if count >= 8 {
                count -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> count))
            }
        }
    }

    static func base64(_ text: ArraySlice<UInt8>, into out: inout [UInt8]) { packBits(text, table: base64Table, bitsPerSymbol: 6, into: &out) }
    static func base32(_ text: ArraySlice<UInt8>, into out: inout [UInt8]) { packBits(text, table: base32Table, bitsPerSymbol: 5, into: &out) }
    static func hex(_ text: ArraySlice<UInt8>, into out: inout [UInt8]) { packBits(text, table: hexTable, bitsPerSymbol: 4, into: &out) }

    /// Base-85 in groups of five characters to four bytes (Ascii85 with its `z` shorthand, Z85, RFC 1924), into `out`
    /// (emptied first).
    static func base85(_ text: ArraySlice<UInt8>, table: [Int16], zeroShorthand: Bool = false, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(text.count * 4 / 5)
        var value: UInt64 = 0, count = 0
        for byte in text {
            if zeroShorthand, byte == UInt8(ascii: "z"), count == 0 {
                for _ in 0..<4 { out.append(0) }
                continue
            }
            let digit = table[Int(byte)]
            if digit < 0 { break }
            value = value * 85 + UInt64(digit)
            count += 1
            if count == 5 {
                guard value <= 0xFFFF_FFFF else { break }
                out.append(UInt8(value >> 24 & 0xFF)); out.append(UInt8(value >> 16 & 0xFF))
                out.append(UInt8(value >> 8 & 0xFF)); out.append(UInt8(value & 0xFF))
                value = 0
                count = 0
            }
        }
    }

    /// Percent-encoding, quoted-printable and `\xNN` escapes: each escape becomes its byte, every other byte stays.
    /// Nil when the text holds no escape at all.
    static func escapes(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        var found = false
        var i = text.startIndex
        while i < text.endIndex {
            let byte = text[i]
            var at = -1
            if byte == UInt8(ascii: "%") || byte == UInt8(ascii: "=") { at = i + 1 }
            if byte == UInt8(ascii: "\\"), i + 1 < text.endIndex, text[i + 1] | 0x20 == UInt8(ascii: "x") { at = i + 2 }
            if at >= 0, at + 1 < text.endIndex {
                let high = hexTable[Int(text[at])], low = hexTable[Int(text[at + 1])]
                if high >= 0, low >= 0 {
                    out.append(UInt8(high << 4 | low))
                    found = true
                    i = at + 2
                    continue
                }
            }
            // Quoted-printable soft line break: "=" at the end of a line.
            if byte == UInt8(ascii: "="), i + 1 < text.endIndex, text[i + 1] == 0x0A || text[i + 1] == 0x0D {
                i += 1
                while i < text.endIndex, text[i] == 0x0A || text[i] == 0x0D { i += 1 }
                continue
            }
            out.append(byte)
            i += 1
        }
        return found ? out : nil
    }

    /// Lists of numbers written in decimal or hex (`255, 216, 255`, `0xff 0xd8`): every run of at least three numbers
    /// of 0–255 separated by commas, semicolons, spaces or brackets, as bytes.
    static func numberLists(_ text: ArraySlice<UInt8>) -> [[UInt8]] {
        var lists: [[UInt8]] = []
        var current: [UInt8] = []
        var i = text.startIndex
        func isSeparator(_ b: UInt8) -> Bool {
            b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == UInt8(ascii: ",") || b == UInt8(ascii: ";")
                || b == UInt8(ascii: "[") || b == UInt8(ascii: "]") || b == UInt8(ascii: "(") || b == UInt8(ascii: ")")
                || b == UInt8(ascii: "{") || b == UInt8(ascii: "}")
        }
        func close() {
            if current.count >= 3 { lists.append(current) }
            current.removeAll(keepingCapacity: true)
        }
        while i < text.endIndex, isSeparator(text[i]) { i += 1 }
        while i < text.endIndex {
            var value = -1, end = i
            if text[i] == UInt8(ascii: "0"), i + 1 < text.endIndex, text[i + 1] | 0x20 == UInt8(ascii: "x") {
                end = i + 2
                var v = 0, digits = 0
                while end < text.endIndex, hexTable[Int(text[end])] >= 0, digits < 3 { v = v * 16 + Int(hexTable[Int(text[end])]); end += 1; digits += 1 }
                if digits > 0 { value = v }
            } else {
                var v = 0, digits = 0
                while end < text.endIndex, text[end] >= 0x30, text[end] <= 0x39, digits < 4 { v = v * 10 + Int(text[end] - 0x30); end += 1; digits += 1 }
                if digits > 0 { value = v }
            }
            if value >= 0, value <= 255, end == text.endIndex || isSeparator(text[end]) {
                current.append(UInt8(value))
                i = end
                while i < text.endIndex, isSeparator(text[i]) { i += 1 }
                continue
            }
            close()
            // Skip to the next separator.
            i = max(end, i + 1)
            while i < text.endIndex, !isSeparator(text[i]) { i += 1 }
            while i < text.endIndex, isSeparator(text[i]) { i += 1 }
        }
        close()
        return lists
    }

    /// The maximal runs of bytes in `table`'s alphabet at least `minimum` long.
    static func runs(_ text: ArraySlice<UInt8>, table: [Int16], minimum: Int) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = -1
        for i in text.indices {
            if table[Int(text[i])] >= 0 {
                if start < 0 { start = i }
            } else if start >= 0 {
                if i - start >= minimum { result.append(text[start..<i]) }
                start = -1
            }
        }
        if start >= 0, text.endIndex - start >= minimum { result.append(text[start...]) }
        return result
    }
}
