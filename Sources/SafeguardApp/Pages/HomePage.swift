import Foundation
import SafeguardCore
import SafeguardPersistence

/// One case in a list.
struct CaseRow: Encodable, Sendable {
    var reference: String
    var summary: String
    var href: String
    var status: String
    var openActions: Int
    var updated: String
    /// A concern whose assessment says a child is in immediate danger: shown first, marked urgent.
    var urgent = false

    init(_ c: CaseSummaryDTO) {
        reference = c.reference
        summary = c.summary
        href = PageRoute.caseDetail(c.id).path
        status = c.status == .open ? "Open" : "Closed"
        openActions = c.openActions
        updated = PageWords.date(c.updatedAt)
    }

    init(_ record: CaseRecord) { self.init(record.header) }

    init(_ record: CaseHeader) {
        reference = record.reference
        summary = record.summary
        href = PageRoute.caseDetail(record.id).path
        status = record.status == .open ? "Open" : "Closed"
        openActions = record.openActions
        updated = PageWords.date(record.updatedAt)
    }
}

/// One item of the inbox: a sign-off to decide, a proposal returned, or a referral to answer.
struct InboxRow: Encodable, Sendable {
    var caseReference: String
    var what: String
    var detail: String
    var href: String
    var linkLabel: String

    init(_ s: SignOffDTO) {
        caseReference = s.caseReference ?? ""
        what = s.kind.label + (s.subject.isEmpty ? "" : " of device \(s.subject)")
        if s.status == .refused {
            detail = "Refused: " + (s.review?.reason ?? "no reason recorded")
            href = PageRoute.caseDetail(s.caseID).path
            linkLabel = "Open the case"
        } else {
            detail = "Proposed \(PageWords.date(s.proposedAt)): \(s.rationale)"
            href = PageRoute.caseSignOff(s.caseID, s.id).path
            linkLabel = s.kind == .outcome21 ? "Review the proposal" : "Sign off the return"
        }
    }

    init?(_ r: ReferralDTO) {
        guard let caseID = r.toCaseID else { return nil }
        caseReference = "From \(r.fromOrganisation)"
        what = "Referral"
        detail = r.summary
        href = PageRoute.caseReferralAnswer(caseID, r.id).path
        linkLabel = "Answer the referral"
    }
}

/// One open action, with its case.
struct ActionRow: Encodable, Sendable {
    var caseReference: String
    var caseHref: String
    var text: String
    var severity: String
    var severityLabel: String
    var severityRank: Int
    var due: String
    var overdue: Bool
    var dueOn: String
    /// Overdue, or due today: what needs doing today.
    var dueByToday: Bool

    init(_ record: CaseHeader, _ action: CaseAction) {
        caseReference = record.reference
        caseHref = PageRoute.caseDetail(record.id).path + "#actions"
        text = action.text
        severity = action.severity
        severityLabel = PageWords.severity(action.severity)
        severityRank = CaseAction.severityRank(action.severity)
        due = PageWords.due(action, today: CaseController.today)
        overdue = action.isOverdue(today: CaseController.today)
        dueOn = action.dueOn?.description ?? "9999-12-31"
        dueByToday = action.dueOn.map { $0 <= CaseController.today } ?? false
    }
}

extension CaseAction {
    /// MUST before SHOULD before CONSIDER.
    static func severityRank(_ severity: String) -> Int { ["must": 0, "should": 1][severity] ?? 2 }

    /// How pressing an open action is, for ordering (smaller first): overdue, then the day it is due (none last),
    /// then its importance. The home page's lists and the case page's next step use it.
    func urgency(today: CalendarDate) -> (Int, String, Int) {
        (isOverdue(today: today) ? 0 : 1, dueOn?.description ?? "9999-12-31", Self.severityRank(severity))
    }
}

/// A case of the team with actions past their day: how many, how many of them must-dos, and the oldest.
struct OverdueCaseRow: Encodable, Sendable {
    var reference: String
    var href: String
    var owner: String
    var overdue: String
    var oldest: String
    var mustCount: Int
    var oldestDay: String

