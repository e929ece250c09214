import Foundation

/// One field of a kind of record, declared once: its wire name, what it holds, its label and hint for people,
/// whether it is required, and the values it allows. The strict decoder's keys, the OpenAPI schema, the error hints
/// and the pages' forms all come from these declarations (`RecordKind.description`).
///
/// ```swift
/// static let description = RecordDescription(label: "Welfare check", formTitle: "Record a welfare check",
///     settings: [.police], fields: [
///         .person("person", "Whose welfare?", required: true),
///         .date("checkedOn", "Date", required: true),
///         .longText("result", "What the check found", required: true),
///         .yesNo("concerns", "Did it find a risk of harm?"),
///     ])
/// ```
public struct RecordField: Sendable, Hashable {
    /// What a field holds, which decides its JSON type, its schema and its form input.
    public enum Input: Sendable, Hashable {
        /// A line of text.
        case text
        /// Free text that may run to paragraphs.
        case longText
        /// A day, `YYYY-MM-DD`.
        case date
        /// True or false; "Yes" or "No" on a form.
        case yesNo
        /// One of a fixed list.
        case choice([Option])
        /// Any of a fixed list.
        case choices([Option])
        /// A person of the case, by reference.
        case person
        /// People of the case, by reference.
        case people
        /// Imagery of the case, by reference.
        case imagery
        /// A device of the case, by reference.
        case device
        /// A list of short texts, comma-separated on a form.
        case list
        /// Text Safeguard fills in (the Home Office classification, the edition's DBS wording): never on a form.
        case filledText
        /// True or false set by a sign-off, never on a form.
        case filledYesNo

        /// The JSON type on the wire.
        public var isArray: Bool {
            switch self {
            case .choices, .people, .imagery, .list: true
            default: false
            }
        }
        public var isBool: Bool { self == .yesNo || self == .filledYesNo }
        /// Whether a person fills it in on a form.
        public var onForms: Bool { self != .filledText && self != .filledYesNo }
        /// The values allowed, for a fixed list.
        public var options: [Option]? {
            switch self {
            case .choice(let o), .choices(let o): o
            default: nil
            }
        }
    }

    /// An allowed value and how people read it.
    public struct Option: Sendable, Hashable {
        public var value: String
        public var label: String
    }

    public var name: String
    public var input: Input
    public var label: String
    public var hint: String
    /// Required by the record's shape (decoding fails without it). The rules may require more in some cases.
    public var required: Bool
    /// The settings whose forms show it; all when nil.
    public var settings: Set<Setting>?

    public init(_ name: String, _ input: Input, _ label: String, hint: String = "", required: Bool = false, settings: Set<Setting>? = nil) {
        self.name = name
        self.input = input
        self.label = label
        self.hint = hint
        self.required = required
        self.settings = settings
    }

    public static func text(_ name: String, _ label: String, hint: String = "", required: Bool = false, settings: Set<Setting>? = nil) -> RecordField {
        RecordField(name, .text, label, hint: hint, required: required, settings: settings)
    }
    public static func longText(_ name: String, _ label: String, hint: String = "", required: Bool = false, settings: Set<Setting>? = nil) -> RecordField {
        RecordField(name, .longText, label, hint: hint, required: required, settings: settings)
    }
    public static func date(_ name: String, _ label: String, hint: String = "", required: Bool = false) -> RecordField {
        RecordField(name, .date, label, hint: hint, required: required)
    }
    public static func yesNo(_ name: String, _ label: String, hint: String = "", required: Bool = false) -> RecordField {
        RecordField(name, .yesNo, label, hint: hint, required: required)
    }
    public static func person(_ name: String, _ label: String, hint: String = "", required: Bool = false) -> RecordField {
        RecordField(name, .person, label, hint: hint, required: required)
    }
    public static func people(_ name: String, _ label: String, hint: String = "", required: Bool = false) -> RecordField {
        RecordField(name, .people, label, hint: hint, required: required)
    }
    public static func list(_ name: String, _ label: String, hint: String = "", required: Bool = false) -> RecordField {
        RecordField(name, .list, label, hint: hint, required: required)
    }

