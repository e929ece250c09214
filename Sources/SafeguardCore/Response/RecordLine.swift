import Foundation

/// How a kind of record reads in one line of the chronology and the documents, written once in its description
/// beside its fields, so a new kind's words come from the same place as its form and its schema (issue 12, point 6).
///
/// The line is text with fields in braces:
/// - `{field}` is the field's value in words: a day as "3 March 2026", a code as `Words` gives it, a list as
///   "a, b and c", yes or no;
/// - `{field:label}` is a fixed list's label as the form shows it, and `{field:offence}` offences by their
///   legislation in the case's nation;
/// - `{field?then}` gives `then` when the field is filled in (or true), and `{field?then|else}` gives `else`
///   otherwise; `{field=value?then|else}` tests a stored value, and `{a&b?then}` needs both. Both branches may hold
///   fields in turn.
///
/// ```swift
/// let line: RecordLine = "{person} checked on {checkedOn}{concerns?, concerns found}"
/// line.words(for: .welfareCheck(check), jurisdiction: .england)   // "A checked on 3 March 2026, concerns found"
/// ```
public struct RecordLine: Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The line as written in the description.
    public let template: String
    let parts: [Part]
    /// What is wrong with the template as text (an unclosed brace), if anything; `problems(in:)` also checks names.
    let syntaxProblem: String?

    indirect enum Part: Sendable {
        case text(String)
        case value(field: String, as: Form)
        case when(tests: [Test], then: [Part], otherwise: [Part])
    }

    enum Form: String, Sendable, CaseIterable {
        case words, label, offence
    }

    struct Test: Sendable {
        var field: String
        /// A stored value to compare with; nil asks whether the field is filled in.
        var equals: String?
    }

    public init(stringLiteral template: String) {
        self.template = template
        var parser = Parser(text: Array(template))
        let parts = parser.parts(until: [])
        self.parts = parts
        self.syntaxProblem = parser.problem ?? (parser.index < parser.text.count ? "an unmatched } at character \(parser.index + 1)" : nil)
    }

    public var description: String { template }

    /// Every field the line names, in order, with the forms asked of it.
    var fieldsNamed: [(field: String, form: Form?)] {
        func walk(_ parts: [Part]) -> [(String, Form?)] {
            parts.flatMap { part -> [(String, Form?)] in
                switch part {
                case .text: []
                case .value(let field, let form): [(field, form)]
                case .when(let tests, let then, let otherwise): tests.map { ($0.field, nil) } + walk(then) + walk(otherwise)
                }
            }
        }
        return walk(parts)
    }

    /// What is wrong with the line for these fields: a brace left open, or a field the description does not declare,
    /// or a label asked of a field that has no fixed list. Empty when the line is sound (a test holds every kind to it).
    public func problems(in description: RecordDescription) -> [String] {
        var problems = syntaxProblem.map { ["\"\(template)\": \($0)"] } ?? []
        for (name, form) in fieldsNamed {
            guard let field = description.field(name) else {
                problems.append("\"\(template)\" names \(name), which is not a field (fields: \(description.keys.joined(separator: ", ")))")
                continue
            }
            if form == .label, field.input.options == nil {
                problems.append("\"\(template)\" asks the label of \(name), which has no fixed list")
            }
        }
        return problems
    }

    /// The line for a record: its fields' values in words, in the case's nation.
    public func words(for record: ResponseRecord, jurisdiction: Jurisdiction = .england,
                      law: LawPack = GuidanceLibrary.bundled.law) -> String {
        let values = record.payload.fieldValues.compactMapValues(Self.unwrapped)
        let fields = record.kind.description
        func filled(_ value: Any?) -> Bool {
            switch value {
            case nil: false
            case let flag as Bool: flag
            case let text as String: !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            case let list as [Any]: !list.isEmpty
            default: true
            }
        }
        func render(_ parts: [Part]) -> String {
            parts.map { part in
                switch part {
                case .text(let text): return text
                case .value(let name, let form):
                    guard let value = values[name] else { return "" }
                    return Self.words(value, field: fields.field(name), form: form, jurisdiction: jurisdiction, law: law)
                case .when(let tests, let then, let otherwise):
                    let holds = tests.allSatisfy { test in
                        test.equals.map { Self.stored(values[test.field]) == [$0] } ?? filled(values[test.field])
                    }
                    return render(holds ? then : otherwise)
                }
            }.joined()
        }
        return render(parts)
    }

    /// A value in the form asked: the field's declaration gives the labels of a fixed list.
    static func words(_ value: Any, field: RecordField?, form: Form, jurisdiction: Jurisdiction, law: LawPack) -> String {
        let codes = stored(value)
        switch form {
        case .label:
            let options = field?.input.options ?? []
            return Words.join(codes.map { code in options.first { $0.value == code }?.label ?? Words.of(code) })
        case .offence:
            // Offences are named by statute and section, which hold commas of their own.
            return codes.map { Words.offence($0, jurisdiction: jurisdiction, law: law) }.joined(separator: "; ")
        case .words:
            switch value {
            case let day as CalendarDate: return Words.day(day)
            case let flag as Bool: return flag ? "yes" : "no"
            case let text as String:
                return field?.input.options == nil ? text : Words.of(text)
            case let list as [String]:
                if case .list = field?.input { return list.joined(separator: ", ") }
                return Words.join(field?.input.options == nil ? list : list.map(Words.of))
            default:
                return Words.join(codes.map(Words.of))
            }
        }
    }

    /// The stored form of a value: an enumeration's raw value, a day's text, each of a list's.
    static func stored(_ value: Any?) -> [String] {
        switch value {
        case nil: []
        case let text as String: [text]
        case let flag as Bool: [flag ? "true" : "false"]
        case let day as CalendarDate: [day.description]
        case let raw as any RawRepresentable: [(raw.rawValue as? String) ?? "\(raw.rawValue)"]
        case let list as [Any]: list.flatMap { stored($0) }
        default: ["\(value!)"]
        }
    }

    /// A reflected optional's value, or nil when it holds none.
    static func unwrapped(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first.map(\.value)
    }

    /// Reads the template once, at the description's first use.
    struct Parser {
        let text: [Character]
        var index = 0
        var problem: String?

        /// Parts up to (not past) one of the stop characters at this level, or the end.
        mutating func parts(until stops: Set<Character>) -> [Part] {
            var parts: [Part] = []
            var run = ""
            while index < text.count, !stops.contains(text[index]) {
                let character = text[index]
                if character == "}" && stops.isEmpty { break }
                if character == "{" {
                    if !run.isEmpty { parts.append(.text(run)); run = "" }
                    index += 1
                    parts.append(field())
                } else {
                    run.append(character)
                    index += 1
                }
            }
            if !run.isEmpty { parts.append(.text(run)) }
            return parts
        }

        /// After an opening brace: `name`, `name:form`, or a test with its branches, up to the closing brace.
        mutating func field() -> Part {
            let start = index
            var head = ""
            while index < text.count, !"?}|{".contains(text[index]) { head.append(text[index]); index += 1 }
            guard index < text.count else { problem = problem ?? "a { at character \(start) is never closed"; return .text("") }
            if text[index] == "}" {
                index += 1
                let pieces = head.split(separator: ":", maxSplits: 1).map(String.init)
                let name = pieces.first ?? ""
                if pieces.count == 2, Form(rawValue: pieces[1]) == nil {
                    problem = problem ?? "{\(head)}: the form after : is one of \(Form.allCases.map(\.rawValue).joined(separator: ", "))"
                }
                return .value(field: name, as: pieces.count == 2 ? Form(rawValue: pieces[1]) ?? .words : .words)
            }
            guard text[index] == "?" else {
                problem = problem ?? "{\(head) at character \(start): expected }, or ? and what to write"
                return .text("")
            }
            index += 1
            let tests = head.split(separator: "&").map { test -> Test in
                let pieces = test.split(separator: "=", maxSplits: 1).map(String.init)
                return Test(field: pieces[0], equals: pieces.count == 2 ? pieces[1] : nil)
            }
            let then = parts(until: ["|", "}"])
            var otherwise: [Part] = []
            if index < text.count, text[index] == "|" {
                index += 1
                otherwise = parts(until: ["}"])
            }
            guard index < text.count, text[index] == "}" else {
                problem = problem ?? "a { at character \(start) is never closed"
                return .text("")
            }
            index += 1
            return .when(tests: tests, then: then, otherwise: otherwise)
        }
    }
}
