import Crypto
import Foundation
import SafeguardPersistence
import Vapor

/// A browser that has signed in as someone before, so that a locked address does not lock them out.
///
/// Twenty failed sign-ins from one address lock it for fifteen minutes, against someone trying passwords across many
/// accounts. Behind one address (a school's network, a force's) that let a pupil lock out the DSL. A browser that
/// completed a sign-in gets a cookie naming that person, signed with a key derived from the master key; while its
/// address is locked, that browser may still sign in as that person (the per-email back-off still applies). Someone
/// else at the address, without the cookie, is refused as before, cheaply, before any password is checked (the
/// "device cookie" of OWASP's guidance on blocking brute force).
///
/// ```swift
/// KnownDevice.remember(user.id, on: response, for: request)
/// KnownDevice.isKnown(request, as: user.id)   // true from then on, in that browser
/// ```
enum KnownDevice {
    static let cookieName = "safeguard-device"
    static let lifetime = 180 * 24 * 3600

    static func key(_ request: Request) -> SymmetricKey { request.cipher.master.derivedKey(purpose: "safeguard known device") }

    static func value(_ userID: UUID, key: SymmetricKey) -> String {
        let id = userID.uuidString.lowercased()
        let mac = HMAC<SHA256>.authenticationCode(for: Data(id.utf8), using: key)
        return id + "." + Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// Whether this request comes from a browser that signed in as `userID`.
    static func isKnown(_ request: Request, as userID: UUID) -> Bool {
        guard let cookie = request.cookies[cookieName]?.string else { return false }
        let expected = value(userID, key: key(request))
        // Compared in constant time: the cookie is the caller's to choose.
        return cookie.utf8.count == expected.utf8.count && zip(cookie.utf8, expected.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func remember(_ userID: UUID, on response: Response, for request: Request) {
        response.cookies[cookieName] = HTTPCookies.Value(string: value(userID, key: key(request)), expires: nil, maxAge: lifetime, domain: nil,
                                                         path: "/", isSecure: request.application.cookiesAreSecure, isHTTPOnly: true, sameSite: .strict)
    }
}
