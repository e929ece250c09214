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

        func run() throws {
            let text: String
            do { text = String(decoding: try readInput(file), as: UTF8.self) } catch { failInput("\(error)") }
            var problems: [PackError] = []
            let kind: String
            if text.contains("\norganisation:") || text.hasPrefix("organisation:") {
                kind = "overlay"
                do { problems = GuidanceLibrary.bundled.problems(in: try GuidanceLibrary.decodeOverlay(yaml: text)) }
                catch { problems = [error] }
            } else if text.contains("\njurisdictions:") {
                kind = "law pack"
                do { problems = try GuidanceLibrary.decodeLaw(yaml: text).problems() } catch { problems = [error] }
            } else {
                kind = "guidance pack"
                do { problems = try GuidanceLibrary.decodePack(yaml: text).problems() } catch { problems = [error] }
            }
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
