import Foundation
import Testing
@testable import SafeguardCore

/// Issue 13, point 7: everything a case holds about one person, with everyone else redacted.
@Suite("Subject access")
struct SubjectAccessTests {
    static let facts = baseCase(.police) { facts in
        facts.imagery[0].depicts = ["A", "B"]
        facts.devices = [Device(ref: "D1", owner: "B", seized: .false, containsImageryOf: ["A"])]
    }
    static func record(_ json: String) -> ResponseRecord { try! ResponseRecord.decode(json: Data(json.utf8)) }
    static let records = [
        record(#"{"kind":"welfareCheck","person":"A","checkedOn":"2026-11-20","result":"Safe at home with mum","concerns":false}"#),
        record(#"{"kind":"welfareCheck","person":"B","checkedOn":"2026-11-20","result":"B's own worries about school"}"#),
        record(#"{"kind":"childProtectionReferral","to":"children's social care","referredOn":"2026-11-21","people":["A","B"]}"#),
        record(#"{"kind":"suspectDecision","person":"B","recordAsSuspect":false,"basis":"willingParticipation","rationale":"B shared it willingly","decidedOn":"2026-11-21"}"#),
        record(#"{"kind":"parentsInformed","person":"A","informed":false,"on":"2026-11-22","reasonNotInformed":"Father is a risk"}"#),
    ]
    static var chronology: [(at: String, summary: String)] {
        [("20 November 2026 at 10:00", "Case opened: image shared between two pupils")]
            + records.map { ("21 November 2026 at 09:00", "\($0.kind.label): \(RecordText.describe($0))") }
    }

    static func documentFor(_ ref: String) throws -> CaseDocument {
        try SubjectAccess(ref: ref, facts: facts, records: records, chronology: chronology)
            .document(reference: "SG-2026-000001", organisation: "Test Police", producedOn: CalendarDate("2026-11-30")!)
    }

    static func lines(_ document: CaseDocument, _ heading: String) -> [String] {
        document.sections.first { $0.heading.hasPrefix(heading) }?.lines ?? []
    }

    @Test("It gives their facts, their imagery and devices, the records naming them with their own free text, and those records' chronology lines")
    func whatIsHeld() throws {
        let document = try Self.documentFor("A")
        #expect(document.title == "What this case holds about A")
        #expect(Self.lines(document, "What the case's facts say").contains("Age: 16"))
        #expect(Self.lines(document, "What the case's facts say").contains("Part in what happened: shown in the imagery, took or made it and sent it"))
        #expect(Self.lines(document, "Imagery").first?.contains("recorded as showing them and another person") == true)
        #expect(Self.lines(document, "Devices") == ["D1: recorded as holding imagery of them; seized: no"])
        let records = Self.lines(document, "Records that name them")
        #expect(records.contains("Welfare check: A checked on 20 November 2026"))
        #expect(records.contains("  Written in it: Safe at home with mum"), "their own record's free text")
        #expect(records.contains("Child protection referral: to children's social care on 21 November 2026"))
        #expect(records.contains("  Written in it: Father is a risk"))
        #expect(Self.lines(document, "Chronology").count == 3, "the lines of the three records naming A, not the case opening")
    }

    @Test("Other people are 'another person', and their records and free text are withheld")
    func othersRedacted() throws {
        let document = try Self.documentFor("A")
        let text = document.plainText
        #expect(!text.contains("B's own worries"), "another person's record's free text")
        #expect(!text.contains("B shared it willingly"))
        #expect(!text.contains("Suspect recording decision"), "a record naming only another person")
        for line in document.sections.flatMap(\.lines) {
            let words = line.split { !$0.isLetter && !$0.isNumber }
            #expect(!words.contains("B"), "B named in: \(line)")
        }
        // A record naming A and B gives its line, but never free text.
        let forB = try Self.documentFor("B")
        #expect(Self.lines(forB, "Records that name them").contains("  Written in it: B's own worries about school"))
        #expect(!forB.plainText.contains("Safe at home with mum"))
        #expect(!forB.plainText.contains("Father is a risk"))
    }

    @Test("Refs are replaced as whole words only")
    func wholeWords() throws {
        let access = try SubjectAccess(ref: "A", facts: Self.facts, records: [], chronology: [])
        #expect(access.redacted("B checked; Bob and BB stay; (B)") == "another person checked; Bob and BB stay; (another person)")
    }

    @Test("A ref that is not a person in the case is refused, naming those who are")
    func unknownPerson() {
        #expect { try SubjectAccess(ref: "Z", facts: Self.facts, records: [], chronology: []) } throws: { error in
            (error as? SubjectAccess.UnknownPerson)?.description == "\"Z\" is not a person in the case (people in the case: A, B)"
        }
    }

    @Test("Record person refs come from the descriptions: a person field, a people list with its index, an optional person")
    func personRefsFromDescriptions() {
        #expect(Self.records[2].personRefs.map(\.field) == ["people[0]", "people[1]"])
        #expect(Self.records[0].personRefs.map(\.ref) == ["A"])
        let optional = Self.record(#"{"kind":"backgroundCheck","location":"the park","system":"pnc","status":"done"}"#)
        #expect(optional.personRefs.isEmpty)
        let triage = Self.record(#"{"kind":"triage","content":"image","sentBy":["A"],"featured":["B","A"],"adultsInvolved":"no","device":"personal","sharedElsewhere":"no","triagedOn":"2026-11-20"}"#)
        #expect(triage.personRefs.map(\.field) == ["sentBy[0]", "featured[0]", "featured[1]"])
    }
}

/// Issue 11, point 4: "Facts changed" says which facts changed, from what to what.
@Suite("Fact changes in words")
struct FactChangesTests {
    @Test("Each changed fact reads as words, people by ref; added and removed ones are named")
    func changesInWords() {
        let old = baseCase(.police) { $0.people[0].age = nil }
        var new = old
        new.people[0].age = 15
        new.people[0].selfHarmRisk = .true
        new.people[1].previousIncidents = 2
        new.people[1].inCare = .unknown
        new.people.append(Person(ref: "C", age: 17, roles: [.sharer]))
        new.imagery[0].sharedBeyondControl = .true
        new.circumstances.coercion = .true
        new.devices = []
        let changes = RecordText.factChanges(from: old, to: new)
        #expect(changes.contains("A's age: not known → 15"))
        #expect(changes.contains("A's self harm risk: no → yes"))
        #expect(changes.contains("B's previous incidents: 0 → 2"))
        #expect(changes.contains("B's in care: no → not known"))
        #expect(changes.contains("person C added"))
        #expect(changes.contains("imagery I1, shared beyond control: no → yes"), "not \"I1's shared beyond control\"")
        #expect(changes.contains("coercion: no → yes"))
        #expect(changes.count == 7, "\(changes)")
        #expect(RecordText.factChanges(from: old, to: old) == [])
        #expect(RecordText.factChanges(from: new, to: old).contains("person C removed"))
    }
}
