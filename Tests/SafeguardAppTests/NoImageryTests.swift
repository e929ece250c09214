import Fluent
import Foundation
@testable import SafeguardApp
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// No image, ever: real headers of every format, in every encoding, in every kind of field, on every write path.
@Suite struct NoImageryTests {
    static func bytes(_ parts: Any...) -> [UInt8] {
        parts.flatMap { part -> [UInt8] in
            if let s = part as? String { return Array(s.utf8) }
            if let ints = part as? [Int] { return ints.map { UInt8($0) } }
            return part as! [UInt8]
        }
    }

    /// The opening bytes of real files of each format.
    static let headers: [(String, [UInt8])] = [
        ("jpeg", [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01]),
        ("jpeg-short", [0xFF, 0xD8, 0xFF]),
        ("png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52]),
        ("gif", bytes("GIF89a", [0x01, 0x00, 0x01, 0x00, 0x80, 0x00])),
        ("webp", bytes("RIFF", [0x24, 0x00, 0x00, 0x00], "WEBPVP8 ")),
        ("heic", bytes([0x00, 0x00, 0x00, 0x18], "ftypheic", [0x00, 0x00, 0x00, 0x00], "mif1heic")),
        ("avif", bytes([0x00, 0x00, 0x00, 0x1C], "ftypavif", [0x00, 0x00, 0x00, 0x00], "avifmif1miaf")),
        ("mp4", bytes([0x00, 0x00, 0x00, 0x20], "ftypisom", [0x00, 0x00, 0x02, 0x00], "isomiso2avc1mp41")),
        ("mov", bytes([0x00, 0x00, 0x00, 0x14], "ftypqt  ", [0x20, 0x05, 0x03, 0x00], "qt  ")),
        ("bmp", bytes("BM", [0x36, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x36, 0x00, 0x00, 0x00])),
        ("tiff-le", bytes("II*", [0x00, 0x08, 0x00, 0x00, 0x00])),
        ("tiff-be", bytes("MM", [0x00, 0x2A, 0x00, 0x00, 0x00, 0x08])),
    ]

    /// Ways text can carry those bytes.
    static let encodings: [(String, @Sendable ([UInt8]) -> String)] = [
        ("base64", { Data($0).base64EncodedString() }),
        ("base64url", { Data($0).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_") }),
        ("hex", { $0.map { String(format: "%02x", $0) }.joined() }),
        ("HEX spaced", { $0.map { String(format: "%02X", $0) }.joined(separator: " ") }),
        ("0x list", { $0.map { String(format: "0x%02x", $0) }.joined(separator: ", ") }),
        ("bytes as characters", { String(String.UnicodeScalarView($0.map { Unicode.Scalar($0) })) }),
        ("data URI", { "data:image/png;base64," + Data($0).base64EncodedString() }),
    ]

    struct Snapshot: Equatable {
        var counts: [String: Int]
        var cases: [String]
    }

    static func snapshot(_ app: Application) async throws -> Snapshot {
        var counts: [String: Int] = [:]
        for table in ["organisations", "users", "api_tokens", "cases", "case_actions", "case_notes", "case_assessments", "_fluent_sessions",
                      "case_records", "sign_offs", "case_events", "police_referrals"] {
            counts[table] = try await count(app, table)
        }
        let rows = try await (app.db as! any SQLDatabase).raw("SELECT summary, facts_json, version FROM cases ORDER BY reference").all()
        let cases = try rows.map { "\(try $0.decode(column: "summary", as: String.self))|\(try $0.decode(column: "facts_json", as: String.self))|\(try $0.decode(column: "version", as: Int.self))" }
        return Snapshot(counts: counts, cases: cases)
    }

    /// One write path with the payload placed in one kind of field.
    struct Probe {
        var name: String
        var method: HTTPMethod
        var path: String
        var actor: String?
        var contentType = "application/json"
        var body: (String) -> Any
    }

    static func probes(caseID: String, actionID: String, userID: String) -> [Probe] {
        func facts(_ change: (inout [String: Any]) -> Void) -> [String: Any] { var f = sampleFacts; change(&f); return f }
        return [
            Probe(name: "case summary", method: .POST, path: "/api/v1/cases", actor: "policeA.officer") { ["summary": $0] },
            Probe(name: "person ref in facts", method: .POST, path: "/api/v1/cases", actor: "policeA.officer") { p in
                ["summary": "x", "facts": facts { $0["people"] = [["ref": p, "age": 15]] }] },
            Probe(name: "array element in facts", method: .POST, path: "/api/v1/cases", actor: "policeA.officer") { p in
                ["summary": "x", "facts": facts { $0["imagery"] = [["ref": "I1", "kind": "image", "platforms": [p]]] }] },
            Probe(name: "object key in facts", method: .PUT, path: "/api/v1/cases/\(caseID)/facts", actor: "policeA.officer") { p in
                ["version": 1, "facts": facts { $0["circumstances"] = [p: true] }] },
            Probe(name: "note text with words around", method: .POST, path: "/api/v1/cases/\(caseID)/notes", actor: "policeA.officer") { p in
                ["text": "the image was \(p) as sent"] },
            Probe(name: "summary change", method: .PATCH, path: "/api/v1/cases/\(caseID)", actor: "policeA.officer") { ["version": 1, "summary": $0] },
            Probe(name: "person roles", method: .PUT, path: "/api/v1/cases/\(caseID)/people/C", actor: "policeA.officer") { p in
                ["version": 1, "person": ["age": 15, "roles": [p]]] },
            Probe(name: "device owner", method: .PUT, path: "/api/v1/cases/\(caseID)/devices/D5", actor: "policeA.officer") { p in
                ["version": 1, "device": ["owner": p]] },
            Probe(name: "action reason", method: .POST, path: "/api/v1/cases/\(caseID)/actions/\(actionID)", actor: "policeA.officer") { p in
                ["status": "notApplicable", "reason": p] },
            Probe(name: "response record field", method: .POST, path: "/api/v1/cases/\(caseID)/records", actor: "policeA.officer") { p in
                ["kind": "welfareCheck", "person": "A", "checkedOn": "2026-11-20", "result": p] },
            Probe(name: "record replacement", method: .PUT, path: "/api/v1/cases/\(caseID)/records/\(UUID().uuidString)", actor: "policeA.officer") { p in
                ["revision": 1, "record": ["kind": "account", "person": "A", "takenOn": "2026-11-20", "takenBy": "PC", "summary": p]] },
            Probe(name: "sign-off rationale", method: .POST, path: "/api/v1/cases/\(caseID)/sign-offs", actor: "policeA.officer") { p in
                ["kind": "outcome21", "rationale": p] },
            Probe(name: "sign-off decision reason", method: .POST, path: "/api/v1/cases/\(caseID)/sign-offs/\(UUID().uuidString)/decision",
                  actor: "policeA.supervisor") { p in ["approve": false, "reason": p] },
            Probe(name: "letter addressee", method: .POST, path: "/api/v1/cases/\(caseID)/documents/outcome21-letter", actor: "policeA.officer") { p in
                ["to": "youngPerson", "person": "A", "name": p] },
            Probe(name: "token name", method: .POST, path: "/api/v1/tokens", actor: nil) { p in
                ["email": "officer@policea.test", "password": testPassword, "name": p] },
            Probe(name: "user display name", method: .POST, path: "/api/v1/users", actor: "policeA.admin") { p in
                ["email": "new@policea.test", "displayName": p, "role": "auditor", "password": "a long enough password"] },
            Probe(name: "user patch", method: .PATCH, path: "/api/v1/users/\(userID)", actor: "policeA.admin") { ["displayName": $0] },
            Probe(name: "sign-in form field", method: .POST, path: "/sign-in", actor: nil, contentType: "application/x-www-form-urlencoded") { p in
                "email=" + (p.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") + "&password=x&_csrf=y" },
        ]
    }

    @Test func everyFormatInEveryEncodingInEveryFieldIsRefusedAndNothingIsStored() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let caseID = created["id"] as! String
            let actionID = (created["actions"] as! [[String: Any]])[0]["id"] as! String
            let before = try await Self.snapshot(app)
            let auditBefore = try await count(app, "audit_entries")
            var failures: [String] = []
            var sent = 0
            for probe in Self.probes(caseID: caseID, actionID: actionID, userID: world.user("policeA.supervisor").id.uuidString) {
                for (format, header) in Self.headers {
                    for (encoding, encode) in Self.encodings {
                        let reply = try await send(app, probe.method, probe.path, token: probe.actor.map(world.token),
                                                   json: probe.body(encode(header)), contentType: probe.contentType)
                        sent += 1
                        if !probe.path.hasPrefix("/api/") {
                            // A page answers with a page that says what happened.
                            if reply.status != .unprocessableEntity || !reply.text.contains("Images cannot be uploaded") {
                                failures.append("\(probe.name) / \(format) / \(encoding): \(reply.status.code) \(reply.text.prefix(120))")
                            }
                        } else if reply.status != .unprocessableEntity || reply.errorCode != "imagery_not_allowed" {
                            failures.append("\(probe.name) / \(format) / \(encoding): \(reply.status.code) \(reply.text.prefix(120))")
                        } else if !reply.text.contains("must never be uploaded") {
                            failures.append("\(probe.name) / \(format) / \(encoding): message does not say why")
                        }
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures.count) of \(sent) not refused:\n\(failures.joined(separator: "\n"))")
            #expect(try await Self.snapshot(app) == before, "nothing from a refused request is stored")
            // Each refusal is audited, without the payload.
            let entries = try await AuditStore(db: app.db).entries(organisationID: nil, limit: 10_000)
            let refusals = entries.filter { $0.action == "request.rejected.imagery" }
            #expect(refusals.count == sent)
            #expect(try await count(app, "audit_entries") == auditBefore + sent)
            let sample = Data(Self.headers[0].1).base64EncodedString()
            #expect(refusals.allSatisfy { !$0.detail.contains(sample) && $0.detail.count < 120 })
            #expect(refusals.contains { $0.actorID == world.user("policeA.officer").id.uuidString.lowercased() && $0.caseID == caseID.lowercased() })
        }
    }

    @Test func rawImageBytesAsTheBodyAreRefused() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let before = try await Self.snapshot(app)
            for (format, header) in Self.headers {
                for type in ["application/json", "application/x-www-form-urlencoded", "text/plain", "application/octet-stream"] {
                    let body = Data(header + Array(repeating: 0x41, count: 64))
                    let reply = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: body, contentType: type)
                    #expect(reply.status == .unprocessableEntity, "\(format) as \(type): \(reply.status)")
                    // Raw bytes after some JSON text too.
                    let mixed = Data("{\"summary\":\"".utf8) + Data(header) + Data("\"}".utf8)
                    let r2 = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: mixed, contentType: type)
                    #expect(r2.status == .unprocessableEntity, "\(format) inside JSON as \(type): \(r2.status)")
                }
            }
            let video = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"),
                                       json: ["summary": "data:video/mp4;base64,AAAA"])
            #expect(video.status == .unprocessableEntity)
            let upper = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"),
                                       json: ["summary": "DATA:IMAGE/JPEG;BASE64,AAAA"])
            #expect(upper.status == .unprocessableEntity)
            #expect(try await Self.snapshot(app) == before)
        }
    }

    @Test func filesAndOversizedBodiesAreRefused() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let before = try await Self.snapshot(app)
            let multipart = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"),
                                           json: "--x\r\nContent-Disposition: form-data; name=\"summary\"\r\n\r\nhello\r\n--x--\r\n",
                                           contentType: "multipart/form-data; boundary=x")
            #expect(multipart.status == .unsupportedMediaType)
            // A file upload holding an image is imagery, refused and audited as such (a security review found it
            // audited only as a refused request).
            let jpeg = Data("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
                + Data([0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0x41, count: 64)) + Data("\r\n--x--\r\n".utf8)
            let upload = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: jpeg,
                                        contentType: "multipart/form-data; boundary=x")
            #expect(upload.status == .unprocessableEntity && upload.errorCode == "imagery_not_allowed")
            let audited = try await AuditStore(db: app.db).entries(organisationID: nil, limit: 5)
            #expect(audited.contains { $0.action == "request.rejected.imagery" && $0.detail.contains("JPEG as a file upload") }, "\(audited.map(\.detail))")
            let image = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: "hello", contentType: "image/jpeg")
            #expect(image.status == .unprocessableEntity)

            let big = String(repeating: "a", count: 300 * 1024)
            let tooLarge = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: ["summary": big])
            #expect(tooLarge.status == .payloadTooLarge)
            #expect(tooLarge.errorCode == "too_large")
            #expect(try await Self.snapshot(app) == before)
        }
    }

    /// `body` as a gzip stream of one stored (uncompressed) deflate block, with its CRC-32 and length: what a client
    /// sends with `Content-Encoding: gzip`, which any inflater reads.
    static func gzip(_ body: [UInt8]) -> [UInt8] {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in body {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        crc ^= 0xFFFF_FFFF
        func le32(_ v: UInt32) -> [UInt8] { [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: v >> $0) } }
        let length = UInt16(body.count)
        return [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF, 0x01,
                UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
            + body + le32(crc) + le32(UInt32(body.count))
    }

    /// Issue 9 (hardening): the server inflates nothing. A compressed body, over a real connection, is refused with a
    /// message saying to send it uncompressed, and nothing is stored; the same body sent plainly opens the case.
    @Test func compressedBodiesAreRefusedOverARealConnection() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let before = try await Self.snapshot(app)
            let json = try JSONSerialization.data(withJSONObject: ["summary": "Sent compressed", "facts": sampleFacts])
            for encoding in ["gzip", "deflate", "br"] {
                let packed = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"),
                                            json: Data(Self.gzip(Array(json))), headers: [("Content-Encoding", encoding)],
                                            over: .running(hostname: "127.0.0.1", port: 0))
                #expect(packed.status == .unsupportedMediaType, "\(encoding): \(packed.text.prefix(300))")
                #expect(packed.errorCode == "unsupported_media_type")
                #expect(packed.text.contains("send the body again uncompressed"), "\(packed.text.prefix(300))")
            }
            #expect(try await Self.snapshot(app) == before)
            let plain = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: json,
                                       headers: [("Content-Encoding", "identity")], over: .running(hostname: "127.0.0.1", port: 0))
            #expect(plain.status == .created, "\(plain.text.prefix(300))")
        }
    }

    @Test func ordinaryCaseTextIsNotMistakenForImagery() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let texts = ["A (15) sent an image to B (15) on Snapchat; B showed it to C.",
                         "Device D1 seized 23/11/2026 at 10:42, ref 4711-AB. Parents informed; DSL notified.",
                         "Notes: cafe, facade, decade, beef — words made of hex letters.",
                         "Incident number 2026112300042 / crime ref CR-0099-26",
                         "The BMX bike, the RIFF tune, GIF reactions and an MP4 mention are all just words."]
            for text in texts {
                let reply = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: ["summary": "ok", "facts": sampleFacts])
                #expect(reply.status == .created)
                let id = reply.json["id"] as! String
                let note = try await send(app, .POST, "/api/v1/cases/\(id)/notes", token: world.token("policeA.officer"), json: ["text": text])
                #expect(note.status == .created, "false positive on: \(text) → \(note.text)")
            }
        }
    }

    @Test func imageryInTheQueryStringOfAWriteIsRefused() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await createCase(app, token: world.token("policeA.officer"))["id"] as! String
            let before = try await Self.snapshot(app)
            let payload = Data(Self.headers[2].1).base64EncodedString().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let reply = try await send(app, .POST, "/api/v1/cases/\(id)/notes?attachment=\(payload)", token: world.token("policeA.officer"),
                                       json: ["text": "a note"])
            #expect(reply.status == .unprocessableEntity)
            #expect(try await Self.snapshot(app) == before)
        }
    }

    /// Sends `request` as it is over a new connection to 127.0.0.1:`port` and returns the whole reply (the request
    /// asks the server to close the connection after it).
    static func rawExchange(port: Int, _ request: [UInt8]) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        #expect(sent == request.count)
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if got <= 0 { break }
            reply += chunk[0..<got]
        }
        return String(decoding: reply, as: UTF8.self)
    }

    /// Issue 9: a request that sends no body (no Content-Length, no Transfer-Encoding) is passed on without waiting
    /// for one. A body sent any way HTTP allows is still read and checked, on a GET too: chunked or with a length, an
    /// image in it is refused and audited, and the case is not shown.
    @Test func aBodyIsCheckedHoweverItIsSentAndOnlyNoBodyIsPassedOver() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let id = try await createCase(app, token: token)["id"] as! String
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            let head = "GET /api/v1/cases/\(id) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n"
            let image = Self.headers[2].1 + [UInt8](repeating: 0x41, count: 64)
            let before = try await count(app, "audit_entries")

            let plain = try Self.rawExchange(port: port, Array((head + "\r\n").utf8))
            #expect(plain.hasPrefix("HTTP/1.1 200"), "\(plain.prefix(200))")
            #expect(plain.contains("\"id\":\"\(id.uppercased())\""))

            var chunked = Array((head + "Transfer-Encoding: chunked\r\n\r\n" + String(image.count, radix: 16) + "\r\n").utf8)
            chunked += image + Array("\r\n0\r\n\r\n".utf8)
            let refusedChunked = try Self.rawExchange(port: port, chunked)
            #expect(refusedChunked.hasPrefix("HTTP/1.1 422"), "chunked: \(refusedChunked.prefix(300))")
            #expect(!refusedChunked.contains("\"reference\""), "the case is not shown")

            let withLength = Array((head + "Content-Length: \(image.count)\r\n\r\n").utf8) + image
            let refusedLength = try Self.rawExchange(port: port, withLength)
            #expect(refusedLength.hasPrefix("HTTP/1.1 422"), "with a length: \(refusedLength.prefix(300))")

            let empty = try Self.rawExchange(port: port, Array((head + "Content-Length: 0\r\n\r\n").utf8))
            #expect(empty.hasPrefix("HTTP/1.1 200"), "\(empty.prefix(200))")
            // The two reads and the two refusals are each audited.
            #expect(try await count(app, "audit_entries") >= before + 4)
            await app.server.shutdown()
        }
    }
}

