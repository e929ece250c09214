import Foundation
import Testing
@testable import SafeguardCore

/// The family's written record when Outcome 21 is used (Action 13 and its template; paragraph 22 in 2016).
@Suite("Outcome 21 written record")
struct Outcome21LetterTests {
    static let current = GuidanceLibrary.bundled.pack(id: "college-of-policing", edition: "current")!
    static let first = GuidanceLibrary.bundled.pack(id: "college-of-policing", edition: "2016 (v1.0)")!

    func letter(_ addressee: Outcome21Letter.Addressee, phone: String? = "101 ext 4321",
                email: String? = "pc.patel@northshire.police.example") -> Outcome21Letter {
        Outcome21Letter(addressee: addressee,
                        crimeType: "taking, making or distributing an indecent image of a child",
                        crimeReference: "NS/26/004512", force: "Northshire Police",
                        officer: .init(name: "PC 4521 Patel", phone: phone, email: email),
                        date: CalendarDate("2026-11-23")!)
    }

    @Test("Action 13: written to the young person, it says 'you' and covers every point of the template")
    func youngPerson() throws {
        let text = try letter(.youngPerson(name: "Sam")).render(with: Self.current).plainText
        // Without a letterhead in the overlay, the force's name heads the letter (issue 11, point 6).
        #expect(text.hasPrefix("Northshire Police\n\nDear Sam,"))
        #expect(text.hasSuffix("Yours sincerely,\nPC 4521 Patel\nNorthshire Police\n"))
        for point in ["You have been recorded on police systems against the crime of taking, making or distributing",
                      "Home Office crime recording rules",
                      "decided to take no further action",
                      "You have not been convicted of any offence, or cautioned",
                      "enhanced Disclosure and Barring Service (DBS) check, this record is unlikely to be disclosed",
                      "relevant pattern of behaviour",
                      "chief officer of the police force dealing with the request",
                      "crime reference NS/26/004512", "PC 4521 Patel", "Northshire Police",
                      "telephone 101 ext 4321 or email pc.patel@northshire.police.example", "23 November 2026"] {
            #expect(text.contains(point), "missing: \(point)")
        }
        #expect(!text.contains("{"), "a placeholder was left unfilled")
    }

    @Test("Action 13: written to a parent, it says 'your child' and names the child")
    func parent() throws {
        let text = try letter(.parent(name: "Ms Jones", childName: "Sam")).render(with: Self.current).plainText
        #expect(text.hasPrefix("Northshire Police\n\nDear Ms Jones,"))
        #expect(text.contains("Your child, Sam, has been recorded on police systems"))
        #expect(text.contains("Sam has not been convicted of any offence, or cautioned"))
        #expect(text.contains("unless Sam is investigated"))
        #expect(!text.contains("You have been recorded"))
    }

    @Test("Paragraph 22 (2016): the same points, and no guarantee of non-disclosure")
    func edition2016() throws {
        let text = try letter(.youngPerson(name: "Sam")).render(with: Self.first).plainText
        #expect(text.contains("No guarantee can be given that it will never be disclosed."))
        #expect(text.contains("You have not been convicted or cautioned"))
        let now = try letter(.youngPerson(name: "Sam")).render(with: Self.current).plainText
        #expect(!now.contains("No guarantee"))
    }

    @Test("The printable HTML escapes what the case supplies, so a name cannot inject markup")
    func htmlEscapes() throws {
        var l = letter(.youngPerson(name: "<script>alert(1)</script>"))
        l.crimeReference = "A&B/1"
        let html = try l.render(with: Self.current).html
        #expect(!html.contains("<script>"))
        #expect(html.contains("Dear <bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>,"))
        #expect(html.contains("<title>Outcome 21: written record A&amp;B/1</title>"))
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<html lang=\"en-GB\">"))
    }

    /// A name stored before the guard refused text-direction controls: "Jane \u{202E}htimS" would print as
    /// "Jane Smith" reversed into something else. The letter drops the control and isolates every value.
    @Test("A reversed-name attempt prints as typed, without the override (issue 10, text hygiene)")
    func reversedNameIsNeutralised() throws {
        let l = letter(.parent(name: "Mrs \u{202E}htimS\u{202C} \u{0}", childName: "\u{2067}Sam"))
        let rendered = try l.render(with: Self.current)
        for out in [rendered.html, rendered.plainText] {
            for control in ["\u{202E}", "\u{202C}", "\u{2067}", "\u{0}"] { #expect(!out.contains(control)) }
        }
        #expect(rendered.plainText.contains("Mrs htimS"))
        #expect(rendered.html.contains("<bdi>Mrs htimS </bdi>"))
    }

    @Test("Missing details are named: the family must be able to reach the officer")
    func problems() {
        #expect(throws: Outcome21Letter.Problem(field: "officer", message: "give a phone number or email so the family can reach the officer")) {
            try letter(.youngPerson(name: "Sam"), phone: nil, email: nil).render(with: Self.current)
        }
        var blank = letter(.youngPerson(name: "Sam"))
        blank.crimeReference = " "
        #expect(throws: Outcome21Letter.Problem(field: "crimeReference", message: "is needed for the written record; fill it in")) {
            try blank.render(with: Self.current)
        }
        let school = GuidanceLibrary.bundled.pack(id: "nspcc-ukcis")!
        #expect(throws: Outcome21Letter.Problem.self) { try letter(.youngPerson(name: "Sam")).render(with: school) }
    }

    @Test("A force replaces the wording through its overlay")
    func overlayWording() throws {
        let overlay = try GuidanceLibrary.decodeOverlay(yaml: """
        organisation: Northshire Police
        outcome21Letter:
          youngPerson: ["Hello {name}. Reference {reference}: no further action. Questions: {officerContact}."]
          parent: ["Dear {name}, about {childName}: reference {reference}."]
        """)
        let rendered = try letter(.youngPerson(name: "Sam")).render(with: Self.current, overlay: overlay)
        #expect(rendered.paragraphs == ["Hello Sam. Reference NS/26/004512: no further action. Questions: telephone 101 ext 4321 or email pc.patel@northshire.police.example."])
    }
}
