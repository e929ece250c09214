import Foundation
@testable import SafeguardApp
import Testing
import Vapor

/// The id a request is logged under is nginx's or the server's own, never one a client chose.
@Suite struct RequestIDTests {
    /// Answers with the id the request is logged under.
    private func echoRoute(_ app: Application) {
        app.get("test-request-id") { request in request.logger[metadataKey: "request-id"].map { "\($0)" } ?? "" }
    }

    private func loggedID(_ app: Application, sending id: String?, over transport: Application.Method = .inMemory) async throws -> String {
        let reply = try await send(app, .GET, "/test-request-id", headers: id.map { [("X-Request-Id", $0)] } ?? [], over: transport)
        #expect(reply.status == .ok)
        return String(decoding: reply.body, as: UTF8.self)
    }

    private func isServersOwn(_ id: String) -> Bool { UUID(uuidString: id) != nil }

    @Test func withoutATrustedProxyAClientsIdIsReplaced() async throws {
        try await withApp { app in
            echoRoute(app)
            for sent in ["forged id=1 user=admin", "0123456789abcdef0123456789abcdef", "AN-ID-ANOTHER-REQUEST-HAD"] {
                let logged = try await loggedID(app, sending: sent)
                #expect(logged != sent)
                #expect(isServersOwn(logged), "logged under \(logged)")
            }
            // Over a real connection too, through Vapor's own HTTP decoding.
            let logged = try await loggedID(app, sending: "chosen-by-client", over: .running(hostname: "127.0.0.1", port: 0))
            #expect(logged != "chosen-by-client" && isServersOwn(logged))
            // With no id sent, the request still has one of the server's own, a new one each time.
            let first = try await loggedID(app, sending: nil), second = try await loggedID(app, sending: nil)
            #expect(isServersOwn(first) && isServersOwn(second) && first != second)
        }
    }

    @Test func behindATrustedProxyItsIdIsKeptIfWellFormed() async throws {
        try await withApp({ $0.trustForwardedFor = true }) { app in
            echoRoute(app)
            // nginx's $request_id (32 hexadecimal digits) and a UUID are kept: the proxy's log and ours then match.
            for kept in ["0123456789abcdef0123456789abcdef", "2F1C0E5A-9B7D-4C3E-8A21-6D5F4B3A2C10"] {
                #expect(try await loggedID(app, sending: kept) == kept)
            }
            // Anything else is replaced: spaces or signs that could pass for other fields of a log line, too long, empty.
            for replaced in ["forged id=1", "a\"b", String(repeating: "a", count: 65), "é"] {
                let logged = try await loggedID(app, sending: replaced)
                #expect(logged != replaced && isServersOwn(logged), "\(replaced) was logged as \(logged)")
            }
        }
    }

    @Test func wellFormedIsOneToSixtyFourLettersDigitsAndHyphens() {
        #expect(RequestIDMiddleware.isWellFormed("a"))
        #expect(RequestIDMiddleware.isWellFormed(String(repeating: "Z9-", count: 21) + "x"))
        #expect(!RequestIDMiddleware.isWellFormed(""))
        #expect(!RequestIDMiddleware.isWellFormed(String(repeating: "a", count: 65)))
        for bad in ["a b", "a_b", "a=b", "a\tb", "a.b", "a/b", "ü"] { #expect(!RequestIDMiddleware.isWellFormed(bad), "\(bad)") }
    }
}
