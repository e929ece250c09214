import Crypto
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
        /// The role as the organisation's nation names it, for the list `serve --demo` prints.
        public var roleWords: String
        /// For the roles that need two-factor sign-in: the key to add to an authenticator app (base32, grouped),
        /// set up already so that a newcomer can sign in.
        public var twoFactorSecret: String?
    }

    /// A demo account's two-factor key: fixed per email, so it is the same on every run. Demo accounts only.
    static func demoTwoFactorSecret(_ email: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(("safeguard-demo-two-factor\n" + email).utf8)).prefix(20))
    }

    public static let demoPassword = "safeguard-demo-2026"

    static let demoOrganisations: [(String, OrganisationKind, Jurisdiction, [(String, Role)])] = [
        ("Demo Police Force (England)", .police, .england, [
            ("officer", .officer), ("supervisor", .supervisor), ("superintendent", .superintendent),
            ("admin", .admin), ("auditor", .auditor)]),
        ("Demo Police Scotland Division", .police, .scotland, [("officer", .officer), ("admin", .admin)]),
        ("Demo Secondary School (Wales)", .education, .wales, [
            ("staff", .staff), ("dsl", .dsl), ("admin", .admin), ("auditor", .auditor)]),
        ("Demo Grammar School (Northern Ireland)", .education, .northernIreland, [("staff", .staff), ("dsl", .dsl), ("admin", .admin)]),
    ]

    static func demoEmail(_ prefix: String, organisationIndex: Int) -> String {
        let domain = ["england-police", "scotland-police", "wales-school", "ni-school"][organisationIndex]
        return "\(prefix)@\(domain).demo.safeguard.invalid"
    }

    /// Seeds the demo organisations and one user per role, once. Returns every demo account.
    ///
    /// Refused on a database that holds any other organisation: the demo's passwords and two-factor keys are
    /// public (printed in the README), and a demo force would appear to real schools as one they can refer to.
    public static func seedDemo(_ app: Application) async throws -> [DemoAccount] {
        let demoNames = Set(demoOrganisations.map(\.0))
        let others = try await AccountStore(db: app.db).organisations().map(\.name).filter { !demoNames.contains($0) }.sorted()
        if !others.isEmpty {
            throw SafeguardOptions.Invalid(description: "this database holds organisations that are not the demo's ("
                + others.prefix(3).joined(separator: ", ") + (others.count > 3 ? " and \(others.count - 3) more" : "")
                + "). The demo accounts' passwords and two-factor keys are public, so they are never added beside real ones: "
                + "run the demo on a database of its own, e.g. DATABASE_URL=sqlite://./demo/safeguard.sqlite")
        }
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
                        if TwoFactorPolicy.standard.requires(role) {
                            _ = try await store.enableTwoFactor(userID: user.id, secret: Base32.encode(demoTwoFactorSecret(user.email)), step: 0,
                                                                recoveryCodeHashes: [], now: Date(), cipher: app.cipher)
                        }
                        try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: org.id,
                                                               action: "user.create", detail: "user=\(user.id.uuidString.lowercased()) role=\(role.rawValue) demo"), on: db)
                    }
                }
            }
            for (prefix, role) in users {
                let email = demoEmail(prefix, organisationIndex: index)
                let demoKey = Base32.encode(demoTwoFactorSecret(email))
                var key: String?
                if TwoFactorPolicy.standard.requires(role), let user = try await AccountStore(db: app.db).credentials(email: email)?.user {
                    // A demo database from before two-factor sign-in: set the demo key up now.
                    if !user.hasTwoFactor {
                        _ = try await app.write { db in
                            try await AccountStore(db: db).enableTwoFactor(userID: user.id, secret: demoKey, step: 0, recoveryCodeHashes: [], now: Date(), cipher: app.cipher)
                        }
                    }
                    // Printed only while it is still the demo key (not after someone set up their own).
                    if try await AccountStore(db: app.db).twoFactorSecret(userID: user.id, cipher: app.cipher)?.secret == demoKey { key = Base32.grouped(demoKey) }
                }
                accounts.append(DemoAccount(organisation: name, email: email, role: role, roleWords: role.label(in: jurisdiction), twoFactorSecret: key))
            }
        }
        return accounts
    }

    /// Creates an organisation and its first admin.
    public static func setup(_ app: Application, organisation: String, kind: OrganisationKind, jurisdiction: Jurisdiction,
                             adminEmail: String, adminName: String, password: String) async throws -> (Organisation, User) {
        if let problem = PasswordPolicy.problem(with: password, email: adminEmail) { throw StoreError.invalid(field: "password", message: problem) }
        // The names are shown to every organisation (a school picks the force it refers to by name): the text guard's
        // rules hold here as they do for anything sent to the server, so no name prints reversed or carries data.
        for (field, value, limit) in [("organisation", organisation, 120), ("admin-name", adminName, 120), ("admin-email", adminEmail, 254)] {
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { throw StoreError.invalid(field: field, message: "--\(field) is empty: give it") }
            if let refusal = TextGuard.check(value, limit: limit) { throw StoreError.invalid(field: field, message: "--\(field): \(refusal.message)") }
        }
        // The other way round from `seedDemo`: a real organisation is never set up beside the demo's, whose accounts'
        // passwords and two-factor keys are public (found in a review: setup on the demo database went through).
        let demoNames = Set(demoOrganisations.map(\.0))
        if try await AccountStore(db: app.db).organisations().contains(where: { demoNames.contains($0.name) }) {
            throw SafeguardOptions.Invalid(description: "this database holds the demo organisations, whose passwords and two-factor keys "
                + "are public: set up a real organisation on a database of its own (a new DATABASE_URL), never beside the demo")
        }
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

    /// What a case holds about one person, for a subject access request made to someone with the server's command
    /// line: found by organisation and case reference; audited as the system, with the person's ref.
    public static func subjectAccess(_ app: Application, organisation name: String, reference: String, person: String) async throws -> CaseDocument {
        guard let organisation = try await AccountStore(db: app.db).organisation(named: name) else {
            throw StoreError.notFound("organisation named \(name)")
        }
        guard let record = try await CaseStore(db: app.db, cipher: app.cipher).findCase(reference: reference, organisationID: organisation.id) else {
            throw StoreError.notFound("case \(reference) in \(name)")
        }
        let access: SubjectAccess
        do {
            access = try await ResponseController.subjectAccess(app.db, cipher: app.cipher, record, ref: person)
        } catch let unknown as SubjectAccess.UnknownPerson {
            throw StoreError.invalid(field: "person", message: unknown.description)
        }
        _ = try await app.write { db in
            try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: organisation.id,
                                                   action: "case.document.subjectAccess", caseID: record.id, detail: "ref=\(person) via=cli"), on: db)
        }
        return access.document(reference: record.reference, organisation: organisation.name, producedOn: CaseController.today)
    }

    /// Erases every organisation's cases that their retention schedules make due, unless on legal hold (or, with
    /// `dryRun`, lists them): what the server's daily run does. Returns organisation, reference and rule of each.
    public static func runRetention(_ app: Application, dryRun: Bool) async throws -> [(organisation: String, reference: String, rule: String)] {
        try await app.retentionService.run(dryRun: dryRun, by: nil).map { ($0.organisation, $0.reference, $0.rule) }
    }

    /// Creates an API token for a user from the command line (by someone with access to the server), for no more
    /// days than the user's organisation allows (`TokenLifetime`).
    public static func createToken(_ app: Application, email: String, name: String, days: Int) async throws -> (secret: String, token: APIToken) {
        guard let credentials = try await AccountStore(db: app.db).credentials(email: email) else {
            throw StoreError.notFound("user with the email \(email)")
        }
        guard !credentials.user.disabled else { throw StoreError.invalid(field: "email", message: "that account is disabled") }
        if let organisation = try await AccountStore(db: app.db).organisation(id: credentials.user.organisationID),
           days > organisation.tokenLifetime.maxDays {
            throw StoreError.invalid(field: "days", message: TokenLifetime.tooLong(organisation.tokenLifetime.maxDays, of: organisation.name))
        }
        return try await app.write { db in
            let (token, secret) = try await AccountStore(db: db).createToken(userID: credentials.user.id, name: name,
                                                                            expiresAt: Date().addingTimeInterval(TimeInterval(days) * 86_400))
            try await AuditChain.append(AuditEvent(actorID: credentials.user.id, actorRole: "system",
                                                   organisationID: credentials.user.organisationID, action: "token.create",
                                                   detail: "token=\(token.id.uuidString.lowercased()) via=cli"), on: db)
            return (secret, token)
        }
    }

    /// A user's API tokens still in use, oldest first: for `safeguard tokens list`, so that a lost laptop's token can
    /// be revoked by its id without disabling the account.
    public static func tokens(_ app: Application, email: String) async throws -> [APIToken] {
        guard let credentials = try await AccountStore(db: app.db).credentials(email: email) else {
            throw StoreError.notFound("user with the email \(email)")
        }
        let store = AccountStore(db: app.db)
        let lifetime = try await store.organisation(id: credentials.user.organisationID)?.tokenLifetime ?? .standard
        return lifetime.inForce(try await store.tokens(userID: credentials.user.id), at: Date())
    }

    public static func revokeToken(_ app: Application, id: UUID) async throws -> APIToken {
        defer { app.identityCache.removeAll() }
        return try await app.write { db in
            let token = try await AccountStore(db: db).revokeToken(id: id, now: Date())
            let user = try await AccountStore(db: db).user(id: token.userID)
            try await AuditChain.append(AuditEvent(actorID: user?.id, actorRole: "system", organisationID: user?.organisationID,
                                                   action: "token.revoke", detail: "token=\(id.uuidString.lowercased()) via=cli"), on: db)
            return token
        }
    }

    /// A role as the organisation's nation names it, for the command line's lists: "Designated safeguarding person (DSP)".
    public static func words(for role: Role, in jurisdiction: Jurisdiction) -> String { role.label(in: jurisdiction) }

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
        defer { app.identityCache.removeAll() }
        return try await app.write { db in
            let user = try await AccountStore(db: db).updateUser(id: credentials.user.id, role: nil, disabled: disabled,
                                                                 displayName: nil, passwordHash: nil)
            try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: user.organisationID,
                                                   action: "user.update", detail: "user=\(user.id.uuidString.lowercased()) disabled=\(disabled) via=cli"), on: db)
            return user
        }
    }

    /// A one-time password reset link for the user with this email, valid for an hour: its path on the server, when
    /// it runs out, and the person's name. Audited as made from the command line.
    public static func passwordResetLink(_ app: Application, email: String) async throws -> (path: String, code: String, codePath: String,
                                                                                           expiresAt: Date, name: String) {
        guard let credentials = try await AccountStore(db: app.db).credentials(email: email) else {
            throw StoreError.notFound("user with the email \(email)")
        }
        do {
            let (reset, secret, user) = try await app.accountService.createResetLink(for: credentials.user.id, by: nil)
            return (PageRoute.passwordReset(.value(secret)).path, secret, PageRoute.passwordResetCode.path, reset.expiresAt, user.displayName)
        } catch let error as APIError {
            throw StoreError.invalid(field: "email", message: error.message)
        }
    }

    public static func verifyAudit(_ app: Application) async throws -> AuditChain.Verification {
        try await AuditChain.verify(on: app.db, reader: app.sqliteReader)
    }

    /// Whether the trail is sealed with a key (`safeguard audit verify` says so).
    public static var auditIsSealed: Bool { AuditSeal.current != nil }

    /// Seals a trail written before an audit key was configured, once it verifies; the number of entries sealed.
    public static func sealAudit(_ app: Application) async throws -> Int {
        let sealed = try await AuditChain.seal(on: app.db)
        try await app.auditWriter.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "audit.seal",
                                                    outcome: "ok", detail: "entries=\(sealed)"))
        return sealed
    }

    /// `safeguard keys rotate`: a new data key (and optionally master key) with everything sealed again under it,
    /// audited. See `FreeTextCipher.rotate`.
    public static func rotateKeys(_ app: Application, newMaster: MasterKey?, settle: TimeInterval,
                                  progress: @escaping @Sendable (String) -> Void) async throws -> DataKeyRotation {
        let rotation = try await app.cipher.rotate(on: app.db, newMaster: newMaster, settle: settle, progress: progress)
        try await app.auditWriter.append(AuditEvent(
            actorID: nil, actorRole: "system", organisationID: nil, action: "keys.rotate", outcome: "ok",
            detail: "active=\(rotation.active) retired=\(rotation.retired.joined(separator: ",")) resealed=\(rotation.resealed) master=\(rotation.master)"))
        return rotation
    }

    /// Refuses to start when an audit key is configured but the trail's head is not sealed with it: the key is new
    /// (run `safeguard audit seal`), lost, or not this trail's. Reads the head alone; `audit verify` checks the rest.
    public static func checkAuditSeal(_ app: Application, seal: AuditSeal? = AuditSeal.current) async throws {
        switch try await AuditChain.sealState(on: app.db, seal: seal) {
        case .noKey, .sealed: return
        case .keyMissing:
            throw AuditChainError(description: "the audit trail is sealed but no audit key is set: start with "
                + "SAFEGUARD_AUDIT_KEY_FILE (or SAFEGUARD_AUDIT_KEY) as before. Without it, the server could not write the trail.")
        case .unsealed:
            throw AuditChainError(description: "an audit key is configured but the audit trail has entries it does not seal. "
                + "If the key is new, check the trail with `safeguard audit verify` and seal it with `safeguard audit seal`.")
        case .mismatched:
            throw AuditChainError(description: "the audit trail's seal does not match this audit key: start with the key the "
                + "trail was sealed with (a lost key cannot be recovered), and check the trail with `safeguard audit verify`.")
        }
    }
}

