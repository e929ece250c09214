import Foundation
import SafeguardCore
import SafeguardPersistence

/// A citation as a link to the paragraph's text (`GuidanceSectionPage`).
struct CitationLink: Encodable, Sendable {
    var label: String
    var href: String
    var hasLink: Bool { !href.isEmpty }

    enum CodingKeys: String, CodingKey { case label, href, hasLink }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(label, forKey: .label)
        try c.encode(href, forKey: .href)
        try c.encode(hasLink, forKey: .hasLink)
    }
}

/// One decision with its value in words, the facts that settled it and its citations.
struct DecisionRow: Encodable, Sendable {
    var label: String
    var value: String
    var undetermined: Bool
    var because: [String]
    var hasBecause: Bool
    var becauseCount: Int
    var citations: [CitationLink]
}

/// An open question, with the step of the questions where it is answered (when there is one).
struct QuestionRow: Encodable, Sendable {
    var question: String
    var affects: String
    var href: String
    var hasLink: Bool
}

struct FactRow: Encodable, Sendable {
    var label: String
    var answer: String
}

struct FactTable: Encodable, Sendable {
    var ref: String
    var heading: String
    var facts: [FactRow]
}

/// What was posted to one action's form, kept when it is refused.
struct KeptAction: Sendable {
    var id: UUID
    var status: String
    var reason: String
}

/// One action of the checklist, with the form that completes it or marks it not applicable.
/// A standing instruction with its citations.
struct StandingInstruction: Encodable, Sendable {
    var text: String
    var citations: [CitationLink]
}

struct ActionItem: Encodable, Sendable {
    var field: String
    var text: String
    var severity: String
    var severityLabel: String
    var statusLabel: String
    var isOpen: Bool
    var reason: String
    var hasReason: Bool
    var completed: String
    var formAction: String
    var reasonError: String
    var hasReasonError: Bool
    var statusError: String
    var hasStatusError: Bool
    var stillRecommended: Bool
    var keptDone = false
    var keptNotApplicable = false
    var keptReason = ""
    /// A must-do marked done by hand needs a note of where and how (`CaseService.markAction`).
    var isMust: Bool { severity == "must" }
    var due: String = ""
    var overdue: Bool = false
    var dueOn: String = ""
    var hasDue: Bool { !due.isEmpty }

    enum CodingKeys: String, CodingKey {
        case field, text, severity, severityLabel, statusLabel, isOpen, reason, hasReason, completed, formAction, reasonError,
             hasReasonError, statusError, hasStatusError, stillRecommended, due, overdue, dueOn, hasDue, isMust,
             keptDone, keptNotApplicable, keptReason, formOpen
    }

    /// The action's form is folded under "Record this action" (fifteen open forms put the urgent record 167 tab
    /// stops away, a review found), and unfolded when it comes back refused, with what was chosen and typed.
    var formOpen: Bool { hasStatusError || hasReasonError || keptDone || keptNotApplicable || !keptReason.isEmpty }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(field, forKey: .field); try c.encode(text, forKey: .text); try c.encode(severity, forKey: .severity)
        try c.encode(severityLabel, forKey: .severityLabel); try c.encode(statusLabel, forKey: .statusLabel)
        try c.encode(isOpen, forKey: .isOpen); try c.encode(reason, forKey: .reason); try c.encode(hasReason, forKey: .hasReason)
        try c.encode(completed, forKey: .completed); try c.encode(formAction, forKey: .formAction)
        try c.encode(reasonError, forKey: .reasonError); try c.encode(hasReasonError, forKey: .hasReasonError)
        try c.encode(statusError, forKey: .statusError); try c.encode(hasStatusError, forKey: .hasStatusError)
        try c.encode(stillRecommended, forKey: .stillRecommended); try c.encode(due, forKey: .due)
        try c.encode(overdue, forKey: .overdue); try c.encode(dueOn, forKey: .dueOn); try c.encode(hasDue, forKey: .hasDue)
        try c.encode(isMust, forKey: .isMust)
        try c.encode(keptDone, forKey: .keptDone); try c.encode(keptNotApplicable, forKey: .keptNotApplicable)
        try c.encode(keptReason, forKey: .keptReason); try c.encode(formOpen, forKey: .formOpen)
    }
}

