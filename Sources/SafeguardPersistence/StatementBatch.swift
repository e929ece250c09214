import NIOConcurrencyHelpers
import SQLKit

/// Statements that return nothing and read nothing another of them writes, run in as few round trips as the
/// database allows. On PostgreSQL they go as one statement, each but the last a data-modifying `WITH` query, so
/// opening a case is one round trip there instead of four: every round trip is made while the write gate is held,
/// and they were most of a case opening's time. On SQLite (in the process: no round trips to save, and no
/// data-modifying `WITH`) they run one after another.
///
/// PostgreSQL runs the parts of one statement against one snapshot, so a part must not read what another writes.
/// Foreign keys and the revision triggers are checked and run at the end of the statement, when every part has
/// written: a case's assessment may go in beside the case it belongs to. Run a batch inside a transaction: on SQLite
/// its statements are separate, and only the transaction keeps them all or none.
///
/// ```swift
/// try await StatementBatch([insertCase.query, insertAssessment.query, insertEvent.query]).run(on: sql)
/// ```
struct StatementBatch {
    var statements: [any SQLExpression]

    init(_ statements: [any SQLExpression]) { self.statements = statements }

    func run(on sql: any SQLDatabase) async throws {
        guard !statements.isEmpty else { return }
        if statements.count > 1, sql.dialect.name == "postgresql" {
            try await sql.execute(sql: Joined(parts: statements.dropLast().enumerated().map { ("s\($0.offset)", $0.element) },
                                              last: statements[statements.count - 1])) { _ in }
        } else {
            for statement in statements { try await sql.execute(sql: statement) { _ in } }
        }
    }

    /// PostgreSQL only: runs `first` (an `UPDATE … RETURNING`), then this batch's statements, which may read what
    /// `first` returned under `name` (the only way a part sees another's work), and returns the rows of `result`, all
    /// as one statement. A case opening takes its number this way in the round trip that writes the case.
    /// On another database it throws `NeedsPostgreSQL` and sends nothing: SQLite's data-modifying statements cannot be
    /// parts of a `WITH`.
    func run(after first: any SQLExpression, named name: String, returning result: any SQLExpression,
             on sql: any SQLDatabase) async throws -> [any SQLRow] {
        guard sql.dialect.name == "postgresql" else { throw NeedsPostgreSQL(database: sql.dialect.name) }
        let rows = NIOLockedValueBox([any SQLRow]())
        try await sql.execute(sql: statement(after: first, named: name, returning: result)) { row in
            rows.withLockedValue { $0.append(row) }
        }
        return rows.withLockedValue { $0 }
    }

    /// The one statement `run(after:named:returning:on:)` sends, to send another way (prepared, on PostgreSQL).
    func statement(after first: any SQLExpression, named name: String, returning result: any SQLExpression) -> Joined {
        Joined(parts: [(name, first)] + statements.enumerated().map { ("s\($0.offset)", $0.element) }, last: result)
    }

    /// A batch whose parts read each other's rows was sent to a database other than PostgreSQL (a mistake in the
    /// caller, which should have taken the path that runs the statements in turn).
    struct NeedsPostgreSQL: Error, CustomStringConvertible {
        var database: String
        var description: String { "statements that read each other's rows can be sent together to PostgreSQL only, not \(database)" }
    }

    /// `WITH "s0" AS (first), "s1" AS (second) … last`: one serialiser for all, so the binds are numbered in order.
    struct Joined: SQLExpression {
        var parts: [(name: String, statement: any SQLExpression)]
        var last: any SQLExpression

        func serialize(to serializer: inout SQLSerializer) {
            for (index, part) in parts.enumerated() {
                serializer.write(index == 0 ? "WITH " : ", ")
                SQLIdentifier(part.name).serialize(to: &serializer)
                serializer.write(" AS (")
                part.statement.serialize(to: &serializer)
                serializer.write(")")
            }
            if !parts.isEmpty { serializer.write(" ") }
            last.serialize(to: &serializer)
        }
    }
}
