import Foundation
import SafeguardCore
import Vapor

// The pieces the response pages share: a posted form read as a browser sends it (repeated names for checkboxes),
// one view model for a form field of any kind, the generic form page (`form.leaf`), the printable document page
// (`document.leaf`), a one-time notice carried across a redirect, and the API's errors shown against their fields.

/// An `application/x-www-form-urlencoded` body, keeping repeated names (checkboxes) in order.
struct PostedForm: Sendable {
    var pairs: [(String, String)]

    /// Read by the same linear, capped parser the request middleware already ran over this body (it refused the body
    /// had it gone over a cap, so nothing is lost here).
    init(_ req: Request) {
        pairs = req.body.data.flatMap { try? BoundedBody.formPairs($0.readableBytesView) } ?? []
    }

    init(pairs: [(String, String)]) { self.pairs = pairs }

    /// The first value given for `name`, trimmed; nil when absent or blank.
    subscript(_ name: String) -> String? {
        guard let value = pairs.first(where: { $0.0 == name })?.1.trimmingCharacters(in: .whitespacesAndNewlines),
              !value.isEmpty else { return nil }
        return value
    }

    /// Every value given for `name` (a group of checkboxes), in order.
    func all(_ name: String) -> [String] {
        pairs.filter { $0.0 == name }.map { $0.1 }.filter { !$0.isEmpty }
    }

    var csrf: String? { pairs.first { $0.0 == "_csrf" }?.1 }
}

/// One choice of a radio group, checkbox group or select.
struct FieldOption: Encodable, Sendable {
    var id: String
    var value: String
    var label: String
    var hint: String
    var hasHint: Bool
    var checked: Bool
}

/// One field of a form, of any kind; the template tests the `is…` flags.
struct FormField: Encodable, Sendable {
    enum Kind: String, Sendable { case text, textarea, date, radios, checkboxes, hidden }

    var name: String
    var kind: String
    var label: String
    var hint: String
    var value: String
    var options: [FieldOption]
    var error: String
    var inline: Bool
    /// A limit of the field's own, where it is tighter than `FieldLimits` gives its name (a referral's summary).
    var limit: Int? = nil
    var hasHint: Bool { !hint.isEmpty }
    var hasError: Bool { !error.isEmpty }

    enum CodingKeys: String, CodingKey {
        case name, kind, label, hint, value, options, error, inline, hasHint, hasError, isText, isTextarea, isDate, isRadios,
             isCheckboxes, isHidden, isChoice, maxLength, limitText
    }

    /// Whether the person picks from options (radios or checkboxes) rather than types.
    var isChoice: Bool { kind == Kind.radios.rawValue || kind == Kind.checkboxes.rawValue }

    /// What to do about this field left blank, in its own words: "Choose an answer to: Whose welfare", "Enter date".
    var whatToGive: String {
        let label = label.replacingOccurrences(of: "?", with: "")
        return isChoice ? "Choose an answer to: " + label : "Enter " + label.lowercasedFirst
    }

