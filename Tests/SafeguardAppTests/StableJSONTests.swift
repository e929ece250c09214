import Foundation
import Testing
import Vapor
@testable import SafeguardApp

/// Answers written through Vapor's JSON encoder say the same thing in the same bytes every time: keys sorted, not in
/// the order of a dictionary made for each object.
@Suite struct StableJSONTests {
    @Test("Two reads of one chronology are the same bytes, every object's keys sorted")
    func chronologyReadsAreTheSameBytes() async throws {
        try await withApp { app in
            let token = try await seedWorld(app).token("policeA.officer")
            // Three lines: opened, facts changed, assessment changed.
            let id = try await caseWithChangedFacts(app, token: token).id

            var answers: [String] = []
            for _ in 0..<5 {
                let read = try await send(app, .GET, "/api/v1/cases/\(id)/chronology", token: token)
                #expect(read.status == .ok, "\(read.text)")
                answers.append(read.text)
            }
            #expect(Set(answers).count == 1, "five reads, \(Set(answers).count) different texts")
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(answers[0].utf8)) as? [[String: Any]])
            #expect(entries.count >= 3)
            // Each object's keys appear in the text in sorted order.
            let keys = ["actorID", "actorRole", "at", "kind", "sequence", "summary"]
            for object in answers[0].split(separator: "}").dropLast() {
                let positions = keys.compactMap { object.range(of: "\"\($0)\":")?.lowerBound }
                #expect(positions.count >= keys.count - 1, "\(object)")
                #expect(positions == positions.sorted(), "keys out of order: \(object)")
            }
        }
    }
}
