import Crypto
import FluentKit
import Vapor
import Foundation
import SafeguardCore
import SafeguardPersistence

/// The documents for a family that are written down when produced: the Outcome 21 letter and the information sheet.
/// Each is rendered from the case and the guidance (with the organisation's local overlay), and producing it is
/// audited and put in the case's chronology; the names a letter is addressed to are printed, never stored. The one
/// path the JSON API and the pages take.
///
/// It takes the acting user, never an HTTP request; the clock (the records service's), the guidance and the overlays
/// are injected.
///
/// ```swift
/// let documents = DocumentService(db: app.db, cipher: app.cipher, gate: app.writeGate, records: records,
///                                 overlays: { app.safeguardOptions.overlay(for: $0) })
/// let sheet = try await documents.informationSheet(for: caseRecord, by: officer)
/// ```
struct DocumentService: Sendable {
    var db: any Database { database() }
    private let database: @Sendable () -> any Database
    let cipher: FreeTextCipher
    let gate: WriteGate
    /// Writes the chronology lines, on its clock.
    let records: RecordService
    /// An organisation's local overlay (its letterhead, its own contacts), by its exact name.
    let overlays: @Sendable (String) -> LocalOverlay?
    var clock: @Sendable () -> Date { records.clock }

    init(db: @autoclosure @escaping @Sendable () -> any Database, cipher: FreeTextCipher, gate: WriteGate, records: RecordService,
         overlays: @escaping @Sendable (String) -> LocalOverlay?) {
        database = db
        self.cipher = cipher
        self.gate = gate
        self.records = records
        self.overlays = overlays
    }

    /// The family's Outcome 21 letter (shared by the API and the pages): needs an approved Outcome 21 and a crime
    /// record; the names are printed, never stored. Produces the chronology line, completes the letter's action and
    /// audits it.
    func outcome21Letter(_ body: OutcomeLetterRequest, for caseRecord: CaseRecord, by identity: Identity) async throws -> Outcome21Letter.Rendered {
        let response = ResponseStore(db: self.db, cipher: cipher)
        let signOffs = try await response.signOffs(caseID: caseRecord.id)
        guard let approved = signOffs.last(where: { $0.proposal.kind == .outcome21 && $0.status == .approved }) else {
            throw APIError(.conflict, "outcome21_not_approved", "Outcome 21 has not been approved by a supervisor on this case\(records.guidance(for: caseRecord).inBracketsWithPublisher(.outcome21Review))")
        }
        // Facts recorded after the approval (grooming found, say) may rule Outcome 21 out: no letter saying the police
        // take no further action goes out while they do (Action 10). A hands-on review printed one for such a case.
        if let assessment = try await CaseStore(db: self.db, cipher: cipher).latestAssessment(caseID: caseRecord.id)?.assessment,
           assessment.decisions.outcome21 == .excluded {
            throw APIError(.conflict, "outcome21_now_excluded", "Outcome 21 was approved, but the facts recorded since rule it out"
                           + "\(records.guidance(for: caseRecord).inBracketsWithPublisher(.outcome21Criteria)): reconsider the outcome; no Outcome 21 letter can be given")
        }
        let stored = try await response.records(caseID: caseRecord.id).map(\.record)
        guard let crime = stored.compactMap({ r -> CrimeRecord? in if case .crimeRecord(let c) = r { return c } else { return nil } }).last else {
            throw APIError(.conflict, "crime_not_recorded", "record the crime first: the letter quotes the crime type and reference\(records.guidance(for: caseRecord).inBracketsWithPublisher(.recordCrime))")
        }
        guard caseRecord.facts.people.contains(where: { $0.ref == body.person }) else {
            throw APIError.invalid("person", "a person in the case (\(caseRecord.facts.people.map(\.ref).joined(separator: ", ")))")
        }
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 200 else { throw APIError.invalid("name", "the addressee's name, as it is to be printed") }
        let addressee: Outcome21Letter.Addressee
        switch body.to {
        case .youngPerson: addressee = .youngPerson(name: name)
        case .parent:
            guard let child = body.childName?.trimmingCharacters(in: .whitespacesAndNewlines), !child.isEmpty, child.count <= 200 else {
                throw APIError.invalid("childName", "a letter to a parent names the child")
            }
            addressee = .parent(name: name, childName: child)
        }
        let law = records.assessor.library.law.law(for: caseRecord.facts.jurisdiction)
        // Only this child's offences: those recorded that their part in what happened could be (issue 11, point 6).
        let person = caseRecord.facts.people.first { $0.ref == body.person }!
        let theirs = law?.offences(of: person, recorded: crime.offences) ?? []
        guard !theirs.isEmpty else {
            let part = person.roles.isEmpty ? "no part recorded" : Words.parts(person.roles)
            throw APIError.invalid("person", "none of the offences recorded on the crime record concerns \(body.person)'s part in what happened (\(part)): "
                                   + "the letter is for a young person recorded as having taken, sent, shared, asked for or kept the imagery")
        }
        // Each description is a sentence; joined, they read as one list in the letter's sentence.
        // Mid-sentence ("against the crime of taking, making, …"), so each starts in lower case.
        let crimeType = theirs.map { $0.description.trimmingCharacters(in: CharacterSet(charactersIn: ". ")).lowercasedFirst }
            .joined(separator: "; ")
        let officer = try await AccountStore(db: self.db).user(id: approved.proposedBy) ?? identity.user
        let today = CalendarDate(utcDayOf: clock())
        let pack = records.assessor.pack(for: caseRecord.facts, today: today)
        let overlay = overlays(identity.organisation.name)
        var letter = Outcome21Letter(addressee: addressee, crimeType: crimeType, crimeReference: crime.crimeReference,
                                     force: identity.organisation.name,
                                     officer: .init(name: officer.displayName, phone: body.phone, email: officer.email,
                                                    rank: officer.rank, collarNumber: officer.collarNumber),
                                     date: today, letterhead: overlay?.letterhead ?? [])
        let rendered: Outcome21Letter.Rendered
        do {
            rendered = try letter.render(with: pack, overlay: overlay)
        } catch {
            throw APIError.invalid(error.field, error.message)
        }
        // Showing the letter completes nothing. A version is the letter without the names, which are never kept.
        letter.addressee = body.to == .parent ? .parent(name: "", childName: "") : .youngPerson(name: "")
        let version = Self.version(of: (try? letter.render(with: pack, overlay: overlay).plainText) ?? "")
        try await shown("outcome21Letter", "Outcome 21 letter produced for \(body.to == .parent ? "the parent or carer of " : "")\(body.person)",
                        detail: "to=\(body.to.rawValue) person=\(body.person) version=\(version)", of: caseRecord, by: identity)
        return rendered
    }

