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
    ///
    /// Counted from the days since 1970 rather than asked of Foundation's `Calendar`, which cost more than the rest of
    /// writing a case read's actions (every read asks what day it is; every case opening asks twice an action). The
    /// two agree on every day Safeguard can hold (1900 to 2999, all Gregorian): a test holds them equal.
    public init(utcDayOf date: Date) {
        let days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
        let civil = Self.civil(daysSince1970: days)
        self = CalendarDate(year: civil.year, month: civil.month, day: civil.day)!
    }

    /// Days from 1 January 1970 to this day (negative before it), in the proleptic Gregorian calendar: Howard
    /// Hinnant's `days_from_civil`.
    var daysSince1970: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The year, month and day `days` after 1 January 1970: Howard Hinnant's `civil_from_days`.
    static func civil(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
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
        let civil = Self.civil(daysSince1970: daysSince1970 + days)
        return CalendarDate(year: civil.year, month: civil.month, day: civil.day)!
    }
}
