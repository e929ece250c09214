import Foundation
import Testing
@testable import SafeguardCore

// The QR code on the two-factor set-up page (issue 13), checked bit for bit against segno (with its padding fix,
// heuer/segno#148) and python-qrcode: Fixtures/qr/make_fixtures.py regenerates the fixtures.

/// One reference symbol produced by segno (see make_fixtures.py).
struct QRFixture: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let payloadHex: String
    let explicitMask: Int?
    let version: Int
    let mask: Int
    /// segno's penalty score for masks 0...7 (auto-mask fixtures only).
    let penalties: [Int]?
    let matrix: [String]

    var testDescription: String { name }

    var payload: [UInt8] {
        let hex = Array(payloadHex.utf8)
        return stride(from: 0, to: hex.count, by: 2).map { i in
            UInt8(String(decoding: hex[i..<i + 2], as: UTF8.self), radix: 16)!
        }
    }
}

private struct FixtureFile: Decodable {
    let generator: String
    let fixtures: [QRFixture]
}

private let qrFixtures: [QRFixture] = {
    let url = Bundle.module.url(forResource: "qr-fixtures", withExtension: "json", subdirectory: "Fixtures/qr")!
    return try! JSONDecoder().decode(FixtureFile.self, from: Data(contentsOf: url)).fixtures
}()

private func rows(_ code: QRCode) -> [String] {
    code.modules.map { row in String(row.map { $0 ? "1" : "0" }) }
}

@Test func fixturesLoaded() {
    #expect(qrFixtures.count >= 40)
    #expect(Set(qrFixtures.map(\.version)) == Set(1...10))
}

@Test("Explicit masks match segno bit for bit", arguments: qrFixtures.filter { $0.explicitMask != nil })
func explicitMask(_ fixture: QRFixture) throws {
    let code = try QRCode(bytes: fixture.payload, mask: fixture.explicitMask)
    #expect(code.size == fixture.matrix.count)
    #expect(code.size == fixture.version * 4 + 17)
    #expect(code.version == fixture.version)
    #expect(code.mask == fixture.mask)
    #expect(rows(code) == fixture.matrix)
}

@Test("Automatic mask choice matches segno bit for bit", arguments: qrFixtures.filter { $0.explicitMask == nil })
func automaticMask(_ fixture: QRFixture) throws {
    let code = try QRCode(bytes: fixture.payload)
    #expect(code.size == fixture.matrix.count)
    #expect(code.version == fixture.version)
    #expect(code.mask == fixture.mask, "penalty rules chose a different mask than segno")
    #expect(rows(code) == fixture.matrix)
}

@Test("Penalty scores N1+N2+N3+N4 match segno for every mask", arguments: qrFixtures.filter { $0.explicitMask == nil })
func penaltyScores(_ fixture: QRFixture) throws {
    let expected = try #require(fixture.penalties)
    #expect(try QRCode.maskPenalties(bytes: fixture.payload) == expected)
}

@Test func textInitialiserUsesUTF8() throws {
    let text = "Zwei-Faktor für Jürgen – ✓ 日本"
    let fromText = try QRCode(text: text)
    let fromBytes = try QRCode(bytes: Array(text.utf8))
    #expect(fromText.modules == fromBytes.modules)
    let reference = try #require(qrFixtures.first { $0.name == "utf-8 text" })
    #expect(rows(fromText) == reference.matrix)
}

@Test func tooLong() {
    #expect(throws: QRCodeError.tooLong(bytes: 300, maximum: 213)) {
        try QRCode(bytes: Array(repeating: 0x41, count: 300))
    }
    #expect(throws: QRCodeError.tooLong(bytes: 214, maximum: 213)) {
        try QRCode(bytes: Array(repeating: 0x41, count: 214))
    }
    #expect(throws: Never.self) { try QRCode(bytes: Array(repeating: 0x41, count: 213)) }
}

@Test func svgOutput() throws {
    let code = try QRCode(text: "otpauth://totp/Safeguard:a%40b?secret=JBSWY3DPEHPK3PXP&issuer=Safeguard")
    let svg = code.svg(moduleSize: 5, quietZone: 4, title: #"Scan <me> & "enrol" 'now'"#)
    let total = code.size + 8
    #expect(svg.hasPrefix("<svg "))
    #expect(svg.hasSuffix("</svg>"))
    #expect(svg.components(separatedBy: "<path").count - 1 == 1)
    #expect(svg.components(separatedBy: "<svg").count - 1 == 1)
    #expect(svg.contains(#"role="img""#))
    #expect(svg.contains("<title>Scan &lt;me&gt; &amp; &quot;enrol&quot; &apos;now&apos;</title>"))
    #expect(svg.contains(#"viewBox="0 0 \#(total) \#(total)""#))
    #expect(svg.contains(#"width="\#(total * 5)" height="\#(total * 5)""#))
    #expect(svg.contains(##"<rect width="\##(total)" height="\##(total)" fill="#fff"/>"##))
    #expect(svg.contains(##"fill="#000""##))
    #expect(!svg.contains("style="))
    #expect(!svg.lowercased().contains("<script"))
    #expect(!svg.contains("Scan <me>"))
}

/// Rasterises the SVG path back into a module grid to check it draws
/// exactly the dark modules.
@Test func svgPathDrawsExactlyTheDarkModules() throws {
    let code = try QRCode(text: "hello")
    let quiet = 2
    let svg = code.svg(moduleSize: 1, quietZone: quiet, title: "t")
    let d = try #require(svg.split(separator: "d=\"").last?.split(separator: "\"").first)
    var grid = Array(repeating: Array(repeating: false, count: code.size), count: code.size)
    for sub in d.split(separator: "M").filter({ !$0.isEmpty }) {
        // "x yhNv1h-Nz"
        let parts = sub.split(whereSeparator: { " hvz".contains($0) })
        let x = Int(parts[0])! - quiet, y = Int(parts[1])! - quiet, n = Int(parts[2])!
        for c in x..<x + n {
            #expect(!grid[y][c], "module drawn twice")
            grid[y][c] = true
        }
    }
    #expect(grid == code.modules)
}
