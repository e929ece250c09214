import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// What the command line needs from the server: building the app, seeding, setting up, tokens, audit checks.
public enum SafeguardServer {
    /// An application configured from `options` (migrations run unless `options.migrateOnStart` is false).
    public static func makeApplication(options: SafeguardOptions, arguments: [String] = ["safeguard"],
                                       assessor: Assessor = .bundled) async throws -> Application {
        let env = Environment(name: Environment.get("SAFEGUARD_ENV") ?? "production", arguments: arguments)
        let app = try await Application.make(env)
        do {
            try await configure(app, options: options, assessor: assessor)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        return app
    }

    public struct DemoAccount: Sendable {
        public var organisation: String
        public var email: String
        public var role: Role
    }

    public static let demoPassword = "safeguard-demo-2026"

    static let demoOrganisations: [(String, OrganisationKind, Jurisdiction, [(String, Role)])] = [
        ("Demo Police Force (England)", .police, .england, [
            ("officer", .officer), ("supervisor", .supervisor), ("superintendent", .superintendent),
            ("admin", .admin), ("auditor", .auditor)]),
        ("Demo Police Scotland Division", .police, .scotland, [("officer", .officer), ("admin", .admin)]),
        ("Demo Secondary School (Wales)", .education, .wales, [
            ("staff", .staff), ("dsl", .dsl), ("admin", .admin), ("auditor", .auditor)]),
    ]

    static func demoEmail(_ prefix: String, organisationIndex: Int) -> String {
        let domain = ["england-police", "scotland-police", "wales-school"][organisationIndex]
        return "\(prefix)@\(domain).demo.safeguard.invalid"
    }

    /// Seeds the demo organisations and one user per role, once. Returns every demo account.
    public static func seedDemo(_ app: Application) async throws -> [DemoAccount] {
        var accounts: [DemoAccount] = []
        let hash = try await app.password.async.hash(demoPassword).get()
        for (index, (name, kind, jurisdiction, users)) in demoOrganisations.enumerated() {
            let existing = try await AccountStore(db: app.db).organisation(named: name)
            if existing == nil {
                try await app.write { db in
                    let store = AccountStore(db: db)
                    let org = try await store.createOrganisation(name: name, kind: kind, jurisdiction: jurisdiction)
                    try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: org.id,
                                                           action: "organisation.create", detail: "demo"), on: db)
                    for (prefix, role) in users {
                        let user = try await store.createUser(organisationID: org.id, email: demoEmail(prefix, organisationIndex: index),
                                                              displayName: "Demo \(role.rawValue)", role: role, passwordHash: hash)
                        try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: org.id,
                                                               action: "user.create", detail: "user=\(user.id.uuidString.lowercased()) role=\(role.rawValue) demo"), on: db)
                    }
                }
            }
            accounts += users.map { DemoAccount(organisation: name, email: demoEmail($0.0, organisationIndex: index), role: $0.1) }
        }
        return accounts
    }

    /// Creates an organisation and its first admin.
    public static func setup(_ app: Application, organisation: String, kind: OrganisationKind, jurisdiction: Jurisdiction,
                             adminEmail: String, adminName: String, password: String) async throws -> (Organisation, User) {
        guard password.count >= 12 else { throw StoreError.invalid(field: "password", message: "use a password of at least 12 characters") }
        let hash = try await app.password.async.hash(password).get()
        return try await app.write { db in
            let store = AccountStore(db: db)
            let org = try await store.createOrganisation(name: organisation, kind: kind, jurisdiction: jurisdiction)
            let user = try await store.createUser(organisationID: org.id, email: adminEmail, displayName: adminName,
                                                  role: .admin, passwordHash: hash)
            try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: org.id,
                                                   action: "organisation.create", detail: "setup"), on: db)
            try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: org.id,
                                                   action: "user.create", detail: "user=\(user.id.uuidString.lowercased()) role=admin"), on: db)
            return (org, user)
        }
    }

    /// Creates an API token for a user from the command line (by someone with access to the server).
    public static func createToken(_ app: Application, email: String, name: String, days: Int) async throws -> (secret: String, token: APIToken) {
        guard let credentials = try await AccountStore(db: app.db).credentials(email: email) else {
            throw StoreError.notFound("user with the email \(email)")
        }
        guard !credentials.user.disabled else { throw StoreError.invalid(field: "email", message: "that account is disabled") }
        return try await app.write { db in
            let (token, secret) = try await AccountStore(db: db).createToken(userID: credentials.user.id, name: name,
                                                                            expiresAt: Date().addingTimeInterval(TimeInterval(days) * 86_400))
            try await AuditChain.append(AuditEvent(actorID: credentials.user.id, actorRole: "system",
                                                   organisationID: credentials.user.organisationID, action: "token.create",
                                                   detail: "token=\(token.id.uuidString.lowercased()) via=cli"), on: db)
            return (secret, token)
        }
    }

    public static func revokeToken(_ app: Application, id: UUID) async throws -> APIToken {
        try await app.write { db in
            let token = try await AccountStore(db: db).revokeToken(id: id, now: Date())
            let user = try await AccountStore(db: db).user(id: token.userID)
            try await AuditChain.append(AuditEvent(actorID: user?.id, actorRole: "system", organisationID: user?.organisationID,
                                                   action: "token.revoke", detail: "token=\(id.uuidString.lowercased()) via=cli"), on: db)
            return token
        }
    }

    public static func users(_ app: Application) async throws -> [(Organisation, [User])] {
        let store = AccountStore(db: app.db)
        var result: [(Organisation, [User])] = []
        for org in try await store.organisations() { result.append((org, try await store.users(organisationID: org.id))) }
        return result
    }

    public static func setDisabled(_ app: Application, email: String, disabled: Bool) async throws -> User {
        guard let credentials = try await AccountStore(db: app.db).credentials(email: email) else {
            throw StoreError.notFound("user with the email \(email)")
        }
        return try await app.write { db in
            let user = try await AccountStore(db: db).updateUser(id: credentials.user.id, role: nil, disabled: disabled,
                                                                 displayName: nil, passwordHash: nil)
            try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: user.organisationID,
                                                   action: "user.update", detail: "user=\(user.id.uuidString.lowercased()) disabled=\(disabled) via=cli"), on: db)
            return user
        }
    }

    public static func verifyAudit(_ app: Application) async throws -> AuditChain.Verification {
        try await AuditChain.verify(on: app.db)
    }
}
