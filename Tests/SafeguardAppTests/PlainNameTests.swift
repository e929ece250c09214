import SQLKit
@testable import SafeguardPersistence
import Testing
import Vapor

/// `PlainName` writes a name exactly as SQLKit's `SQLIdentifier` does, on the database the tests run on (SQLite, or
/// PostgreSQL with SAFEGUARD_TEST_DATABASE_URL): the case opening's statements keep their text, only cheaper to write.
@Suite struct PlainNameTests {
    @Test func aPlainNameIsWrittenAsSQLKitWritesTheIdentifier() async throws {
        try await withApp { app in
            let sql = app.db as! any SQLDatabase
            func written(_ expression: any SQLExpression) -> String {
                var serializer = SQLSerializer(database: sql)
                expression.serialize(to: &serializer)
                return serializer.sql
            }
            for name in ["cases", "case_actions", "id", "at", "text", "status", "assessment_json", "x1"] {
                #expect(written(PlainName(name)) == written(SQLIdentifier(name)), "\(name)")
            }
            let plain = sql.insert(into: "case_events", columns: ["id", "case_id", "sequence", "at", "summary"])
                .values(SQLBind(1), SQLBind(2), SQLBind(3), SQLBind(4), SQLBind("a"))
            let sqlKit = sql.insert(into: "case_events").columns("id", "case_id", "sequence", "at", "summary")
                .values(SQLBind(1), SQLBind(2), SQLBind(3), SQLBind(4), SQLBind("a"))
            #expect(written(plain.query) == written(sqlKit.query))
            #expect(written(plain.query).contains("case_events"), "\(written(plain.query))")
        }
    }
}