    /// The most characters the field takes, from `FieldLimits` (or its own `limit`): the same limit the server applies.
    var maxLength: Int { limit ?? FieldLimits.limit(for: name) }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(label, forKey: .label)
        try c.encode(hint, forKey: .hint)
        try c.encode(value, forKey: .value)
        try c.encode(options, forKey: .options)
        try c.encode(error, forKey: .error)
        try c.encode(inline, forKey: .inline)
        try c.encode(hasHint, forKey: .hasHint)
        try c.encode(hasError, forKey: .hasError)
        try c.encode(kind == Kind.text.rawValue, forKey: .isText)
        try c.encode(kind == Kind.textarea.rawValue, forKey: .isTextarea)
        try c.encode(kind == Kind.date.rawValue, forKey: .isDate)
        try c.encode(kind == Kind.radios.rawValue, forKey: .isRadios)
        try c.encode(kind == Kind.checkboxes.rawValue, forKey: .isCheckboxes)
        try c.encode(kind == Kind.hidden.rawValue, forKey: .isHidden)
        try c.encode(kind == Kind.radios.rawValue || kind == Kind.checkboxes.rawValue, forKey: .isChoice)
        try c.encode(maxLength, forKey: .maxLength)
        try c.encode("Up to \(maxLength.withThousands) characters.", forKey: .limitText)
    }

    static func text(_ name: String, _ label: String, hint: String = "", value: String = "") -> FormField {
        FormField(name: name, kind: Kind.text.rawValue, label: label, hint: hint, value: value, options: [], error: "", inline: false)
    }

    static func textarea(_ name: String, _ label: String, hint: String = "", value: String = "", limit: Int? = nil) -> FormField {
        FormField(name: name, kind: Kind.textarea.rawValue, label: label, hint: hint, value: value, options: [], error: "", inline: false,
                  limit: limit)
    }

    static func date(_ name: String, _ label: String, hint: String = "", value: String) -> FormField {
        FormField(name: name, kind: Kind.date.rawValue, label: label, hint: hint, value: value, options: [], error: "", inline: false)
    }

    static func hidden(_ name: String, _ value: String) -> FormField {
        FormField(name: name, kind: Kind.hidden.rawValue, label: "", hint: "", value: value, options: [], error: "", inline: false)
    }

    /// Radios or checkboxes; the first option's id is the field's name, so an error links to the group.
    static func choice(_ kind: Kind, _ name: String, _ label: String, hint: String = "", options: [(value: String, label: String)],
                       selected: [String] = [], inline: Bool = false, optionHints: [String: String] = [:]) -> FormField {
        let opts = options.enumerated().map { i, o in
            FieldOption(id: i == 0 ? name : "\(name)-\(Self.slug(o.value))", value: o.value, label: o.label,
                        hint: optionHints[o.value] ?? "", hasHint: optionHints[o.value] != nil, checked: selected.contains(o.value))
        }
        return FormField(name: name, kind: kind.rawValue, label: label, hint: hint, value: "", options: opts, error: "", inline: inline)
    }

    static func slug(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    /// The field as the person left it: their text, or their choices.
    mutating func keep(_ form: PostedForm) {
        switch Kind(rawValue: kind) {
        case .radios, .checkboxes:
            let chosen = Set(form.all(name))
            for i in options.indices { options[i].checked = chosen.contains(options[i].value) }
        case .hidden: break
        default: value = form.pairs.first { $0.0 == name }?.1 ?? ""
        }
    }
}

/// A summary row: a label and its value (read-only facts shown above a form).
struct SummaryRow: Encodable, Sendable {
    var label: String
    var value: String
}

/// `Resources/Views/form.leaf`: one question or one record per page, with what the person needs to know first.
struct FormPage: PageView {
    static let template = "form"
    var title: String
    var caption: String
    var intro: [String] = []
    var rows: [SummaryRow] = []
    var because: [String] = []
    var citations: [CitationLink] = []
    var inset: String = ""
    var warning: String = ""
    var action: String
    var csrf: String
    var fields: [FormField]
    var submitLabel: String
    var showForm: Bool = true
    var backHref: String
    var backLabel: String = "Back to the case"

    enum CodingKeys: String, CodingKey {
        case title, caption, intro, rows, because, citations, inset, warning, action, csrf, fields, submitLabel, showForm,
             backHref, backLabel, hasRows, hasBecause, hasCitations, hasInset, hasWarning
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(title, forKey: .title)
        try c.encode(caption, forKey: .caption)
        try c.encode(intro, forKey: .intro)
        try c.encode(rows, forKey: .rows)
        try c.encode(because, forKey: .because)
        try c.encode(citations, forKey: .citations)
        try c.encode(inset, forKey: .inset)
        try c.encode(warning, forKey: .warning)
        try c.encode(action, forKey: .action)
        try c.encode(csrf, forKey: .csrf)
        try c.encode(fields, forKey: .fields)
        try c.encode(submitLabel, forKey: .submitLabel)
        try c.encode(showForm, forKey: .showForm)
        try c.encode(backHref, forKey: .backHref)
        try c.encode(backLabel, forKey: .backLabel)
        try c.encode(!rows.isEmpty, forKey: .hasRows)
        try c.encode(!because.isEmpty, forKey: .hasBecause)
        try c.encode(!citations.isEmpty, forKey: .hasCitations)
        try c.encode(!inset.isEmpty, forKey: .hasInset)
        try c.encode(!warning.isEmpty, forKey: .hasWarning)
    }