    /// The rows for a team's open actions, must-dos first, then the longest overdue.
    static func rows(_ open: [(header: CaseHeader, action: CaseAction)], owners: [UUID: String], today: CalendarDate) -> [OverdueCaseRow] {
        let late = open.filter { $0.action.isOverdue(today: today) }
        return Dictionary(grouping: late, by: { $0.header.id }).values.compactMap { items -> OverdueCaseRow? in
            guard let header = items.first?.header else { return nil }
            let musts = items.filter { $0.action.severity == "must" }.count
            let oldest = items.compactMap(\.action.dueOn).min()
            let count = items.count == 1 ? "1 action" : "\(items.count) actions"
            return OverdueCaseRow(reference: header.reference, href: PageRoute.caseDetail(header.id).path,
                                  owner: owners[header.ownerID] ?? "someone no longer here",
                                  overdue: count + (musts == 0 ? "" : musts == items.count ? (musts == 1 ? ", a must-do" : ", all must-dos") : ", \(musts) of them must-dos"),
                                  oldest: oldest.map { Words.day($0) } ?? "", mustCount: musts, oldestDay: oldest?.description ?? "")
        }.sorted { ($0.mustCount > 0 ? 0 : 1, $0.oldestDay, $0.reference) < ($1.mustCount > 0 ? 0 : 1, $1.oldestDay, $1.reference) }
    }

    enum CodingKeys: String, CodingKey { case reference, href, owner, overdue, oldest }
}

/// An open case with no activity for the organisation's quiet period, and who owns it.
struct QuietCaseRow: Encodable, Sendable {
    var reference: String
    var href: String
    var owner: String
    var updated: String
    var openActions: Int

    init(_ record: CaseHeader, owner: String) {
        reference = record.reference
        href = PageRoute.caseDetail(record.id).path
        self.owner = owner
        updated = PageWords.date(record.updatedAt)
        openActions = record.openActions
    }
}

/// `Resources/Views/home.leaf`: my open cases, the actions open on them, concerns waiting for triage (DSL).
struct HomePage: PageView {
    static let template = "home"
    var title = "Home"
    var seesCases: Bool
    var isDSL: Bool
    var newCaseLabel: String
    var newCasePath = PageRoute.newCase.path
    var casesPath = PageRoute.cases.path
    var myCasesHeading: String
    var roleNote: String
    /// The open cases they own (staff: raised), the 50 changed most recently.
    var myCases: [CaseRow] = []
    static let myCasesShown = 50
    var actions: [ActionRow] = []
    /// Actions overdue or due today, first on the page.
    var today: [ActionRow] = []
    /// Open cases with no activity for the organisation's quiet period, untouched longest first: the ones most
    /// likely to have been forgotten must not be the ones left off a long list.
    var quiet: [QuietCaseRow] = []
    /// More cases have gone quiet than are shown.
    var moreQuiet = false
    static let quietShown = 50
    /// For those who oversee cases: the open cases of the others in their team (issue 11, point 1).
    var team: [QuietCaseRow] = []
    /// The team has more open cases than are shown (the Cases page has them all).
    var moreTeam = false
    static let teamShown = 50
    /// The team's cases with actions past their day, must-dos first: what a supervisor on nights looks for (a review
    /// found a case with four overdue must-dos, the immediate referral among them, listed last by date changed).
    var teamOverdue: [OverdueCaseRow] = []
    var teamHeading = ""
    var quietDays = 0
    var triage: [CaseRow] = []
    var approvals: [InboxRow] = []
    var returned: [InboxRow] = []
    var referrals: [InboxRow] = []
    var isReviewer: Bool
    var seesQuiet: Bool
    var isStaff: Bool
    var schoolLead: String

    init(identity: Identity) {
        seesCases = CasePolicy.caseRoles.contains(identity.user.role)
        isDSL = identity.user.role == .dsl
        isReviewer = identity.user.role == .supervisor || identity.user.role == .superintendent
        seesQuiet = CasePolicy.overseerRoles.contains(identity.user.role)
        isStaff = identity.user.role == .staff
        schoolLead = identity.organisation.jurisdiction.schoolLead
        newCaseLabel = identity.organisation.kind == .education ? "Raise a concern" : "Report a new case"
        myCasesHeading = identity.user.role == .staff ? "Concerns you raised" : "Your open cases"
        roleNote = switch identity.user.role {
        case .admin: "As an administrator you manage your organisation's users. You do not see case content."
        case .auditor: "As an auditor you read the audit trail. You do not see case content."
        default: ""
        }
    }

