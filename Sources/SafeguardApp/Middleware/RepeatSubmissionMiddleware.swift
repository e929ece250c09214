import Crypto
import Foundation
import SafeguardPersistence
import Vapor

/// Creates that are sent twice are done once (issue 11). People under pressure double-click, go Back and submit
/// again, or lose the connection and retry; each of those created a second case.
///
/// - **Pages:** a create form (a new case or concern, a record, a device, a proposal, a referral, a new user) sent
///   again by the same person with the same content within ten minutes is not done again: they are taken to what
///   the first one made, with a notice saying so. Only a create that succeeded counts, so a form refused for a
///   mistake can be corrected and sent again.
/// - **API:** a `POST` with an `Idempotency-Key` header (1–200 printable characters) sent again with the same key
///   within 24 hours gets the first answer again, with `Idempotent-Replayed: true`; the same key with a different
///   body is refused (422), and one still being answered gets 409.
///
/// ```text
/// POST /api/v1/cases   Idempotency-Key: 7f1c…   → 201 (the case)
/// POST /api/v1/cases   Idempotency-Key: 7f1c…   → 201 (the same case, Idempotent-Replayed: true)
/// ```
struct RepeatSubmissionMiddleware: AsyncMiddleware {
    static let pageWindow: TimeInterval = 10 * 60
    static let apiWindow: TimeInterval = 24 * 60 * 60

    /// The page forms that create something.
    static let pageCreates: Set<String> = Set([
        PageRoute.newCase, .caseRecordForm(.key, .key), .caseNewDevice(.key), .caseProposeOutcome21(.key),
        .caseProposeReturn(.key, .key), .caseReferral(.key), .newUser,
    ].map { $0.pathComponents.map(\.description).joined(separator: "/") })

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.method == .POST, let identity = request.identity else { return try await next.respond(to: request) }
        let isAPI = request.isForAPI
        let key: String, window: TimeInterval, hash: String
        let body = try await Self.body(of: request)
        if isAPI {
            guard let presented = request.headers.first(name: "Idempotency-Key") else { return try await next.respond(to: request) }
            guard (1...200).contains(presented.count), presented.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0.asciiValue! >= 33 }) else {
                throw APIError.invalid("Idempotency-Key", "send an Idempotency-Key of 1 to 200 printable characters without spaces, e.g. a UUID")
            }
            key = "api:" + Self.digest(request.url.path + "\n" + presented)
            hash = Self.digest(Self.canonical(body))
            window = Self.apiWindow
        } else {
            guard let route = request.route?.path.map(\.description).joined(separator: "/"), Self.pageCreates.contains(route) else {
                return try await next.respond(to: request)
            }
            // The same form with the same content: everything but the form token, in a fixed order.
            let fields = body.split(separator: "&").filter { !$0.hasPrefix("_csrf=") }.sorted().joined(separator: "&")
            key = "page:" + Self.digest(request.url.path + "\n" + fields)
            hash = key
            window = Self.pageWindow
        }
        let userID = identity.user.id
        let now = Date()
        let earlier: Submission?
        do {
            earlier = try await request.write { db in
                try await SubmissionStore(db: db, cipher: request.cipher).claim(userID: userID, key: key, requestHash: hash, now: now, window: window)
            }
        } catch {
            // Another server process claimed the key between our read and our insert.
            guard let other = try await SubmissionStore(db: request.db, cipher: request.cipher).submission(userID: userID, key: key) else { throw error }
            earlier = other
        }
        if let earlier { return try await replay(earlier, to: request, isAPI: isAPI, hash: hash) }

        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            try? await request.write { db in try await SubmissionStore(db: db, cipher: request.cipher).release(userID: userID, key: key) }
            throw error
        }
        if (200..<400).contains(Int(response.status.code)) {
            let location = response.headers.first(name: .location)
            let contentType = isAPI ? response.headers.first(name: .contentType) : nil
            let text = isAPI ? response.body.string : nil
            try await request.write { db in
                try await SubmissionStore(db: db, cipher: request.cipher).answer(userID: userID, key: key, status: Int(response.status.code), location: location,
                                                         contentType: contentType, body: text)
            }
        } else {
            try await request.write { db in try await SubmissionStore(db: db, cipher: request.cipher).release(userID: userID, key: key) }
        }
        return response
    }

    func replay(_ earlier: Submission, to request: Request, isAPI: Bool, hash: String) async throws -> Response {
        try await request.auditAlone("submission.repeat", detail: isAPI ? "via=api" : "via=page")
        guard let status = earlier.status else {
            throw APIError(.conflict, "still_processing", "the same submission is still being saved: wait a moment, then reload")
        }
        if isAPI {
            guard earlier.requestHash == hash else {
                throw APIError.invalid("Idempotency-Key", "this Idempotency-Key was used for a different request: use a new key for a new request")
            }
            let response = Response(status: HTTPResponseStatus(statusCode: status))
            if let contentType = earlier.contentType { response.headers.replaceOrAdd(name: .contentType, value: contentType) }
            if let location = earlier.location { response.headers.replaceOrAdd(name: .location, value: location) }
            response.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true")
            response.body = .init(string: earlier.body ?? "")
            return response
        }
        let when = PageWords.time(earlier.createdAt)
        request.flash("This was sent already at \(when), so it was not saved a second time. Here is what it made.")
        return request.redirect(to: earlier.location ?? PageRoute.home.path, redirectType: .normal)
    }

    static func body(of request: Request) async throws -> String {
        if let buffer = request.body.data { return String(buffer: buffer) }
        guard let collected = try await request.body.collect(max: request.application.safeguardOptions.maxBodyBytes).get() else { return "" }
        return String(buffer: collected)
    }

    /// JSON with its keys in order, so a retry that writes the same object differently is still the same request.
    static func canonical(_ body: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed]) else { return body }
        return String(decoding: data, as: UTF8.self)
    }

    static func digest(_ text: String) -> String {
        HexDigest.sha256(text)
    }
}
