import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// One route of the JSON API, as the OpenAPI document describes it.
struct APIRouteSpec: Sendable {
    var method: String
    /// Vapor style, e.g. `/api/v1/cases/:caseID`.
    var path: String
    var summary: String
    var tag: String
    var secured: Bool = true
    var request: String? = nil
    var status: Int = 200
    var response: String?
    var responseIsArray: Bool = false
    var errors: [Int] = [401, 403]
    var query: [(String, String, String)] = []   // name, type, description
}

/// The OpenAPI 3.1 description of `/api/v1`. A test checks it against the routes the app registers.
enum OpenAPIDocument {
    static let routes: [APIRouteSpec] = [
        .init(method: "GET", path: "/api/v1/openapi.json", summary: "This OpenAPI document", tag: "meta", secured: false,
              response: nil, errors: []),
        .init(method: "POST", path: "/api/v1/tokens", summary: "Create a bearer token with email and password",
              tag: "accounts", secured: false, request: "TokenCreateRequest", status: 201, response: "TokenCreated",
              errors: [400, 401, 403, 422, 429]),
        .init(method: "GET", path: "/api/v1/tokens", summary: "Your tokens", tag: "accounts", response: "Token", responseIsArray: true),
        .init(method: "DELETE", path: "/api/v1/tokens/:tokenID", summary: "Revoke a token (yours, or as admin your organisation's)",
              tag: "accounts", response: "Token", errors: [401, 404]),
        .init(method: "GET", path: "/api/v1/me", summary: "Who you are", tag: "accounts", response: "Me", errors: [401]),
        .init(method: "GET", path: "/api/v1/users", summary: "The organisation's users (admin)", tag: "accounts",
              response: "User", responseIsArray: true),
        .init(method: "POST", path: "/api/v1/users", summary: "Add a user (admin)", tag: "accounts", request: "UserCreateRequest",
              status: 201, response: "User", errors: [400, 401, 403, 409, 422]),
        .init(method: "PATCH", path: "/api/v1/users/:userID", summary: "Change a user's role, name, password or team, or disable them (admin)",
              tag: "accounts", request: "UserUpdateRequest", response: "User", errors: [400, 401, 403, 404, 422]),
        .init(method: "POST", path: "/api/v1/users/:userID/password-reset", summary: "Make a one-time password reset link for a user, valid for an hour (admin); give it in person or by phone",
              tag: "accounts", status: 201, response: "ResetLink", errors: [401, 403, 404, 409]),
        .init(method: "GET", path: "/api/v1/users/:userID/tokens", summary: "A user's API tokens still in use, to revoke one with DELETE /api/v1/tokens/{id} after a lost laptop (admin, own organisation)",
              tag: "accounts", response: "Token", responseIsArray: true, errors: [401, 403, 404]),
        .init(method: "GET", path: "/api/v1/me/sessions", summary: "Your web sessions still signed in, and your API tokens in use",
              tag: "accounts", response: "Sessions", errors: [401]),
        .init(method: "DELETE", path: "/api/v1/me/sessions/:sessionID", summary: "End one of your web sessions",
              tag: "accounts", response: "WebSession", errors: [401, 404]),
        .init(method: "POST", path: "/api/v1/me/sign-out-everywhere", summary: "End every web session and revoke every API token you have, this one included",
              tag: "accounts", response: "SignedOutEverywhere", errors: [401]),
        .init(method: "PUT", path: "/api/v1/me/signature", summary: "Set your rank and collar number, printed in the signature block of the letters you produce; an empty value clears it",
              tag: "accounts", request: "SignatureRequest", response: "User", errors: [400, 401, 422]),
        .init(method: "GET", path: "/api/v1/organisation/settings", summary: "How long the organisation's web sessions last (admin)",
              tag: "accounts", response: "OrganisationSettings"),
        .init(method: "PATCH", path: "/api/v1/organisation/settings", summary: "Change how long the organisation's web sessions last, who needs two-factor sign-in, and the case age for step-up (admin); what is left out stays",
              tag: "accounts", request: "OrganisationSettingsUpdate", response: "OrganisationSettings", errors: [400, 401, 403, 422]),
        .init(method: "POST", path: "/api/v1/users/:userID/two-factor/reset", summary: "Reset a user's two-factor sign-in, for a lost phone; their sessions end (admin). 409 if they have not set it up: there is nothing to reset",
              tag: "accounts", response: "User", errors: [401, 403, 404, 409]),
        .init(method: "POST", path: "/api/v1/cases", summary: "Create a case; it is assessed at once", tag: "cases",
              request: "CaseCreateRequest", status: 201, response: "Case", errors: [400, 401, 403, 422]),
        .init(method: "GET", path: "/api/v1/cases", summary: "List cases (staff: only the concerns they raised)", tag: "cases",
              response: "CaseList", errors: [400, 401, 403],
              query: [("reference", "string", "the case with this reference (SG-2026-000001), if you may see it: a list of one or none; the other filters are then not used"),
                      ("status", "string", "open or closed"), ("hasOpenActions", "boolean", "true or false"),
                      ("updatedSince", "string", "a date (2026-11-23) or time (ISO 8601)"),
                      ("page", "integer", "from 1"), ("perPage", "integer", "1–200, default 50")]),
        .init(method: "GET", path: "/api/v1/cases/:caseID", summary: "Read a case with its facts, actions and latest assessment",
              tag: "cases", response: "Case", errors: [401, 403, 404]),
        .init(method: "PATCH", path: "/api/v1/cases/:caseID", summary: "Change summary or status at a version (closing or reopening needs a reason)",
              tag: "cases", request: "CaseUpdateRequest", response: "Case", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "PUT", path: "/api/v1/cases/:caseID/facts", summary: "Replace the facts at a version; re-assesses",
              tag: "cases", request: "FactsUpdateRequest", response: "Case", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "PUT", path: "/api/v1/cases/:caseID/people/:ref", summary: "Add or change a person; re-assesses",
              tag: "cases", request: "PersonPutRequest", response: "Case", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "PUT", path: "/api/v1/cases/:caseID/imagery/:ref", summary: "Add or change an imagery record (facts only, never an image); re-assesses",
              tag: "cases", request: "ImageryPutRequest", response: "Case", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "PUT", path: "/api/v1/cases/:caseID/devices/:ref", summary: "Add or change a device; re-assesses",
              tag: "cases", request: "DevicePutRequest", response: "Case", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "POST", path: "/api/v1/cases/:caseID/actions/:actionID", summary: "Complete an action, mark it not applicable (with a reason), or reopen it",
              tag: "cases", request: "ActionUpdateRequest", response: "Action", errors: [400, 401, 403, 404, 422]),
        .init(method: "PUT", path: "/api/v1/cases/:caseID/actions/:actionID/due", summary: "Set (YYYY-MM-DD, today or later) or clear (null) the day an action is due by",
              tag: "cases", request: "ActionDueRequest", response: "Action", errors: [400, 401, 403, 404, 422]),
        .init(method: "POST", path: "/api/v1/cases/:caseID/notes", summary: "Add a note", tag: "cases",
              request: "NoteCreateRequest", status: 201, response: "Note", errors: [400, 401, 403, 404, 422]),
        .init(method: "GET", path: "/api/v1/cases/:caseID/notes", summary: "Notes in time order", tag: "cases",
              response: "Note", responseIsArray: true, errors: [401, 403, 404]),
        .init(method: "GET", path: "/api/v1/cases/:caseID/assessment", summary: "The latest assessment", tag: "cases",
              response: "AssessmentRecord", errors: [401, 403, 404]),
        .init(method: "GET", path: "/api/v1/cases/:caseID/assessments", summary: "Every assessment, oldest first", tag: "cases",
              response: "AssessmentRecord", responseIsArray: true, errors: [401, 403, 404]),
        .init(method: "GET", path: "/api/v1/cases/:caseID/access", summary: "Who has seen this case: every read and write of it in the audit trail, newest first, the latest 200 with the total (the person who opened it, supervisor, superintendent, DSL, auditor)",
              tag: "cases", response: "CaseAccess", errors: [401, 403, 404]),
        .init(method: "PUT", path: "/api/v1/cases/:caseID/owner", summary: "Give the case to another case lead of the organisation (the owner, a supervisor, a superintendent or the DSL may); its actions land on their home",
              tag: "cases", request: "OwnerRequest", response: "Case", errors: [400, 401, 403, 404, 422]),
        .init(method: "POST", path: "/api/v1/cases/:caseID/merge", summary: "Merge this case (opened twice for one incident) into another of the organisation: this one is closed and points to it, and the other's chronology shows both (case leads)",
              tag: "cases", request: "MergeRequest", response: "Case", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "GET", path: "/api/v1/cases/:caseID/records", summary: "The response records of a case, oldest first (case leads; ?kind= filters)",
              tag: "response", response: "Record", responseIsArray: true, errors: [400, 401, 403, 404],
              query: [("kind", "string", "one record kind, e.g. backgroundCheck")]),
        .init(method: "POST", path: "/api/v1/cases/:caseID/records", summary: "Record a step of the response, checked by the guidance's rules; completes the actions it fulfils",
              tag: "response", request: "ResponseRecord", status: 201, response: "RecordResult", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "PUT", path: "/api/v1/cases/:caseID/records/:recordID", summary: "Replace a record at its revision (e.g. add proof of deletion); custody steps are append-only",
              tag: "response", request: "RecordReplaceRequest", response: "RecordResult", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "GET", path: "/api/v1/cases/:caseID/chronology", summary: "Every event, fact change, assessment change, action and sign-off in time order",
              tag: "response", response: "CaseEvent", responseIsArray: true, errors: [401, 403, 404]),
        .init(method: "GET", path: "/api/v1/cases/:caseID/sign-offs", summary: "Outcome 21 and device-return sign-offs of the case",
              tag: "sign-offs", response: "SignOff", responseIsArray: true, errors: [401, 403, 404]),
        .init(method: "POST", path: "/api/v1/cases/:caseID/sign-offs", summary: "Propose Outcome 21 (for a supervisor) or a device's return (for a superintendent)",
              tag: "sign-offs", request: "SignOffCreateRequest", status: 201, response: "SignOff", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "POST", path: "/api/v1/cases/:caseID/sign-offs/:signOffID/decision", summary: "Approve or refuse a sign-off with reasons (the reviewer's role; never the proposer)",
              tag: "sign-offs", request: "SignOffDecisionRequest", response: "SignOff", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "GET", path: "/api/v1/cases/:caseID/referrals", summary: "Referrals made from (school) or received on (force) the case, with their status",
              tag: "referrals", response: "Referral", responseIsArray: true, errors: [401, 403, 404]),
        .init(method: "POST", path: "/api/v1/cases/:caseID/referrals", summary: "Refer a school's case to a police force (DSL): opens a linked police case with what is shared",
              tag: "referrals", request: "ReferralCreateRequest", status: 201, response: "Referral", errors: [400, 401, 403, 404, 422]),
        .init(method: "POST", path: "/api/v1/cases/:caseID/referrals/:referralID/response", summary: "Accept or decline a referral (the receiving force)",
              tag: "referrals", request: "ReferralResponseRequest", response: "Referral", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "POST", path: "/api/v1/cases/:caseID/referrals/:referralID/withdraw", summary: "Withdraw a referral the force has not answered (the school's DSL), saying why: the force sees it, and its case is closed",
              tag: "referrals", request: "ReferralWithdrawRequest", response: "Referral", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "POST", path: "/api/v1/cases/:caseID/documents/outcome21-letter", summary: "The family's Outcome 21 letter (after approval), printable HTML or text; names are printed, never stored",
              tag: "documents", request: "OutcomeLetterRequest", response: nil, errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "GET", path: "/api/v1/cases/:caseID/documents/information-sheet", summary: "The family's information sheet: next steps, contact, help",
              tag: "documents", response: nil, errors: [400, 401, 403, 404], query: [("format", "string", "html (default) or text")]),
        .init(method: "GET", path: "/api/v1/cases/:caseID/documents/child-contact-form", summary: "The child contact with police form for partners",
              tag: "documents", response: nil, errors: [400, 401, 403, 404], query: [("format", "string", "html (default) or text")]),
        .init(method: "GET", path: "/api/v1/cases/:caseID/documents/case-record", summary: "The written record of the incident and every action",
              tag: "documents", response: nil, errors: [400, 401, 403, 404], query: [("format", "string", "html (default) or text")]),
        .init(method: "GET", path: "/api/v1/cases/:caseID/documents/subject-access/:ref", summary: "What the case holds about one person (by ref), for a subject access request: others redacted, printable or JSON; audited, and a signed-in page asks a fresh second factor",
              tag: "documents", response: nil, errors: [400, 401, 403, 404], query: [("format", "string", "html (default), text or json")]),
        .init(method: "GET", path: "/api/v1/inbox", summary: "Your work: concerns to triage (DSL), sign-offs to decide, refused proposals, referrals to answer, policy reviews due",
              tag: "response", response: "Inbox", errors: [401, 403]),
        .init(method: "GET", path: "/api/v1/organisations", summary: "Organisations in Safeguard (e.g. ?kind=police for a DSL's referral)",
              tag: "accounts", response: "OrganisationEntry", responseIsArray: true, errors: [400, 401],
              query: [("kind", "string", "police, education or localAuthority")]),
        .init(method: "GET", path: "/api/v1/audit", summary: "The organisation's audit entries, newest first (auditor)",
              tag: "audit", response: "AuditPage", query: [("after", "integer", "only entries after this sequence"),
                                                           ("limit", "integer", "1–1000, default 100")]),
        .init(method: "GET", path: "/api/v1/audit/verify", summary: "Check the whole hash chain (auditor)", tag: "audit",
              response: "AuditVerify"),
        .init(method: "GET", path: "/api/v1/retention", summary: "The organisation's retention schedule, its closed cases with the day each may be erased, legal holds (open cases on hold in heldOpen), and what has been erased (admin; references and dates only)",
              tag: "retention", response: "Retention", errors: [401, 403]),
        .init(method: "POST", path: "/api/v1/retention/run", summary: "Erase the organisation's cases that are due and not on legal hold, or list them with dryRun (admin); each leaves a tombstone and an audit entry",
              tag: "retention", request: "RetentionRunRequest", response: "RetentionRun", errors: [400, 401, 403, 422]),
        .init(method: "PUT", path: "/api/v1/retention/holds/:reference", summary: "Put a case (by reference) on legal hold, with a reason: it is kept whatever its date (admin)",
              tag: "retention", request: "LegalHoldRequest", response: "LegalHold", errors: [400, 401, 403, 404, 409, 422]),
        .init(method: "POST", path: "/api/v1/retention/holds/:reference/lift", summary: "Lift a legal hold, with a reason (admin)",
              tag: "retention", request: "LegalHoldRequest", response: "LegalHold", errors: [400, 401, 403, 404, 409, 422]),
    ]

