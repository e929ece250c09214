import Foundation
import Testing
@testable import SafeguardCore

/// The text guard: every listed image format in every carrier is refused, and real case wording never is.
/// The carriers are made by `Fixtures/imagery/make_carriers.py` with Python's own encoders, not by the guard's decoders.
@Suite struct TextGuardTests {
    struct Carriers: Decodable {
        var headers: [String: [String: String]]
        var files: [String: [String: String]]
        var jpeg37k: String
    }

    static let carriers: Carriers = {
        let data = try! fixtureData("imagery/carriers.json")
        return try! JSONDecoder().decode(Carriers.self, from: data)
    }()

    static let corpus: [String] = {
        let text = String(decoding: try! fixtureData("imagery/realistic-text.txt"), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }
        return lines.split(separator: "---").map { $0.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }()

    @Test func everyListedFormatIsInTheFixture() {
        #expect(Set(Self.carriers.headers.keys) == Set(ImageSignatures.formats))
    }

    /// A header alone is too short for the shape rule, so only decoding can find it: this is the decoders' test.
    @Test(arguments: ImageSignatures.formats)
    func aHeaderIsFoundInEveryCarrier(format: String) throws {
        let byCarrier = try #require(Self.carriers.headers[format])
        for (carrier, text) in byCarrier.sorted(by: { $0.key < $1.key }) {
            let refusal = TextGuard.check(text)
            guard case .imagery(let found, _)? = refusal else {
                Issue.record("\(format) as \(carrier) was not found: \(String(describing: refusal))")
                continue
            }
            // A header can hold another format's signature (a JPEG 2000 box holds "ftyp"); the guard names one.
            #expect(!found.isEmpty)
        }
    }

    @Test(arguments: ImageSignatures.formats)
    func aWholeFileIsRefusedInEveryCarrier(format: String) throws {
        let byCarrier = try #require(Self.carriers.files[format])
        for (carrier, text) in byCarrier.sorted(by: { $0.key < $1.key }) {
            let refusal = TextGuard.check(text)
            #expect(refusal?.isImagery == true, "\(format) as \(carrier) was not refused")
        }
    }

    /// The six pieces of the report: a JPEG's base64 split in six, each after "AAAA".
    /// A data URI is found whatever the case of its letters, and only its letters: no other byte stands in for
    /// the colon or the slash.
    @Test func aDataURIIsFoundInAnyCase() {
        #expect(TextGuard.imagery(in: "see Data:Video/mp4;base64,AAAA here") == .imagery(format: "video", carrier: "data URI"))
        #expect(TextGuard.imagery(in: "x DATA:IMAGE/png;base64,AAAA") == .imagery(format: "image", carrier: "data URI"))
        let near = Array("data\u{1A}image\u{0F}".utf8)
        #expect(!TextGuard.contains(near[...], caseless: TextGuard.dataImage))
        #expect(TextGuard.contains(Array("..dAtA:iMaGe/".utf8)[...], caseless: TextGuard.dataImage))
        #expect(!TextGuard.contains(Array("data:imag".utf8)[...], caseless: TextGuard.dataImage))
    }

    @Test func aSplitFileIsRefusedPieceByPiece() {
        let b64 = Self.carriers.jpeg37k
        let size = b64.count / 6 + 1
        var start = b64.startIndex
        while start < b64.endIndex {
            let end = b64.index(start, offsetBy: size, limitedBy: b64.endIndex) ?? b64.endIndex
            let piece = "AAAA" + b64[start..<end]
            #expect(TextGuard.check(piece)?.isImagery == true)
            start = end
        }
    }

    @Test func realCaseWordingIsNeverRefused() {
        #expect(Self.corpus.count >= 45)
        for text in Self.corpus {
            #expect(TextGuard.check(text, limit: 4_000) == nil, "refused real wording: \(text)")
        }
        // Long runs of one letter or digit are not encoded data.
        for text in [String(repeating: "a", count: 501), String(repeating: "7", count: 300), String(repeating: "deadbeef", count: 30)] {
            #expect(TextGuard.check(text) == nil)
        }
        // Run together as one long note too: the shape windows must not add up across entries.
        #expect(TextGuard.check(Self.corpus.joined(separator: "\n")) == nil)
    }

    /// Random base64, base32 and hex of 72 bytes (96 characters of base64): no signature, refused by shape alone.
    @Test func encodedNoiseIsRefusedByShape() {
        var generator = SplitMix64(seed: 2026)
        for _ in 0..<500 {
            let bytes = (0..<72).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let b64 = Data(bytes).base64EncodedString()
            #expect(TextGuard.encodedShape(Array(b64.utf8)[...]) != nil, "base64 noise passed: \(b64)")
            let b32 = base32(bytes)
            #expect(TextGuard.encodedShape(Array(b32.utf8)[...]) != nil, "base32 noise passed: \(b32) \(b32.count)")
            let hex = (bytes + bytes.reversed()).map { String(format: "%02x", $0) }.joined(separator: " ")
            #expect(TextGuard.encodedShape(Array(hex.utf8)[...]) != nil, "hex noise passed")
            // Pieces of base64 hidden between words are still one stream to the shape rule.
            let hidden = stride(from: 0, to: b64.count, by: 16).map { i -> String in
                let s = b64.index(b64.startIndex, offsetBy: i)
                return String(b64[s..<(b64.index(s, offsetBy: 16, limitedBy: b64.endIndex) ?? b64.endIndex)])
            }.joined(separator: ". Then ")
            #expect(TextGuard.check(hidden)?.isImagery == true, "base64 between words passed")
        }
    }

    func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var out = "", buffer = 0, bits = 0
        for byte in bytes {
            buffer = buffer << 8 | Int(byte); bits += 8
            while bits >= 5 { bits -= 5; out.append(alphabet[(buffer >> bits) & 31]) }
            buffer &= (1 << bits) - 1
        }
        return out
    }

