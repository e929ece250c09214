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
            print(Self.listing(GuidanceLibrary.bundled), terminator: "")
        }

        /// Each nation and setting with the editions that govern it and the dates, then the law pack.
        static func listing(_ library: GuidanceLibrary) -> String {
            var out = ""
            for jurisdiction in Jurisdiction.allCases {
                out += "\(jurisdiction.displayName)\n"
                for setting in Setting.allCases {
                    let own = library.packs.filter { $0.setting == setting && $0.jurisdictions.contains(jurisdiction) }
                    let fallback = library.packs.filter { $0.setting == setting && $0.fallbackFor.contains(jurisdiction) }
                    for pack in own {
                        out += "  \(setting.rawValue)  \(pack.id)  \(pack.edition)  \(dates(pack))  \(pack.title)\n"
                    }
                    for pack in fallback {
                        out += "  \(setting.rawValue)  \(pack.id)  \(pack.edition)  \(dates(pack))  \(pack.title)"
                            + "  (stands in when \(jurisdiction.displayName) has no edition of its own in force; written for \(Words.nations(pack.jurisdictions)))\n"
                    }
                }
            }
            out += "Law (every nation)\n  \(library.law.id)  \(library.law.edition)  all dates  \(library.law.title)\n"
            return out
        }

        static func dates(_ pack: GuidancePack) -> String {
            "from \(Words.day(pack.appliesFrom)) " + (pack.appliesUntil.map { "until \(Words.day($0))" } ?? "(current)")
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
            // "--edition 2016" finds "2016 (v1.0)" when it names one edition alone.
            let byStart = edition.flatMap { start in
                Optional(library.packs.filter { $0.id == id && $0.edition.hasPrefix(start + " ") }).flatMap { $0.count == 1 ? $0[0] : nil }
            }
            guard let pack = library.pack(id: id, edition: edition) ?? byStart else {
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
            } else if text.contains("\njurisdictions:\n") && !text.contains("\nsetting:") {
                return ("law pack", problems(Result { () throws(PackError) in try GuidanceLibrary.decodeLaw(yaml: text) }) { $0.problems() })
            } else {
                return ("guidance pack", problems(Result { () throws(PackError) in try GuidanceLibrary.decodePack(yaml: text) }) { pack in
                    let problems = pack.problems()
                    // Worked examples are run only on a pack that is otherwise sound: a broken rule would fail them all.
                    guard problems.isEmpty else { return problems }
                    let library = GuidanceLibrary.bundled
                    return pack.examples.enumerated().flatMap { i, example in
                        library.failures(of: example, in: pack, today: today()).map {
                            PackError(path: "examples[\(i)] (\(example.name))", message: $0)
                        }
                    }
                })
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
