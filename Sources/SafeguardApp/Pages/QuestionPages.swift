import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// A yes / no / not known yet fact the question pages ask, by its key in the guidance packs' `questions`.
/// One yes / no / not-known fact a step asks about a person or a piece of imagery: its key in the contract (which
/// names the form field and the guidance's question), its label, and where it lives in the facts.
struct FactSpec<Root>: Sendable {
    var key: String
    var label: String
    var path: WritableKeyPath<Root, Tri>
}

/// The steps of questions after a case is started, in order. Each asks a few facts, each answerable "yes", "no"
/// or "not known yet", in the words of the guidance edition in force; after each, the decisions so far and the
/// open questions are shown.
enum QuestionStep: String, CaseIterable, Sendable {
    case people, happened, harm, imagery

    var title: String {
        switch self {
        case .people: "The young people involved"
        case .happened: "How it happened"
        case .harm: "Signs of harm or abuse"
        case .imagery: "About the imagery"
        }
    }

    var next: QuestionStep? {
        let all = Self.allCases
        let i = all.firstIndex(of: self)!
        return i + 1 < all.count ? all[i + 1] : nil
    }

    var number: Int { Self.allCases.firstIndex(of: self)! + 1 }

    static let personFacts: [FactSpec<Person>] = [
        FactSpec(key: "immediateDanger", label: "In immediate danger", path: \Person.immediateDanger),
        FactSpec(key: "selfHarmRisk", label: "At risk of self-harm or suicidal thoughts", path: \Person.selfHarmRisk),
        FactSpec(key: "inCare", label: "A child in care", path: \Person.inCare),
        FactSpec(key: "childProtectionPlan", label: "On a child protection plan", path: \Person.childProtectionPlan),
        FactSpec(key: "learningDisability", label: "Learning disability or concern about capacity to consent", path: \Person.learningDisability),
        FactSpec(key: "parentalInvolvementRisk", label: "Involving parents or carers would put them at risk", path: \Person.parentalInvolvementRisk),
    ]
    static let happenedFacts = ["willing", "ageAppropriate", "accidental"]
    static let harmFacts = ["coercion", "blackmail", "grooming", "exploitation", "profitMotive", "maliciousIntent", "persistent", "violence"]
    static let imageryFacts: [FactSpec<Imagery>] = [
        FactSpec(key: "sexualActs", label: "Shows sexual acts", path: \Imagery.sexualActs),
        FactSpec(key: "violent", label: "Violent", path: \Imagery.violent),
        FactSpec(key: "unusualForDevelopmentalStage", label: "Unusual for the young person's developmental stage", path: \Imagery.unusualForDevelopmentalStage),
        FactSpec(key: "sharedWithoutPermission", label: "Shared without permission", path: \Imagery.sharedWithoutPermission),
        FactSpec(key: "sharedBeyondControl", label: "Shared beyond the child's control", path: \Imagery.sharedBeyondControl),
        FactSpec(key: "uploadedToAdultSite", label: "Uploaded to an adult site", path: \Imagery.uploadedToAdultSite),
    ]

    /// The step where an open question's fact is asked, if a step asks it.
    static func step(for fact: String) -> QuestionStep? {
        if fact.hasPrefix("people[") {
            return fact.hasSuffix(".previousIncidents") ? nil : .people
        }
        if fact.hasPrefix("imagery[") { return .imagery }
        if fact.hasPrefix("circumstances.") {
            let name = String(fact.dropFirst("circumstances.".count))
            return happenedFacts.contains(name) ? .happened : harmFacts.contains(name) ? .harm : nil
        }
        return nil
    }

    /// A person's parts in what happened, as a box to tick each, in the words the chronology uses (`PersonRole.words`):
    /// who is in the image is not thereby who made or sent it.
    static var partLabels: [(PersonRole, String)] { PersonRole.allCases.map { ($0, $0.words.capitalisedFirst) } }

