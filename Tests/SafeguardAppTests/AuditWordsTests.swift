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
    }
}