/// Links citations of an assessment to the text of the paragraph in the pack the engine used.
struct CitationLinker {
    var packs: [String: GuidanceReference]
    /// The case the links are followed from, so the section's page can say what this case's facts say about it.
    var caseID: UUID?

    init(_ assessment: Assessment?, caseID: UUID? = nil) {
        self.caseID = caseID
        var packs: [String: GuidanceReference] = [:]
        for reference in assessment?.guidance ?? [] { packs[reference.title] = reference }
        self.packs = packs
    }

    func links(_ citations: [Citation]) -> [CitationLink] {
        citations.map { citation in
            let label = Citation.label(citation.section)
            guard let pack = packs[citation.document] else { return CitationLink(label: label, href: "") }
            return CitationLink(label: label, href: PageRoute.guidanceSection(pack: pack.id, edition: pack.edition,
                                                                             section: citation.section).path
                                    + (caseID.map { "?case=\($0.uuidString.lowercased())" } ?? ""))
        }
    }
}

/// `Resources/Views/case.leaf`: open questions first, the decisions with reasons and citations, the action
/// checklist, the people, imagery and devices.
/// Someone a case can be given to, in the owner form's list.
struct OwnerOption: Encodable, Sendable {
    var value: String
    var label: String
}

struct CasePage: PageView {
    static let template = "case"
    var title: String
    var reference: String
    var summary: String
    var status: String
    var created: String
    var updated: String
    var version: Int
    var emergency: Bool
    var canEdit: Bool
    var isStaff: Bool
    /// The school lead as the nation's guidance names them, for the staff notice.
    var schoolLead: String
    var csrf: String
    /// The single next thing to do, first on the page (issue 11): the most pressing open action, else the first open
    /// question; with where to do it and a sentence on how the case stands.
    var nextStep = ""
    var nextStepHref = ""
    var situation = ""
    var hasNextStep = false
    /// Who owns the case ("Sam Jones (DSL)"), and, for those who may, the form to give it to someone else.
    var owner = ""
    var canReassign = false
    /// Merging (issue 11): where this case went, which came into it, and the form to merge it into another.
    var mergedIntoReference = ""
    var mergedIntoHref = ""
    var isMerged = false
    var mergedFrom: [MergeLink] = []
    var hasMergedFrom = false
    var canMerge = false
    var mergePath = ""
    var mergeIntoError = ""
    var mergeReasonError = ""
    var ownerPath = ""
    var ownerOptions: [OwnerOption] = []
    var ownerError = ""
    /// Closing or reopening, with a reason.
    var isClosed: Bool
    var statusPath: String
    /// The case's notes as the reader may see them (staff: their own), oldest first, and the form to add one.
    var caseNotes: [NoteRow] = []
    var hasCaseNotes = false
    var notePath = ""
    var noteError = ""
    var noteText = ""
    var noteLimit = CaseService.noteLimit
    var statusReasonError = ""
    /// Before closing: the MUST actions still open, so nobody closes a case not knowing what is left undone.
    var closeWarning = ""
    var openMusts: [String] = []
    var questionsHref: String
    var openQuestions: [QuestionRow]
    var hasOpenQuestions: Bool
    var decisions: [DecisionRow]
    var hasAssessment: Bool
    var actions: [ActionItem]
    var hasActions: Bool
    /// Actions done or not applicable, folded below the open ones (issue 11, point 7).
    var closedActionCount = 0
    var hasOpenActions = false
    /// Instructions that hold for the whole case, such as never viewing the imagery (issue 11).
    var standing: [StandingInstruction] = []
    var hasStanding = false
    var people: [FactTable]
    /// What happened: each circumstance the guidance asks about, in its own question, with what is known.
    var happened: [FactRow] = []
    var imagery: [FactTable]
    var devices: [FactTable]
    var hasPeople: Bool
    var hasImagery: Bool
    var hasDevices: Bool
    var guidance: [String]
    /// What the assessment says about itself (guidance not the nation's own, no offence under the age of criminal
    /// responsibility): shown beside the decisions, as the API carries it in `notes`.
    var notes: [String] = []
    /// The response: banners, what to record next, records, custody, sign-offs, referrals, documents, chronology.
    var response: CaseResponseView = CaseResponseView()
    /// Who has seen this case, for those allowed (`CasePolicy.seesAccess`); not shown to anyone else.
    var access: CaseAccessView = CaseAccessView()