    @Test func controlCharactersAreRefusedButNewlinesAndTabsAreNot() {
        #expect(TextGuard.check("line one\nline two\r\n\tindented") == nil)
        #expect(TextGuard.check("Name\u{0}") == .controlCharacter("U+0000"))
        #expect(TextGuard.check("bell\u{7}") == .controlCharacter("U+0007"))
        #expect(TextGuard.check("lone\rreturn") == .controlCharacter("U+000D"))
        #expect(TextGuard.check("C1 \u{85} control") == .controlCharacter("U+0085"))
        #expect(TextGuard.check("escape \u{1B}[31m red") == .controlCharacter("U+001B"))
    }

    /// Bidirectional controls are refused, not stripped: the person typing sees at once what was wrong.
    @Test(arguments: [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069] as [UInt32])
    func bidirectionalControlsAreRefused(codePoint: UInt32) {
        let text = "Jane \(Character(Unicode.Scalar(codePoint)!))htimS"
        #expect(TextGuard.check(text) == .bidiControl(String(format: "U+%04X", codePoint)))
        #expect(TextGuard.check(text)?.message.contains("text-direction") == true)
        // Right-to-left text itself is fine.
        #expect(TextGuard.check("محمد علي") == nil)
    }

    @Test func aFieldsLimitIsCountedInCharacters() {
        #expect(TextGuard.check(String(repeating: "é", count: 500), limit: 500) == nil)
        #expect(TextGuard.check(String(repeating: "é", count: 501), limit: 500) == .tooLong(limit: 500, length: 501))
        #expect(TextRefusal.tooLong(limit: 2_000, length: 2_345).message == "keep it to 2,000 characters or fewer (this is 2,345)")
    }

    @Test func inflateReadsWhatPythonsZlibWrote() throws {
        // zlib.compress(b"hello hello hello hello", 9), written out by Python.
        let zlibBytes: [UInt8] = [120, 218, 203, 72, 205, 201, 201, 87, 200, 64, 39, 1, 104, 3, 8, 177]
        let out = try #require(Inflate.zlib(zlibBytes[...], limit: 1_000))
        #expect(String(decoding: out, as: UTF8.self) == "hello hello hello hello")
        // Garbage gives nothing or a little, never a crash, and never more than the limit.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let noise = (0..<200).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect((Inflate.raw(noise[...], limit: 100)?.count ?? 0) <= 100)
        }
    }

    /// The guard reads a 256 KiB value in linear time: 4× the text takes nowhere near 16× as long.
    @Test func scanningIsLinear() {
        let words = String(repeating: "The child said the photo was sent on Snapchat at 18:20. ", count: 1_200)
        let clock = ContinuousClock()
        let small = clock.measure { _ = TextGuard.check(String(words.prefix(16_000))) }
        let large = clock.measure { _ = TextGuard.check(String(words.prefix(64_000))) }
        #expect(large < small * 10, "16k chars took \(small), 64k took \(large)")
    }
}
