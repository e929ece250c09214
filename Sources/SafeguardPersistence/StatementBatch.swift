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
            try await sql.execute(sql: Joined(statements: statements)) { _ in }
        } else {
            for statement in statements { try await sql.execute(sql: statement) { _ in } }
        }
    }

    /// `WITH "s0" AS (first), "s1" AS (second) … last`: one serialiser for all, so the binds are numbered in order.
    struct Joined: SQLExpression {
        var statements: [any SQLExpression]

        func serialize(to serializer: inout SQLSerializer) {
            for (index, statement) in statements.dropLast().enumerated() {
                serializer.write(index == 0 ? "WITH " : ", ")
                serializer.write("\"s\(index)\" AS (")
                statement.serialize(to: &serializer)
                serializer.write(")")
            }
            serializer.write(" ")
            statements[statements.count - 1].serialize(to: &serializer)
        }
    }
}