    static func statusLabel(_ status: ActionStatus) -> String {
        switch status {
        case .open: "To do"
        case .done: "Done"
        case .notApplicable: "Does not apply"
        }
    }

    /// The prefix of the ids of one action's form fields. The whole id: actions are numbered in time order (UUID
    /// version 7), so the actions raised together share their first digits, and a shorter prefix gave every action's
    /// fields one id, so that a label ticked, and an error was shown under, every action.
    static func fieldID(_ actionID: UUID) -> String { "action-" + actionID.lowercasedText }

    /// What to do next: the open action that is overdue, or due soonest, MUST before SHOULD; else the first open
    /// question; else nothing. With a sentence on how many actions and questions are open.
    static func nextStep(actions: [CaseAction], questions: [OpenQuestion], caseID: UUID, today: CalendarDate, setting: Setting)
        -> (step: String, href: String, situation: String) {
        let ordered = actions.sorted { $0.urgency(today: today) < $1.urgency(today: today) }
        let overdue = actions.filter { $0.isOverdue(today: today) }.count
        var counts: [String] = []
        if !actions.isEmpty {
            counts.append(actions.count == 1 ? "1 action to do" : "\(actions.count) actions to do")
            if overdue > 0 { counts[counts.count - 1] += overdue == actions.count && overdue == 1 ? ", overdue" : " (\(overdue) overdue)" }
        }
        if !questions.isEmpty { counts.append(questions.count == 1 ? "1 question to answer" : "\(questions.count) questions to answer") }
        let joined = Words.join(counts)
        let situation = counts.isEmpty ? "Every action is done or does not apply, and no question is open."
                                       : joined.prefix(1).uppercased() + joined.dropFirst() + "."
        if let first = ordered.first {
            let due = PageWords.due(first, today: today)
            // An action done by a record leads to its form, not to the tick box beside it.
            let form = ResponseRules.recordKind(completing: first.recommendationID, in: setting)
            return ("Next: " + first.text + (due.isEmpty ? "" : " (" + due.prefix(1).lowercased() + due.dropFirst() + ")"),
                    form.map { PageRoute.caseRecordForm(caseID, $0).path } ?? "#" + fieldID(first.id) + "-done", situation)
        }
        if let question = questions.first {
            return ("Next: answer \u{201C}\(question.question)\u{201D}", "#questions", situation)
        }
        return ("Nothing is waiting on this case: close it when the work is finished.", "#status", situation)
    }