    /// `/api/v1/cases/:caseID` → `/api/v1/cases/{caseID}`.
    static func openAPIPath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            .reduce("") { $0 + "/" + $1 }
    }

    /// A body that refuses keys it does not take (`KnownKeys`).
    static func closed(_ schema: [String: Any]) -> [String: Any] {
        var schema = schema
        schema["additionalProperties"] = false
        return schema
    }

    static func obj(_ properties: [String: [String: Any]], required: [String] = []) -> [String: Any] {
        var schema: [String: Any] = ["type": "object", "properties": properties]
        if !required.isEmpty { schema["required"] = required }
        return schema
    }
    static var s: [String: Any] { ["type": "string"] }
    static var i: [String: Any] { ["type": "integer"] }
    static var b: [String: Any] { ["type": "boolean"] }
    static var uuid: [String: Any] { ["type": "string", "format": "uuid"] }
    static var time: [String: Any] { ["type": "string", "format": "date-time"] }
    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    static func array(_ item: [String: Any]) -> [String: Any] { ["type": "array", "items": item] }
    static func oneOf(_ values: [String]) -> [String: Any] { ["type": "string", "enum": values] }

    static var schemas: [String: Any] {
        let role = oneOf(["officer", "supervisor", "superintendent", "staff", "dsl", "admin", "auditor"])
        let version: [String: Any] = ["type": "integer", "description": "the case version you read; a stale one gets 409"]
        return [
            "RetentionRunRequest": obj(["dryRun": b], required: ["dryRun"]),
            "RetentionRun": obj(["dryRun": b, "erased": array(obj(["reference": s, "rule": s], required: ["reference", "rule"]))], required: ["dryRun", "erased"]),
            "LegalHoldRequest": obj(["reason": ["type": "string", "minLength": 1, "description": "why the case must be kept, or why the hold is lifted"]], required: ["reason"]),
            "LegalHold": obj(["reference": s, "onHold": b, "reason": s, "since": time], required: ["reference", "onHold"]),
            "Retention": obj(["retentionPoliceGroup": i, "retentionSchoolAge": i, "retentionSchoolYears": i,
                              "cases": array(obj(["reference": s, "closedOn": ["type": "string", "format": "date"], "eraseOn": ["type": "string", "format": "date"],
                                                  "rule": s, "due": b, "legalHold": ref("LegalHold")], required: ["reference", "rule", "due"])),
                              "heldOpen": array(ref("LegalHold")),
                              "erased": array(obj(["reference": s, "openedOn": ["type": "string", "format": "date"], "closedOn": ["type": "string", "format": "date"],
                                                   "erasedOn": ["type": "string", "format": "date"], "rule": s, "erasedBy": s],
                                                  required: ["reference", "openedOn", "erasedOn", "rule", "erasedBy"]))],
                             required: ["retentionPoliceGroup", "retentionSchoolAge", "retentionSchoolYears", "cases", "heldOpen", "erased"]),
            "SubjectAccess": obj(["title": s, "reference": s, "person": s,
                                  "sections": array(obj(["heading": s, "lines": array(s)], required: ["heading", "lines"]))],
                                 required: ["title", "reference", "person", "sections"]),
            "Error": obj(["error": obj(["code": s, "message": s, "field": ["type": ["string", "null"]]], required: ["code", "message"])],
                         required: ["error"]),
            "TokenCreateRequest": closed(obj(["email": s, "password": s, "name": s, "expiresInDays": ["type": "integer", "minimum": 1, "maximum": 365],
                                       "code": ["type": "string", "description": "the six-digit code from your authenticator app, when you use two-factor sign-in or your role needs it"]],
                                      required: ["email", "password"])),
            "TokenCreated": obj(["token": s, "id": uuid, "name": s, "expiresAt": time]),
            "Token": obj(["id": uuid, "name": s, "expiresAt": time, "revokedAt": time, "createdAt": time,
                          "current": ["type": "boolean", "description": "in a list of sessions: the token this request came with"]]),
            "Organisation": obj(["id": uuid, "name": s, "kind": oneOf(["police", "education", "localAuthority"]),
                                 "jurisdiction": oneOf(["england", "wales", "northernIreland", "scotland"])]),
            "User": obj(["id": uuid, "email": s, "displayName": s, "role": role, "disabled": b, "organisationID": uuid,
                         "twoFactor": ["type": "boolean", "description": "whether they have set up two-factor sign-in"],
                         "rank": ["type": "string", "description": "for the signature block of letters, when set"],
                         "collarNumber": ["type": "string", "description": "for the signature block of letters, when set"],
                         "team": ["type": "string", "description": "the team an admin put them in, when there is one"]]),
            "SignatureRequest": closed(obj(["rank": ["type": "string", "maxLength": 60], "collarNumber": ["type": "string", "maxLength": 20]])),
            "Me": obj(["user": ref("User"), "organisation": ref("Organisation")]),
            "UserCreateRequest": closed(obj(["email": s, "displayName": s, "role": role, "password": s,
                                             "team": ["type": "string", "maxLength": 80, "description": "the team to put them in (one already in the organisation, whatever its capitals or spacing, is joined); empty or left out puts them in none"]],
                                     required: ["email", "displayName", "role", "password"])),
            "UserUpdateRequest": closed(obj(["displayName": s, "role": role, "disabled": b, "password": s,
                                      "team": ["type": "string", "maxLength": 80, "description": "the team to put them in (a supervisor, superintendent or DSL sees their team's cases); empty takes them out of any"]])),
            "WebSession": obj(["id": uuid, "signedInAt": time, "lastSeenAt": time, "endedAt": time, "address": s,
                               "browser": ["type": "string", "description": "the browser and system, in words, e.g. Firefox on Linux"],
                               "current": ["type": "boolean", "description": "the session this request came with"]]),
            "Sessions": obj(["sessions": array(ref("WebSession")), "tokens": array(ref("Token"))]),
            "SignedOutEverywhere": obj(["sessionsEnded": i, "tokensRevoked": i]),
            "OrganisationSettings": obj(["sessionIdleMinutes": ["type": "integer", "minimum": SessionPolicy.idleRange.lowerBound,
                                                                "maximum": SessionPolicy.idleRange.upperBound,
                                                                "description": "sign a web session out after this many minutes without a request"],
                                         "sessionLifetimeHours": ["type": "integer", "minimum": SessionPolicy.lifetimeRange.lowerBound,
                                                                  "maximum": SessionPolicy.lifetimeRange.upperBound,
                                                                  "description": "sign a web session out this many hours after sign-in"],
                                         "twoFactorRoles": ["type": "array", "items": role, "description": "the roles that must sign in with a code from an authenticator app"],
                                         "stepUpCaseAgeDays": ["type": "integer", "minimum": TwoFactorPolicy.stepUpAgeRange.lowerBound,
                                                               "maximum": TwoFactorPolicy.stepUpAgeRange.upperBound,
                                                               "description": "opening a case older than this many days (or any closed case) on the pages needs a fresh code"],
                                         "retentionPoliceGroup": ["type": "integer", "minimum": 1, "maximum": 3, "description": "police: the MoPI group closed cases are kept by (1: until the youngest person involved is 100; 2: 10 years after closing; 3: 6 years)"],
                                         "retentionSchoolAge": ["type": "integer", "minimum": RetentionSchedule.schoolAges.lowerBound, "maximum": RetentionSchedule.schoolAges.upperBound, "description": "schools: keep a closed case until the youngest child involved reaches this age"],
                                         "retentionSchoolYears": ["type": "integer", "minimum": 0, "maximum": RetentionSchedule.schoolYears.upperBound, "description": "schools: or their own policy, this many years after closing; 0 when the age rule applies"],
                                         "quietCaseDays": ["type": "integer", "minimum": WorkPolicy.quietRange.lowerBound, "maximum": WorkPolicy.quietRange.upperBound, "description": "an open case with no activity for this many days is shown as gone quiet to supervisors, superintendents and the DSL"],
                                         "mustActionDays": ["type": "integer", "minimum": WorkPolicy.mustRange.lowerBound, "maximum": WorkPolicy.mustRange.upperBound, "description": "a MUST action is due this many days after it is raised (0: the same day)"],
                                         "apiTokenMaxDays": ["type": "integer", "minimum": TokenLifetime.range.lowerBound, "maximum": TokenLifetime.range.upperBound, "description": "the longest an API token lasts, in days: a token older than this stops working, and a longer one is refused"]],
                                        required: ["sessionIdleMinutes", "sessionLifetimeHours", "twoFactorRoles", "stepUpCaseAgeDays", "retentionPoliceGroup", "retentionSchoolAge", "retentionSchoolYears", "quietCaseDays", "mustActionDays", "apiTokenMaxDays"]),
            "OrganisationSettingsUpdate": closed(obj(["sessionIdleMinutes": ["type": "integer", "minimum": SessionPolicy.idleRange.lowerBound, "maximum": SessionPolicy.idleRange.upperBound],
                                               "sessionLifetimeHours": ["type": "integer", "minimum": SessionPolicy.lifetimeRange.lowerBound, "maximum": SessionPolicy.lifetimeRange.upperBound],
                                               "twoFactorRoles": ["type": "array", "items": role],
                                               "stepUpCaseAgeDays": ["type": "integer", "minimum": TwoFactorPolicy.stepUpAgeRange.lowerBound, "maximum": TwoFactorPolicy.stepUpAgeRange.upperBound],
                                               "retentionPoliceGroup": ["type": "integer", "minimum": 1, "maximum": 3],
                                               "retentionSchoolAge": ["type": "integer", "minimum": RetentionSchedule.schoolAges.lowerBound, "maximum": RetentionSchedule.schoolAges.upperBound],
                                               "retentionSchoolYears": ["type": "integer", "minimum": 0, "maximum": RetentionSchedule.schoolYears.upperBound],
                                               "apiTokenMaxDays": ["type": "integer", "minimum": TokenLifetime.range.lowerBound, "maximum": TokenLifetime.range.upperBound],
                                               "quietCaseDays": ["type": "integer", "minimum": WorkPolicy.quietRange.lowerBound, "maximum": WorkPolicy.quietRange.upperBound],
                                               "mustActionDays": ["type": "integer", "minimum": WorkPolicy.mustRange.lowerBound, "maximum": WorkPolicy.mustRange.upperBound],
                                               "confirmErasure": ["type": "integer", "minimum": 0, "description": "the number of closed cases a retention change makes due for erasure at once, to confirm it (409 erasure_not_confirmed names them)"]])),
            "ResetLink": obj(["path": ["type": "string", "description": "the link's path on this server; it works once, within the hour"],
                              "code": ["type": "string", "description": "the same secret as twelve letters and digits (K7QM-2XPB-9T4H), to read out over the phone and type at /password-reset"],
                              "expiresAt": time]),
            "CaseFacts": caseFactsSchema,
            "Person": personSchema,
            "Imagery": imagerySchema,
            "Device": deviceSchema,
            "Circumstances": circumstancesSchema,
            "Assessment": assessmentSchema,
            "Action": obj(["id": uuid, "recommendationID": s, "severity": oneOf(["must", "should", "consider"]), "text": s,
                           "status": oneOf(["open", "done", "notApplicable"]), "reason": s, "recommended": b,
                           "completedBy": uuid, "completedAt": time, "createdAt": time,
                           "dueOn": ["type": ["string", "null"], "format": "date"], "overdue": b]),
            "ActionDueRequest": obj(["dueOn": ["type": ["string", "null"], "format": "date"]], required: ["dueOn"]),
            "Note": obj(["id": uuid, "sequence": i, "authorID": uuid, "text": s, "createdAt": time]),
            "AssessmentRecord": obj(["id": uuid, "caseVersion": i, "editions": array(s), "createdBy": uuid, "createdAt": time,
                                     "assessment": ref("Assessment")]),
            "CaseSummary": obj(["id": uuid, "reference": s, "status": oneOf(["open", "closed"]), "summary": s, "version": i,
                                "ownerID": uuid, "openActions": i, "createdAt": time, "updatedAt": time]),
            "CaseList": obj(["cases": array(ref("CaseSummary")), "page": i, "perPage": i, "total": i]),
            "Case": obj(["id": uuid, "reference": s, "status": oneOf(["open", "closed"]), "summary": s,
                         "jurisdiction": s, "setting": s, "version": i, "createdBy": uuid, "ownerID": uuid, "createdAt": time,
                         "updatedAt": time, "openActions": i,
                         "asRaised": ["type": "boolean", "description": "present and true when the reader is the member of staff who raised the concern: facts hold only who is involved, their ages and parts and the imagery's kind (a null there is not shown, not unknown), and there are no actions or assessment"],
                         "facts": ref("CaseFacts"), "actions": array(ref("Action")),
                         "assessment": ref("AssessmentRecord")]),
            "OwnerRequest": obj(["ownerID": uuid, "reason": ["type": "string", "description": "why, for the chronology (optional)"]],
                                required: ["ownerID"]),
            "MergeRequest": obj(["into": ["type": "string", "description": "the other case's reference (SG-2026-000001) or id"], "version": i,
                                 "reason": ["type": "string", "description": "why they are one case, for the chronology of both"]],
                                required: ["into", "version", "reason"]),
            "CaseCreateRequest": obj(["summary": s, "status": oneOf(["open", "closed"]), "facts": ref("CaseFacts")], required: ["summary"]),
            "CaseUpdateRequest": obj(["version": version, "summary": s, "status": oneOf(["open", "closed"]),
                                     "reason": ["type": "string", "description": "why the case is closed or reopened: needed whenever status changes"]],
                                    required: ["version"]),
            "FactsUpdateRequest": obj(["version": version, "facts": ref("CaseFacts")], required: ["version", "facts"]),
            "PersonPutRequest": obj(["version": version, "person": ["type": "object"]], required: ["version", "person"]),
            "ImageryPutRequest": obj(["version": version, "imagery": ["type": "object"]], required: ["version", "imagery"]),
            "DevicePutRequest": obj(["version": version, "device": ["type": "object"]], required: ["version", "device"]),
            "ActionUpdateRequest": obj(["status": oneOf(["open", "done", "notApplicable"]), "reason": s], required: ["status"]),
            "NoteCreateRequest": obj(["text": s], required: ["text"]),
            "AuditEntry": obj(["sequence": i, "at": s, "actorID": s, "actorRole": s, "organisationID": s, "action": s,
                               "caseID": s, "outcome": s, "detail": s, "previousHash": s, "hash": s]),
            "AuditPage": obj(["entries": array(ref("AuditEntry"))]),
            "CaseAccessEntry": obj(["sequence": i, "at": ["type": ["string", "null"], "format": "date-time"],
                                    "actorID": ["type": ["string", "null"], "format": "uuid", "description": "absent for the system or someone not signed in"],
                                    "actorName": ["type": ["string", "null"], "description": "absent when the account no longer exists"],
                                    "actorRole": ["type": "string", "description": "the role acted in, e.g. officer, dsl, system"],
                                    "action": ["type": "string", "description": "the audit action, e.g. case.read, case.facts.update"],
                                    "outcome": ["type": "string", "description": "ok, or e.g. rejected"]],
                                   required: ["sequence", "actorRole", "action", "outcome"]),
            "CaseAccess": obj(["entries": array(ref("CaseAccessEntry")),
                               "total": ["type": "integer", "description": "how many entries there are about the case in all"],
                               "limit": ["type": "integer", "description": "the most entries a reply holds"]],
                              required: ["entries", "total", "limit"]),
            "AuditVerify": obj(["valid": ["type": "boolean", "description": "whether the whole chain (every organisation's entries) verifies"],
                                "entriesChecked": ["type": "integer", "description": "how many of the entries are your organisation's"],
                                "firstBadSequence": i, "problem": s]),
            "ResponseRecord": responseRecordSchema,
            "Record": obj(["id": uuid, "sequence": i, "revision": i, "kind": enumOf(RecordKind.self), "record": ref("ResponseRecord"),
                           "createdBy": uuid, "createdAt": time, "updatedBy": uuid, "updatedAt": time]),
            "RecordResult": obj(["record": ref("Record"), "warnings": array(obj(["message": s, "citations": array(obj(["document": s, "section": s]))])),
                                 "completedActions": array(s)]),
            "RecordReplaceRequest": obj(["revision": i, "record": ref("ResponseRecord")], required: ["revision", "record"]),
            "CaseEvent": obj(["sequence": i, "at": time, "actorID": uuid, "actorRole": s, "kind": s, "summary": s]),
            "SignOffCreateRequest": obj(["kind": enumOf(SignOffKind.self), "rationale": s, "reasonWhileUndetermined": s,
                                         "device": ["type": "string", "description": "for deviceReturn: the device ref"]], required: ["kind", "rationale"]),
            "SignOffDecisionRequest": obj(["approve": b, "reason": ["type": "string", "minLength": 12, "description": "the reasons for the decision, in a sentence (at least 12 characters)"], "imagerySolelyOfOwner": b,
                                            "imageryRemoval": ["type": "string", "description": "required to approve a device's return when imagerySolelyOfOwner is false: how the imagery of others was removed (the guidance on returning devices says such a device is unlikely to be returned); approval does not record the return, which the officer records when the device is handed back"],
                                            "openActionsReason": ["type": "string", "description": "required to approve Outcome 21 while must-do actions are still open: why it can be approved before they are done (at least 12 characters)"],
                                            "openQuestionsReason": ["type": "string", "description": "required to approve Outcome 21 while the guidance cannot yet decide it (questions that could rule it out still open): why it can be approved before they are answered (at least 12 characters)"]],
                                           required: ["approve", "reason"]),
            "SignOff": obj(["id": uuid, "caseID": uuid, "kind": enumOf(SignOffKind.self), "status": enumOf(SignOffStatus.self), "subject": s,
                            "rationale": s, "reasonWhileUndetermined": s, "engineDecision": enumOf(Outcome21Decision.self), "reviewerRole": s,
                            "proposedBy": uuid, "proposedAt": time, "reviewedBy": uuid, "reviewedAt": time,
                            "review": obj(["approve": b, "reason": s, "imagerySolelyOfOwner": b]), "caseReference": s]),
            "ReferralCreateRequest": obj(["toOrganisationID": uuid, "summary": s, "share": array(oneOf(["people", "imagery", "circumstances", "devices"])),
                                          "note": s], required: ["toOrganisationID", "summary", "share"]),
            "ReferralResponseRequest": obj(["status": oneOf(["accepted", "declined"]), "reason": s], required: ["status"]),
            "ReferralWithdrawRequest": obj(["reason": s], required: ["reason"]),
            "Referral": obj(["id": uuid, "direction": oneOf(["outgoing", "incoming"]), "status": enumOf(ReferralStatus.self),
                             "fromOrganisation": s, "toOrganisation": s, "fromCaseID": uuid, "toCaseID": uuid, "summary": s,
                             "sharedSections": array(s), "note": s, "responseReason": s,
                             "sentBy": obj(["name": s, "role": s, "email": s]),
                             "risk": ["type": "array", "items": s, "description": "why it is urgent, in words, from the school's assessment when it was sent; empty when nothing was flagged"],
                             "createdAt": time, "updatedAt": time]),
            "OutcomeLetterRequest": obj(["to": oneOf(["youngPerson", "parent"]), "person": s, "name": s, "childName": s, "phone": s,
                                         "format": oneOf(["html", "text"])], required: ["to", "person", "name"]),
            "OrganisationEntry": obj(["id": uuid, "name": s, "kind": oneOf(["police", "education", "localAuthority"]), "jurisdiction": s]),
            "Inbox": obj(["awaitingTriage": array(ref("CaseSummary")), "signOffsToReview": array(ref("SignOff")),
                          "refusedProposals": array(ref("SignOff")), "referralsToAnswer": array(ref("Referral")),
                          "policyReviewsDue": array(obj(["caseID": uuid, "caseReference": s, "due": ["type": "string", "format": "date"]]))]),
        ]
    }

    // MARK: The contract's shapes (docs/contract.md), from the core's own enumerations.

    static var tri: [String: Any] { ["type": ["boolean", "null"], "description": "true, false, or null/absent for unknown"] }
    static func enumOf<T: RawRepresentable & CaseIterable>(_ type: T.Type) -> [String: Any] where T.RawValue == String {
        oneOf(T.allCases.map(\.rawValue))
    }

    static var caseFactsSchema: [String: Any] {
        var schema = obj([
            "jurisdiction": enumOf(Jurisdiction.self),
            "setting": enumOf(Setting.self),
            "assessedOn": ["type": ["string", "null"], "format": "date", "description": "picks the guidance edition in force on that date (default today)"],
            "people": array(ref("Person")),
            "imagery": array(ref("Imagery")),
            "circumstances": ref("Circumstances"),
            "devices": array(ref("Device")),
        ])
        schema["description"] = "The case facts of the contract. Jurisdiction and setting come from the organisation and may be left out. Unknown keys are refused (422, with the path in `field`)."
        schema["additionalProperties"] = false
        return schema
    }

    static var personSchema: [String: Any] {
        var properties: [String: [String: Any]] = [
            "ref": ["type": "string", "description": "a short reference such as A (never a name)"],
            "age": ["type": ["integer", "null"], "minimum": 0, "maximum": 120],
            "roles": array(enumOf(PersonRole.self)),
            "previousIncidents": ["type": ["integer", "null"], "minimum": 0],
        ]
        for fact in ["learningDisability", "inCare", "childProtectionPlan", "selfHarmRisk", "immediateDanger", "parentalInvolvementRisk"] {
            properties[fact] = tri
        }
        var schema = obj(properties, required: ["ref"])
        schema["additionalProperties"] = false
        return schema
    }

    static var imagerySchema: [String: Any] {
        var properties: [String: [String: Any]] = [
            "ref": s, "kind": enumOf(ImageryKind.self), "depicts": array(s), "platforms": array(enumOf(Platform.self)),
        ]
        for fact in ["sexualActs", "violent", "unusualForDevelopmentalStage", "sharedWithoutPermission", "sharedBeyondControl", "uploadedToAdultSite"] {
            properties[fact] = tri
        }
        var schema = obj(properties, required: ["ref"])
        schema["description"] = "Facts about imagery: never the imagery itself."
        schema["additionalProperties"] = false
        return schema
    }

    static var deviceSchema: [String: Any] {
        var schema = obj(["ref": s, "owner": ["type": ["string", "null"]], "seized": tri, "containsImageryOf": array(s)], required: ["ref"])
        schema["additionalProperties"] = false
        return schema
    }

    static var circumstancesSchema: [String: Any] {
        var schema = obj(Dictionary(uniqueKeysWithValues: Circumstances.factNames.map { ($0, tri) }))
        schema["additionalProperties"] = false
        return schema
    }

    /// One object per record kind, `kind` first, from each kind's one description (`RecordKind.description`):
    /// its fields' types, allowed values, labels and which are required. Unknown keys are refused (422 naming the
    /// keys allowed).
    static var responseRecordSchema: [String: Any] {
        let variants: [[String: Any]] = RecordKind.allCases.map { kind in
            let description = kind.description
            var properties: [String: [String: Any]] = ["kind": ["type": "string", "const": kind.rawValue]]
            for field in description.fields { properties[field.name] = recordField(field) }
            var variant = obj(properties, required: ["kind"] + description.fields.filter(\.required).map(\.name))
            variant["title"] = kind.rawValue
            variant["description"] = description.label
            variant["additionalProperties"] = false
            return variant
        }
        return ["oneOf": variants, "discriminator": ["propertyName": "kind"],
                "description": "A step of the response. Dates are YYYY-MM-DD; people, devices and imagery are named by their refs in the case facts. Never imagery."]
    }

    /// A record field's schema, from what it holds.
    static func recordField(_ field: RecordField) -> [String: Any] {
        var schema: [String: Any]
        switch field.input {
        case .text, .longText: schema = s
        case .date: schema = ["type": "string", "format": "date"]
        case .yesNo: schema = b
        case .choice(let options): schema = oneOf(options.map(\.value))
        case .choices(let options): schema = array(oneOf(options.map(\.value)))
        case .person, .device: schema = s
        case .people, .imagery, .list: schema = array(s)
        case .filledText: schema = s; schema["readOnly"] = true
        case .filledYesNo: schema = b; schema["readOnly"] = true
        }
        schema["description"] = field.label + (field.hint.isEmpty ? "" : " (\(field.hint))")
        return schema
    }

    static var assessmentSchema: [String: Any] {
        let citation = obj(["document": s, "section": s])
        let decisions = obj([
            "route": enumOf(RouteDecision.self), "childProtectionReferral": enumOf(ReferralDecision.self),
            "emergency": b, "outcome21": enumOf(Outcome21Decision.self), "deviceSeizure": enumOf(DeviceSeizureDecision.self),
            "visuallyRecordedInterview": enumOf(RecommendedDecision.self), "caidReferral": enumOf(RequiredDecision.self),
            "policeReferral": enumOf(RequiredDecision.self), "ceopReport": enumOf(RecommendedDecision.self),
            "involveParents": enumOf(ParentsDecision.self),
            "involveParentsOf": ["type": "object", "additionalProperties": enumOf(ParentsDecision.self),
                                 "description": "involveParents decided for each child by ref, as if only that child's parents were in question; present when the case has children"],
        ])
        var schema = obj([
            "guidance": array(obj(["id": s, "edition": s, "title": s, "publisher": s])),
            "decisions": decisions,
            "recommendations": array(obj(["id": s, "severity": enumOf(Severity.self), "text": s, "citations": array(citation),
                                          "because": array(s),
                                          "standing": ["type": "boolean", "description": "present and true for an instruction that holds for the whole case (never view the imagery): it is not made an action"],
                                          "dueWithinDays": ["type": "integer", "minimum": 0, "description": "the guidance's own timescale in days from when it is raised (0: the same day), where it states one; the action made of it is due then"],
                                          "people": ["type": "array", "items": s,
                                                     "description": "present when the recommendation is for some children only, by a per-child decision (involveParentsOf): e.g. involve A's parents while B's risk is not known"]])),
            "openQuestions": array(obj(["fact": s, "question": s, "affects": array(s)])),
            "assessedOn": ["type": "string", "format": "date"],
            "decisionReasons": array(obj(["decision": s, "value": s, "citations": array(citation), "because": array(s),
                                          "possible": ["type": "array", "items": s,
                                                       "description": "an undetermined decision's values still possible once the open questions are answered; when every one calls for an action, its recommendation is raised now"]])),
            "offences": array(obj(["id": s, "legislation": s, "description": s, "homeOfficeClassification": s,
                                   "citations": array(citation), "because": array(s)])),
            "resources": array(obj(["id": s, "name": s, "forWhom": s, "description": s, "phone": s, "email": s,
                                    "web": s, "text": s, "source": s])),
            "notes": array(s),
            "familySteps": array(obj(["text": s, "citations": array(citation)])),
        ], required: ["guidance", "decisions", "recommendations", "openQuestions"])
        schema["description"] = "The assessment of the contract (docs/contract.md in the repository); further keys may be added, never renamed or removed."
        return schema
    }

    static let statusText: [Int: String] = [
        400: "The request is malformed; `field` names what to fix", 401: "Not signed in, or the token is not valid",
        403: "Your role may not do this", 404: "No such resource in your organisation", 409: "Stale version or duplicate",
        413: "Body over 256 KiB", 415: "Files cannot be uploaded, and a body must be JSON (Content-Type: application/json)",
        422: "Invalid content, or imagery data (which must never be uploaded)", 429: "Too many: failed sign-ins for this email from this address, refused requests from this address, or text added to this case by you in the last hour (see Retry-After)",
    ]

    static func document() -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for route in routes {
            var op: [String: Any] = ["summary": route.summary, "tags": [route.tag],
                                     "operationId": route.method.lowercased() + openAPIPath(route.path)
                                        .replacingOccurrences(of: "/api/v1", with: "")
                                        .split(whereSeparator: { "/{}.".contains($0) }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()]
            var parameters: [[String: Any]] = route.path.split(separator: "/").filter { $0.hasPrefix(":") }.map {
                ["name": String($0.dropFirst()), "in": "path", "required": true,
                 "schema": $0.hasSuffix("ID") ? uuid : s]
            }
            parameters += route.query.map { ["name": $0.0, "in": "query", "required": false,
                                             "schema": querySchema($0.0, type: $0.1, path: route.path), "description": $0.2] }
            if route.method == "POST", route.secured {
                parameters.append(["name": "Idempotency-Key", "in": "header", "required": false,
                                   "description": "send the same key again to get the first answer again (24 hours) rather than doing it twice",
                                   "schema": ["type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"]])
            }
            if !parameters.isEmpty { op["parameters"] = parameters }
            if let request = route.request {
                op["requestBody"] = ["required": true, "content": ["application/json": ["schema": ref(request)]]]
            }
            var responses: [String: Any] = [:]
            // Documents are printable pages: HTML, or plain text with ?format=text.
            var document: [String: Any] = ["description": "The document: printable HTML, or plain text with format=text",
                                           "content": ["text/html": ["schema": s], "text/plain": ["schema": s]]]
            if route.path.contains("subject-access") {
                document["content"] = ["text/html": ["schema": s], "text/plain": ["schema": s], "application/json": ["schema": ref("SubjectAccess")]]
            }
            let success: [String: Any] = route.response.map { r in
                ["description": "OK", "content": ["application/json": ["schema": route.responseIsArray ? array(ref(r)) : ref(r)]]]
            } ?? (route.tag == "documents" ? document : ["description": "OK", "content": ["application/json": ["schema": ["type": "object"]]]])
            responses[String(route.status)] = success
            // Every request passes the text guard (422), the body and query caps (400, 413) and the throttles (429):
            // refused requests from one address, and one person's hourly text allowance on a case.
            var errors = Set(route.errors).union([400, 413, 422, 429])
            if route.method != "GET" { errors.formUnion([415]) }
            // The same Idempotency-Key while its first request is still being answered.
            if route.method == "POST", route.secured { errors.formUnion([409]) }
            for code in errors.sorted() {
                responses[String(code)] = ["description": statusText[code] ?? "Error",
                                           "content": ["application/json": ["schema": ref("Error")]]]
            }
            op["responses"] = responses
            if route.secured { op["security"] = [["bearer": [String]()]] } else { op["security"] = [[String: [String]]()] }
            paths[openAPIPath(route.path), default: [:]][route.method.lowercased()] = op
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Safeguard API", "version": "1",
                     "description": "Case management and decision support for responding to nude and semi-nude image sharing by young people. It never accepts imagery: every write rejects image or video data with 422."],
            "servers": [["url": "/"]],
            "paths": paths,
            "components": ["schemas": limitedSchemas(),
                           "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer",
                                                          "description": "A token from POST /api/v1/tokens or `safeguard tokens create`"]]],
        ]
    }

    /// What a query parameter takes: the values the server accepts, so a client (or a fuzzer) can tell.
    static func querySchema(_ name: String, type: String, path: String) -> [String: Any] {
        switch name {
        case "status": return oneOf([""] + CaseStatus.allCases.map(\.rawValue))   // empty: any status
        case "format" where path.contains("subject-access"): return oneOf(["html", "text", "json"])
        case "format": return oneOf(["html", "text"])
        case "kind" where path.hasSuffix("/records"): return oneOf(RecordKind.allCases.map(\.rawValue))
        case "kind": return oneOf(OrganisationKind.allCases.map(\.rawValue))
        case "page": return ["type": "integer", "minimum": 1, "maximum": 1_000_000]
        case "perPage": return ["type": "integer", "minimum": 1, "maximum": 200]
        case "limit": return ["type": "integer", "minimum": 1, "maximum": 1000]
        case "after": return ["type": "integer", "minimum": 0]
        case "updatedSince": return ["anyOf": [["type": "string", "format": "date"], ["type": "string", "format": "date-time"],
                                               ["type": "string", "maxLength": 0]]]
        default: return ["type": type]
        }
    }

    /// The characters the text guard accepts: no control characters but tab and newline (a carriage return only
    /// before a newline), no text-direction controls.
    static let textPattern = "^(?:[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]|\\r\\n)*$"

    /// The schemas, with each text field of every request (and what requests refer to) given its `maxLength`
    /// from `FieldLimits`: the limit the server applies, stated where clients look for it.
    static func limitedSchemas() -> [String: Any] {
        var all = schemas
        var queue = routes.compactMap(\.request)
        var seen = Set<String>()
        while let name = queue.popLast() {
            guard seen.insert(name).inserted, let schema = all[name] else { continue }
            queue += references(in: schema)
        }
        for name in seen { all[name] = limited(all[name]!, field: nil) }
        return all
    }

    static func references(in schema: Any) -> [String] {
        if let d = schema as? [String: Any] {
            let own = (d["$ref"] as? String).map { [String($0.split(separator: "/").last!)] } ?? []
            return own + d.values.flatMap(references(in:))
        }
        if let a = schema as? [Any] { return a.flatMap(references(in:)) }
        return []
    }

    static func limited(_ schema: Any, field: String?) -> Any {
        if let a = schema as? [Any] { return a.map { limited($0, field: field) } }
        guard var d = schema as? [String: Any] else { return schema }
        let type = d["type"]
        let isString = (type as? String) == "string" || ((type as? [String])?.contains("string") ?? false)
        if isString, let field, d["enum"] == nil, d["format"] == nil, d["const"] == nil {
            d["maxLength"] = FieldLimits.limit(for: field)
            d["pattern"] = textPattern
        }
        if (type as? String) == "object" { d["propertyNames"] = ["pattern": textPattern, "maxLength": FieldLimits.fieldName] }
        if let properties = d["properties"] as? [String: Any] {
            // A property that may be left out may also be null: the server reads both as "not given".
            let required = Set(d["required"] as? [String] ?? [])
            d["properties"] = Dictionary(uniqueKeysWithValues: properties.map { key, value in
                (key, required.contains(key) ? limited(value, field: key) : nullable(limited(value, field: key)))
            })
        }
        for key in ["items", "oneOf", "anyOf", "allOf"] where d[key] != nil { d[key] = limited(d[key]!, field: field) }
        return d
    }

    static func nullable(_ schema: Any) -> Any {
        if let d = schema as? [String: Any], d["$ref"] != nil { return ["anyOf": [d, ["type": "null"]]] }
        guard var d = schema as? [String: Any], let type = d["type"] as? String, d["const"] == nil else { return schema }
        d["type"] = [type, "null"]
        if var values = d["enum"] as? [Any] {
            values.append(NSNull())
            d["enum"] = values
        }
        return d
    }

    static let json: Data = try! JSONSerialization.data(withJSONObject: document(), options: [.sortedKeys, .withoutEscapingSlashes])

    static func handler(req: Request) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(data: json))
    }
}