// MARK: Demo data and backups

extension SafeguardServer {
    /// Adds `count` synthetic cases, spread over the demo organisations that keep cases (seeding those first if
    /// they are missing): varied ages, roles and circumstances, each assessed by the bundled guidance, with no
    /// names or free text beyond a stock summary. For load tests and first looks; never on a real server.
    /// The same `seed` gives the same cases.
    @discardableResult
    public static func seedDemoCases(_ app: Application, count: Int, seed: UInt64 = 2026,
                                     progress: @Sendable (Int) -> Void = { _ in }) async throws -> Int {
        _ = try await seedDemo(app)
        let store = AccountStore(db: app.db)
        var targets: [(Organisation, User)] = []
        for (index, (name, kind, _, _)) in demoOrganisations.enumerated() {
            guard let org = try await store.organisation(named: name) else { continue }
            let lead = kind == .police ? "officer" : "dsl"
            guard let user = try await store.credentials(email: demoEmail(lead, organisationIndex: index))?.user else { continue }
            targets.append((org, user))
        }
        guard !targets.isEmpty else { throw StoreError.notFound("demo organisation") }
        var random = SplitMix64(seed: seed)
        let now = Date()
        var made = 0
        var batch = 0
        // Each organisation's share, in batches of at most 2,000 taken in turn: 40 cases are 10 each for four
        // organisations (a review found all 40 at the first, the batches being 2,000 whatever the count).
        let share = (count + targets.count - 1) / targets.count
        while made < count {
            let batchSize = min(2_000, share, count - made)
            // Round-robin over the organisations, a batch per organisation per transaction.
            let (org, user) = targets[batch % targets.count]
            batch += 1
            guard let setting = org.kind.setting else { continue }
            var drafts: [CaseStore.Draft] = []
            drafts.reserveCapacity(batchSize)
            for _ in 0..<batchSize {
                let facts = DemoFacts.make(&random, jurisdiction: org.jurisdiction, setting: setting)
                let createdAt = now.addingTimeInterval(-Double(random.next() % (365 * 24 * 3600)))
                let assessment = GuidanceLibrary.bundled.assess(facts, today: CalendarDate(utcDayOf: createdAt))
                drafts.append(.init(summary: DemoFacts.summaries[Int(random.next() % UInt64(DemoFacts.summaries.count))],
                                    facts: facts, assessment: assessment, createdAt: createdAt))
            }
            let drafted = drafts
            try await app.write { db in
                try await CaseStore(db: db, cipher: app.cipher).importCases(drafted, organisationID: org.id, createdBy: user.id,
                                                        chronologyKind: "case.created", chronologySummary: "Case opened (demo data)",
                                                        mustActionDays: org.workPolicy.mustActionDays)
                try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: org.id,
                                                       action: "case.import", detail: "count=\(drafted.count) demo"), on: db)
            }
            made += batchSize
            progress(made)
        }
        return made
    }

    /// Appends `count` synthetic system entries to the audit trail, in batches, for measuring `audit verify`.
    public static func seedAuditEntries(_ app: Application, count: Int) async throws {
        var written = 0
        while written < count {
            let batch = (0..<min(5_000, count - written)).map { i in
                AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "demo.audit",
                           detail: "n=\(written + i)")
            }
            _ = try await app.write { db in try await AuditChain.append(batch, on: db) }
            written += batch.count
        }
    }

    /// Copies the SQLite database to `path` as one consistent snapshot, while the server may be running
    /// (`VACUUM INTO`). PostgreSQL is backed up with its own tools (`pg_dump`).
    public static func backup(_ app: Application, to path: String) async throws {
        try await SafeguardSchema.backupSQLite(app.db, to: path)
    }
}

