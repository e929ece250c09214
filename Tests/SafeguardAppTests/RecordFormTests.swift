import Foundation
@testable import SafeguardApp
import SafeguardCore
import Testing
import Vapor

/// Issue 12, point 6: a record kind declared once appears in the OpenAPI document and on the pages with every field
/// of its description; a kind or field missing from either fails here, naming it.
@Suite struct RecordFormTests {
    @Test("Every record kind has a page for its setting asking every field its description asks on forms")
    func everyKindHasItsForm() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let policeCase = try #require(try await createCase(app, token: world.token("policeA.officer"))["id"] as? String).lowercased()
            let schoolCase = try #require(try await createCase(app, token: world.token("school.dsl"))["id"] as? String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let dsl = try await Pages.signIn(app, "dsl@school.test")
            for kind in RecordKind.allCases {
                for setting in kind.settings.sorted(by: { $0.rawValue < $1.rawValue }) {
                    let (id, browser) = setting == .police ? (policeCase, officer) : (schoolCase, dsl)
                    let page = try await Pages.get(app, "/cases/\(id)/record/\(kind.rawValue)", browser)
                    #expect(page.status == .ok, "\(kind.rawValue) in \(setting.rawValue): \(page.status)")
                    let title = kind.description.formTitle.replacingOccurrences(of: "'", with: "&#39;")
                    #expect(page.text.contains("\(title)</h1>"), "\(kind.rawValue): its title is the page's heading")
                    // In England the outcome is a Home Office code: the national list and local scheme are other nations'.
                    let elsewhere: Set<String> = kind == .outcome ? ["nationalOutcome", "localDescription"] : []
                    for field in kind.description.formFields(for: setting) where !elsewhere.contains(field.name) {
                        #expect(page.text.contains("name=\"\(field.name)\""), "\(kind.rawValue) in \(setting.rawValue): no field \(field.name)")
                    }
                }
            }
        }
    }

    @Test("The OpenAPI document has every record kind with exactly its declared fields, and its required ones")
    func openAPIFromDescriptions() async throws {
        try await withApp { app in
            let document = try await send(app, .GET, "/api/v1/openapi.json").json
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let variants = try #require((schemas["ResponseRecord"] as? [String: Any])?["oneOf"] as? [[String: Any]])
            #expect(variants.count == RecordKind.allCases.count)
            for kind in RecordKind.allCases {
                let variant = try #require(variants.first { $0["title"] as? String == kind.rawValue }, "no schema for \(kind.rawValue)")
                let properties = Set((variant["properties"] as? [String: Any] ?? [:]).keys)
                #expect(properties == Set(["kind"] + kind.description.keys), "\(kind.rawValue)")
                let required = Set(variant["required"] as? [String] ?? [])
                #expect(required == Set(["kind"] + kind.description.fields.filter(\.required).map(\.name)), "\(kind.rawValue)")
                for field in kind.description.fields {
                    if let options = field.input.options {
                        let schema = (variant["properties"] as? [String: Any])?[field.name] as Any
                        // An optional field is also nullable, so its list may sit one level down.
                        #expect(Self.enumValues(schema).filter { $0 != nil }.map { $0! } == options.map(\.value), "\(kind.rawValue).\(field.name)")
                    }
                }
            }
        }
    }

    /// The first `enum` found in a schema, looking into items, anyOf and oneOf.
    static func enumValues(_ schema: Any) -> [String?] {
        if let d = schema as? [String: Any] {
            if let values = d["enum"] as? [Any] { return values.map { $0 as? String } }
            for key in ["items", "anyOf", "oneOf"] {
                let found = enumValues(d[key] as Any)
                if !found.isEmpty { return found }
            }
        }
        if let a = schema as? [Any] {
            for item in a { let found = enumValues(item); if !found.isEmpty { return found } }
        }
        return []
    }
}
