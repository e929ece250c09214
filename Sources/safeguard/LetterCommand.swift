import ArgumentParser
import Foundation
import SafeguardCore

/// `safeguard letter outcome21`: the family's written record when Outcome 21 is used, as text or printable HTML.
struct LetterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "letter",
        abstract: "Write the letters the guidance calls for.",
        subcommands: [Outcome21.self, Sheet.self]
    )

    struct Sheet: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "information-sheet",
            abstract: "The information sheet for the child and family: what happens next, who to contact, where to find help.")

        @Argument(help: "A case facts file, or - for standard input.") var file: String
        @Option(help: "The case reference to quote.") var reference: String
        @Option(help: "The contact's name (the officer or the DSL).") var contactName: String
        @Option(help: "The contact's role, e.g. \"investigating officer\" or \"designated safeguarding lead\".") var contactRole: String
        @Option(help: "The contact's telephone number.") var phone: String?
        @Option(help: "The contact's email address.") var email: String?
        @Option(help: "A local overlay with the organisation's own contacts.") var overlay: String?
        @Flag(help: "Print printable HTML instead of text.") var html = false

        func run() throws {
            if phone == nil && email == nil { failInput("--phone or --email: the family needs a way to reach \(contactName)") }
            // Typed throws go through `Assess`'s helpers: see the note there on the optimiser.
            let facts = Assess.facts(from: file).orFail()
            let localOverlay = overlay.map { Assess.overlay(from: $0).orFail() }
            let assessment = GuidanceLibrary.bundled.assess(facts, today: today(), overlay: localOverlay)
            let sheet = InformationSheet(assessment: assessment, reference: reference,
                                         contact: .init(name: contactName, role: contactRole, phone: phone, email: email))
            let rendered = sheet.render()
            print(html ? rendered.html : rendered.plainText, terminator: "")
        }
    }

    struct Outcome21: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "outcome21",
            abstract: "The written record for the young person or their parent when Outcome 21 is used.")

        enum Recipient: String, ExpressibleByArgument, CaseIterable { case youngPerson = "young-person", parent }

        @Option(help: "Who the letter is to: young-person (\"you\") or parent (\"your child\").") var to: Recipient
        @Option(help: "The addressee's name.") var name: String
        @Option(help: "The child's name (for a letter to a parent).") var child: String?
        @Option(help: "The crime type recorded, in words.") var crimeType: String
        @Option(help: "The crime reference number.") var reference: String
        @Option(help: "The police force.") var force: String
        @Option(help: "The officer's name.") var officer: String
        @Option(help: "The officer's rank, for the signature block.") var rank: String?
        @Option(help: "The officer's collar number, for the signature block.") var collarNumber: String?
        @Option(help: "The officer's telephone number.") var phone: String?
        @Option(help: "The officer's email address.") var email: String?
        @Option(help: "The date on the letter, YYYY-MM-DD (default today); also picks the edition.") var date: String?
        @Option(help: "A local overlay whose wording replaces the edition's, and whose letterhead heads the letter.") var overlay: String?
        @Flag(help: "Print printable HTML instead of text.") var html = false

        func run() throws {
            let day: CalendarDate
            if let date {
                guard let parsed = CalendarDate(date) else { failInput("--date: expected YYYY-MM-DD") }
                day = parsed
            } else {
                day = today()
            }
            let addressee: Outcome21Letter.Addressee
            switch to {
            case .youngPerson: addressee = .youngPerson(name: name)
            case .parent:
                guard let child, !child.isEmpty else { failInput("--child: a letter to a parent names the child") }
                addressee = .parent(name: name, childName: child)
            }
            let library = GuidanceLibrary.bundled
            let pack = library.edition(for: .police, in: .england, on: day).pack  // Outcome 21 exists only in England and Wales, under one edition
            let localOverlay = overlay.map { Assess.overlay(from: $0).orFail() }
            let letter = Outcome21Letter(addressee: addressee, crimeType: crimeType, crimeReference: reference,
                                         force: force, officer: .init(name: officer, phone: phone, email: email, rank: rank, collarNumber: collarNumber),
                                         date: day, letterhead: localOverlay?.letterhead ?? [])
            switch Self.render(letter, pack: pack, overlay: localOverlay) {
            case .success(let rendered): print(html ? rendered.html : rendered.plainText, terminator: "")
            case .failure(let problem): failInput("\(problem)")
            }
        }

        @inline(never)
        static func render(_ letter: Outcome21Letter, pack: GuidancePack, overlay: LocalOverlay?)
            -> Result<Outcome21Letter.Rendered, Outcome21Letter.Problem> {
            Result { () throws(Outcome21Letter.Problem) -> Outcome21Letter.Rendered in try letter.render(with: pack, overlay: overlay) }
        }
    }
}
