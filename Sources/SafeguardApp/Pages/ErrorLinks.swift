import Foundation

/// Ties each field's error message to its field, on every page, as the GOV.UK error message pattern does: the
/// control gets `aria-invalid="true"` and the message's id first in its `aria-describedby`; a group of radios or
/// checkboxes gets the message's id on its fieldset. A screen reader then reads the error when the field is reached,
/// not only in the summary at the top (WCAG 1.3.1 and 3.3.1).
///
/// Done once, on the rendered page, so that no template (there are over thirty error messages across them) can
/// forget it: the templates give each message the id `NAME-error` beside a control `id="NAME"` or inside its fieldset.
///
/// ```swift
/// ErrorLinks.linked(#"<p id="age-error" class="error-message">…</p><input id="age" aria-describedby="age-hint">"#)
/// // … <input id="age" aria-describedby="age-error age-hint" aria-invalid="true">
/// ```
enum ErrorLinks {
    static func linked(_ html: String) -> String {
        guard html.contains("class=\"error-message\"") else { return html }
        var page = html
        for match in html.matches(of: /<p id="([^"]+)-error" class="error-message"/).reversed() {
            let name = String(match.output.1)
            let messagePosition = page.range(of: "<p id=\"\(name)-error\" class=\"error-message\"")?.lowerBound ?? page.startIndex
            // A radio or checkbox takes the field's id for the summary's link to reach the first choice; its error
            // describes the whole group, on the fieldset.
            if let control = controlTag(named: name, in: page), !page[control].contains("type=\"radio\""),
               !page[control].contains("type=\"checkbox\"") {
                page.replaceSubrange(control, with: described(String(page[control]), by: name + "-error", invalid: true))
            } else if let fieldset = page.range(of: "<fieldset", options: .backwards, range: page.startIndex..<messagePosition),
                      let end = page[fieldset.upperBound...].firstIndex(of: ">") {
                let tag = fieldset.lowerBound...end
                page.replaceSubrange(tag, with: described(String(page[tag]), by: name + "-error", invalid: false))
            }
        }
        return page
    }

    /// The opening tag of the input, textarea or select whose id is `name`.
    static func controlTag(named name: String, in page: String) -> ClosedRange<String.Index>? {
        var search = page.startIndex..<page.endIndex
        while let id = page.range(of: " id=\"\(name)\"", range: search) {
            if let start = page.range(of: "<", options: .backwards, range: page.startIndex..<id.lowerBound)?.lowerBound,
               let end = page[id.upperBound...].firstIndex(of: ">") {
                let tag = page[start...end]
                if tag.hasPrefix("<input") || tag.hasPrefix("<textarea") || tag.hasPrefix("<select") { return start...end }
            }
            search = id.upperBound..<page.endIndex
        }
        return nil
    }

    /// The tag with `id` first among the ids describing it, and marked invalid when asked.
    static func described(_ tag: String, by id: String, invalid: Bool) -> String {
        var tag = tag
        if let existing = tag.range(of: "aria-describedby=\"") {
            if !tag[existing.upperBound...].hasPrefix(id + " ") && !tag[existing.upperBound...].hasPrefix(id + "\"") {
                tag.insert(contentsOf: id + " ", at: existing.upperBound)
            }
        } else {
            tag.insert(contentsOf: " aria-describedby=\"\(id)\"", at: tag.index(before: tag.endIndex))
        }
        if invalid && !tag.contains("aria-invalid=") {
            tag.insert(contentsOf: " aria-invalid=\"true\"", at: tag.index(before: tag.endIndex))
        }
        return tag
    }
}
