import ArgumentParser
import Foundation
import SafeguardCore

struct Assess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Assess case facts (JSON, as in DESIGN.md) and print what the guidance says.",
        discussion: "Bad input exits with status 2 and names the JSON path and what is allowed there."
    )

    @Flag(help: "Print the assessment as JSON (the contract of DESIGN.md) instead of text.")
    var json = false

    @Option(help: "A local overlay file (YAML) with the organisation's own contacts and wording.")
    var overlay: String?

    @Argument(help: "A case facts file, or - for standard input.")
    var file: String

    func run() throws {
        let data: Data
        do { data = try readInput(file) } catch { failInput("\(error)") }
        let facts: CaseFacts
        do { facts = try CaseFacts.decode(json: data) } catch { failInput("\(error)") }
        var localOverlay: LocalOverlay?
        if let overlay {
            do {
                let text = String(decoding: try readInput(overlay), as: UTF8.self)
                let decoded = try GuidanceLibrary.decodeOverlay(yaml: text)
                if let problem = GuidanceLibrary.bundled.problems(in: decoded).first {
                    failInput("\(overlay): \(problem)")
                }
                localOverlay = decoded
            } catch let error as PackError {
                failInput("\(overlay): \(error)")
            } catch { failInput("\(error)") }
        }
        let assessment = GuidanceLibrary.bundled.assess(facts, today: today(), overlay: localOverlay)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(assessment), as: UTF8.self))
        } else {
            print(assessment.plainText(), terminator: "")
        }
    }
}
