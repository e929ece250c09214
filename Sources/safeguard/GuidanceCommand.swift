import ArgumentParser
import Foundation
import SafeguardCore

struct GuidanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guidance",
        abstract: "List, show and check the guidance packs.",
        subcommands: [List.self, Show.self, Check.self, Facts.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the guidance editions and the dates they apply.")

        func run() {
            let library = GuidanceLibrary.bundled
            for pack in library.packs {
                let until = pack.appliesUntil.map { "until \($0)" } ?? "current"
                print("\(pack.id)  \(pack.edition)  \(pack.setting.rawValue)  from \(pack.appliesFrom) \(until)  \(pack.title)")
            }
            print("\(library.law.id)  \(library.law.edition)  law  all dates  \(library.law.title)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show every rule of an edition with its citation.")

        @Argument(help: "A pack id from `guidance list` (e.g. college-of-policing, nspcc-ukcis).")
        var id: String

        @Option(help: "Which edition (default: the current one).")
        var edition: String?

        func run() throws {
            let library = GuidanceLibrary.bundled
            guard let pack = library.pack(id: id, edition: edition) else {
                let known = library.packs.map { "\($0.id) (\($0.edition))" }.joined(separator: ", ")
                failInput("no guidance pack \"\(id)\"\(edition.map { " edition \($0)" } ?? ""); known: \(known)")
            }
            print(pack.plainText(), terminator: "")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a guidance pack, law pack or local overlay file, naming each problem with its location.")

        @Argument(help: "A YAML file: a guidance pack, law.yaml, or an overlay.")
        var file: String

        /// What kind of file `text` is and its problems. Each typed-throws call is in a `Result` of its own (see
        /// `Assess` on the optimiser).
        @inline(never)
        static func check(_ text: String) -> (kind: String, problems: [PackError]) {
            func problems<T>(_ result: Result<T, PackError>, _ check: (T) -> [PackError]) -> [PackError] {
                switch result {
                case .success(let value): return check(value)
                case .failure(let error): return [error]
                }
            }
            if text.contains("\norganisation:") || text.hasPrefix("organisation:") {
                return ("overlay", problems(Result { () throws(PackError) in try GuidanceLibrary.decodeOverlay(yaml: text) }) {
                    GuidanceLibrary.bundled.problems(in: $0)
                })
            } else if text.contains("\njurisdictions:") {
                return ("law pack", problems(Result { () throws(PackError) in try GuidanceLibrary.decodeLaw(yaml: text) }) { $0.problems() })
            } else {
                return ("guidance pack", problems(Result { () throws(PackError) in try GuidanceLibrary.decodePack(yaml: text) }) { $0.problems() })
            }
        }

        func run() throws {
            let text: String
            do { text = String(decoding: try readInput(file), as: UTF8.self) } catch { failInput("\(error)") }
            let (kind, problems) = Self.check(text)
            if problems.isEmpty {
                print("\(file): \(kind) is valid")
                return
            }
            for problem in problems { print("\(file): \(problem)") }
            throw ExitCode(1)
        }
    }

    struct Facts: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the named facts packs may use, with their meaning.")

        func run() {
            for fact in NamedFact.allCases { print("\(fact.rawValue): \(fact.meaning)") }
        }
    }
}
