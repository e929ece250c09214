import Foundation

/// The information sheet for a child and family: what happens next, who to contact, and where to find help,
/// rendered from an assessment as plain text and printable HTML.
///
/// The next steps are the assessment's `familySteps` (from the edition's pack, in plain words); the help is the
/// assessment's resources, which include the organisation's own contacts from its overlay.
///
/// ```swift
/// let assessment = GuidanceLibrary.bundled.assess(facts, today: today, overlay: overlay)
/// let sheet = InformationSheet(assessment: assessment, reference: "SG-2026-000042",
///                              contact: .init(name: "PC 4521 Patel", role: "investigating officer", phone: "101", email: nil))
/// print(sheet.render().plainText)
/// ```
public struct InformationSheet: Sendable, Hashable {
    public struct Contact: Sendable, Hashable {
        public var name: String
        /// E.g. "investigating officer" or "designated safeguarding lead".
        public var role: String
        public var phone: String?
        public var email: String?

        public init(name: String, role: String, phone: String?, email: String?) {
            self.name = name
            self.role = role
            self.phone = phone
            self.email = email
        }
    }

    public var assessment: Assessment
    public var reference: String
    public var contact: Contact

    public init(assessment: Assessment, reference: String, contact: Contact) {
        self.assessment = assessment
        self.reference = reference
        self.contact = contact
    }

    /// The sheet's sections in order, each a heading and its lines.
    public var sections: [(heading: String, lines: [String])] {
        let reach = [contact.phone.map { "telephone \($0)" }, contact.email.map { "email \($0)" }].compactMap { $0 }
        let help = assessment.resources.filter { Self.isForFamilies($0.forWhom) }.map { r -> String in
            let details = [r.phone.map { "phone \($0)" }, r.text.map { "text \($0)" }, r.email, r.web].compactMap { $0 }
            return "\(r.name) (for \(r.forWhom)): \(r.description)" + (details.isEmpty ? "" : " " + details.joined(separator: ", ") + ".")
        }
        return [
            ("What happens next", assessment.familySteps.map(\.text)),
            ("Who to contact", ["\(contact.name), \(contact.role)" + (reach.isEmpty ? "" : ": " + reach.joined(separator: " or ")) + ".",
                                "Please quote the reference \(reference)."]),
            ("Help and support", help),
        ]
    }

    /// Whether a resource is for a family to use: its audience names someone other than professionals ("anyone",
    /// "children and young people", "parents and carers"). A review found "(for the DSP and staff)" and "(for
    /// practitioners)" on the sheet a family is given.
    public static func isForFamilies(_ forWhom: String) -> Bool {
        let audience = forWhom.lowercased()
        return ["anyone", "adult", "child", "young", "parent", "carer", "famil", "learner"].contains { audience.contains($0) }
    }

    public struct Rendered: Sendable, Hashable {
        public var plainText: String
        public var html: String
    }

    public func render() -> Rendered {
        let title = "Information for you and your family"
        var text = "\(title)\nReference: \(reference)\n"
        var body = "<h1>\(Outcome21Letter.escape(title))</h1>\n<p>Reference: \(Outcome21Letter.escape(reference))</p>\n"
        for section in sections where !section.lines.isEmpty {
            text += "\n\(section.heading.uppercased())\n" + section.lines.map { "- \($0)\n" }.joined()
            body += "<h2>\(Outcome21Letter.escape(section.heading))</h2>\n<ul>\n"
                + section.lines.map { "<li>\(Outcome21Letter.escape($0))</li>\n" }.joined() + "</ul>\n"
        }
        let html = """
        <!DOCTYPE html>
        <html lang="en-GB">
        <head><meta charset="utf-8"><title>\(Outcome21Letter.escape(title)): \(Outcome21Letter.escape(reference))</title></head>
        <body>
        <main>
        \(body)</main>
        </body>
        </html>

        """
        return Rendered(plainText: text, html: html)
    }
}