    init(record: CaseRecord, actions: [CaseAction], assessment: Assessment?, identity: Identity, csrf: String,
         errors: [FieldError] = [], kept: KeptAction? = nil) {
        title = "Case \(record.reference)"
        reference = record.reference
        summary = record.summary
        status = record.status == .open ? "Open" : "Closed"
        created = PageWords.date(record.createdAt)
        updated = PageWords.date(record.updatedAt)
        version = record.version
        canEdit = identity.user.role != .staff
        isStaff = identity.user.role == .staff
        schoolLead = record.guidance.leadRoleName
        self.csrf = csrf
        isClosed = record.status == .closed
        statusPath = PageRoute.caseStatus(.id(record.id)).path
        notePath = PageRoute.caseNotes(.id(record.id)).path
        questionsHref = PageRoute.caseQuestions(record.id, QuestionStep.allCases[0]).path
        emergency = assessment?.decisions.emergency ?? false
        let edition = PageGuidance.library.edition(for: record.facts.setting, in: record.facts.jurisdiction, on: assessment?.assessedOn ?? CaseController.today).pack
        let questions = assessment != nil ? edition.questions : [:]
        let linker = CitationLinker(assessment, caseID: record.id)
        let canEdit = self.canEdit
        openQuestions = (assessment?.openQuestions ?? []).map { q in
            let step = canEdit ? QuestionStep.step(for: q.fact) : nil
            return QuestionRow(question: q.question, affects: q.affects.map { PageWords.decision($0, in: edition) }.joined(separator: ", "),
                               href: step.map { PageRoute.caseQuestions(record.id, $0).path } ?? "", hasLink: step != nil)
        }
        hasOpenQuestions = !openQuestions.isEmpty
        decisions = (assessment?.decisionReasons ?? []).filter(\.appliesHere).map { reason in
            let because = reason.because.map { Words.because($0, questions: questions) }
            var value = PageWords.value(reason.value, of: reason.decision, possible: reason.possible)
            if reason.decision == DecisionKey.involveParents.rawValue, let each = assessment?.decisions.involveParentsOf, each.count > 1 {
                value += ". For each child: " + each.sorted { $0.key < $1.key }
                    .map { "\($0.key), " + DecisionKey.involveParents.words(for: $0.value.rawValue).lowercased() }.joined(separator: "; ")
            }
            return DecisionRow(label: PageWords.decision(reason.decision, in: edition),
                               value: value,
                               undetermined: reason.value == "undetermined", because: because, hasBecause: !because.isEmpty, becauseCount: because.count,
                               citations: linker.links(reason.citations))
        }
        hasAssessment = assessment != nil
        let errorFor = Dictionary(errors.map { ($0.field, $0.message) }, uniquingKeysWith: { a, _ in a })
        statusReasonError = errorFor["statusReason"] ?? ""
        ownerError = errorFor["ownerID"] ?? ""
        mergeIntoError = errorFor["into"] ?? ""
        mergeReasonError = errorFor["mergeReason"] ?? ""
        let order: [ActionStatus: Int] = [.open: 0, .done: 1, .notApplicable: 2]
        // Standing instructions are shown on their own (below), never as a to-do; older cases may hold them as actions.
        let standing = assessment?.recommendations.filter(\.standing) ?? []
        let standingIDs = Set(standing.map(\.id))
        self.standing = standing.map { StandingInstruction(text: $0.text, citations: linker.links($0.citations)) }
        hasStanding = !standing.isEmpty
        self.actions = actions.filter { ($0.recommended || $0.status != .open) && !standingIDs.contains($0.recommendationID) }
            // Open before closed, must before should, then the soonest due (a 999 call due today above a written
            // record with no date): the order the README promises, by urgency.
            .sorted { (order[$0.status]!, CaseAction.severityRank($0.severity), $0.dueOn?.description ?? "9999-12-31")
                    < (order[$1.status]!, CaseAction.severityRank($1.severity), $1.dueOn?.description ?? "9999-12-31") }
            .map { (action: CaseAction) -> ActionItem in
                let field = Self.fieldID(action.id)
                let today = CaseController.today
                var item = ActionItem(field: field, text: action.text, severity: action.severity,
                                  severityLabel: PageWords.severity(action.severity),
                                  statusLabel: Self.statusLabel(action.status),
                                  isOpen: action.status == .open, reason: action.reason ?? "", hasReason: !(action.reason ?? "").isEmpty,
                                  completed: PageWords.date(action.completedAt),
                                  formAction: PageRoute.caseAction(record.id, action.id).path,
                                  reasonError: errorFor[field + "-reason"] ?? "", hasReasonError: errorFor[field + "-reason"] != nil,
                                  statusError: errorFor[field + "-done"] ?? "", hasStatusError: errorFor[field + "-done"] != nil,
                                  stillRecommended: action.recommended)
                // An action's form refused for a mistake keeps what was chosen and typed in it.
                if let kept, kept.id == action.id {
                    item.keptDone = kept.status == "done"
                    item.keptNotApplicable = kept.status == "notApplicable"
                    item.keptReason = kept.reason
                }
                item.due = PageWords.due(action, today: today)
                item.overdue = action.isOverdue(today: today)
                item.dueOn = action.dueOn?.description ?? ""
                return item
            }
        hasActions = !self.actions.isEmpty
        closedActionCount = self.actions.filter { !$0.isOpen }.count
        hasOpenActions = self.actions.contains { $0.isOpen }
        openMusts = self.actions.filter { $0.isOpen && $0.severity == "must" }.map(\.text)
        if !isClosed, !openMusts.isEmpty {
            closeWarning = openMusts.count == 1
                ? "One action the guidance says must be done is still open:"
                : "\(openMusts.count) actions the guidance says must be done are still open:"
        }
        if canEdit && !isClosed {
            let next = Self.nextStep(actions: actions.filter { $0.status == .open && $0.recommended && !standingIDs.contains($0.recommendationID) },
                                     questions: assessment?.openQuestions ?? [], caseID: record.id, today: CaseController.today,
                                     setting: record.facts.setting)
            (nextStep, nextStepHref, situation) = next
            hasNextStep = true
        }
        let facts = record.facts
        // Staff are given the facts as they raised them (`CasePolicy.asRaised`): who is involved, not what the lead
        // has learnt of each child, which is not shown to them even as "not known".
        let isStaff = self.isStaff
        people = facts.people.map { p in
            FactTable(ref: p.ref, heading: "Person \(p.ref)", facts: [
                FactRow(label: "Age", answer: p.age.map { "\($0)" } ?? "Not known yet"),
                FactRow(label: "Part in what happened", answer: p.roles.isEmpty ? "Not recorded" : Words.parts(p.roles)),
            ] + (isStaff ? [] : QuestionStep.personFacts.map { FactRow(label: $0.label, answer: PageWords.answer(p[keyPath: $0.path])) }
              + [FactRow(label: "Earlier incidents known", answer: p.previousIncidents.map { "\($0)" } ?? "Not known yet")]))
        }
        imagery = facts.imagery.map { i in
            FactTable(ref: i.ref, heading: "Imagery \(i.ref)", facts: [
                FactRow(label: "Kind", answer: QuestionStep.kindLabel(i.kind)),
                FactRow(label: "Shows", answer: i.depicts.isEmpty ? "Not recorded" : i.depicts.joined(separator: ", ")),
            ] + QuestionStep.imageryFacts.map { FactRow(label: $0.label, answer: PageWords.answer(i[keyPath: $0.path])) }
              + [FactRow(label: "Where it was shared", answer: i.platforms.isEmpty ? "Not recorded" : Words.join(i.platforms.map(\.label)))])
        }
        devices = facts.devices.map { d in
            FactTable(ref: d.ref, heading: "Device \(d.ref)", facts: [
                FactRow(label: "Owner", answer: d.owner ?? "Not known yet"),
                FactRow(label: "Seized or handed over", answer: PageWords.answer(d.seized)),
                FactRow(label: "Holds imagery of", answer: d.containsImageryOf.isEmpty ? "Not recorded" : d.containsImageryOf.joined(separator: ", ")),
            ])
        }
        // The circumstances were shown only inside each decision's "Why"; here they are together, in the questions
        // the case's edition asks.
        let asked = PageGuidance.library.edition(for: facts.setting, in: facts.jurisdiction,
                                                 on: facts.assessedOn ?? assessment?.assessedOn ?? CaseController.today).pack.questions
        happened = (QuestionStep.happenedFacts + QuestionStep.harmFacts).map { name in
            FactRow(label: asked["circumstances.\(name)"] ?? Words.of(name).capitalisedFirst,
                    answer: PageWords.answer(facts.circumstances[named: name]))
        }
        hasPeople = !people.isEmpty
        hasImagery = !imagery.isEmpty
        hasDevices = !devices.isEmpty
        guidance = (assessment?.guidance ?? []).map { "\($0.publisher): \($0.title) (\($0.edition) edition)" }
        notes = assessment?.notes ?? []
    }
}

