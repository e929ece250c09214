import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// Case writes shared by the pages and the API: the same checks, store calls and audit entries as
/// `CaseController`, whose helpers (`checkSummary`, `facts(from:organisation:)`, `change`) these reuse.
extension CaseController {
    /// Creates a case exactly as `POST /api/v1/cases` does: summary checked, facts checked strictly with the
    /// organisation's jurisdiction and setting, assessed, stored with its actions, audited — in one transaction.
    func createCase(_ req: Request, _ identity: Identity, summary rawSummary: String, facts value: JSONValue?,
                    detail: String = "version=1") async throws -> CaseRecord {
        let summary = try checkSummary(rawSummary)
        let facts = try facts(from: value, organisation: identity.organisation)
        let opened = try await req.caseService(assessor).open(by: identity, summary: summary, facts: facts, detail: detail)
        req.auditRecorded = true
        return opened.record
    }

    /// Replaces a case's facts at `version` (409 if someone changed it since), re-assessing and auditing as
    /// `PUT /api/v1/cases/{id}/facts` does. The facts go through the same strict check as the API's.
    func replaceFacts(_ req: Request, _ identity: Identity, _ record: CaseRecord, version: Int, facts: CaseFacts) async throws {
        let checked = try self.facts(from: try JSONValue.parse(facts.jsonData()), organisation: identity.organisation)
        _ = try await change(req, identity, record, version: version, facts: checked, action: "case.facts.update")
    }
}