    static func kindLabel(_ kind: ImageryKind) -> String {
        switch kind {
        case .image: "Photo or image"
        case .video: "Video"
        case .generated: "AI-generated or altered image"
        case .message: "Messages only (no image)"
        }
    }
}

extension Circumstances {
    subscript(named name: String) -> Tri {
        get { self[fact: Circumstances.factNames.firstIndex(of: name)!] }
        set { self[fact: Circumstances.factNames.firstIndex(of: name)!] = newValue }
    }
}

// MARK: View models

/// One yes / no / not known yet question: a fieldset of three radios.
struct TriQuestion: Encodable, Sendable {
    var name: String
    var question: String
    var yes: Bool
    var no: Bool
    var unknown: Bool

    init(name: String, question: String, value: Tri) {
        self.name = name
        self.question = question
        yes = value == .true
        no = value == .false
        unknown = value == .unknown
    }
}

/// A whole-number field (an age), empty when not known.
struct NumberField: Encodable, Sendable {
    var name: String
    var label: String
    var hint: String
    var value: String
    var error: String
    var hasError: Bool
}

struct QuestionGroup: Encodable, Sendable {
    var heading: String
    var hasHeading: Bool
    var number: NumberField
    var hasNumber: Bool
    var questions: [TriQuestion]
    /// A person's part in what happened, as boxes to tick (people only).
    var parts: [PartOption] = []
    var hasParts: Bool { !parts.isEmpty }
    var partsName = ""
    var partsLegend = ""
    var partsError = ""

    struct PartOption: Encodable, Sendable {
        var id: String
        var label: String
        var checked: Bool
    }

    enum CodingKeys: String, CodingKey { case heading, hasHeading, number, hasNumber, questions, parts, hasParts, partsName, partsLegend, partsError, hasPartsError }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(heading, forKey: .heading); try c.encode(hasHeading, forKey: .hasHeading); try c.encode(number, forKey: .number)
        try c.encode(hasNumber, forKey: .hasNumber); try c.encode(questions, forKey: .questions); try c.encode(parts, forKey: .parts)
        try c.encode(hasParts, forKey: .hasParts); try c.encode(partsName, forKey: .partsName); try c.encode(partsLegend, forKey: .partsLegend)
        try c.encode(partsError, forKey: .partsError); try c.encode(!partsError.isEmpty, forKey: .hasPartsError)
    }
}

/// A decision so far, in short.
struct DecisionSoFar: Encodable, Sendable {
    var label: String
    var value: String
}

/// `Resources/Views/questions.leaf`: one step of questions, with the decisions so far and what to answer next.
struct QuestionsPage: PageView {
    static let template = "questions"
    var title: String
    var caption: String
    var action: String
    var csrf: String
    var version: Int
    var groups: [QuestionGroup]
    var hasGroups: Bool
    var decisions: [DecisionSoFar]
    var openQuestions: [QuestionRow]
    var hasOpenQuestions: Bool
    var submitLabel: String
    var caseHref: String
}

/// `Resources/Views/new-case.leaf`: the first page of a report (police) or a concern (school).
struct NewCasePage: PageView {
    static let template = "new-case"
    var title: String
    var intro: String
    var action = PageRoute.newCase.path
    var csrf: String
    var summary: String
    var summaryError: String
    var hasSummaryError: Bool
    var kinds: [KindOption]
    var kindError: String
    var hasKindError: Bool
    var ageA: NumberField
    var ageB: NumberField
    /// Whether a young person is in immediate danger now: asked of everyone raising a concern or a report, so that
    /// the first thing anyone writes can say so (a hands-on review found a concern that a child "wants to die" shown
    /// to its teacher as "no immediate danger known", and listed for the DSL as an ordinary concern).
    var danger: [KindOption]
    var dangerHint: String
    var submitLabel: String
    /// Police: the crime reference, if the officer has it, records the crime with the guidance's offences at once.
    var isPolice: Bool = false
    var crimeReference: NumberField = NumberField(name: "crimeReference", label: "", hint: "", value: "", error: "", hasError: false)