/// `Resources/Views/guidance-section.leaf`: the text of one cited paragraph, in our summary, with its document.
struct GuidanceSectionPage: PageView {
    static let template = "guidance-section"
    var title: String
    var document: String
    var publisher: String
    var edition: String
    var heading: String
    var summary: String

    /// The section's numbered parts, e.g. the five referral criteria under "When to make a child protection referral".
    var parts: [String]
    var hasParts: Bool
    var documentURL: String
    var hasDocumentURL: Bool
    var sectionID: String
    /// Followed from a case: what its assessment says under this section, and the way back.
    var caseReference = ""
    var caseHref = ""
    var caseLines: [String] = []
    // Stored, not computed: Leaf reads only what is encoded.
    var hasCase = false
    var hasCaseLines = false

    init(pack: GuidancePack, section: Section) {
        let cited = Citation.label(section.id)
        let label = cited.prefix(1).uppercased() + cited.dropFirst()
        // A section the guidance names by its heading (the Welsh guidance's "Risk-assessing situations") is not said twice.
        title = label.lowercased() == section.heading.lowercased() ? section.heading : "\(label): \(section.heading)"
        document = pack.title
        publisher = pack.publisher
        edition = pack.edition
        heading = section.heading
        summary = section.summary
        sectionID = section.id
        documentURL = pack.url ?? ""
        parts = pack.sections.filter { $0.id.hasPrefix(section.id + " (") }.map(\.summary)
        hasParts = !parts.isEmpty
        hasDocumentURL = !documentURL.isEmpty
    }

