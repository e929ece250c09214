import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238, with HMAC-SHA1, 6 digits and 30-second steps: what every
/// authenticator app reads from an `otpauth://` link), for two-factor sign-in and step-up.
///
/// A code is accepted for the current step and one step either side (phone clocks drift), and never twice:
/// the caller stores the step a code matched and passes it back as `after`, so only later steps count.
///
/// ```swift
/// let totp = TOTP(secret: TOTP.newSecret())
/// let code = totp.code(at: Date())                                 // "492039"
/// let step = totp.match(code, at: Date(), after: lastUsedStep)     // the step, or nil
/// ```
struct TOTP: Sendable {
    let secret: [UInt8]
    static let period: TimeInterval = 30
    static let digits = 6

    /// 20 random bytes (160 bits, the length RFC 4226 recommends for SHA-1).
    static func newSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func step(at date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / period).rounded(.down)) }

    /// The code for a step, zero-padded.
    func code(step: Int64) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let value = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let code = String(value % 1_000_000)
        return String(repeating: "0", count: Self.digits - code.count) + code
    }

    func code(at date: Date) -> String { code(step: Self.step(at: date)) }

    /// The step a typed code matches (the current one or one either side), if later than `after`. Spaces and
    /// dashes people type are ignored; the comparison does not stop at the first different digit.
    func match(_ typed: String, at date: Date, after: Int64?) -> Int64? {
        let digits = typed.filter { !$0.isWhitespace && $0 != "-" }
        guard digits.count == Self.digits, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        let now = Self.step(at: date)
        var found: Int64?
        for step in (now - 1)...(now + 1) where constantTimeEqual(code(step: step), digits) {
            found = step
        }
        guard let found, found > (after ?? Int64.min) else { return nil }
        return found
    }

    /// The link an authenticator app reads, from the QR code or typed in.
    func uri(account: String, issuer: String = "Safeguard") -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let label = (issuer + ":" + account).addingPercentEncoding(withAllowedCharacters: allowed) ?? issuer
        let issuerParameter = issuer.addingPercentEncoding(withAllowedCharacters: allowed) ?? issuer
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(issuerParameter)&algorithm=SHA1&digits=\(Self.digits)&period=\(Int(Self.period))"
    }
}

/// RFC 4648 base32 without padding: how authenticator apps take a secret typed by hand.
///
/// ```swift
/// Base32.encode([0x48, 0x69])          // "JBUQ"
/// Base32.decode("jbuq")                // [0x48, 0x69]  (case, spaces and padding ignored)
/// ```
enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    static func encode(_ bytes: [UInt8]) -> String {
        var out = ""
        var buffer = 0, bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return out
    }

    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        for character in text.uppercased() where character != "=" && !character.isWhitespace && character != "-" {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = ((buffer << 5) | value) & 0xFFFF
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return out
    }

    /// A secret in groups of four, as people copy it: "JBSW Y3DP EHPK 3PXP".
    static func grouped(_ text: String) -> String {
        stride(from: 0, to: text.count, by: 4).map { i in
            String(text.dropFirst(i).prefix(4))
        }.joined(separator: " ")
    }
}
