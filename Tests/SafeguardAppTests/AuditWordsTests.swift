import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import Testing
import Vapor

/// The audit trail's details in words (issue 11, point 4): codes, ids and routes as people read them.
@Suite struct AuditWordsTests {
    @Test func detailsReadAsWords() {
        let user = UUID()
        let names = [user.uuidString.lowercased(): "Sam Patel"]
        #expect(AuditWords.detail("reason=wrong_password via=page", names: names) == "why: wrong password; on the pages")
        #expect(AuditWords.detail("user=\(user.uuidString.lowercased()) role=officer", names: names) == "user: Sam Patel; role: officer")
        #expect(AuditWords.detail("kind=crimeRecord case=\(UUID().uuidString)", names: names) == "kind: crime record; case: another record")
        #expect(AuditWords.detail("route=/cases/:caseID/actions/:actionID status=403", names: [:]) == "request: /cases/…/actions/…; status: 403")
        #expect(AuditWords.action("case.signoff.decide") == "Decided on a sign-off")
        #expect(AuditWords.action("case.brand.new") == "Other change")
        #expect(AuditWords.outcome("rejected") == "Refused")
        #expect(AuditWords.when("2026-12-01T18:09:13.901Z") == "1 December 2026, 6:09:13pm")
        // Found in a hands-on check of the audit page: a reset link was "Other change", a token "token: another record",
        // the first step of a two-factor sign-in "Password".
        #expect(AuditWords.action("password.resetLink") == "Made a password reset link")
        #expect(AuditWords.detail("token=\(UUID().uuidString.lowercased()) name=cli", names: [:]) == "name: cli")
        #expect(AuditWords.outcome("password") == "Password right; code asked next")
        // Found in an administrator's review: settings and legal holds were "Other change", an admin's reset of someone
        // else's second factor "Changed their two-factor sign-in", and details read "from session", "open must: 2".
        #expect(AuditWords.action("organisation.settings") == "Changed the organisation's settings")
        #expect(AuditWords.action("case.legalHold.set") == "Put a legal hold on a case")
        #expect(AuditWords.action("twoFactor.reset") == "Reset someone's two-factor sign-in")
        #expect(AuditWords.detail("via=session next=code", names: [:]) == "on the sign-in page; next: code")
        #expect(AuditWords.detail("user=\(user.uuidString.lowercased()) via=cli", names: names) == "user: Sam Patel; on the server's command line")
        #expect(AuditWords.detail("kind=outcome21 decision=approved openMust=2", names: [:]).hasSuffix("must-do actions still open: 2"))
        #expect(AuditWords.detail("retentionPoliceGroup=3", names: [:]) == "MoPI group: 3")
    }

    /// Every action code the server writes has words of its own: none reads "Other change" or "Read part of the case".
    @Test func everyActionWrittenHasWords() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        var codes = Set<String>()
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: /(?:action: |auditAlone\(|auditEvent\(|audit\(|event\(actor, |event\(\w+, )"([a-zA-Z]+(?:\.[a-zA-Z]+)*)"/) {
                codes.insert(String(match.output.1))
            }
        }
        #expect(codes.count > 40, "found the codes: \(codes.count)")
        #expect(codes.filter { AuditWords.actions[$0] == nil }.sorted() == [])
    }
}
