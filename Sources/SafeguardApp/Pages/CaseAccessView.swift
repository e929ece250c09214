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

    init(_ history: CaseAccessHistory) {
        shown = true
        rows = history.entries.map { e in
            AccessRow(who: Self.who(e), when: PageWords.date(e.at), what: Self.what(action: e.action, outcome: e.outcome))
        }
        hasRows = !rows.isEmpty
        let times = history.total == 1 ? "1 time" : "\(history.total.withThousands) times"
        countText = history.isComplete ? times : "the latest \(history.entries.count.withThousands) of \(times)"
    }

    /// "Sam Patel (supervisor)"; the role as recorded when the entry was written.
    static func who(_ e: CaseAccessEntry) -> String {
        let role = Role(rawValue: e.actorRole)?.label.lowercased()
        switch (e.actorName, role) {
        case (let name?, let role?): return "\(name) (\(role))"
        case (let name?, nil): return name
        case (nil, let role?): return "Someone whose account no longer exists (\(role))"
        case (nil, nil):
            switch e.actorRole {
            case "system": return "Safeguard itself"
            case "anonymous": return "Someone not signed in"
            default: return "Someone whose account no longer exists"
            }
        }
    }

    /// The audit action in plain words. An action without words of its own is "Read part of the case" or "Other
    /// change": the code itself is never shown.
    static func what(action: String, outcome: String) -> String {
        let words: String = switch action {
        case "case.create": "Opened the case"
        case "case.import": "Brought the case in from another system"
        case "case.read": "Read the case"
        case "case.update": "Changed the summary or status"
        case "case.facts.update": "Changed the facts"
        case "case.person.put": "Changed the facts about a person"
        case "case.imagery.put": "Changed the facts about imagery"
        case "case.device.put": "Changed the facts about a device"
        case "case.action.update": "Recorded an action as done, not applicable or reopened"
        case "case.action.due": "Set when an action is due"
        case "case.note.add": "Added a note"
        case "case.notes.read": "Read the notes"
        case "case.assessment.read": "Read the latest assessment"
        case "case.assessments.read": "Read every assessment"
        case "case.record.add": "Added a record"
        case "case.record.replace": "Changed a record"
        case "case.records.read": "Read the records"
        case "case.outcome21.record": "Recorded Outcome 21"
        case "case.device.return": "Recorded the return of a device"
        case "case.chronology.read": "Read the chronology"
        case "case.signoff.propose": "Asked for a sign-off"
        case "case.signoff.decide": "Decided on a sign-off"
        case "case.signoffs.read": "Read the sign-offs"
        case "case.referral.send": "Referred the case to the police"
        case "case.referral.receive": "Referred the case here from a school"
        case "case.referral.respond": "Accepted or declined the referral"
        case "case.referral.answered": "Answered the referral"
        case "case.referrals.read": "Read the referrals"
        case "case.document.outcome21Letter": "Printed an Outcome 21 letter"
        case "case.document.informationSheet": "Printed the information sheet"
        case "case.document.childContactForm": "Printed the child contact form"
        case "case.document.caseRecord": "Printed the case record"
        case "case.access.read": "Looked at who has seen the case"
        case "request.rejected.imagery": "Tried to send image or video data, which was refused"
        default: action.hasSuffix(".read") ? "Read part of the case" : "Other change"
        }
        switch outcome {
        case "ok", "success", "": return words
        case "rejected", "failure", "refused": return action == "request.rejected.imagery" ? words : "\(words) (refused)"
        default: return words
        }
    }
}
