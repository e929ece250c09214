import FluentKit
import Foundation

// Fluent models: internal to this module. They are classes Fluent mutates in place, so they are
// `@unchecked Sendable` and never leave a single task; everything outside sees the value types of Values.swift.

final class OrganisationModel: Model, @unchecked Sendable {
    static let schema = "organisations"
    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Field(key: "kind") var kind: String
    @Field(key: "jurisdiction") var jurisdiction: String
    @Field(key: "next_case_number") var nextCaseNumber: Int
    @Field(key: "session_idle_minutes") var sessionIdleMinutes: Int
    @Field(key: "session_lifetime_hours") var sessionLifetimeHours: Int
    @Field(key: "two_factor_roles") var twoFactorRoles: String
    @Field(key: "step_up_case_age_days") var stepUpCaseAgeDays: Int
    @Field(key: "retention_police_group") var retentionPoliceGroup: Int
    @Field(key: "retention_school_age") var retentionSchoolAge: Int
    @OptionalField(key: "retention_school_years") var retentionSchoolYears: Int?
    @Field(key: "quiet_case_days") var quietCaseDays: Int
    @Field(key: "must_action_days") var mustActionDays: Int
    @Field(key: "api_token_max_days") var apiTokenMaxDays: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    init() {}
}

final class UserModel: Model, @unchecked Sendable {
    static let schema = "users"
    @ID(key: .id) var id: UUID?
    @Field(key: "organisation_id") var organisationID: UUID
    @Field(key: "email") var email: String
    @Field(key: "display_name") var displayName: String
    @Field(key: "role") var role: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "disabled") var disabled: Bool
    @Field(key: "failed_sign_ins") var failedSignIns: Int
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @OptionalField(key: "totp_secret") var totpSecret: String?
    @OptionalField(key: "totp_enabled_at") var totpEnabledAt: Date?
    @OptionalField(key: "totp_last_step") var totpLastStep: Int64?
    @OptionalField(key: "rank") var rank: String?
    @OptionalField(key: "collar_number") var collarNumber: String?
    @OptionalField(key: "team") var team: String?
    init() {}
}

final class RecoveryCodeModel: Model, @unchecked Sendable {
    static let schema = "recovery_codes"
    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "code_hash") var codeHash: String
    @OptionalField(key: "used_at") var usedAt: Date?
    init() {}
}

final class SignInThrottleModel: Model, @unchecked Sendable {
    static let schema = "sign_in_throttles"
    @ID(key: .id) var id: UUID?
    @Field(key: "key") var key: String
    @Field(key: "failures") var failures: Int
    @Field(key: "window_started") var windowStarted: Date
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    init() {}
}

final class TokenModel: Model, @unchecked Sendable {
    static let schema = "api_tokens"
    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "name") var name: String
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    init() {}
}

final class WebSessionModel: Model, @unchecked Sendable {
    static let schema = "web_sessions"
    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "signed_in_at") var signedInAt: Date
    @Field(key: "last_seen_at") var lastSeenAt: Date
    @OptionalField(key: "ended_at") var endedAt: Date?
    @OptionalField(key: "ended_reason") var endedReason: String?
    @Field(key: "address") var address: String
    @Field(key: "browser") var browser: String
    @OptionalField(key: "second_factor_at") var secondFactorAt: Date?
    init() {}
}

final class PasswordResetModel: Model, @unchecked Sendable {
    static let schema = "password_resets"
    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "token_hash") var tokenHash: String
    @OptionalField(key: "created_by") var createdBy: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    init() {}
}

final class SubmissionModel: Model, @unchecked Sendable {
    static let schema = "submissions"
    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "key") var key: String
    @Field(key: "request_hash") var requestHash: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "status") var status: Int?
    @OptionalField(key: "location") var location: String?
    @OptionalField(key: "content_type") var contentType: String?
    @OptionalField(key: "body") var body: String?
    init() {}
}

final class CaseModel: Model, @unchecked Sendable {
    static let schema = "cases"
    @ID(key: .id) var id: UUID?
    @Field(key: "organisation_id") var organisationID: UUID
    @Field(key: "reference") var reference: String
    @Field(key: "status") var status: String
    @Field(key: "summary") var summary: String
    @Field(key: "facts_json") var factsJSON: String
    @Field(key: "version") var version: Int
    @Field(key: "created_by") var createdBy: UUID
    @OptionalField(key: "owner_id") var ownerID: UUID?
    @OptionalField(key: "merged_into_id") var mergedIntoID: UUID?
    @Field(key: "open_actions") var openActions: Int
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}

final class ActionModel: Model, @unchecked Sendable {
    static let schema = "case_actions"
    @ID(key: .id) var id: UUID?
    @Field(key: "case_id") var caseID: UUID
    @Field(key: "recommendation_id") var recommendationID: String
    @Field(key: "severity") var severity: String
    @Field(key: "text") var text: String
    @Field(key: "status") var status: String
    @OptionalField(key: "reason") var reason: String?
    @Field(key: "recommended") var recommended: Bool
    @OptionalField(key: "completed_by") var completedBy: UUID?
    @OptionalField(key: "completed_at") var completedAt: Date?
    @OptionalField(key: "due_on") var dueOn: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    init() {}
}

final class NoteModel: Model, @unchecked Sendable {
    static let schema = "case_notes"
    @ID(key: .id) var id: UUID?
    @Field(key: "case_id") var caseID: UUID
    @Field(key: "sequence") var sequence: Int
    @Field(key: "author_id") var authorID: UUID
    @Field(key: "text") var text: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    init() {}
}

final class AssessmentModel: Model, @unchecked Sendable {
    static let schema = "case_assessments"
    @ID(key: .id) var id: UUID?
    @Field(key: "case_id") var caseID: UUID
    @Field(key: "case_version") var caseVersion: Int
    @Field(key: "editions") var editions: String
    @Field(key: "assessment_json") var assessmentJSON: String
    @Field(key: "created_by") var createdBy: UUID
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    init() {}
}

final class AuditEntryModel: Model, @unchecked Sendable {
    static let schema = "audit_entries"
    @ID(key: .id) var id: UUID?
    @Field(key: "sequence") var sequence: Int
    @Field(key: "at") var at: String
    @Field(key: "actor_id") var actorID: String
    @Field(key: "actor_role") var actorRole: String
    @Field(key: "organisation_id") var organisationID: String
    @Field(key: "action") var action: String
    @Field(key: "case_id") var caseID: String
    @Field(key: "outcome") var outcome: String
    @Field(key: "detail") var detail: String
    @Field(key: "previous_hash") var previousHash: String
    @Field(key: "hash") var hash: String
    init() {}
}
