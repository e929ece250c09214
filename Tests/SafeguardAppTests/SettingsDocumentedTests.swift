import Foundation
import Testing

/// Every setting the server reads from the environment is in the README's Settings table and in
/// `deploy/env.example`, which says it lists them all: a newcomer found six missing from one and three from the other.
@Suite struct SettingsDocumentedTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every `"SAFEGUARD_…"` (and `"DATABASE_URL"`) named in the sources.
    static func settingsRead() throws -> Set<String> {
        var found = Set<String>()
        let sources = root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        let pattern = try Regex(#""((SAFEGUARD_[A-Z_]+)|DATABASE_URL)""#)
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: pattern) { found.insert(String(text[match.range]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))) }
        }
        return found
    }

    @Test func everySettingIsInTheREADMEAndTheExampleEnvironmentFile() throws {
        let settings = try Self.settingsRead()
        #expect(settings.count >= 15, "\(settings.sorted())")
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let example = try String(contentsOf: Self.root.appendingPathComponent("deploy/env.example"), encoding: .utf8)
        let table = readme.components(separatedBy: "\n").filter { $0.hasPrefix("| `") }.joined(separator: "\n")
        // Named whole ("`SAFEGUARD_AUDIT_KEY`" or "`SAFEGUARD_SECURE_COOKIES=1`"), not as the start of a longer name.
        #expect(settings.filter { !table.contains("`\($0)`") && !table.contains("`\($0)=") }.sorted() == [], "missing from the README's Settings table")
        #expect(settings.filter { !example.contains("\($0)=") }.sorted() == [], "missing from deploy/env.example")
    }
}
