import Foundation
import SafeguardCore
import SafeguardPersistence

/// The audit trail in words, the one place that says what each action code means: "Who has seen this case" and the
/// auditor's audit trail both read it, so neither shows a code, an id or a machine timestamp (issue 11, point 4).
///
/// ```swift
/// AuditWords.action("case.signoff.decide")          // "Decided on a sign-off"
/// AuditWords.detail("kind=crimeRecord via=page", names: [:])   // "kind: crime record; on the pages"
/// ```
enum AuditWords {
    /// Every action Safeguard writes, in words.
    static let actions: [String: String] = [
        "case.create": "Opened the case", "case.import": "Brought the case in from another system",
        "case.read": "Read the case", "case.list": "Listed cases", "case.update": "Changed the summary or status",
        "case.facts.update": "Changed the facts", "case.person.put": "Changed the facts about a person",
        "case.imagery.put": "Changed the facts about imagery", "case.device.put": "Changed the facts about a device",
        "case.action.update": "Recorded an action as done, not applicable or reopened", "case.action.due": "Set when an action is due",
        "case.note.add": "Added a note", "case.notes.read": "Read the notes", "case.owner": "Gave the case to someone else",
        "case.assessment.read": "Read the latest assessment", "case.assessments.read": "Read every assessment",
        "case.record.add": "Added a record", "case.record.replace": "Changed a record", "case.records.read": "Read the records",
        "case.outcome21.record": "Recorded Outcome 21", "case.device.return": "Recorded the return of a device",
        "case.chronology.read": "Read the chronology", "case.signoff.propose": "Asked for a sign-off",
        "case.signoff.decide": "Decided on a sign-off", "case.signoffs.read": "Read the sign-offs",
        "case.referral.send": "Referred the case to the police", "case.referral.receive": "Referred the case here from a school",
        "case.referral.respond": "Accepted or declined the referral", "case.referral.answered": "Answered the referral",
        "case.referral.withdraw": "Withdrew the referral to the police", "case.referral.withdrawn": "Withdrew the referral from the school",
        "case.referrals.read": "Read the referrals", "case.document.outcome21Letter": "Printed an Outcome 21 letter",
        "case.document.informationSheet": "Printed the information sheet", "case.document.childContactForm": "Printed the child contact form",
        "case.document.caseRecord": "Printed the case record", "case.document.subjectAccess": "Produced a subject access document",
        "case.access.read": "Looked at who has seen the case", "case.guidanceSection.read": "Read a section of the guidance from the case",
        "case.erase": "Erased the case at the end of its retention", "retention.hold": "Put a legal hold on a case",
        "retention.lift": "Lifted a legal hold", "retention.read": "Read the retention list", "retention.dryRun": "Tried a retention run without erasing",
        "retention.run": "Ran retention", "inbox.read": "Read their inbox", "request.rejected": "Was refused",
        "request.rejected.imagery": "Tried to send image or video data, which was refused",
        "request.rejected.summary": "Requests refused without signing in, counted", "submission.repeat": "Sent a form twice; the first was kept",
        "signIn": "Signed in", "signOut": "Signed out", "token.create": "Made an API token", "token.revoke": "Revoked an API token",
        "session.list": "Looked at where they are signed in", "user.tokens.list": "Looked at a user's API tokens", "password.reset": "Set a new password with a reset link",
        "password.resetLink": "Made a password reset link",
        "twoFactor.stepUp": "Gave their second factor again", "user.create": "Added a user", "user.update": "Changed a user",
        "user.list": "Listed the users", "user.signature": "Changed how their letters are signed",
        "organisation.create": "Added an organisation", "organisation.settings.read": "Read the organisation's settings",
        "organisation.settings.update": "Changed the organisation's settings", "audit.read": "Read the audit trail",
        "audit.verify": "Checked the audit chain", "audit.seal": "Sealed the audit chain", "keys.rotate": "Changed the encryption keys",
        "demo.audit": "Set up the demonstration",
        // Found in an administrator's review showing as "Other change" or "Changed their two-factor sign-in".
        "organisation.settings": "Changed the organisation's settings", "case.legalHold.set": "Put a legal hold on a case",
        "case.legalHold.lift": "Lifted a legal hold", "twoFactor.reset": "Reset someone's two-factor sign-in",
        "twoFactor.enable": "Set up their two-factor sign-in", "twoFactor.recoveryCode": "Signed in with a recovery code",
        "case.merge": "Merged cases", "session.end": "Ended one of their sessions",
    ]

    /// An action in words. One without words of its own is "Read part of the case" or "Other change": the code
    /// itself is never shown.
    static func action(_ code: String) -> String {
        if let words = actions[code] { return words }
        if code.hasPrefix("twoFactor.") { return "Changed their two-factor sign-in" }
        return code.hasSuffix(".read") ? "Read part of the case" : "Other change"
    }