/// A small deterministic random generator, so that demo data is the same for the same seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Synthetic case facts: two or three young people, an image, sometimes aggravating features, sometimes unknowns.
enum DemoFacts {
    static let summaries = [
        "Image shared between two pupils", "Image sent on request, then forwarded", "Report from a parent about an image",
        "Image shared in a group chat", "Concern raised by a teacher", "Image posted to a social media account",
    ]

    static func make(_ random: inout SplitMix64, jurisdiction: Jurisdiction, setting: Setting) -> CaseFacts {
        // True about once in `oneIn`, unknown about a third of the time, false otherwise.
        func flag(_ oneIn: UInt64) -> Tri {
            let r = random.next() % (oneIn * 3)
            return r < 3 ? .true : (r < oneIn * 2 ? .false : .unknown)
        }
        let peopleCount = 2 + Int(random.next() % 2)
        var people: [Person] = []
        for index in 0..<peopleCount {
            let ref = String(UnicodeScalar(UInt8(65 + index)))
            let age: Int? = random.next() % 8 == 0 ? nil : 12 + Int(random.next() % 6)
            let roles: [PersonRole] = index == 0 ? [.depicted, .creator, .sender] : (index == 1 ? [.recipient] : [.sharer])
            people.append(Person(ref: ref, age: age, roles: roles, selfHarmRisk: flag(12), immediateDanger: flag(30)))
        }
        let image = Imagery(ref: "I1", kind: .image, depicts: ["A"], sexualActs: flag(6),
                            sharedWithoutPermission: flag(4), platforms: [.snapchat])
        var circumstances = Circumstances()
        circumstances.coercion = flag(8)
        circumstances.willing = !flag(2)
        circumstances.ageAppropriate = !flag(3)
        return CaseFacts(jurisdiction: jurisdiction, setting: setting, people: people, imagery: [image],
                         circumstances: circumstances, devices: [])
    }
}