    struct KindOption: Encodable, Sendable {
        var value: String
        var label: String
        var checked: Bool
        var id: String
    }
}

// MARK: Handlers

extension PagesController {
    static func words(_ identity: Identity) -> (title: String, intro: String) {
        identity.organisation.kind == .education
            ? ("Raise a concern", "Tell us what you know so far. Do not look at, copy, forward or screenshot any image: record what you have been told.")
            : ("Report a new case", "Record what is known so far. \(guidance(identity).recordingRule)\(guidance(identity).inBrackets(.recordCrime)). You can answer the rest later.")
    }

    /// The edition a new case in this organisation would be assessed under today.
    static func guidance(_ identity: Identity) -> GuidancePack {
        PageGuidance.library.edition(for: identity.organisation.kind.setting ?? .police, in: identity.organisation.jurisdiction,
                                        on: CaseController.today).pack
    }

    static func ageField(_ name: String, label: String, hint: String, value: String, errors: [FieldError]) -> NumberField {
        let error = errors.first { $0.field == name }?.message
        return NumberField(name: name, label: label, hint: hint, value: value, error: error ?? "", hasError: error != nil)
    }

    /// A whole number 0–120, nil for empty; an error message otherwise.
    static func parseAge(_ text: String?) -> Result<Int?, FieldErrorMessage> {
        let trimmed = (text ?? "").trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return .success(nil) }
        guard let age = Int(trimmed), (0...120).contains(age) else {
            return .failure(FieldErrorMessage(text: "Enter the age as a whole number from 0 to 120, or leave it empty if it is not known"))
        }
        return .success(age)
    }

    struct FieldErrorMessage: Error { var text: String }

    /// The answers to "is a young person in immediate danger now?", by the person it concerns.
    static let dangerOptions: [(value: String, label: String)] = [
        ("A", "Yes: the young person in the image (A)"), ("B", "Yes: the person who received it (B)"),
        ("no", "No"), ("notKnown", "Not known"),
    ]

    func newCaseForm(req: Request) async throws -> Response {
        let identity = try caseIdentity(req)
        // Sent with text over its limit (`ContentGuardMiddleware.formAgain`): the form again, with what was typed and
        // the problem at its field, not an error page that loses the report.
        if let problem = req.formProblem {
            let kept = Dictionary(problem.kept.filter { $0.0 != "_csrf" }, uniquingKeysWith: { first, _ in first })
            let errors = problem.errors.map { $0.field == "kind" ? FieldError(field: "kind-image", message: $0.message) : $0 }
            return try await renderNewCase(req, identity, form: kept, errors: errors, status: problem.status)
        }
        return try await renderNewCase(req, identity, form: [:], errors: [])
    }

    func renderNewCase(_ req: Request, _ identity: Identity, form: [String: String], errors: [FieldError],
                       status: HTTPStatus = .ok) async throws -> Response {
        let (title, intro) = Self.words(identity)
        let kind = form["kind"] ?? ""
        let summaryError = errors.first { $0.field == "summary" }?.message
        let kindError = errors.first { $0.field == "kind-image" }?.message
        let page = NewCasePage(
            title: title, intro: intro, csrf: req.pageCSRFToken(), summary: form["summary"] ?? "",
            summaryError: summaryError ?? "", hasSummaryError: summaryError != nil,
            kinds: ImageryKind.allCases.map { .init(value: $0.rawValue, label: QuestionStep.kindLabel($0), checked: kind == $0.rawValue, id: "kind-\($0.rawValue)") },
            kindError: kindError ?? "", hasKindError: kindError != nil,
            ageA: Self.ageField("ageA", label: "How old is the young person in the image (A)?", hint: "Leave empty if not known yet",
                                value: form["ageA"] ?? "", errors: errors),
            ageB: Self.ageField("ageB", label: "How old is the person who received it (B)?", hint: "Leave empty if not known yet",
                                value: form["ageB"] ?? "", errors: errors),
            danger: Self.dangerOptions.map { .init(value: $0.value, label: $0.label, checked: (form["danger"] ?? "") == $0.value, id: "danger-\($0.value)") },
            dangerHint: identity.user.role == .staff
                ? "For example, at risk of harming themselves. If so, call 999 now, then tell the \(identity.organisation.jurisdiction.schoolLead) in person straight away."
                : "For example, at risk of harming themselves.",
            submitLabel: identity.user.role == .staff ? "Raise the concern" : "Save and continue",
            isPolice: identity.organisation.kind == .police,
            crimeReference: Self.ageField("crimeReference", label: "Crime reference number (if you have it)",
                                          hint: "With it, the crime is recorded now with the offences the guidance suggests\(Self.guidance(identity).inBrackets(.recordCrime)); you can change them later",
                                          value: form["crimeReference"] ?? "", errors: errors))
        return try await req.renderPage(page, status: status, errors: errors, current: .newCase)
    }

    func createCase(req: Request) async throws -> Response {
        let identity = try caseIdentity(req)
        let form = try req.content.decode([String: String].self)
        try req.checkPageCSRF(form["_csrf"])
        var errors: [FieldError] = []
        let summary = (form["summary"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if summary.isEmpty {
            errors.append(FieldError(field: "summary", message: "Enter a short summary of what happened"))
        } else if summary.count > CaseController.maxSummary {
            errors.append(FieldError(field: "summary", message: "The summary must be \(CaseController.maxSummary) characters or fewer"))
        }
        let kind = ImageryKind(rawValue: form["kind"] ?? "")
        if kind == nil { errors.append(FieldError(field: "kind-image", message: "Select what was shared")) }
        let danger = form["danger"] ?? ""
        if !danger.isEmpty && !Self.dangerOptions.contains(where: { $0.value == danger }) {
            errors.append(FieldError(field: "danger-A", message: "Select whether a young person is in immediate danger, or that it is not known"))
        }
        var ages: [Int?] = []
        for name in ["ageA", "ageB"] {
            switch Self.parseAge(form[name]) {
            case .success(let age): ages.append(age)
            case .failure(let message): errors.append(FieldError(field: name, message: message.text)); ages.append(nil)
            }
        }
        let crimeReference = identity.organisation.kind == .police
            ? (form["crimeReference"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) : ""
        if !crimeReference.isEmpty,
           let other = try await ResponseStore(db: req.db, cipher: req.cipher).caseReference(withCrimeReference: crimeReference,
                                                                        organisationID: identity.organisation.id, excluding: nil) {
            errors.append(FieldError(field: "crimeReference",
                                     message: "The crime reference \(crimeReference) is already on case \(other). Check the number, or carry on with that case"))
        }
        if crimeReference.count > 100 {
            errors.append(FieldError(field: "crimeReference", message: "The crime reference must be 100 characters or fewer"))
        }
        guard errors.isEmpty, let kind else {
            return try await renderNewCase(req, identity, form: form, errors: errors, status: .unprocessableEntity)
        }
        // Whoever is in an AI-generated or altered image did not make it: a review found the victim of such an image
        // recorded as its maker and sender, on documents a family may be given. The questions change the parts.
        var people = [Person(ref: "A", age: ages[0], roles: kind == .generated ? [.depicted] : [.depicted, .creator, .sender]),
                      Person(ref: "B", age: ages[1], roles: [.recipient])]
        if danger == "A" || danger == "B" || danger == "no" {
            for i in people.indices { people[i].immediateDanger = danger == "no" ? .false : (people[i].ref == danger ? .true : .unknown) }
        }
        let facts = CaseFacts(
            jurisdiction: identity.organisation.jurisdiction, setting: identity.organisation.kind.setting ?? .police,
            people: people, imagery: [Imagery(ref: "I1", kind: kind, depicts: ["A"])])
        let record = try await api.createCase(req, identity, summary: summary, facts: try JSONValue.parse(facts.jsonData()),
                                              detail: "version=1 via=page")
        if danger == "A" || danger == "B" {
            req.flash(identity.user.role == .staff
                      ? "A young person is in immediate danger: call 999 now if nobody has, then tell the \(identity.organisation.jurisdiction.schoolLead) in person straight away. The concern is marked urgent for them."
                      : "A young person is in immediate danger: act now (999, or officers sent). The case opens with that as its first must-do; answer the questions below when you can.")
        }
        if identity.user.role == .staff {
            return req.redirect(to: .caseDetail(record.id))
        }
        if !crimeReference.isEmpty {
            // The crime record, as the API would take it: the offences the engine suggests for what is known now.
            let suggested = try await CaseStore(db: req.db, cipher: req.cipher).latestAssessment(caseID: record.id)?.assessment.offences.map(\.id) ?? []
            let object: [String: Any] = ["kind": "crimeRecord", "crimeReference": crimeReference,
                                         "reportedOn": CaseController.today.description, "offences": suggested]
            do {
                let crime = try ResponseController.decodeRecord(try JSONSerialization.data(withJSONObject: object))
                let records = req.recordService(assessor)
                _ = try await req.write { db in try await records.add(crime, to: record, by: identity, on: db) }
                req.auditRecorded = true
            } catch let error as APIError {
                req.flash("The case is saved, but the crime was not recorded: \(error.message). Record it from the case page.")
            }
        }
        return req.redirect(to: .caseQuestions(record.id, QuestionStep.allCases[0]))
    }

    // MARK: Question steps

    func step(_ req: Request) throws -> QuestionStep {
        guard let step = req.parameter(.step).flatMap(QuestionStep.init(rawValue:)) else { throw APIError.notFound("step") }
        return step
    }

    func questionsForm(req: Request) async throws -> Response {
        let identity = try caseIdentity(req)
        let record = try await loadCase(req, identity)
        try CasePolicy.requireEditor(identity)
        let step = try step(req)
        let response = try await renderQuestions(req, record, step: step, facts: record.facts, numbers: [:], errors: [])
        try await req.auditAlone("case.read", caseID: record.id, detail: "via=page.questions")
        return response
    }

    func renderQuestions(_ req: Request, _ record: CaseRecord, step: QuestionStep, facts: CaseFacts, numbers: [String: String],
                         errors: [FieldError], status: HTTPStatus = .ok) async throws -> Response {
        let stored = try await CaseStore(db: req.db, cipher: req.cipher).latestAssessment(caseID: record.id)
        let on = facts.assessedOn ?? stored?.assessment.assessedOn ?? CaseController.today
        let questions = PageGuidance.library.edition(for: facts.setting, in: facts.jurisdiction, on: on).pack.questions
        func ask(_ key: String, ref: String? = nil) -> String {
            let text = questions[key] ?? key
            return ref.map { text.replacingOccurrences(of: "{ref}", with: $0) } ?? text
        }
        var groups: [QuestionGroup] = []
        let noNumber = NumberField(name: "", label: "", hint: "", value: "", error: "", hasError: false)
        switch step {
        case .people:
            for (i, person) in facts.people.enumerated() where person.isInvolved {
                let name = "p\(i)-age"
                let age = Self.ageField(name, label: ask("people.age", ref: person.ref), hint: "Leave empty if not known yet",
                                        value: numbers[name] ?? person.age.map(String.init) ?? "", errors: errors)
                var group = QuestionGroup(heading: "Person \(person.ref)", hasHeading: true, number: age, hasNumber: true,
                                          questions: QuestionStep.personFacts.map {
                    TriQuestion(name: "p\(i)-\($0.key)", question: ask("people.\($0.key)", ref: person.ref), value: person[keyPath: $0.path])
                })
                group.partsName = "p\(i)-parts"
                group.partsError = errors.first { $0.field == "p\(i)-part-depicted" }?.message ?? ""
                group.partsLegend = "What was \(person.ref)'s part in what happened?"
                group.parts = QuestionStep.partLabels.map { role, label in
                    .init(id: "p\(i)-part-\(role.rawValue)", label: label, checked: person.roles.contains(role))
                }
                groups.append(group)
            }
            // Someone else involved (a classmate it was passed on to, an adult): added as the next free letter once
            // their part is ticked. A review found no page could add a person, as the API's PUT …/people/{ref} can.
            let ref = Self.nextPersonRef(after: facts.people)
            let age = Self.ageField("new-age", label: "Their age", hint: "Leave empty if not known yet", value: numbers["new-age"] ?? "", errors: errors)
            var extra = QuestionGroup(heading: "Someone else involved (optional): person \(ref)", hasHeading: true, number: age, hasNumber: true, questions: [])
            extra.partsName = "new-parts"
            extra.partsError = errors.first { $0.field == "new-part-depicted" }?.message ?? ""
            extra.partsLegend = "To add them as person \(ref), tick their part in what happened"
            extra.parts = QuestionStep.partLabels.map { role, label in .init(id: "new-part-\(role.rawValue)", label: label, checked: numbers["new-part-\(role.rawValue)"] == "yes") }
            groups.append(extra)
        case .happened, .harm:
            let names = step == .happened ? QuestionStep.happenedFacts : QuestionStep.harmFacts
            groups.append(QuestionGroup(heading: "", hasHeading: false, number: noNumber, hasNumber: false, questions: names.map {
                TriQuestion(name: "c-\($0)", question: ask("circumstances.\($0)"), value: facts.circumstances[named: $0])
            }))
        case .imagery:
            for (i, item) in facts.imagery.enumerated() {
                groups.append(QuestionGroup(heading: "Imagery \(item.ref): \(QuestionStep.kindLabel(item.kind))", hasHeading: true,
                                            number: noNumber, hasNumber: false, questions: QuestionStep.imageryFacts.map {
                    TriQuestion(name: "i\(i)-\($0.key)", question: ask("imagery.\($0.key)", ref: item.ref), value: item[keyPath: $0.path])
                }))
            }
        }
        let assessment = stored?.assessment
        let page = QuestionsPage(
            title: step.title, caption: "Case \(record.reference) · questions \(step.number) of \(QuestionStep.allCases.count)",
            action: PageRoute.caseQuestions(record.id, step).path, csrf: req.pageCSRFToken(), version: record.version,
            groups: groups, hasGroups: !groups.isEmpty,
            decisions: (assessment?.decisionReasons ?? []).map {
                DecisionSoFar(label: PageWords.decision($0.decision, in: record.guidance), value: PageWords.value($0.value, of: $0.decision))
            },
            openQuestions: (assessment?.openQuestions ?? []).map { q in
                let target = QuestionStep.step(for: q.fact)
                return QuestionRow(question: q.question, affects: q.affects.map { PageWords.decision($0, in: record.guidance) }.joined(separator: ", "),
                                   href: target.map { PageRoute.caseQuestions(record.id, $0).path } ?? "", hasLink: target != nil)
            },
            hasOpenQuestions: !(assessment?.openQuestions ?? []).isEmpty,
            submitLabel: step.next == nil ? "Save and see the case" : "Save and continue",
            caseHref: PageRoute.caseDetail(record.id).path)
        return try await req.renderPage(page, status: status, errors: errors)
    }

    /// The letter the next person added is known by: the first of A–Z, then AA, AB …, that no one on the case has.
    static func nextPersonRef(after people: [Person]) -> String {
        let taken = Set(people.map { $0.ref.uppercased() })
        let letters = (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { String(UnicodeScalar($0)) }
        return (letters + letters.flatMap { a in letters.map { a + $0 } }).first { !taken.contains($0) } ?? "P\(people.count + 1)"
    }

    static func tri(_ text: String?) -> Tri? {
        switch text {
        case "yes": .true
        case "no": .false
        case "unknown": .unknown
        default: nil
        }
    }

    func saveQuestions(req: Request) async throws -> Response {
        let identity = try caseIdentity(req)
        let record = try await loadCase(req, identity)
        let form = try req.content.decode([String: String].self)
        try req.checkPageCSRF(form["_csrf"])
        try CasePolicy.requireEditor(identity)
        let step = try step(req)
        guard let version = form["version"].flatMap(Int.init) else { throw APIError.badRequest("the form has no version", field: "version") }
        var facts = record.facts
        var errors: [FieldError] = []
        var numbers: [String: String] = [:]
        switch step {
        case .people:
            for i in facts.people.indices where facts.people[i].isInvolved {
                let name = "p\(i)-age"
                numbers[name] = form[name] ?? ""
                switch Self.parseAge(form[name]) {
                case .success(let age): facts.people[i].age = age
                case .failure(let message): errors.append(FieldError(field: name, message: message.text))
                }
                for spec in QuestionStep.personFacts {
                    if let value = Self.tri(form["p\(i)-\(spec.key)"]) { facts.people[i][keyPath: spec.path] = value }
                }
                // The boxes of a person's part, when the form had them (an unticked box sends nothing).
                if form["p\(i)-parts"] == "1" {
                    let roles = QuestionStep.partLabels.map(\.0).filter { form["p\(i)-part-\($0.rawValue)"] == "yes" }
                    if roles.isEmpty {
                        errors.append(FieldError(field: "p\(i)-part-depicted", message: "Tick at least one part for \(facts.people[i].ref), such as being in the image or receiving it"))
                    } else {
                        facts.people[i].roles = roles
                    }
                }
            }
            // Someone else involved: added when a part is ticked; an age alone says who is meant to be added.
            if form["new-parts"] == "1" {
                let roles = QuestionStep.partLabels.map(\.0).filter { form["new-part-\($0.rawValue)"] == "yes" }
                for role in roles { numbers["new-part-\(role.rawValue)"] = "yes" }
                numbers["new-age"] = form["new-age"] ?? ""
                let ref = Self.nextPersonRef(after: facts.people)
                switch Self.parseAge(form["new-age"]) {
                case .success(let age):
                    if !roles.isEmpty {
                        facts.people.append(Person(ref: ref, age: age, roles: roles))
                    } else if age != nil {
                        errors.append(FieldError(field: "new-part-depicted", message: "Tick person \(ref)'s part to add them, or clear the age"))
                    }
                case .failure(let message): errors.append(FieldError(field: "new-age", message: message.text))
                }
            }
        case .happened, .harm:
            for name in step == .happened ? QuestionStep.happenedFacts : QuestionStep.harmFacts {
                if let value = Self.tri(form["c-\(name)"]) { facts.circumstances[named: name] = value }
            }
        case .imagery:
            for i in facts.imagery.indices {
                for spec in QuestionStep.imageryFacts {
                    if let value = Self.tri(form["i\(i)-\(spec.key)"]) { facts.imagery[i][keyPath: spec.path] = value }
                }
            }
        }
        if !errors.isEmpty {
            return try await renderQuestions(req, record, step: step, facts: facts, numbers: numbers, errors: errors,
                                             status: .unprocessableEntity)
        }
        // A stale form (another tab, or someone else saved first): nothing is saved, the answers typed are kept, and
        // the page says what they would change in the case as it is now, with the way back to it (issue 11, point 3).
        if version != record.version && facts != record.facts {
            let changes = RecordText.factChanges(from: record.facts, to: facts)
            let message = "Someone else changed this case after you opened this page, so nothing was saved. Your answers are kept below"
                + "; against the case as it is now they would change: " + changes.joined(separator: "; ") + "."
                + " Check them and save again, or go back to the case."
            return try await renderQuestions(req, record, step: step, facts: facts, numbers: numbers,
                                             errors: [FieldError(field: "stale", message: message)], status: .conflict)
        }
        if facts != record.facts {
            try await api.replaceFacts(req, identity, record, version: version, facts: facts)
        }
        if let next = step.next { return req.redirect(to: .caseQuestions(record.id, next)) }
        return req.redirect(to: .caseDetail(record.id))
    }
}
