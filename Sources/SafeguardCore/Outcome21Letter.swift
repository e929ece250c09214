import Foundation

/// The written record given to a young person or their family when Outcome 21 is used (College of Policing,
/// Action 13 and its template), rendered from the case as plain text and printable HTML.
///
/// The wording comes from the edition's pack (`letters.outcome21`), in our own words for each point of the published
/// template, and a force may replace it through its overlay. Placeholders: `{name}`, `{childName}`, `{crimeType}`,
/// `{reference}`, `{force}`, `{officer}`, `{officerContact}`, `{date}`.
///
/// ```swift
/// let letter = Outcome21Letter(addressee: .parent(name: "Ms Jones", childName: "Sam"), crimeType: "…",
///                              crimeReference: "NP/26/12345", force: "Northshire Police",
///                              officer: .init(name: "PC 1234 Patel", phone: "101", email: nil), date: today)
/// let text = try letter.render(with: GuidanceLibrary.bundled.pack(id: "college-of-policing")!).plainText
/// ```
public struct Outcome21Letter: Sendable, Hashable {
    /// Who the letter is written to: the young person ("you") or a parent or carer ("your child").
    public enum Addressee: Sendable, Hashable {
        case youngPerson(name: String)
        case parent(name: String, childName: String)
    }

    public struct Officer: Sendable, Hashable {
        public var name: String
        public var phone: String?
        public var email: String?
        /// For the signature block: "Police Constable", and the collar number, from the officer's profile.
        public var rank: String?
        public var collarNumber: String?

        public init(name: String, phone: String?, email: String?, rank: String? = nil, collarNumber: String? = nil) {
            self.name = name
            self.phone = phone
            self.email = email
            self.rank = rank
            self.collarNumber = collarNumber
        }
    }

    public var addressee: Addressee
    /// The crime the record is made against, e.g. "Taking, making or distributing an indecent image of a child".
    public var crimeType: String
    public var crimeReference: String
    public var force: String
    public var officer: Officer
    public var date: CalendarDate
    /// The force's letterhead, a line each (its name, address, telephone), from its overlay; the force's name alone
    /// when it has none.
    public var letterhead: [String]

    public init(addressee: Addressee, crimeType: String, crimeReference: String, force: String, officer: Officer,
                date: CalendarDate, letterhead: [String] = []) {
        self.addressee = addressee
        self.crimeType = crimeType
        self.crimeReference = crimeReference
        self.force = force
        self.officer = officer
        self.date = date
        self.letterhead = letterhead
    }

    /// The signature block: the officer's name, rank and collar number, and the force.
    public var signature: [String] {
        let rank = [officer.rank, officer.collarNumber].compactMap { $0?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return ["Yours sincerely,", officer.name] + (rank.isEmpty ? [] : [rank.joined(separator: " ")]) + [force]
    }

    /// The letter as text a person reads, and as a printable HTML document.
    public struct Rendered: Sendable, Hashable {
        /// The letterhead's lines, printed above the letter.
        public var letterhead: [String]
        public var paragraphs: [String]
        /// The signature block's lines, printed below it.
        public var signature: [String]
        public var plainText: String
        public var html: String
    }

    /// Why a letter cannot be written: a missing detail, or an edition without Outcome 21 wording.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public var field: String
        public var message: String
        public var description: String { "\(field): \(message)" }
    }

