import Foundation
import SafeguardCore
import SafeguardPersistence

/// Plain words for what the engine says in codes: decisions and their values, facts and answers, dates.
enum PageWords {
    /// Someone with their role: "Sam Jones (supervisor)". A role with brackets of its own follows a comma instead, so
    /// that brackets are never nested: "Sam Jones, designated safeguarding person (DSP)".
    static func named(_ name: String, role: String) -> String {
        role.contains("(") ? "\(name), \(role)" : "\(name) (\(role))"
    }

    static func decision(_ key: String, in pack: GuidancePack? = nil) -> String {
        DecisionKey(rawValue: key).map { pack?.label(of: $0) ?? $0.label } ?? Words.of(key)
    }

    /// A decision's value in words (`DecisionKey.words(for:)`); on a page, "not decided yet" says what to do.
    /// An undetermined decision that every answer still left open settles the same way says so, and what to do
    /// now: "Not decided yet, but whatever the answers: Required, or Refer now: a child is at immediate risk".
    static func value(_ value: String, of decision: String, possible: [String]? = nil) -> String {
        let key = DecisionKey(rawValue: decision)
        let words = key?.words(for: value) ?? Words.of(value)
        guard value == "undetermined" else { return words }
        if let possible, !possible.isEmpty, !possible.contains("undetermined") {
            return words + ", but it will be one of: " + possible.map { key?.words(for: $0) ?? Words.of($0) }.joined(separator: "; or ")
        }
        return words + ": answer the questions first"
    }

    static func answer(_ tri: Tri) -> String {
        switch tri {
        case .true: "Yes"
        case .false: "No"
        case .unknown: "Not known yet"
        }
    }

    static func severity(_ severity: String) -> String {
        switch severity {
        case "must": "Must do"
        case "should": "Should do"
        default: "Consider"
        }
    }

    /// A count as people write it: 26,000.
    static func count(_ n: Int) -> String {
        let digits = Array(String(n.magnitude))
        var out = n < 0 ? "-" : ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// A number of things as people write it: "1 hour", "12 hours", "1,000 days".
    static func count(_ n: Int, _ thing: String) -> String {
        "\(count(n)) \(thing)\(n == 1 ? "" : "s")"
    }

    /// A calendar day as people write it, e.g. "30 November 2026".
    static func day(_ day: CalendarDate?) -> String {
        guard let day else { return "" }
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        return "\(day.day) \(months[day.month - 1]) \(day.year)"
    }

    /// When an open action is due: "Overdue: due by 2 November 2026", "Due by 30 November 2026", or empty.
    static func due(_ action: CaseAction, today: CalendarDate) -> String {
        guard action.status == .open, let due = action.dueOn else { return "" }
        return action.isOverdue(today: today) ? "Overdue: due by \(day(due))" : "Due by \(day(due))"
    }

    /// A time of day as people say it, UK time: "10:42am".
    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "Europe/London")
        formatter.dateFormat = "h:mma"
        return formatter.string(from: date).lowercased()
    }

    static func date(_ date: Date?) -> String {
        guard let date else { return "" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "Europe/London")
        formatter.dateFormat = "d MMMM yyyy, h:mma"
        return formatter.string(from: date).replacingOccurrences(of: "AM", with: "am").replacingOccurrences(of: "PM", with: "pm")
    }

}