    /// What the case's latest assessment says under this section: the decisions and recommendations citing it,
    /// with the facts behind each, in words.
    mutating func addCase(_ record: CaseRecord, assessment: Assessment?) {
        caseReference = record.reference
        caseHref = PageRoute.caseDetail(record.id).path
        hasCase = true
        defer { hasCaseLines = !caseLines.isEmpty }
        guard let assessment else { return }
        let questions = record.guidance.questions
        let document = self.document, sectionID = self.sectionID
        let cites: ([Citation]) -> Bool = { citations in
            citations.contains { $0.document == document && ($0.section == sectionID || $0.section.hasPrefix(sectionID + " (")) }
        }
        for reason in assessment.decisionReasons where cites(reason.citations) {
            let key = DecisionKey(rawValue: reason.decision)
            let because = reason.because.map { Words.because($0, questions: questions) }
            caseLines.append("\(key?.label ?? Words.of(reason.decision)): \(key?.words(for: reason.value) ?? Words.of(reason.value))"
                             + (because.isEmpty ? "" : ", because: " + because.joined(separator: "; ")))
        }
        for recommendation in assessment.recommendations where cites(recommendation.citations) {
            caseLines.append(recommendation.text)
        }
    }
}

/// A case merged into this one, as a link.
struct MergeLink: Encodable, Sendable {
    var reference: String
    var href: String
}

/// A note on the case: who wrote it, when, and what.
struct NoteRow: Encodable, Sendable {
    var by: String
    var at: String
    var text: String
}
