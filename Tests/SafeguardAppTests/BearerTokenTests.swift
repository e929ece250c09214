@testable import SafeguardApp
import Testing
import Vapor

/// `HTTPHeaders.bearerToken` reads the `Authorization` header over its bytes, and must find exactly the token Vapor's
/// `bearerAuthorization` finds, for every shape of header, or none where Vapor finds none: every signed-in request's
/// identity rests on it.
@Suite struct BearerTokenTests {
    static let values = [
        "Bearer sg_abc123", "bearer sg_abc123", "BEARER sg_abc123", "BeArEr sg_abc123",
        "Bearer  sg_abc123", "  Bearer sg_abc123  ", "Bearer sg_abc 123", "Bearer", "Bearer ", "", " ",
        "Basic dXNlcjpwYXNz", "Bearers sg_abc123", "Beare sg_abc123", "Bearer\tsg_abc123", "Bearer sg_é_ünïcode",
        "Token sg_abc123", "Bearer sg_abc123 ", "Bearer\u{00A0}sg_abc123", "Bearer ✓",
    ]

    @Test("The token is the one Vapor's bearerAuthorization reads, for every shape of Authorization header",
          arguments: values)
    func sameTokenAsVapor(_ value: String) {
        let headers: HTTPHeaders = ["Authorization": value]
        #expect(headers.bearerToken == headers.bearerAuthorization?.token, "\"\(value)\"")
    }

    @Test func noHeaderNoToken() {
        #expect(HTTPHeaders().bearerToken == nil)
        let headers: HTTPHeaders = ["Authorization": "Bearer sg_abc123"]
        #expect(headers.bearerToken == "sg_abc123")
    }
}