    /// Puts each error against its field, and keeps what the person entered.
    mutating func show(_ errors: [FieldError], keeping form: PostedForm?) {
        for i in fields.indices {
            if let form { fields[i].keep(form) }
            if let error = errors.first(where: { $0.field == fields[i].name }) { fields[i].error = error.message }
        }
    }
}

/// A printable section of a document.
struct DocumentSection: Encodable, Sendable {
    var heading: String
    var lines: [String]
    var hasLines: Bool { !lines.isEmpty }

    enum CodingKeys: String, CodingKey { case heading, lines, hasLines }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(heading, forKey: .heading)
        try c.encode(lines, forKey: .lines)
        try c.encode(hasLines, forKey: .hasLines)
    }
}

/// `Resources/Views/document.leaf`: a letter, sheet, form or record to print. When printed, only the document shows.
struct DocumentPage: PageView {
    static let template = "document"
    var title: String
    var reference: String
    var paragraphs: [String]
    var sections: [DocumentSection]
    var caseHref: String
    var kind: String
    /// A letter's letterhead and signature block, a line each; empty for other documents.
    var letterhead: [String] = []
    var signature: [String] = []
    var hasLetterhead = false
    /// After a letter: where to record that it was given to the family, which is its own step.
    var nextHref = ""
    var nextLabel = ""
    var hasNext = false

    init(title: String, reference: String, paragraphs: [String] = [], sections: [(heading: String, lines: [String])] = [],
         caseHref: String, kind: String, letterhead: [String] = [], signature: [String] = []) {
        self.title = title
        self.reference = reference
        self.paragraphs = paragraphs
        self.sections = sections.map { DocumentSection(heading: $0.heading, lines: $0.lines) }
        self.caseHref = caseHref
        self.kind = kind
        self.letterhead = letterhead
        self.signature = signature
        hasLetterhead = !letterhead.isEmpty
    }
}

extension Request {
    /// A one-time notice for the next page this session sees (after a redirect).
    func flash(_ notice: String) {
        session.data["notice"] = String(notice.prefix(1_000))
    }

    /// The waiting notice, if any, cleared as it is read.
    func takeFlash() -> String? {
        guard hasSession, let notice = session.data["notice"] else { return nil }
        session.data["notice"] = nil
        return notice
    }
}

enum PageErrors {
    /// An API error as a problem shown against a form's field: the field the API names (`offences[0]` is the
    /// `offences` group; `record.proof` is `proof`), or the form's first field when it names none.
    static func fieldError(_ error: APIError, fields: [FormField]) -> FieldError {
        var field = error.field ?? ""
        if field.hasPrefix("record.") { field = String(field.dropFirst("record.".count)) }
        if let bracket = field.firstIndex(of: "[") { field = String(field[..<bracket]) }
        if let dot = field.firstIndex(of: ".") { field = String(field[..<dot]) }
        let visible = fields.filter { $0.kind != FormField.Kind.hidden.rawValue }
        if !visible.contains(where: { $0.name == field }) { field = visible.first?.name ?? "main" }
        var message = error.message
        if let named = error.field, message.hasPrefix(named + ": ") { message = String(message.dropFirst(named.count + 2)) }
        // A blank field reaches the strict decoding as a missing key: say what to give, in the field's own words.
        if message == "required" || message.hasPrefix("required ("), let blank = visible.first(where: { $0.name == field }) {
            message = blank.whatToGive
        }
        return FieldError(field: field, message: PageErrorMiddleware.sentence(message))
    }

    /// Whether an error is one the person can fix on the form (shown against a field) rather than an error page.
    static func isFormProblem(_ error: APIError) -> Bool {
        error.status == .unprocessableEntity || (error.status == .conflict && error.code != "version_conflict")
            || error.status == .badRequest
    }
}
