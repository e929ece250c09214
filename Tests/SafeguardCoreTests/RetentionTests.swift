import Foundation
import Testing
@testable import SafeguardCore

/// Issue 13, point 6: how long a closed case is kept, by setting. Police by MoPI group (1: until the youngest person
/// is 100; 2: 10 years after closing; 3: 6 years); schools until the youngest child is 25, or their own years.
@Suite("Retention schedules")
struct RetentionTests {
    static let opened = CalendarDate("2026-01-10")!
    static let closed = CalendarDate("2026-03-01")!

    static func facts(_ ages: [Int?]) -> CaseFacts {
        CaseFacts(jurisdiction: .england, setting: .police, people: ages.enumerated().map { Person(ref: "P\($0.offset)", age: $0.element) })
    }

    @Test("Open cases are never due")
    func openKept() {
        #expect(RetentionSchedule.standard.eraseOn(setting: .police, facts: Self.facts([15]), openedOn: Self.opened, closedOn: nil).date == nil)
    }

    @Test("Police, MoPI group 2 (the usual for these offences): 10 years after closing; group 3: 6 years")
    func policeGroups() {
        #expect(RetentionSchedule.standard.eraseOn(setting: .police, facts: Self.facts([15]), openedOn: Self.opened, closedOn: Self.closed).date
                == CalendarDate("2036-03-01"))
        var three = RetentionSchedule.standard
        three.policeGroup = 3
        #expect(three.eraseOn(setting: .police, facts: Self.facts([15]), openedOn: Self.opened, closedOn: Self.closed).date == CalendarDate("2032-03-01"))
    }

    @Test("Police, MoPI group 1: until the youngest person involved is 100; with no age known it is kept for review")
    func policeGroupOne() {
        var one = RetentionSchedule.standard
        one.policeGroup = 1
        #expect(one.eraseOn(setting: .police, facts: Self.facts([15, 14, nil]), openedOn: Self.opened, closedOn: Self.closed).date == CalendarDate("2112-01-10"))
        let unknown = one.eraseOn(setting: .police, facts: Self.facts([nil]), openedOn: Self.opened, closedOn: Self.closed)
        #expect(unknown.date == nil)
        #expect(unknown.rule.contains("kept for review"))
    }

    @Test("Schools: until the youngest child is 25; with no age, 25 years from opening; or the school's own years after closing")
    func schools() {
        #expect(RetentionSchedule.standard.eraseOn(setting: .education, facts: Self.facts([14, 16]), openedOn: Self.opened, closedOn: Self.closed).date
                == CalendarDate("2037-01-10"))
        #expect(RetentionSchedule.standard.eraseOn(setting: .education, facts: Self.facts([nil]), openedOn: Self.opened, closedOn: Self.closed).date
                == CalendarDate("2051-01-10"))
        let own = RetentionSchedule(policeGroup: 2, schoolAge: 25, schoolYearsAfterClosing: 7)
        #expect(own.eraseOn(setting: .education, facts: Self.facts([14]), openedOn: Self.opened, closedOn: Self.closed).date == CalendarDate("2033-03-01"))
        // An adult's age does not shorten a child's file: the youngest child counts.
        #expect(RetentionSchedule.standard.eraseOn(setting: .education, facts: Self.facts([30, 13]), openedOn: Self.opened, closedOn: Self.closed).date
                == CalendarDate("2038-01-10"))
    }

    @Test("A schedule out of range names the field")
    func problems() {
        #expect(RetentionSchedule(policeGroup: 4, schoolAge: 25, schoolYearsAfterClosing: nil).problem?.field == "retentionPoliceGroup")
        #expect(RetentionSchedule(policeGroup: 2, schoolAge: 12, schoolYearsAfterClosing: nil).problem?.field == "retentionSchoolAge")
        #expect(RetentionSchedule(policeGroup: 2, schoolAge: 25, schoolYearsAfterClosing: 0).problem?.field == "retentionSchoolYears")
        #expect(RetentionSchedule.standard.problem == nil)
    }

    @Test("Adding years keeps the day, and 29 February becomes 28 February")
    func addingYears() {
        #expect(CalendarDate("2024-02-29")!.adding(years: 1) == CalendarDate("2025-02-28"))
        #expect(CalendarDate("2026-03-01")!.adding(years: 10) == CalendarDate("2036-03-01"))
    }
}
