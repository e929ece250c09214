import Foundation
import Testing
@testable import SafeguardCore

/// What day a moment falls on, and the day some days later, are counted from the days since 1970 (issue 9: asking
/// Foundation's `Calendar` was the dearest part of writing a case read's actions). They must give Foundation's answer.
@Suite("Calendar dates")
struct CalendarDateTests {
    /// Foundation's answer, as the two were worked out before.
    static func foundationDay(of date: Date) -> CalendarDate {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return CalendarDate(year: c.year!, month: c.month!, day: c.day!)!
    }

    static func foundationAdding(_ days: Int, to date: CalendarDate) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day))!
        return foundationDay(of: calendar.date(byAdding: .day, value: days, to: start)!)
    }

    @Test("The UTC day of a moment is Foundation's: at and either side of midnight, on leap days and century years, before and after 1970")
    func dayOfAMoment() {
        var moments: [Date] = []
        // Midnight of awkward days, and a moment either side.
        for text in ["1900-01-02", "1900-02-28", "1900-03-01", "1969-12-31", "1970-01-01", "2000-02-29", "2000-03-01",
                     "2024-02-29", "2026-12-31", "2027-01-01", "2100-02-28", "2100-03-01", "2400-02-29", "2999-12-31"] {
            let day = CalendarDate(text)!
            let midnight = Date(timeIntervalSince1970: Double(day.daysSince1970) * 86_400)
            moments += [midnight, midnight.addingTimeInterval(-0.001), midnight.addingTimeInterval(0.5),
                        midnight.addingTimeInterval(86_399.999)]
        }
        var generator = SystemRandomNumberGenerator()
        let first = Double(CalendarDate("1900-01-02")!.daysSince1970) * 86_400
        let last = Double(CalendarDate("2999-12-30")!.daysSince1970) * 86_400
        for _ in 0..<5_000 { moments.append(Date(timeIntervalSince1970: Double.random(in: first...last, using: &generator))) }
        for moment in moments {
            #expect(CalendarDate(utcDayOf: moment) == Self.foundationDay(of: moment), "\(moment.timeIntervalSince1970)")
        }
        #expect(CalendarDate(utcDayOf: Date(timeIntervalSince1970: 0)).description == "1970-01-01")
        #expect(CalendarDate(utcDayOf: Date(timeIntervalSince1970: -1)).description == "1969-12-31")
    }

    @Test("A day some days later or earlier is Foundation's, across month, year, leap-day and century ends")
    func addingDays() {
        var generator = SystemRandomNumberGenerator()
        var checked = 0
        for text in ["1901-04-05", "1999-12-31", "2000-02-28", "2000-02-29", "2023-02-28", "2024-02-28", "2026-11-30",
                     "2100-02-28", "2400-02-28"] {
            let day = CalendarDate(text)!
            for offset in [-400, -366, -365, -31, -1, 0, 1, 2, 28, 29, 30, 31, 365, 366, 400] {
                let later = Self.foundationAdding(offset, to: day)
                #expect(day.adding(days: offset) == later, "\(text) + \(offset)")
                checked += 1
            }
        }
        for _ in 0..<3_000 {
            let day = CalendarDate(year: Int.random(in: 1950...2900, using: &generator), month: Int.random(in: 1...12, using: &generator),
                                   day: Int.random(in: 1...28, using: &generator))!
            let offset = Int.random(in: -18_000...18_000, using: &generator)
            #expect(day.adding(days: offset) == Self.foundationAdding(offset, to: day), "\(day) + \(offset)")
            checked += 1
        }
        #expect(checked > 3_000)
        #expect(CalendarDate("2024-02-28")!.adding(days: 1).description == "2024-02-29")
        #expect(CalendarDate("2100-02-28")!.adding(days: 1).description == "2100-03-01")
    }
}
