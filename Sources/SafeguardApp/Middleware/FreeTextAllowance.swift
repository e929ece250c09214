import Foundation
import SafeguardCore
import Vapor

/// How much text each person has added to each case in the last hour, so no one can add more than
/// `FieldLimits.freeTextPerCasePerHour`, and the end of what they added last, so that pieces of encoded data sent
/// one request at a time are still one stream to the text guard's shape rule. With the guard, this makes storing an
/// image in pieces impractical: the second small piece in a row is refused.
///
/// Kept in memory by each server process: with several app servers a person's hourly allowance is per server, and
/// a restart clears it. The remembered end is at most `tailLength` characters and is dropped after an hour; it is
/// never logged or stored.
///
/// ```swift
/// try allowance.check(user: u, caseID: c, adding: "…", now: now)   // throws 429 when over, 422-worthy shape
/// allowance.record(user: u, caseID: c, added: "…", now: now)
/// ```
final class FreeTextAllowance: @unchecked Sendable {
    struct Key: Hashable {
        var user: UUID
        /// Nil for the cases the person opens: new cases share one stream.
        var caseID: UUID?
    }

    private let lock = NSLock()
    private var used: [Key: [(at: Date, characters: Int)]] = [:]
    private var tails: [Key: (at: Date, text: String)] = [:]
    static let tailLength = 256
    let perHour: Int
    private let maxKeys = 100_000

    init(perHour: Int) { self.perHour = perHour }

    /// The end of the text `user` last added to `caseID`, within the hour; empty when none.
    func tail(user: UUID, caseID: UUID?, now: Date) -> String {
        lock.lock()
        defer { lock.unlock() }
        guard let tail = tails[Key(user: user, caseID: caseID)], now.timeIntervalSince(tail.at) < 3_600 else { return "" }
        return tail.text
    }

    /// Characters `user` added to `caseID` within the hour before `now`.
    func usedInLastHour(user: UUID, caseID: UUID, now: Date) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let key = Key(user: user, caseID: caseID)
        let recent = (used[key] ?? []).filter { now.timeIntervalSince($0.at) < 3_600 }
        used[key] = recent.isEmpty ? nil : recent
        return recent.reduce(0) { $0 + $1.characters }
    }

    func check(user: UUID, caseID: UUID, adding characters: Int, now: Date) throws {
        let already = usedInLastHour(user: user, caseID: caseID, now: now)
        if already + characters > perHour {
            var error = APIError(.tooManyRequests, "text_allowance_used",
                                 "you have added \(already) characters of text to this case in the last hour, and this adds "
                                 + "\(characters); the limit is \(perHour) an hour for one person on one case. Keep what you "
                                 + "typed, and save it later or ask a colleague.")
            error.headers.replaceOrAdd(name: .retryAfter, value: "3600")
            throw error
        }
    }

    /// Records text `user` added to `caseID` (nil: a case they opened); only its count and end are kept.
    func record(user: UUID, caseID: UUID?, added text: String, now: Date) {
        guard !text.isEmpty else { return }
        lock.lock()
        defer { lock.unlock() }
        if used.count >= maxKeys || tails.count >= maxKeys {
            used = used.filter { $0.value.contains { now.timeIntervalSince($0.at) < 3_600 } }
            tails = tails.filter { now.timeIntervalSince($0.value.at) < 3_600 }
        }
        let key = Key(user: user, caseID: caseID)
        if caseID != nil { used[key, default: []].append((now, text.count)) }
        let previous = tails[key].flatMap { now.timeIntervalSince($0.at) < 3_600 ? $0.text : nil } ?? ""
        tails[key] = (now, String((previous + "\n" + text).suffix(Self.tailLength)))
    }
}

struct FreeTextAllowanceKey: StorageKey { typealias Value = FreeTextAllowance }

extension Application {
    var freeTextAllowance: FreeTextAllowance {
        kept(FreeTextAllowanceKey.self) { FreeTextAllowance(perHour: safeguardOptions.freeTextPerCasePerHour) }
    }
}