    /// One of an enumeration's values, each labelled; a value without a label reads as its words.
    public static func choice<E: RawRepresentable & CaseIterable>(
        _ name: String, _ label: String, _: E.Type, labels: [E: String] = [:], hint: String = "", required: Bool = false,
        settings: Set<Setting>? = nil
    ) -> RecordField where E.RawValue == String, E: Hashable {
        RecordField(name, .choice(options(E.self, labels)), label, hint: hint, required: required, settings: settings)
    }

    /// Any of an enumeration's values, each labelled.
    public static func choices<E: RawRepresentable & CaseIterable>(
        _ name: String, _ label: String, _: E.Type, labels: [E: String] = [:], hint: String = "", required: Bool = false
    ) -> RecordField where E.RawValue == String, E: Hashable {
        RecordField(name, .choices(options(E.self, labels)), label, hint: hint, required: required)
    }

    static func options<E: RawRepresentable & CaseIterable>(_: E.Type, _ labels: [E: String]) -> [Option]
    where E.RawValue == String, E: Hashable {
        E.allCases.map { Option(value: $0.rawValue, label: labels[$0] ?? Words.of($0.rawValue).capitalisedFirst) }
    }

    /// What the field expects, for an error message: "a date written YYYY-MM-DD", "one of pnc, pnd, …".
    public var expected: String {
        switch input {
        case .text, .longText, .filledText: "text"
        case .date: "a date written YYYY-MM-DD"
        case .yesNo, .filledYesNo: "true or false"
        case .choice(let options): "one of " + options.map(\.value).joined(separator: ", ")
        case .choices(let options): "a list drawn from " + options.map(\.value).joined(separator: ", ")
        case .person: "a person's ref, such as A"
        case .people: "a list of people's refs, such as [\"A\", \"B\"]"
        case .imagery: "a list of imagery refs, such as [\"I1\"]"
        case .device: "a device ref, such as D1"
        case .list: "a list of strings"
        }
    }
}

/// A kind of record described once: its label, its page's title, the settings whose cases hold it, its fields in
/// the order a form asks them, and how a record of the kind reads in a chronology line (`RecordLine`).
public struct RecordDescription: Sendable {
    public var label: String
    public var formTitle: String
    public var settings: Set<Setting>
    public var fields: [RecordField]
    /// The record in words after its label: "Welfare check: A checked on 3 March 2026".
    public var line: RecordLine

    public init(label: String, formTitle: String, settings: Set<Setting>, fields: [RecordField], line: RecordLine) {
        self.label = label
        self.formTitle = formTitle
        self.settings = settings
        self.fields = fields
        self.line = line
    }

    public var keys: [String] { fields.map(\.name) }

    public func field(_ name: String) -> RecordField? { fields.first { $0.name == name } }

    /// A choice's options as the form shows them, for a sentence: "PACE section 32, …, with the owner's consent or
    /// another power". An error message names them so, never by their wire values.
    public func optionsInWords(_ name: String, _ values: [String]? = nil) -> String {
        let options = (field(name)?.input.options ?? []).filter { values?.contains($0.value) ?? true }
        return Words.join(options.map(\.label.inSentence), conjunction: "or")
    }

    /// The fields a form in this setting asks.
    public func formFields(for setting: Setting) -> [RecordField] {
        fields.filter { $0.input.onForms && ($0.settings?.contains(setting) ?? true) }
    }
}

extension String {
    /// The text with its first letter a capital: a message or a code's words made to start a sentence or a label.
    public var capitalisedFirst: String { prefix(1).uppercased() + dropFirst() }
    /// The text with its first letter small: a label or a sentence put in the middle of another.
    public var lowercasedFirst: String { prefix(1).lowercased() + dropFirst() }
    /// A label put in the middle of a sentence: its first letter small unless it begins a capitalised word or an
    /// abbreviation ("PACE section 32", "PNC" stay as they are).
    public var inSentence: String {
        let letters = Array(prefix(2))
        return letters.count == 2 && letters[1].isUppercase ? self : lowercasedFirst
    }
}
