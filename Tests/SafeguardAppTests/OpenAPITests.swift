import Foundation
@testable import SafeguardApp
import Testing
import Vapor

@Suite struct OpenAPITests {
    @Test func theDocumentDescribesExactlyTheRegisteredRoutes() async throws {
        try await withApp { app in
            let reply = try await send(app, .GET, "/api/v1/openapi.json")
            #expect(reply.status == .ok)
            #expect(reply.headers.contentType == .json)
            let document = reply.json
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            for (path, operations) in paths {
                for (method, operation) in operations {
                    documented.insert("\(method.uppercased()) \(path)")
                    let op = try #require(operation as? [String: Any])
                    let responses = try #require(op["responses"] as? [String: Any], "\(method) \(path) has no responses")
                    #expect(!responses.isEmpty)
                    // Every path parameter is declared.
                    let declared = Set((op["parameters"] as? [[String: Any]] ?? []).filter { $0["in"] as? String == "path" }
                        .compactMap { $0["name"] as? String })
                    let inPath = Set(path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
                    #expect(declared == inPath, "\(method) \(path): parameters \(declared) vs \(inPath)")
                    // Every $ref resolves.
                    let text = String(decoding: try JSONSerialization.data(withJSONObject: op), as: UTF8.self)
                    let schemas = ((document["components"] as? [String: Any])?["schemas"] as? [String: Any]) ?? [:]
                    for ref in text.components(separatedBy: "#/components/schemas/").dropFirst() {
                        let name = String(ref.prefix { $0.isLetter || $0.isNumber })
                        #expect(schemas[name] != nil, "\(method) \(path) refers to missing schema \(name)")
                    }
                }
            }
            let registered = Set(app.routes.all.compactMap { route -> String? in
                let components = route.path.map(\.description)
                guard components.starts(with: ["api", "v1"]) else { return nil }
                let path = components.map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : $0 }.joined(separator: "/")
                return "\(route.method.rawValue) /\(path)"
            })
            #expect(!registered.isEmpty)
            #expect(registered.subtracting(documented).isEmpty, "routes missing from the document: \(registered.subtracting(documented).sorted())")
            #expect(documented.subtracting(registered).isEmpty, "documented routes that do not exist: \(documented.subtracting(registered).sorted())")
        }
    }

