import Fluent
import Foundation
import SafeguardPersistence
import Vapor

struct TokenCreateRequest: Content {
    var email: String
    var password: String
    var name: String?
    var expiresInDays: Int?
}

struct TokenDTO: Content {
    var id: UUID
    var name: String
    var expiresAt: Date
    var revokedAt: Date?
    var createdAt: Date?
    init(_ t: APIToken) {
        id = t.id; name = t.name; expiresAt = t.expiresAt; revokedAt = t.revokedAt; createdAt = t.createdAt
    }
}

struct TokenCreatedDTO: Content {
    /// The secret: shown once, stored only as a SHA-256 hash.
    var token: String
    var id: UUID
    var name: String
    var expiresAt: Date
}

struct OrganisationDTO: Content {
    var id: UUID
    var name: String
    var kind: OrganisationKind
    var jurisdiction: String
    init(_ o: Organisation) { id = o.id; name = o.name; kind = o.kind; jurisdiction = o.jurisdiction.rawValue }
}

struct UserDTO: Content {
    var id: UUID
    var email: String
    var displayName: String
    var role: Role
    var disabled: Bool
    var organisationID: UUID
    init(_ u: User) {
        id = u.id; email = u.email; displayName = u.displayName; role = u.role; disabled = u.disabled
        organisationID = u.organisationID
    }
}

struct MeDTO: Content {
    var user: UserDTO
    var organisation: OrganisationDTO
}

struct UserCreateRequest: Content {
    var email: String
    var displayName: String
    var role: Role
    var password: String
}

struct UserUpdateRequest: Content {
    var displayName: String?
    var role: Role?
    var disabled: Bool?
    var password: String?
}

struct AuditEntryDTO: Content {
    var sequence: Int
    var at: String
    var actorID: String
    var actorRole: String
    var organisationID: String
    var action: String
    var caseID: String
    var outcome: String
    var detail: String
    var previousHash: String
    var hash: String
    init(_ e: AuditEntry) {
        sequence = e.sequence; at = e.at; actorID = e.actorID; actorRole = e.actorRole; organisationID = e.organisationID
        action = e.action; caseID = e.caseID; outcome = e.outcome; detail = e.detail; previousHash = e.previousHash; hash = e.hash
    }
}

struct AuditPageDTO: Content {
    var entries: [AuditEntryDTO]
}

struct AuditVerifyDTO: Content {
    var valid: Bool
    var entriesChecked: Int
    var firstBadSequence: Int?
    var problem: String?
}