    /// Who acted: "Sam Patel (supervisor)", with the role as recorded when the entry was written; someone whose
    /// account is gone, Safeguard itself, or someone not signed in, when there is no name.
    static func who(name: String?, role: String?, recordedRole: String) -> String {
        switch (name, role) {
        case (let name?, let role?): return PageWords.named(name, role: role)
        case (let name?, nil): return name
        case (nil, let role?): return PageWords.named("Someone whose account no longer exists", role: role)
        case (nil, nil):
            switch recordedRole {
            case "system": return "Safeguard itself"
            case "anonymous": return "Someone not signed in"
            default: return "Someone whose account no longer exists"
            }
        }
    }

    /// An outcome in words.
    static func outcome(_ code: String) -> String {
        switch code {
        case "ok", "success", "": "Done"
        case "rejected", "refused", "denied": "Refused"
        case "failure", "failed": "Failed"
        case "valid": "Intact"
        case "broken": "Broken"
        // The first step of a two-factor sign-in: the password was right, and a code was asked for next.
        case "password": "Password right; code asked next"
        default: Words.of(code).capitalisedFirst
        }
    }

    /// The words of the keys an entry's detail uses.
    static let keys: [String: String] = [
        "via": "", "kind": "kind", "to": "to", "person": "person", "count": "how many", "status": "status", "reason": "why",
        "version": "version", "user": "user", "role": "role", "owner": "new owner", "referral": "referral", "decision": "decision",
        "action": "action", "factor": "second factor", "route": "request", "sessions": "sessions", "tokens": "tokens",
        "token": "token", "from": "from", "sealed": "sealed", "erased": "erased", "held": "held", "rule": "rule",
        "repeat": "sent again", "openMust": "must-do actions still open", "next": "next", "reference": "case",
        "sessionIdleMinutes": "minutes without activity before signing out", "sessionLifetimeHours": "longest session, in hours",
        "twoFactorRoles": "roles that need two-factor sign-in", "stepUpCaseAgeDays": "days before a case asks for the second factor again",
        "retentionPoliceGroup": "MoPI group", "retentionSchoolAge": "kept until the youngest is aged",
        "retentionSchoolYears": "or years after closing", "quietCaseDays": "days before a case counts as quiet",
        "mustActionDays": "days to do a must-do", "apiTokenMaxDays": "longest an API token lasts, in days",
    ]

    /// An entry's detail (`kind=crimeRecord via=page`) in words. Ids are named from `names` (a person or a case
    /// reference) or said to be another record; codes become words; a route keeps its method and path with each
    /// id left out.
    static func detail(_ detail: String, names: [String: String]) -> String {
        detail.split(separator: " ").compactMap { token -> String? in
            let parts = token.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return token.hasPrefix("/") ? route(String(token)) : words(String(token), names: names) }
            let (key, value) = (parts[0], parts[1])
            // A token's own id names nothing a person knows ("token: another record"); the action says what it was.
            if key == "token", UUID(text: value) != nil, names[value.lowercased()] == nil { return nil }
            if key == "via" {
                switch value {
                case _ where value.hasPrefix("page"): return "on the pages"
                case "token": return "with an API token"
                case "session": return "on the sign-in page"
                case "cli": return "on the server's command line"
                case "schedule": return "by the retention schedule"
                default: return "from \(words(value, names: names))"
                }
            }
            let name = keys[key] ?? Words.of(key)
            return "\(name): \(words(value, names: names))"
        }.joined(separator: "; ")
    }

    /// A route pattern (`/cases/:caseID`) with each parameter left out.
    static func route(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { $0.hasPrefix(":") ? "…" : String($0) }.joined(separator: "/")
    }

    static func words(_ value: String, names: [String: String]) -> String {
        if UUID(text: value) != nil { return names[value.lowercased()] ?? "another record" }
        if value.contains("/") { return route(value) }
        if Int(value) != nil { return value }
        return value.split(separator: ",").map { part in
            part.split(separator: ".").map { Words.of(String($0)).replacingOccurrences(of: "_", with: " ") }.joined(separator: " ")
        }.joined(separator: ", ")
    }

    /// A timestamp as people write it, to the second: "1 December 2026, 6:09:13pm".
    static func when(_ text: String) -> String {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = parser.date(from: text) ?? ISO8601DateFormatter().date(from: text) else { return text }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "Europe/London")
        formatter.dateFormat = "d MMMM yyyy, h:mm:ssa"
        return formatter.string(from: date).replacingOccurrences(of: "AM", with: "am").replacingOccurrences(of: "PM", with: "pm")
    }

    /// What an auditor can filter on, in words, each with the part of the action codes it matches.
    static let filters: [(label: String, code: String)] = [
        ("Anything", ""), ("Signing in and out", "sign"), ("API tokens", "token"), ("Users and their accounts", "user."),
        ("Opening and changing cases", "case.create"), ("Reading cases", ".read"), ("Records", "case.record"),
        ("Actions", "case.action"), ("Sign-offs", "signoff"), ("Referrals", "referral"), ("Documents printed", "case.document"),
        ("Retention and erasure", "retention"), ("Refused requests", "rejected"), ("The audit trail", "audit."),
        ("Settings and keys", "organisation"),
    ]

    /// The outcomes an auditor can filter on.
    static let outcomes: [(label: String, code: String)] = [("Any", ""), ("Done", "ok"), ("Refused", "rejected"), ("Failed", "failure")]
}
