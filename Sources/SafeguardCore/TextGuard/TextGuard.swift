import Foundation

/// The one place that decides whether a piece of text may be stored: no image or video in any disguise, no text with
/// the shape of encoded binary, no control or bidirectional-override characters, and no more than the field allows.
///
/// Holding an indecent image of a child is itself an offence, so "no image, ever" must hold against a determined
/// sender, not only a careless one. The guard decodes every candidate run in every alignment and in the common
/// encodings (base64 and URL-safe base64, hex with or without separators, percent-encoding, quoted-printable, base32,
/// Ascii85, Z85 and RFC 1924 base85, decimal and hex byte lists), unwraps gzip, zlib and raw DEFLATE, and looks for
/// an image or video signature anywhere in what comes out. Whatever the signature, it also refuses a long run whose
/// characters are as varied as encoded binary and unlike words ("shape"). The request middleware, the form pages and
/// the decoders all call it; the tests hold a corpus of real case wording that it must never refuse.
///
/// ```swift
/// TextGuard.check("A sent B a photo on Snapchat", limit: 500)      // nil: fine
/// TextGuard.check("AAAA/9j/4AAQSkZJRgABAQ…")?.message              // "…looks like image data (JPEG, as base64)…"
/// TextGuard.check("Name\u{202E}cba")                                // .bidiControl
/// ```
public enum TextGuard {
    /// Everything wrong with `text`, or nil when it may be stored. `limit` is the field's length in characters.
    public static func check(_ text: String, limit: Int? = nil) -> TextRefusal? {
        // Imagery first, so that an attempt is refused (and audited) as what it is, whatever else is wrong.
        if let refusal = imagery(in: text) ?? hygiene(text) { return refusal }
        return limit.flatMap { tooLong(text, limit: $0) }
    }

    /// `text` over `limit`, counted in Unicode scalars as JSON Schema's `maxLength` counts (combining marks cannot
    /// stretch a field); nil when it fits.
    public static func tooLong(_ text: String, limit: Int) -> TextRefusal? {
        let length = text.unicodeScalars.count
        return length > limit ? .tooLong(limit: limit, length: length) : nil
    }

