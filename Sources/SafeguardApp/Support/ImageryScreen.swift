import Fluent
import Foundation

/// Finds image or video data in a request body, however it is carried: raw bytes, base64 or hex text, or a
/// `data:image/…`/`data:video/…` URI — in the body as a whole or in any JSON string or form value.
///
/// It looks for the opening bytes (magic numbers) of JPEG, PNG, GIF, WebP, HEIC/AVIF, MP4/MOV, BMP, TIFF (and AVI),
/// which are enough however short the payload is. It reports only which format, never the data.
public enum ImageryScreen {
    /// The format found, e.g. "jpeg"; nil when the content looks clean.
    public static func scan(body: [UInt8], contentType: String?) -> String? {
        if let found = magic(in: body, anywhere: true) { return found }
        let text = String(decoding: body, as: UTF8.self)
        if let found = scanText(text) { return found }
        let type = (contentType ?? "").lowercased()
        if type.contains("json") || body.first.map({ $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") }) == true,
           let value = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) {
            var found: String?
            walk(value) { string in
                if found == nil { found = scanText(string) }
            }
            if let found { return found }
        }
        if type.contains("x-www-form-urlencoded") || text.contains("=") {
            for pair in text.split(separator: "&") {
                for part in pair.split(separator: "=", maxSplits: 1) {
                    let decoded = String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
                    if let found = scanText(decoded) { return found }
                }
            }
        }
        return nil
    }

    static func walk(_ value: Any, _ visit: (String) -> Void) {
        if let s = value as? String { visit(s) }
        else if let a = value as? [Any] { a.forEach { walk($0, visit) } }
        else if let d = value as? [String: Any] { for (k, v) in d { visit(k); walk(v, visit) } }
    }

    /// Checks one piece of text: itself as bytes (UTF-8 and Latin-1), data URIs, percent-encoding, base64 and hex runs.
    public static func scanText(_ text: String) -> String? {
        let lower = text.lowercased()
        for scheme in ["data:image/", "data:video/", "data:application/octet-stream;base64"] where lower.contains(scheme) {
            return scheme.hasPrefix("data:video") ? "video data URI" : "image data URI"
        }
        if lower.contains("data:") && (lower.contains("%2f") || lower.contains("%3a")),
           let decoded = text.removingPercentEncoding, decoded != text, let found = scanText(decoded) {
            return found
        }
        if let found = magic(in: Array(text.utf8), anywhere: true) { return found }
        // Text whose characters are all below U+0100 may be bytes carried one per character (e.g. "\u00ff\u00d8\u00ff").
        let scalars = text.unicodeScalars
        if scalars.contains(where: { $0.value >= 0x80 }), scalars.allSatisfy({ $0.value < 0x100 }) {
            if let found = magic(in: scalars.map { UInt8($0.value) }, anywhere: true) { return found }
        }
        for run in runs(in: text, of: base64Characters) + runs(in: text.filter { !$0.isWhitespace }, of: base64Characters) {
            if let bytes = decodeBase64Prefix(run), let found = magic(in: bytes, anywhere: false) { return found }
        }
        let hexText = text.replacingOccurrences(of: "0x", with: " ").replacingOccurrences(of: "0X", with: " ")
            .replacingOccurrences(of: "\\x", with: " ")
        for candidate in [hexText, hexText.filter { !" \t\r\n:,-".contains($0) }] {
            for run in runs(in: candidate, of: hexCharacters) where run.count >= 4 {
                if let found = magic(in: decodeHex(run), anywhere: false) { return found }
            }
        }
        return nil
    }

    static let base64Characters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")
    static let hexCharacters = Set("0123456789abcdefABCDEF")

    static func runs(in text: String, of allowed: Set<Character>) -> [Substring] {
        var result: [Substring] = []
        var start: String.Index?
        var i = text.startIndex
        while i < text.endIndex {
            if allowed.contains(text[i]) {
                if start == nil { start = i }
            } else if let s = start {
                if text.distance(from: s, to: i) >= 4 { result.append(text[s..<i]) }
                start = nil
            }
            i = text.index(after: i)
        }
        if let s = start, text.distance(from: s, to: text.endIndex) >= 4 { result.append(text[s...]) }
        return result
    }

    /// Decodes the longest whole-quantum prefix of a base64 (or base64url) run.
    static func decodeBase64Prefix(_ run: Substring) -> [UInt8]? {
        var chars = Array(run.prefix(4096))
        chars = chars.map { $0 == "-" ? "+" : ($0 == "_" ? "/" : $0) }
        let usable = chars.count - chars.count % 4
        guard usable >= 4 else { return nil }
        return Data(base64Encoded: String(chars[0..<usable])).map { [UInt8]($0) }
    }

    static func decodeHex(_ run: Substring) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = run.prefix(4096).makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = high.hexDigitValue, let l = low.hexDigitValue else { break }
            bytes.append(UInt8(h << 4 | l))
        }
        return bytes
    }

    static func starts(_ bytes: ArraySlice<UInt8>, _ prefix: [UInt8]) -> Bool {
        bytes.count >= prefix.count && zip(bytes, prefix).allSatisfy { $0 == $1 }
    }

    static let isoBrands: [String: String] = [
        "heic": "heic", "heix": "heic", "hevc": "heic", "hevx": "heic", "heim": "heic", "heis": "heic",
        "mif1": "heif", "msf1": "heif", "avif": "avif", "avis": "avif",
        "isom": "mp4", "iso2": "mp4", "iso4": "mp4", "iso5": "mp4", "iso6": "mp4", "mp41": "mp4", "mp42": "mp4",
        "avc1": "mp4", "dash": "mp4", "m4v ": "mp4", "M4V ": "mp4", "m4a ": "mp4", "3gp4": "3gp", "3gp5": "3gp",
        "3g2a": "3gp", "qt  ": "mov", "f4v ": "mp4", "crx ": "cr3",
    ]

    /// The format whose header starts at the beginning of `bytes` (or, with `anywhere`, at any offset).
    static func magic(in bytes: [UInt8], anywhere: Bool) -> String? {
        guard bytes.count >= 3 else { return nil }
        let offsets = anywhere ? Array(0...(bytes.count - 3)) : [0]
        for offset in offsets {
            let b = bytes[offset...]
            let first = b.first!
            // Cheap filter on the first byte.
            guard [0xFF, 0x89, 0x47, 0x52, 0x42, 0x49, 0x4D, 0x00].contains(first) else { continue }
            if starts(b, [0xFF, 0xD8, 0xFF]) { return "jpeg" }
            if starts(b, [0x89, 0x50, 0x4E, 0x47]) { return "png" }
            if starts(b, Array("GIF87a".utf8)) || starts(b, Array("GIF89a".utf8)) { return "gif" }
            if starts(b, Array("RIFF".utf8)), b.count >= 12 {
                let kind = String(decoding: b.dropFirst(8).prefix(4), as: UTF8.self)
                if kind == "WEBP" { return "webp" }
                if kind == "AVI " { return "avi" }
            }
            // BMP: "BM", a 4-byte size, then 4 reserved zero bytes.
            if starts(b, [0x42, 0x4D]), b.count >= 10, b.dropFirst(6).prefix(4).allSatisfy({ $0 == 0 }) { return "bmp" }
            if starts(b, [0x49, 0x49, 0x2A, 0x00]) || starts(b, [0x4D, 0x4D, 0x00, 0x2A]) { return "tiff" }
            if starts(b, [0x49, 0x49, 0x2B, 0x00]) || starts(b, [0x4D, 0x4D, 0x00, 0x2B]) { return "tiff" }
            // ISO base media (MP4, MOV, HEIC, AVIF, 3GP): a box size then "ftyp" and a brand; QuickTime atoms.
            if first == 0x00, b.count >= 8 {
                let box = String(decoding: b.dropFirst(4).prefix(4), as: UTF8.self)
                if box == "ftyp" {
                    if b.count >= 12 {
                        let brand = String(decoding: b.dropFirst(8).prefix(4), as: UTF8.self)
                        return isoBrands[brand] ?? "iso media (\(brand.filter { $0.isLetter || $0.isNumber }))"
                    }
                    return "iso media"
                }
                if ["moov", "mdat", "wide", "free", "skip", "pnot"].contains(box), b[b.startIndex + 1] == 0 { return "mov" }
            }
        }
        return nil
    }
}
