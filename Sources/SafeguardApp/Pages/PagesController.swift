import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// The pages for people, server-rendered from `Resources/Views`. Every page that shows case data authorises
/// exactly as the API does (`CasePolicy`: role, organisation, staff only their own, other organisations 404) and
/// audits the read by id, never by content.
struct PagesController: RouteCollection {
    let assessor: Assessor
    var api: CaseController { CaseController(assessor: assessor) }

    func boot(routes: any RoutesBuilder) throws {
        routes.get(.asset(.key)) { req in req.application.assets.serve(req) }
        routes.get(.home, use: home)
        routes.get(.cases, use: caseList)
    }

    /// The signed-in person if their role works on cases: anonymous people are sent to sign in; admins and
    /// auditors are refused (403), as by the API.
    func caseIdentity(_ req: Request) throws -> Identity {
        _ = try req.requirePageIdentity()
        return try CasePolicy.requireCaseRole(req)
    }

    // MARK: Home and the case list

    func home(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        var page = HomePage(identity: identity)
        if page.seesCases {
            let store = CaseStore(db: req.db)
            let mine = try await store.listCases(organisationID: identity.organisation.id,
                                                 filter: .init(status: .open, createdBy: identity.user.id), page: 1, perPage: 50).cases
            page.myCases = mine.map(CaseRow.init)
            for record in mine where record.openActions > 0 {
                for action in try await store.actions(caseID: record.id) where action.status == .open && action.recommended {
                    page.actions.append(ActionRow(record, action))
                }
            }
            page.actions.sort { ($0.severityRank, $0.caseReference) < ($1.severityRank, $1.caseReference) }
            var listed = mine.count
            if identity.user.role == .dsl {
                // Concerns raised by staff that nobody has triaged yet (still as raised: version 1).
                let open = try await store.listCases(organisationID: identity.organisation.id, filter: .init(status: .open),
                                                     page: 1, perPage: 200).cases
                var staff: [UUID: Bool] = [:]
                for user in try await AccountStore(db: req.db).users(organisationID: identity.organisation.id) {
                    staff[user.id] = user.role == .staff
                }
                let waiting = open.filter { $0.version == 1 && staff[$0.createdBy] == true }
                page.triage = waiting.map(CaseRow.init)
                listed += waiting.count
            }
            let count = listed
            try await req.write { db in try await req.audit("case.list", detail: "count=\(count) via=page.home", on: db) }
        }
        return try await req.renderPage(page, current: .home)
    }

    func caseList(req: Request) async throws -> Response {
        let identity = try caseIdentity(req)
        var filter = CaseStore.ListFilter()
        if !CasePolicy.seesAllCases(identity.user.role) { filter.createdBy = identity.user.id }
        let (records, total) = try await CaseStore(db: req.db).listCases(organisationID: identity.organisation.id,
                                                                         filter: filter, page: 1, perPage: 200)
        try await req.write { db in try await req.audit("case.list", detail: "count=\(records.count) via=page.cases", on: db) }
        let page = CaseListPage(identity: identity, cases: records.map(CaseRow.init), total: total)
        return try await req.renderPage(page, current: .cases)
    }
}