    /// Renders the letter with the edition's wording, or the overlay's where it replaces it.
    public func render(with pack: GuidancePack, overlay: LocalOverlay? = nil) throws(Problem) -> Rendered {
        for (field, value) in [("crimeType", crimeType), ("crimeReference", crimeReference), ("force", force),
                               ("officer.name", officer.name)]
        where value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw Problem(field: field, message: "is needed for the written record; fill it in")
        }
        if officer.phone == nil && officer.email == nil {
            throw Problem(field: "officer", message: "give a phone number or email so the family can reach the officer")
        }
        let local = overlay.flatMap { $0.applies(to: pack) ? $0.outcome21Letter : nil }
        guard let wording = local ?? pack.letters?.outcome21 else {
            throw Problem(field: "edition", message: "\(pack.title) (\(pack.edition)) has no Outcome 21 wording")
        }
        let templates: [String]
        let name: String
        var childName = ""
        switch addressee {
        case .youngPerson(let n):
            templates = wording.youngPerson
            name = n
        case .parent(let n, let child):
            templates = wording.parent
            name = n
            childName = child
        }
        let contact = [officer.phone.map { "telephone \($0)" }, officer.email.map { "email \($0)" }]
            .compactMap { $0 }.joined(separator: " or ")
        let values = ["{name}": name, "{childName}": childName, "{crimeType}": crimeType,
                      "{reference}": crimeReference, "{force}": force, "{officer}": officer.name,
                      "{officerContact}": contact, "{date}": Self.longDate(date)]
        // Control and text-direction characters are refused when text is stored; anything older that holds one
        // loses it here, and in HTML each value is isolated (`<bdi>`) so it cannot reorder the sentence around it.
        let printable = values.mapValues(TextGuard.printable)
        func fill(_ template: String, _ values: [String: String]) -> String {
            values.reduce(template) { text, pair in text.replacingOccurrences(of: pair.key, with: pair.value) }
        }
        let paragraphs = templates.map { fill($0, printable) }
        let head = (letterhead.isEmpty ? [force] : letterhead).map(TextGuard.printable)
        let signed = signature.map(TextGuard.printable)
        let text = head.joined(separator: "\n") + "\n\n" + paragraphs.joined(separator: "\n\n") + "\n\n" + signed.joined(separator: "\n") + "\n"
        let isolated = printable.mapValues { "<bdi>\(Self.escape($0))</bdi>" }
        let body = templates.map { "<p>\(fill(Self.escape($0), isolated))</p>" }.joined(separator: "\n")
        let lines = { (lines: [String]) in lines.map { "<bdi>\(Self.escape($0))</bdi>" }.joined(separator: "<br>") }
        let html = """
        <!DOCTYPE html>
        <html lang="en-GB">
        <head><meta charset="utf-8"><title>Outcome 21: written record \(Self.escape(TextGuard.printable(crimeReference)))</title></head>
        <body>
        <main>
        <address class="letterhead">\(lines(head))</address>
        <h1>Written record: no further police action</h1>
        \(body)
        <p class="signature">\(lines(signed))</p>
        </main>
        </body>
        </html>

        """
        return Rendered(letterhead: head, paragraphs: paragraphs, signature: signed, plainText: text, html: html)
    }

    static func longDate(_ date: CalendarDate) -> String {
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December"]
        return "\(date.day) \(months[date.month - 1]) \(date.year)"
    }

    /// Escapes text for HTML, so a name or crime type can never inject markup into a printed letter.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// An edition's letter wording, in our own words for each point of the published template.
public struct LetterWording: Sendable, Hashable, Decodable {
    /// Paragraphs written to the young person ("you").
    public var youngPerson: [String]
    /// Paragraphs written to a parent or carer ("your child").
    public var parent: [String]

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["youngPerson", "parent"])
        youngPerson = try c.required("youngPerson")
        parent = try c.required("parent")
    }
}

/// The letters an edition words.
public struct PackLetters: Sendable, Hashable, Decodable {
    public var outcome21: LetterWording?
    /// What the edition says to explain about DBS disclosure when the outcome is communicated.
    public var dbs: DBSExplanation?

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["outcome21", "dbs"])
        outcome21 = try c.optional("outcome21")
        dbs = try c.optional("dbs")
    }
}

/// An edition's explanation of DBS disclosure, in our own words, with the section it comes from.
public struct DBSExplanation: Sendable, Hashable, Decodable {
    public var text: String
    public var section: String

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["text", "section"])
        text = try c.required("text")
        section = try c.required("section")
    }
}