    /// Control characters (other than newline, tab, and a carriage return before a newline) and the bidirectional
    /// embedding, override and isolate controls, which could make a name print reversed on a letter.
    public static func hygiene(_ text: String) -> TextRefusal? {
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if previousWasCR, v != 0x0A { return .controlCharacter(codePoint(0x0D)) }
            previousWasCR = false
            if v == 0x0D { previousWasCR = true; continue }
            if isControl(v) { return .controlCharacter(codePoint(v)) }
            if isDirectionControl(v) { return .bidiControl(codePoint(v)) }
        }
        return previousWasCR ? .controlCharacter(codePoint(0x0D)) : nil
    }

    /// `text` without control characters (but line breaks and tab) and without text-direction controls: for
    /// printing text stored before the guard refused them.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { isUnprintable($0.value) }) else { return text }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: text.unicodeScalars.filter { !isUnprintable($0.value) })
        return String(out)
    }

    static func isUnprintable(_ v: UInt32) -> Bool { isControl(v) || isDirectionControl(v) }

    /// C0 and C1 control characters, but newline and tab (a carriage return is judged by what follows it).
    static func isControl(_ v: UInt32) -> Bool { (v < 0x20 && v != 0x0A && v != 0x09 && v != 0x0D) || (0x7F...0x9F).contains(v) }

    /// The bidirectional embedding, override and isolate controls.
    static func isDirectionControl(_ v: UInt32) -> Bool { (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) }

    /// Image or video data in any carrier, or a run with the shape of encoded binary; nil when neither.
    public static func imagery(in text: String) -> TextRefusal? {
        let bytes = Array(text.utf8)
        if let (format, carrier) = scan(bytes[...], depth: 0) { return .imagery(format: format, carrier: carrier) }
        // Bytes carried one per character (Latin-1), e.g. "\u{FF}\u{D8}\u{FF}\u{E0}".
        let scalars = text.unicodeScalars
        if scalars.contains(where: { $0.value >= 0x80 }), scalars.allSatisfy({ $0.value < 0x100 }) {
            let latin1 = scalars.map { UInt8($0.value) }
            if let (format, _) = inspect(latin1, depth: 1) { return .imagery(format: format, carrier: "characters as bytes") }
        }
        if let shape = encodedShape(bytes[...]) { return .encodedData(shape: shape) }
        return nil
    }

    /// The shape of encoded binary in `text` (e.g. several fields of one request joined), named; nil when none.
    public static func encodedShape(in text: String) -> String? { encodedShape(Array(text.utf8)[...]) }

    /// Image or video data in a raw request body (bytes, not text).
    public static func imagery(inBody body: [UInt8]) -> String? {
        ImageSignatures.format(in: body) ?? compressed(body[...])
    }

    // MARK: - Decoding

    /// A space, tab, line feed or carriage return: compared, not hashed, as it is asked of every byte of a body.
    public static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    static let dataImage = Array("data:image/".utf8), dataVideo = Array("data:video/".utf8)

    /// Whether `needle` (lowercase ASCII) is in `bytes`, with ASCII letters compared whatever their case: what
    /// lowercasing the text and searching it found, without making a lowercased copy or going through `NSString`.
    static func contains(_ bytes: ArraySlice<UInt8>, caseless needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, bytes.count >= needle.count else { return needle.isEmpty }
        var start = bytes.startIndex
        let last = bytes.endIndex - needle.count
        while start <= last {
            var matched = 0
            while matched < needle.count {
                let b = bytes[start + matched]
                let lower = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
                guard lower == needle[matched] else { break }
                matched += 1
            }
            if matched == needle.count { return true }
            start += 1
        }
        return false
    }
    /// What people put between the digits of hex bytes: "ff d8", "ff:d8", "0xff, 0xd8", "\xff\xd8", "ff-d8", and the
    /// escapes of percent-encoding and quoted-printable ("%FF%D8", "=FF=D8").
    static func withoutHexSeparators(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if (b == UInt8(ascii: "0") || b == UInt8(ascii: "\\")), i + 1 < bytes.endIndex, bytes[i + 1] | 0x20 == UInt8(ascii: "x") {
                i += 2
                continue
            }
            if isWhitespace(b) || b == UInt8(ascii: ":") || b == UInt8(ascii: ",") || b == UInt8(ascii: ";")
                || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "%") || b == UInt8(ascii: "=") {
                i += 1
                continue
            }
            out.append(b)
            i += 1
        }
        return out
    }

    static let ascii85RunTable: [Int16] = {
        var t = BinaryCarriers.ascii85Table
        t[Int(UInt8(ascii: "z"))] = 0
        return t
    }()

    /// The base-85 alphabets: the table a run is found by, the one it is decoded by, its name in a refusal, and
    /// whether `z` stands for four zeros (Ascii85's runs take in `z`, which its digits do not).
    static let base85Alphabets: [(runs: [Int16], digits: [Int16], name: String, zeroShorthand: Bool)] = [
        (ascii85RunTable, BinaryCarriers.ascii85Table, "Ascii85", true),
        (BinaryCarriers.z85Table, BinaryCarriers.z85Table, "Z85", false),
        (BinaryCarriers.rfc1924Table, BinaryCarriers.rfc1924Table, "base85", false),
    ]

    /// Looks through one piece of text's bytes for an image in any carrier; the format and carrier when found.
    static func scan(_ bytes: ArraySlice<UInt8>, depth: Int) -> (String, String)? {
        if let format = ImageSignatures.format(in: bytes) { return (format, "raw bytes") }
        if let format = compressed(bytes) { return (format, "compressed bytes") }
        let head = bytes.prefix(1_000_000)
        if contains(head, caseless: dataVideo) { return ("video", "data URI") }
        if contains(head, caseless: dataImage) { return ("image", "data URI") }
        let compact = bytes.filter { !isWhitespace($0) }
        let sources: [ArraySlice<UInt8>] = compact.count == bytes.count ? [bytes] : [bytes, compact[...]]
        // Every run in every alignment is decoded into this one buffer, each decoding replacing the last.
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        for source in sources {
            for run in BinaryCarriers.runs(source, table: BinaryCarriers.base64Table, minimum: 4) {
                for offset in 0..<min(4, run.count - 3) {
                    BinaryCarriers.base64(run.dropFirst(offset), into: &decoded)
                    if let found = inspect(decoded, depth: depth) { return (found.0, "base64" + found.1) }
                }
            }
            for run in BinaryCarriers.runs(source, table: BinaryCarriers.base32Table, minimum: 8) {
                for offset in 0..<min(8, run.count - 7) {
                    BinaryCarriers.base32(run.dropFirst(offset), into: &decoded)
                    if let found = inspect(decoded, depth: depth) { return (found.0, "base32" + found.1) }
                }
            }
            for alphabet in base85Alphabets {
                for run in BinaryCarriers.runs(source, table: alphabet.runs, minimum: 5) {
                    for offset in 0..<min(5, run.count - 4) {
                        BinaryCarriers.base85(run.dropFirst(offset), table: alphabet.digits, zeroShorthand: alphabet.zeroShorthand, into: &decoded)
                        if let found = inspect(decoded, depth: depth) { return (found.0, alphabet.name + found.1) }
                    }
                }
            }
        }
        let hexText = withoutHexSeparators(bytes)
        for run in BinaryCarriers.runs(hexText[...], table: BinaryCarriers.hexTable, minimum: 6) {
            for offset in 0..<2 {
                BinaryCarriers.hex(run.dropFirst(offset), into: &decoded)
                if let found = inspect(decoded, depth: depth) { return (found.0, "hex" + found.1) }
            }
        }
        if let unescaped = BinaryCarriers.escapes(bytes) {
            if let found = inspect(unescaped, depth: depth) { return (found.0, "percent or quoted-printable escapes" + found.1) }
            if depth == 0, let found = scan(unescaped[...], depth: 1) { return (found.0, found.1 + " inside escapes") }
        }
        for list in BinaryCarriers.numberLists(bytes) {
            if let found = inspect(list, depth: depth) { return (found.0, "a list of byte values" + found.1) }
        }
        return nil
    }

    /// Checks decoded bytes: a signature anywhere, compressed data holding one, or (once) text that is itself an
    /// encoding. The second element says what was unwrapped on the way (e.g. ", gzip-compressed").
    static func inspect(_ decoded: [UInt8], depth: Int) -> (String, String)? {
        guard decoded.count >= 3 else { return nil }
        if let format = ImageSignatures.format(in: decoded) { return (format, "") }
        if let format = compressed(decoded[...]) { return (format, ", compressed") }
        if depth == 0, decoded.count >= 8 {
            let printable = decoded.reduce(0) { $0 + (($1 >= 0x20 && $1 < 0x7F) || isWhitespace($1) ? 1 : 0) }
            if printable * 100 >= decoded.count * 95, let found = scan(decoded[...], depth: 1) { return (found.0, " of " + found.1) }
        }
        return nil
    }

    /// A signature inside gzip or zlib data starting anywhere in `bytes`, or inside raw DEFLATE data at its start.
    static func compressed(_ bytes: ArraySlice<UInt8>) -> String? {
        let limit = 64 * 1024
        guard bytes.count >= 8 else { return nil }
        var i = bytes.startIndex
        while i + 2 < bytes.endIndex {
            let b = bytes[i]
            if b == 0x1F, bytes[i + 1] == 0x8B, let out = Inflate.gzip(bytes[i...], limit: limit),
               let format = ImageSignatures.format(in: out) { return format }
            if b & 0x0F == 8, b >> 4 <= 7, (Int(b) << 8 | Int(bytes[i + 1])) % 31 == 0,
               let out = Inflate.zlib(bytes[i...], limit: limit), let format = ImageSignatures.format(in: out) { return format }
            i += 1
        }
        if let out = Inflate.raw(bytes, limit: limit), out.count >= 4 { return ImageSignatures.format(in: out) }
        return nil
    }

    // MARK: - Shape

    /// The window over which variety is measured, in characters of one alphabet.
    static let window = 96
    /// Over 96 characters of base64's alphabet, random base64 (the shape of any encoded file) measures about 5.55 bits
    /// a character (5.3 at the least over a thousand tries), and changes between capitals, small letters and digits
    /// at about 64 % of characters. Real wording can be as varied (a serial number beside an IMEI and a postcode
    /// reaches 5.3) but changes class far less often (words run in one case; numbers run in digits): under 35 % in
    /// the corpus test. A window is encoded data only when it is both.
    static let base64Entropy = 5.0
    static let base64ClassChanges = 0.45
    /// Capitals and the digits 2–7 alone (base32): random base32 measures about 4.75 bits a character and changes
    /// between letter and digit at about 30 % of characters; capitals in text rarely hold a digit.
    static let base32Entropy = 4.3
    static let upperTable = BinaryCarriers.table("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    static let nLog2n: [Double] = (0...1024).map { $0 == 0 ? 0 : Double($0) * log2(Double($0)) }

    /// Whether any `window` consecutive bytes of `stream` are more varied than `entropy` bits a character and change
    /// character class (capital, small letter, digit, other) at more than `classChanges` of their positions.
    static func hasEncodedWindow(_ stream: [UInt8], entropy: Double, classChanges: Double = 0) -> Bool {
        guard stream.count >= window else { return false }
        func kind(_ b: UInt8) -> Int { b >= 0x61 && b <= 0x7A ? 0 : b >= 0x41 && b <= 0x5A ? 1 : b >= 0x30 && b <= 0x39 ? 2 : 3 }
        var counts = [Int](repeating: 0, count: 256)
        var sum = 0.0
        var changes = 0
        func add(_ b: UInt8, _ delta: Int) {
            let c = counts[Int(b)]
            sum -= nLog2n[c]
            counts[Int(b)] = c + delta
            sum += nLog2n[c + delta]
        }
        func changed(_ i: Int) -> Int { i > 0 && kind(stream[i]) != kind(stream[i - 1]) ? 1 : 0 }
        let w = Double(window), logW = log2(w), neededChanges = Int((classChanges * Double(window - 1)).rounded(.up))
        for i in 0..<window {
            add(stream[i], 1)
            changes += changed(i)
        }
        for i in window...stream.count {
            if logW - sum / w > entropy, changes >= neededChanges { return true }
            guard i < stream.count else { break }
            add(stream[i - window], -1)
            changes -= changed(i - window + 1)
            add(stream[i], 1)
            changes += changed(i)
        }
        return false
    }

    static let longestLink = 300
    /// How a web link starts, as bytes made once (not at every word of every field).
    static let linkStarts = ["https://", "http://", "www."].map { Array($0.utf8) }

    /// The text without the web links in it (http://, https:// or www. up to the next space), each up to `longestLink`.
    static func withoutLinks(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        func startsLink(_ at: Int) -> Bool {
            for p in linkStarts {
                if at + p.count <= bytes.endIndex, zip(bytes[at..<(at + p.count)], p).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) { return true }
            }
            return false
        }
        while i < bytes.endIndex {
            if (i == bytes.startIndex || isWhitespace(bytes[i - 1]) || bytes[i - 1] == UInt8(ascii: "(")), startsLink(i) {
                var end = i
                while end < bytes.endIndex, !isWhitespace(bytes[end]) { end += 1 }
                if end - i <= longestLink {
                    out.append(0x20)
                    i = end
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    /// Names the shape of encoded binary found in the text, or nil.
    static func encodedShape(_ bytes: ArraySlice<UInt8>) -> String? {
        func isAlnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) }
        // Everything but base64's alphabet dropped, so spaces, punctuation or words between pieces do not hide them.
        // Links are left out: share links carry random-looking ids (a Drive file, a Facebook click id) and officers
        // paste them. A link longer than `longestLink` is not a link anyone pastes, so it stays in.
        let base64Stream = withoutLinks(bytes).filter { isAlnum($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") }
        if hasEncodedWindow(base64Stream, entropy: base64Entropy, classChanges: base64ClassChanges) { return "a long run of base64-like characters" }
        // Hex, base32 and byte values by their words: every word of the text made only of that alphabet, joined
        // in order, so that words, punctuation or other fields between the pieces do not hide them.
        let words = alphanumericWords(withoutUUIDs(withoutLinks(bytes)[...]))
        let hexStream = Array(words.filter { $0.count >= 2 && $0.allSatisfy { BinaryCarriers.hexTable[Int($0)] >= 0 } }.joined())
        // Random hex measures about 3.85 bits a character over 96 and changes between digit and letter at about
        // 47 % of characters; numbers, words of a–f and the odd hash change far less (under 25 % in the corpus).
        if hasEncodedWindow(hexStream, entropy: 3.3, classChanges: 0.3) { return "a long run of hexadecimal" }
        let base32Stream = Array(words.filter { $0.count >= 2 && $0.allSatisfy { upperTable[Int($0)] >= 0 } }.joined())
        if hasEncodedWindow(base32Stream, entropy: base32Entropy, classChanges: 0.12) { return "a long run of base32-like characters" }
        if BinaryCarriers.numberLists(bytes).contains(where: { $0.count >= 32 }) || hasByteValues(words) {
            return "a long list of byte values"
        }
        return nil
    }

    /// The text's words: maximal runs of letters and digits, with a `0x` or `x` before hex digits dropped.
    static func alphanumericWords(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        func isAlnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) }
        var words: [ArraySlice<UInt8>] = []
        var start = -1
        for i in 0...bytes.count {
            if i < bytes.count, isAlnum(bytes[i]) {
                if start < 0 { start = i }
            } else if start >= 0 {
                var word = bytes[start..<i]
                if word.count > 2, word.first == UInt8(ascii: "0"), word[word.startIndex + 1] | 0x20 == UInt8(ascii: "x") { word = word.dropFirst(2) }
                else if word.count > 1, word.first! | 0x20 == UInt8(ascii: "x"), BinaryCarriers.hexTable[Int(word[word.startIndex + 1])] >= 0 { word = word.dropFirst() }
                words.append(word)
                start = -1
            }
        }
        return words
    }

    /// The text with UUIDs (8-4-4-4-12 hex digits) blanked: ids are pasted, and they are as varied as hex.
    static func withoutUUIDs(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out = Array(bytes)
        guard out.count >= 36 else { return out }
        let groups = [8, 4, 4, 4, 12]
        var i = 0
        while i + 36 <= out.count {
            var j = i, ok = true
            for (n, length) in groups.enumerated() {
                for _ in 0..<length where ok { ok = BinaryCarriers.hexTable[Int(out[j])] >= 0; j += 1 }
                if ok, n < 4 { ok = out[j] == UInt8(ascii: "-"); j += 1 }
                if !ok { break }
            }
            if ok {
                for k in i..<(i + 36) { out[k] = 0x20 }
                i += 36
            } else {
                i += 1
            }
        }
        return out
    }

    /// Whether the words hold 32 numbers in a row (other words between them ignored) that look like the bytes of a
    /// file rather than counts, times or dates: all 0–255, at least 20 different, at least 12 of them 100 or more.
    static func hasByteValues(_ words: [ArraySlice<UInt8>]) -> Bool {
        let values = words.compactMap { word -> Int? in
            guard word.count <= 3, word.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            let v = word.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            return v <= 255 ? v : nil
        }
        guard values.count >= 32 else { return false }
        for start in 0...(values.count - 32) {
            let window = values[start..<(start + 32)]
            if Set(window).count >= 20, window.filter({ $0 >= 100 }).count >= 12 { return true }
        }
        return false
    }

    static func codePoint(_ v: UInt32) -> String { "U+" + String(format: "%04X", v) }
}

/// Why the text guard refused a piece of text, in words that say what to do instead.
public enum TextRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// An image or video signature, in the named carrier (e.g. "base64", "hex, compressed").
    case imagery(format: String, carrier: String)
    /// No signature, but the shape of encoded binary data.
    case encodedData(shape: String)
    /// A control character, as "U+0000".
    case controlCharacter(String)
    /// A bidirectional embedding, override or isolate character, as "U+202E".
    case bidiControl(String)
    case tooLong(limit: Int, length: Int)

    /// True for the refusals that mean someone may be trying to store imagery: audited as such.
    public var isImagery: Bool {
        switch self {
        case .imagery, .encodedData: true
        default: false
        }
    }

    public var message: String {
        switch self {
        case .imagery(let format, let carrier):
            "this looks like image or video data (\(format), as \(carrier)). Imagery must never be sent to Safeguard: "
                + "record facts about it instead (its kind, who it depicts, where it went). Nothing was stored."
        case .encodedData(let shape):
            "this holds \(shape), the shape of encoded data rather than words. Imagery and files must never be sent to "
                + "Safeguard: write what happened in words. Nothing was stored."
        case .controlCharacter(let point):
            "remove the control character \(point): only letters, numbers, punctuation, spaces, tabs and new lines are accepted"
        case .bidiControl(let point):
            "remove the text-direction control \(point): it can make a name or sentence print in a different order from how it was typed"
        case .tooLong(let limit, let length):
            "keep it to \(limit.withThousands) characters or fewer (this is \(length.withThousands))"
        }
    }

    public var description: String { message }
}

extension Int {
    /// 2000 as "2,000", without Foundation's locale-dependent formatter.
    public var withThousands: String {
        let digits = String(self)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}