    enum CodingKeys: String, CodingKey {
        case title, seesCases, isDSL, newCaseLabel, newCasePath, casesPath, myCasesHeading, roleNote, myCases, actions, triage,
             hasMyCases, hasActions, hasTriage, approvals, returned, referrals, isReviewer, hasApprovals, hasReturned, hasReferrals,
             today, hasToday, quiet, hasQuiet, quietDays, seesQuiet, isStaff, schoolLead, team, hasTeam, teamHeading,
             moreQuiet, quietShown, moreTeam, teamShown, teamOverdue, hasTeamOverdue
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(title, forKey: .title)
        try c.encode(seesCases, forKey: .seesCases)
        try c.encode(isDSL, forKey: .isDSL)
        try c.encode(newCaseLabel, forKey: .newCaseLabel)
        try c.encode(newCasePath, forKey: .newCasePath)
        try c.encode(casesPath, forKey: .casesPath)
        try c.encode(myCasesHeading, forKey: .myCasesHeading)
        try c.encode(roleNote, forKey: .roleNote)
        try c.encode(myCases, forKey: .myCases)
        try c.encode(actions, forKey: .actions)
        try c.encode(triage, forKey: .triage)
        try c.encode(!myCases.isEmpty, forKey: .hasMyCases)
        try c.encode(!actions.isEmpty, forKey: .hasActions)
        try c.encode(!triage.isEmpty, forKey: .hasTriage)
        try c.encode(approvals, forKey: .approvals)
        try c.encode(returned, forKey: .returned)
        try c.encode(referrals, forKey: .referrals)
        try c.encode(isReviewer, forKey: .isReviewer)
        try c.encode(!approvals.isEmpty, forKey: .hasApprovals)
        try c.encode(!returned.isEmpty, forKey: .hasReturned)
        try c.encode(!referrals.isEmpty, forKey: .hasReferrals)
        try c.encode(today, forKey: .today)
        try c.encode(!today.isEmpty, forKey: .hasToday)
        try c.encode(quiet, forKey: .quiet)
        try c.encode(!quiet.isEmpty, forKey: .hasQuiet)
        try c.encode(quietDays, forKey: .quietDays)
        try c.encode(moreQuiet, forKey: .moreQuiet)
        try c.encode(Self.quietShown, forKey: .quietShown)
        try c.encode(seesQuiet, forKey: .seesQuiet)
        try c.encode(isStaff, forKey: .isStaff)
        try c.encode(schoolLead, forKey: .schoolLead)
        try c.encode(team, forKey: .team)
        try c.encode(teamOverdue, forKey: .teamOverdue)
        try c.encode(!teamOverdue.isEmpty, forKey: .hasTeamOverdue)
        try c.encode(!team.isEmpty, forKey: .hasTeam)
        try c.encode(teamHeading, forKey: .teamHeading)
        try c.encode(moreTeam, forKey: .moreTeam)
        try c.encode(Self.teamShown, forKey: .teamShown)
    }
}

/// `Resources/Views/cases.leaf`: every case the person may see, most recently changed first.
struct CaseListPage: PageView {
    static let template = "cases"
    static let perPage = 200
    var title: String
    var cases: [CaseRow]
    var total: Int
    var hasCases: Bool
    var newCaseLabel: String
    var newCasePath = PageRoute.newCase.path
    var findPath = PageRoute.cases.path
    /// "Showing 201 to 400 of 26,000, …", when there is more than one page.
    var showing = ""
    var previousHref = ""
    var nextHref = ""
    /// The reference looked for, and why no case was found.
    var reference = ""
    var referenceError = ""

    init(identity: Identity, cases: [CaseRow], total: Int, page: Int) {
        title = identity.user.role == .staff ? "Concerns you raised" : "Cases"
        self.cases = cases
        self.total = total
        hasCases = !cases.isEmpty
        newCaseLabel = identity.organisation.kind == .education ? "Raise a concern" : "Report a new case"
        (showing, previousHref, nextHref) = Self.paging(total: total, page: page, shown: cases.count)
    }

    /// What to say about where a page is in a list of `total`, and the links either side (empty: none); nothing when
    /// the list fits on one page.
    static func paging(total: Int, page: Int, shown: Int) -> (showing: String, previous: String, next: String) {
        guard total > perPage else { return ("", "", "") }
        let first = (page - 1) * perPage + 1
        let last = (total + perPage - 1) / perPage
        let number: (Int) -> String = PageWords.count
        let showing = shown == 0 ? "There are \(number(total)) in all: this page is past the last."
            : "Showing \(number(first)) to \(number(first + shown - 1)) of \(number(total)), most recently changed first."
        return (showing, page > 1 ? PageRoute.cases.path + "?page=\(min(page - 1, last))" : "",
                first + shown - 1 < total ? PageRoute.cases.path + "?page=\(page + 1)" : "")
    }

}
