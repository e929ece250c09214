import Foundation
import SafeguardCore
import Vapor

/// How much text each person has added to each case in the last hour, so no one can add more than
/// `FieldLimits.freeTextPerCasePerHour`: with the text guard, this makes storing an image in pieces impractical.
///
/// Kept in memory by each server process: with several app servers a person's hourly allowance is per server, and
/// a restart clears it. That still bounds what one person can store on one case to a few pages an hour.
///
/// ```swift
/// try allowance.check(user: u, case: c, adding: 1_200, now: now)   // throws 429 when over
/// allowance.record(user: u, case: c, added: 1_200, now: now)
/// ```
final class FreeTextAllowance: @unchecked Sendable {
    struct Key: Hashable {
        var user: UUID
        var caseID: UUID
    }

    private let lock = NSLock()
    private var used: [Key: [(at: Date, characters: Int)]] = [:]
    let perHour: Int
    private let maxKeys = 100_000

    init(perHour: Int) { self.perHour = perHour }

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

    func record(user: UUID, caseID: UUID, added characters: Int, now: Date) {
        guard characters > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        if used.count >= maxKeys {
            used = used.filter { $0.value.contains { now.timeIntervalSince($0.at) < 3_600 } }
        }
        used[Key(user: user, caseID: caseID), default: []].append((now, characters))
    }
}

struct FreeTextAllowanceKey: StorageKey { typealias Value = FreeTextAllowance }

extension Application {
    var freeTextAllowance: FreeTextAllowance {
        if let allowance = storage[FreeTextAllowanceKey.self] { return allowance }
        let allowance = FreeTextAllowance(perHour: safeguardOptions.freeTextPerCasePerHour)
        storage[FreeTextAllowanceKey.self] = allowance
        return allowance
    }
}