    /// The operations the schemathesis run leaves out (they would revoke its own token) exist under those ids: a
    /// renamed one would otherwise run and end the run's token.
    @Test func theOperationsSchemathesisLeavesOutExist() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("api-tests/schemathesis.sh")
        let text = try String(contentsOf: script, encoding: .utf8)
        let excluded = text.components(separatedBy: "--exclude-operation-id ").dropFirst().map { String($0.prefix { !$0.isWhitespace }) }
        #expect(Set(excluded) == ["deleteTokensTokenID", "postMeSign-out-everywhere"])
        try await withApp { app in
            let paths = try #require(try await send(app, .GET, "/api/v1/openapi.json").json["paths"] as? [String: [String: [String: Any]]])
            let ids = Set(paths.values.flatMap { $0.values.compactMap { $0["operationId"] as? String } })
            #expect(Set(excluded).isSubset(of: ids), "missing: \(Set(excluded).subtracting(ids))")
        }
    }

    @Test func errorsHaveTheContractShape() async throws {
        try await withApp { app in
            let reply = try await send(app, .GET, "/api/v1/no-such-thing")
            #expect(reply.status == .notFound)
            let error = try #require(reply.json["error"] as? [String: Any])
            #expect(Set(error.keys) == ["code", "message", "field"])
            #expect(error["field"] is NSNull)
            let bad = try await send(app, .POST, "/api/v1/tokens", json: "{not json")
            #expect(bad.status == .badRequest)
            #expect(bad.errorCode == "bad_request")
        }
    }

    @Test func theFactsSchemaNamesExactlyTheKeysTheCoreWrites() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let facts = try #require(created["facts"] as? [String: Any])
            let document = try await send(app, .GET, "/api/v1/openapi.json").json
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
            func keys(_ name: String) -> Set<String> { Set(((schemas[name]?["properties"]) as? [String: Any] ?? [:]).keys) }
            #expect(Set(facts.keys).isSubset(of: keys("CaseFacts")), "\(Set(facts.keys).subtracting(keys("CaseFacts")))")
            let person = try #require((facts["people"] as? [[String: Any]])?.first)
            #expect(Set(person.keys) == keys("Person"))
            let imagery = try #require((facts["imagery"] as? [[String: Any]])?.first)
            #expect(Set(imagery.keys) == keys("Imagery"))
            let device = try #require((facts["devices"] as? [[String: Any]])?.first)
            #expect(Set(device.keys) == keys("Device"))
            #expect(Set((facts["circumstances"] as? [String: Any] ?? [:]).keys) == keys("Circumstances"))
            let assessment = try #require((created["assessment"] as? [String: Any])?["assessment"] as? [String: Any])
            #expect(keys("Assessment").isSubset(of: Set(assessment.keys)))
        }
    }

    /// A body that refuses keys it does not take (`KnownKeys`) is described as closed, with exactly the keys it takes.
    @Test func bodiesThatRefuseUnknownKeysAreDescribedWithExactlyTheirKeys() async throws {
        try await withApp { app in
            let document = try await send(app, .GET, "/api/v1/openapi.json").json
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
            func check<Body: KnownKeys>(_ type: Body.Type, _ name: String) {
                let schema = schemas[name] ?? [:]
                #expect(schema["additionalProperties"] as? Bool == false, "\(name)")
                #expect(Set((schema["properties"] as? [String: Any] ?? [:]).keys) == Set(Body.CodingKeys.allCases.map(\.stringValue)), "\(name)")
            }
            check(TokenCreateRequest.self, "TokenCreateRequest")
            check(SignatureRequest.self, "SignatureRequest")
            check(UserCreateRequest.self, "UserCreateRequest")
            check(UserUpdateRequest.self, "UserUpdateRequest")
            check(OrganisationSettingsUpdate.self, "OrganisationSettingsUpdate")
        }
    }

    /// The three conformance failures schemathesis found (issue 10): an empty filter, a document's media type, and
    /// a method the path does not take.
    @Test func conformanceFoundBySchemathesis() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            _ = try await createCase(app, token: token)
            let empty = try await send(app, .GET, "/api/v1/cases?status=&updatedSince=", token: token)
            #expect(empty.status == .ok && (empty.json["total"] as? Int) == 1)
            #expect(try await send(app, .GET, "/api/v1/cases?status=shut", token: token).status == .badRequest)

            // Facts replaced by null would have been read as "no facts": refused, as the schema says.
            let created = try await createCase(app, token: token)
            let nulled = try await send(app, .PUT, "/api/v1/cases/\(created["id"] as! String)/facts", token: token,
                                        json: ["version": created["version"] as! Int, "facts": NSNull()])
            #expect(nulled.status == .unprocessableEntity && nulled.errorField == "facts")

            let trace = try await send(app, .TRACE, "/api/v1/cases", token: token)
            #expect(trace.status == .methodNotAllowed)
            #expect(trace.headers.first(name: .allow) == "GET, HEAD, POST")
            #expect(try await send(app, .DELETE, "/api/v1/cases/\(UUID())", token: token).status == .methodNotAllowed)
            #expect(try await send(app, .TRACE, "/api/v1/no-such-thing", token: token).status == .notFound)

            let doc = try await send(app, .GET, "/api/v1/openapi.json").json
            let paths = doc["paths"] as! [String: [String: Any]]
            let record = ((paths["/api/v1/cases/{caseID}/documents/case-record"]?["get"] as? [String: Any])?["responses"] as? [String: Any])?["200"] as? [String: Any]
            let content = record?["content"] as? [String: Any]
            #expect(content?.keys.sorted() == ["text/html", "text/plain"])
        }
    }
}