    /// The family's information sheet (shared by the API and the pages), with the organisation's overlay; audited.
    func informationSheet(for caseRecord: CaseRecord, by identity: Identity) async throws -> InformationSheet {
        // The organisation's overlay adds its own contacts to the help the family is given.
        let overlay = overlays(identity.organisation.name)
        let assessment = overlay == nil ? try await CaseStore(db: self.db, cipher: cipher).assessed(caseRecord.id)
            : records.assessor.library.assess(caseRecord.facts, today: CalendarDate(utcDayOf: clock()), overlay: overlay)
        let role = caseRecord.facts.setting == .police ? "investigating officer" : records.guidance(for: caseRecord).leadRoleName
        let sheet = InformationSheet(assessment: assessment, reference: caseRecord.reference,
                                     contact: .init(name: identity.user.displayName, role: role, phone: nil, email: identity.user.email))
        try await shown("informationSheet", "Information sheet for the family produced",
                        detail: "version=\(Self.version(of: sheet.render().plainText))", of: caseRecord, by: identity)
        return sheet
    }

    /// A short fingerprint of a document's text, so that showing the same document again is known as such.
    static func version(of text: String) -> String {
        String(HexDigest.sha256(text).prefix(12))
    }

    /// Writes down that a family document was shown: audited every time (`case.document.<kind>` with `detail`, which
    /// holds its version and never a name), and in the case's chronology once per version (`line`), so that looking
    /// at it again does not fill the record a family or a court may read.
    func shown(_ kind: String, _ line: String, detail: String, of caseRecord: CaseRecord, by identity: Identity) async throws {
        let action = "case.document.\(kind)"
        let seen = try await AuditStore(db: self.db).contains(organisationID: identity.organisation.id, caseID: caseRecord.id,
                                                             action: action, detail: detail)
        try await gate.run(db) { db in
            if !seen { try await records.chronicle(caseRecord.id, "document.\(kind)", line, by: identity, on: db) }
            try await AuditChain.append(CaseService.event(identity, action, caseID: caseRecord.id, detail: detail), on: db)
        }
    }
}

extension Request {
    /// The documents, with this application's database, cipher, write gate and overlays.
    func documentService(_ assessor: Assessor) -> DocumentService {
        let options = application.safeguardOptions
        return DocumentService(db: self.db, cipher: application.cipher, gate: application.writeGate, records: recordService(assessor),
                               overlays: { options.overlay(for: $0) })
    }
}
