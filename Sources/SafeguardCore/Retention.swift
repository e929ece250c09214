import Foundation

/// How long an organisation keeps a closed case before it is erased, by setting: police by the Management of Police
/// Information (MoPI) group, schools until the youngest child involved reaches an age (25 by default) or by their
/// own policy. Open cases are never erased; a case on legal hold is kept whatever its date.
///
/// ```swift
/// let due = RetentionSchedule.standard.eraseOn(setting: .education, facts: facts,
///                                               openedOn: CalendarDate("2026-01-10")!, closedOn: CalendarDate("2026-03-01")!)
/// due.date   // 2037-01-10: the youngest child, 14 when the case opened, is 25
/// ```
public struct RetentionSchedule: Sendable, Hashable, Codable {
    /// MoPI group: 1 (certain public protection matters: kept until the youngest person involved is 100),
    /// 2 (other sexual, violent or serious offences: 10 years after closing), 3 (all other offences: 6 years).
    public var policeGroup: Int
    /// A school keeps the file until the youngest child involved reaches this age.
    public var schoolAge: Int
    /// Or the school's own policy: this many years after the case is closed.
    public var schoolYearsAfterClosing: Int?

    public static let standard = RetentionSchedule(policeGroup: 2, schoolAge: 25, schoolYearsAfterClosing: nil)
    public static let groups = 1...3
    public static let schoolAges = 18...100
    public static let schoolYears = 1...100

    public init(policeGroup: Int, schoolAge: Int, schoolYearsAfterClosing: Int?) {
        self.policeGroup = policeGroup
        self.schoolAge = schoolAge
        self.schoolYearsAfterClosing = schoolYearsAfterClosing
    }

    /// What is wrong with the schedule, naming the field; nil when it is sound.
    public var problem: (field: String, message: String)? {
        if !Self.groups.contains(policeGroup) { return ("retentionPoliceGroup", "a MoPI group: 1, 2 or 3") }
        if !Self.schoolAges.contains(schoolAge) { return ("retentionSchoolAge", "an age from 18 to 100") }
        if let years = schoolYearsAfterClosing, !Self.schoolYears.contains(years) { return ("retentionSchoolYears", "from 1 to 100 years, or none") }
        return nil
    }

    /// The day a case may be erased, and the rule in words; no date while it is open, or when the rule needs an age
    /// nobody has recorded (a MoPI group 1 case is then kept for review).
    public func eraseOn(setting: Setting, facts: CaseFacts, openedOn: CalendarDate, closedOn: CalendarDate?) -> (date: CalendarDate?, rule: String) {
        guard let closedOn else { return (nil, "Open cases are kept.") }
        let youngest = facts.people.compactMap(\.age).filter { $0 < 18 }.min() ?? facts.people.compactMap(\.age).min()
        switch setting {
        case .police:
            switch policeGroup {
            case 1:
                guard let youngest else { return (nil, "MoPI group 1: kept until the youngest person involved is 100; no age is recorded, so it is kept for review.") }
                return (Swift.max(closedOn, openedOn.adding(years: 100 - youngest)), "MoPI group 1: kept until the youngest person involved is 100.")
            case 3: return (closedOn.adding(years: 6), "MoPI group 3: 6 years after the case was closed.")
            default: return (closedOn.adding(years: 10), "MoPI group 2: 10 years after the case was closed.")
            }
        case .education:
            if let years = schoolYearsAfterClosing {
                return (closedOn.adding(years: years), "The school's policy: \(years) years after the case was closed.")
            }
            // Without a recorded age, as if the child were born the day the case opened: the longest it could be.
            let until = openedOn.adding(years: schoolAge - (youngest ?? 0))
            return (Swift.max(closedOn, until), youngest == nil
                    ? "Kept until the youngest child involved is \(schoolAge); no age is recorded, so \(schoolAge) years from opening."
                    : "Kept until the youngest child involved is \(schoolAge).")
        }
    }
}

extension CalendarDate {
    /// The day a moment falls on in UTC: Safeguard's one calendar for "today" and for stored times.
    public init(utcDayOf date: Date) {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        self = CalendarDate(year: c.year!, month: c.month!, day: c.day!)!
    }

    /// The same day `years` later (29 February becomes 28 February in a year without it).
    public func adding(years: Int) -> CalendarDate {
        let y = year + years
        return CalendarDate(year: y, month: month, day: Swift.min(day, CalendarDate.daysIn(month: month, year: y))) ?? self
    }
}

extension CalendarDate {
    /// The day `days` later (or earlier, when negative).
    public func adding(days: Int) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: DateComponents(year: year, month: month, day: day))!
        return CalendarDate(utcDayOf: calendar.date(byAdding: .day, value: days, to: start)!)
    }
}
