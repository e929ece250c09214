import Foundation
@testable import SafeguardApp
import Testing

/// RFC 6238 (TOTP) and RFC 4648 (base32), with the clock injected as a date.
@Suite struct TOTPTests {
    /// RFC 6238 appendix B's SHA-1 secret ("12345678901234567890"); its 8-digit codes end in these 6 digits.
    let rfc = TOTP(secret: Array("12345678901234567890".utf8))

    @Test func theRFC6238TestVectorsGiveTheirCodes() {
        let vectors: [(TimeInterval, String)] = [(59, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"),
                                                 (1_234_567_890, "005924"), (2_000_000_000, "279037"), (20_000_000_000, "353130")]
        for (time, code) in vectors {
            #expect(rfc.code(at: Date(timeIntervalSince1970: time)) == code, "T=\(time)")
        }
    }

    @Test func aCodeIsAcceptedOneStepEitherSideAndNoFurther() {
        let now = Date(timeIntervalSince1970: 1_234_567_890)
        let step = TOTP.step(at: now)
        #expect(rfc.match(rfc.code(at: now), at: now, after: nil) == step)
        #expect(rfc.match(rfc.code(at: now.addingTimeInterval(-30)), at: now, after: nil) == step - 1)
        #expect(rfc.match(rfc.code(at: now.addingTimeInterval(30)), at: now, after: nil) == step + 1)
        #expect(rfc.match(rfc.code(at: now.addingTimeInterval(-60)), at: now, after: nil) == nil)
        #expect(rfc.match(rfc.code(at: now.addingTimeInterval(60)), at: now, after: nil) == nil)
    }

    @Test func aCodeIsNeverAcceptedTwice() {
        let now = Date(timeIntervalSince1970: 1_234_567_890)
        let used = rfc.match(rfc.code(at: now), at: now, after: nil)
        #expect(used != nil)
        #expect(rfc.match(rfc.code(at: now), at: now, after: used) == nil, "the same code again")
        #expect(rfc.match(rfc.code(at: now.addingTimeInterval(-30)), at: now, after: used) == nil, "an earlier code after a later one")
        #expect(rfc.match(rfc.code(at: now.addingTimeInterval(30)), at: now, after: used) != nil, "the next step's code")
    }

    @Test func typedCodesMayHaveSpacesButNothingElse() {
        let now = Date(timeIntervalSince1970: 59)
        #expect(rfc.match("287 082", at: now, after: nil) != nil)
        #expect(rfc.match("28708", at: now, after: nil) == nil)
        #expect(rfc.match("２８７０８２", at: now, after: nil) == nil, "full-width digits")
        #expect(rfc.match("", at: now, after: nil) == nil)
    }

    @Test func base32RoundTripsAndTheLinkCarriesTheSecret() throws {
        #expect(Base32.encode(Array("12345678901234567890".utf8)) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(Base32.decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq") == Array("12345678901234567890".utf8))
        #expect(Base32.decode("not base32!") == nil)
        let secret = TOTP.newSecret()
        #expect(secret.count == 20)
        #expect(Base32.decode(Base32.encode(secret)) == secret)
        let uri = TOTP(secret: secret).uri(account: "a.b@force.police.uk")
        #expect(uri.hasPrefix("otpauth://totp/Safeguard%3Aa.b%40force.police.uk?secret=\(Base32.encode(secret))&issuer=Safeguard"))
    }
}
