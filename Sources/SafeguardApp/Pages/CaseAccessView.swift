import Foundation
import SafeguardCore
import SafeguardPersistence

/// One line of "Who has seen this case", in words: no ids, codes or machine timestamps.
struct AccessRow: Encodable, Sendable {
    var who: String
    var when: String
    var what: String
}

/// The case page's "Who has seen this case" section (issue 13): every read and write of the case from the audit
/// trail, newest first, for those `CasePolicy.seesAccess` allows. Empty and hidden for everyone else.
struct CaseAccessView: Encodable, Sendable {
    var shown = false
    var rows: [AccessRow] = []
    var hasRows = false
    /// "12 times", or "the latest 200 of 340 times".
    var countText = ""

    init() {}

    init(_ history: CaseAccessHistory, jurisdiction: Jurisdiction) {
        shown = true
        rows = history.entries.map { e in
            AccessRow(who: Self.who(e, in: jurisdiction), when: PageWords.date(e.at), what: Self.what(action: e.action, outcome: e.outcome))
        }
        hasRows = !rows.isEmpty
        let times = history.total == 1 ? "1 time" : "\(history.total.withThousands) times"
        countText = history.isComplete ? times : "the latest \(history.entries.count.withThousands) of \(times)"
    }

    /// "Sam Patel (supervisor)"; the role as recorded when the entry was written.
    static func who(_ e: CaseAccessEntry, in jurisdiction: Jurisdiction) -> String {
        // The role as the nation's guidance names it ("designated teacher for child protection"), as the rest of the page does.
        AuditWords.who(name: e.actorName, role: Role(rawValue: e.actorRole)?.inSentence(in: jurisdiction), recordedRole: e.actorRole)
    }

    /// The audit action in plain words. An action without words of its own is "Read part of the case" or "Other
    /// change": the code itself is never shown.
    static func what(action: String, outcome: String) -> String {
        let words = AuditWords.action(action)
        switch outcome {
        case "ok", "success", "": return words
        case "rejected", "failure", "refused": return action == "request.rejected.imagery" ? words : "\(words) (refused)"
        default: return words
        }
    }
}
