import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
@testable import SafeguardApp
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// What the server logs of an error says what kind of failure it was, never what the request sent.
@Suite struct LoggedErrorTests {
    /// An error of our own or a library's whose message could hold anything.
    private struct Unforeseen: Error, CustomStringConvertible { var description = "SECRET-CASE-TEXT" }

    @Test func anUnforeseenErrorIsToldByItsTypeAlone() {
        let logged = "\(LoggedError(Unforeseen()))"
        #expect(logged == String(reflecting: Unforeseen.self))
        #expect(!logged.contains("SECRET"))
    }

    /// The data keys' and the audit trail's errors are in our own words, which name no case text: told whole, as the
    /// data key refresher logged them before.
    @Test func ourOwnKeyAndAuditErrorsAreToldWhole() {
        let key = #expect(throws: FreeTextCipherError.self) { try MasterKey(base64: "not a key") }
        let audit = #expect(throws: AuditChainError.self) { try AuditSeal(base64: "not a key") }
        #expect(key.map { "\(LoggedError($0))" } == "a data key must be 32 bytes written in base64 (make one with: safeguard keys new FILE)")
        #expect(audit.map { "\(LoggedError($0))" } == audit?.description && audit?.description.hasPrefix("the audit key must be") == true)
    }

    /// PostgreSQL quotes what was sent in its messages and details; the log gets the SQLSTATE and the names of the
    /// table and constraint.
    @Test(.enabled(if: TestDatabase.postgresURL != nil, "needs PostgreSQL: SAFEGUARD_TEST_DATABASE_URL"))
    func aPostgresErrorIsToldByItsStateAndNamesNeverByWhatWasSent() async throws {
        try await withApp { app in
            let sql = app.db as! any SQLDatabase
            var logged: [String] = []
            do { try await sql.raw("SELECT \(bind: "SECRET-CASE-TEXT")::uuid").run() } catch { logged.append("\(LoggedError(error))") }
            try await sql.raw("CREATE TABLE logged_error_probe (v text CONSTRAINT logged_error_probe_v UNIQUE)").run()
            try await sql.raw("INSERT INTO logged_error_probe VALUES (\(bind: "SECRET-CASE-TEXT"))").run()
            do { try await sql.raw("INSERT INTO logged_error_probe VALUES (\(bind: "SECRET-CASE-TEXT"))").run() } catch {
                logged.append("\(LoggedError(error))")
            }
            #expect(logged == ["PostgreSQL: server, SQLSTATE 22P02",
                               "PostgreSQL: server, SQLSTATE 23505, constraint logged_error_probe_v, table logged_error_probe"])
        }
    }

    /// SQLite's messages name tables and constraints but never quote a bound value, so they are logged whole.
    @Test(.enabled(if: TestDatabase.postgresURL == nil, "the SQLite test run covers it"))
    func aSQLiteErrorIsToldWholeAndQuotesNothingSent() async throws {
        try await withApp { app in
            let sql = app.db as! any SQLDatabase
            try await sql.raw("CREATE TABLE logged_error_probe (v TEXT UNIQUE)").run()
            try await sql.raw("INSERT INTO logged_error_probe VALUES (\(bind: "SECRET-CASE-TEXT"))").run()
            do {
                try await sql.raw("INSERT INTO logged_error_probe VALUES (\(bind: "SECRET-CASE-TEXT"))").run()
                Issue.record("a duplicate went in")
            } catch {
                let logged = "\(LoggedError(error))"
                #expect(logged == "SQLite: constraintUniqueFailed: UNIQUE constraint failed: logged_error_probe.v")
            }
        }
    }
}
