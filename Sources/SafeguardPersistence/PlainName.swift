import SQLKit

/// A table or column name made only of small letters, digits and underscores, written quoted exactly as SQLKit's
/// `SQLIdentifier` writes it, without first searching it for quote characters to double (it can hold none).
///
/// That search is a generic string replace, and a case opening's statements name forty columns and tables: on SQLite
/// it was 3 % of an opening's server CPU, spent inside the write gate. The busiest writes use it: a case opening, a
/// re-assessment's new assessment, chronology lines, and the audit entries of a group on PostgreSQL.
///
/// ```swift
/// try await sql.insert(into: "case_events", columns: ["id", "case_id", "summary"]).values(…).run()
/// ```
struct PlainName: SQLExpression {
    let name: String

    init(_ name: String) {
        assert(!name.isEmpty && name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) },
               "a plain name is small letters, digits and underscores: \(name)")
        self.name = name
    }

    func serialize(to serializer: inout SQLSerializer) {
        // Every dialect SQLKit knows gives its quote as raw text; for any other, SQLIdentifier does what it does.
        guard let quote = (serializer.dialect.identifierQuote as? SQLRaw)?.sql else {
            SQLIdentifier(name).serialize(to: &serializer)
            return
        }
        serializer.write(quote + name + quote)
    }
}

extension SQLDatabase {
    /// `insert(into:)` with its `columns(…)`, every name a `PlainName`.
    func insert(into table: String, columns: [String]) -> SQLInsertBuilder {
        insert(into: PlainName(table)).columns(columns.map { PlainName($0) as any SQLExpression })
    }
}
