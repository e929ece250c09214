import ArgumentParser
import Foundation
import SafeguardCore

struct Assess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Assess case facts (JSON, as in docs/contract.md) and print what the guidance says.",
        discussion: "Bad input exits with status 2 and names the JSON path and what is allowed there."
    )

    @Flag(help: "Print the assessment as JSON (the contract of docs/contract.md) instead of text.")
    var json = false

    @Option(help: "A local overlay file (YAML) with the organisation's own contacts and wording.")
    var overlay: String?

    @Argument(help: "A case facts file, or - for standard input.")
    var file: String

    func run() throws {
        // Each typed-throws call stands in a function of its own, whose result is a plain value or a message:
        // Swift 6.3.1's optimiser crashes ("swifterror value can only be loaded and stored from …") when a typed
        // throw and an untyped one meet in one catch, or a typed one is caught where the catch never returns.
        let facts = Self.facts(from: file).orFail()
        let localOverlay = overlay.map { Self.overlay(from: $0).orFail() }
        let assessment = GuidanceLibrary.bundled.assess(facts, today: today(), overlay: localOverlay)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(assessment), as: UTF8.self))
        } else {
            let questions = GuidanceLibrary.bundled.edition(for: facts, today: today()).pack.questions
            print(assessment.plainText(questions: questions), terminator: "")
        }
    }

    /// The case facts in `path`, or what is wrong with them.
    @inline(never)
    static func facts(from path: String) -> Outcome<CaseFacts> {
        let data: Data
        do { data = try readInput(path) } catch { return .failure("\(error)") }
        return decodeFacts(data)
    }

    @inline(never)
    static func decodeFacts(_ data: Data) -> Outcome<CaseFacts> {
        let result: Result<CaseFacts, CaseFactsError> = Result { () throws(CaseFactsError) -> CaseFacts in try CaseFacts.decode(json: data) }
        switch result {
        case .success(let facts): return .success(facts)
        case .failure(let error): return .failure("\(error)")
        }
    }

    /// The local overlay in `path`, checked against the bundled guidance, or what is wrong with it.
    @inline(never)
    static func overlay(from path: String) -> Outcome<LocalOverlay> {
        let text: String
        do { text = String(decoding: try readInput(path), as: UTF8.self) } catch { return .failure("\(error)") }
        let result: Result<LocalOverlay, PackError> = Result { () throws(PackError) -> LocalOverlay in try GuidanceLibrary.decodeOverlay(yaml: text) }
        switch result {
        case .failure(let error): return .failure("\(path): \(error)")
        case .success(let decoded):
            if let problem = GuidanceLibrary.bundled.problems(in: decoded).first { return .failure("\(path): \(problem)") }
            return .success(decoded)
        }
    }
}

/// A value read from the user's input, or the message to print before exiting with status 2.
enum Outcome<Value> {
    case success(Value)
    case failure(String)

    func orFail() -> Value {
        switch self {
        case .success(let value): return value
        case .failure(let message): failInput(message)
        }
    }
}
