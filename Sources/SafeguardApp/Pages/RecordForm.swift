import Foundation
import SafeguardCore

/// A record kind's form, made from its one description (`RecordKind.description`): each field's input, label, hint
/// and allowed values come from there. A page only says what the case already knows: values to prefill, choices to
/// tick, the case's people, devices and imagery as options, and where a nation narrows a list.
///
/// ```swift
/// var form = RecordForm(kind: .account, facts: record.facts, today: "2026-11-30")
/// form.values["takenBy"] = identity.user.displayName
/// page.fields = form.fields()
/// ```
struct RecordForm {
    let kind: RecordKind
    let facts: CaseFacts
    let today: String
    /// Text or date values to start with; a required date starts as today, an optional one empty.
    var values: [String: String] = [:]
    /// Choices to tick.
    var selected: [String: [String]] = [:]
    /// Options replacing the description's (or the case's people, devices and imagery).
    var options: [String: [(value: String, label: String)]] = [:]
    var optionHints: [String: [String: String]] = [:]
    var hints: [String: String] = [:]
    var labels: [String: String] = [:]
    /// Fields sent as they are, unseen (e.g. `code: local` outside England and Wales).
    var hidden: [String: String] = [:]
    var omitted: Set<String> = []

    init(kind: RecordKind, facts: CaseFacts, today: String) {
        self.kind = kind
        self.facts = facts
        self.today = today
    }

    mutating func omit(_ names: String...) { omitted.formUnion(names) }

    /// Keeps only these values of a fixed list, in the description's order and words.
    mutating func only(_ values: [String], of name: String) {
        let allowed = Set(values)
        options[name] = (kind.description.field(name)?.input.options ?? []).filter { allowed.contains($0.value) }.map { ($0.value, $0.label) }
    }

    mutating func checkboxes(_ name: String, options: [(value: String, label: String)], selected: [String] = [], optionHints: [String: String] = [:]) {
        self.options[name] = options
        self.selected[name] = selected
        self.optionHints[name] = optionHints
    }

    mutating func radios(_ name: String, options: [(value: String, label: String)], optionHints: [String: String] = [:]) {
        self.options[name] = options
        self.optionHints[name] = optionHints
    }

    /// The form's fields, in the description's order: those a person fills in for this setting, then the hidden ones.
    func fields() -> [FormField] {
        let description = kind.description
        var out: [FormField] = []
        for field in description.formFields(for: facts.setting) where !omitted.contains(field.name) {
            if let value = hidden[field.name] {
                out.append(.hidden(field.name, value))
                continue
            }
            let label = labels[field.name] ?? field.label
            let hint = hints[field.name] ?? field.hint
            func choice(_ kind: FormField.Kind, _ fallback: [(value: String, label: String)]) -> FormField {
                let opts = options[field.name] ?? fallback
                // Short lists of short words sit on one line.
                let inline = kind == .radios && opts.count <= 4 && opts.allSatisfy { $0.label.count <= 16 }
                return .choice(kind, field.name, label, hint: hint, options: opts, selected: selected[field.name] ?? [],
                               inline: inline, optionHints: optionHints[field.name] ?? [:])
            }
            switch field.input {
            case .text, .list:
                out.append(.text(field.name, label, hint: hint, value: values[field.name] ?? ""))
            case .longText:
                out.append(.textarea(field.name, label, hint: hint, value: values[field.name] ?? ""))
            case .date:
                out.append(.date(field.name, label, hint: hint, value: values[field.name] ?? (field.required ? today : "")))
            case .yesNo:
                out.append(choice(.radios, [("yes", "Yes"), ("no", "No")]))
            case .choice(let opts):
                out.append(choice(.radios, opts.map { ($0.value, $0.label) }))
            case .choices(let opts):
                out.append(choice(.checkboxes, opts.map { ($0.value, $0.label) }))
            case .person:
                out.append(choice(.radios, PagesController.personOptions(facts)))
            case .people:
                out.append(choice(.checkboxes, PagesController.personOptions(facts)))
            case .device:
                out.append(choice(.radios, facts.devices.map { d in (d.ref, d.ref + (d.owner.map { ", owned by \($0)" } ?? "")) }))
            case .imagery:
                out.append(choice(.checkboxes, facts.imagery.map { ($0.ref, "\($0.ref), \($0.kind.words)") }))
            case .filledText, .filledYesNo:
                continue
            }
        }
        return out
    }
}
