import FluentKit
import SQLKit

/// On PostgreSQL, a case's stored assessments (about 14 KB of JSON each) are compressed with LZ4 instead of
/// PostgreSQL's own pglz. Compressing one with pglz cost about 0.15 ms of the database's CPU, at every case opening and
/// fact update, while the write gate is held; LZ4 costs about a sixth of that here, and the rows come out the same
/// size. Assessments already stored stay as they are; new ones are compressed with LZ4.
///
/// A PostgreSQL built without LZ4 (or older than 14) keeps pglz: the statement is run where its failure can be
/// caught, and the migration is still recorded. SQLite compresses nothing.
struct M0020CompressAssessmentsWithLZ4: AsyncMigration {
    var name: String { "0020_CompressAssessmentsWithLZ4" }

    func prepare(on database: any Database) async throws {
        try await setCompression("lz4", on: database)
    }

    func revert(on database: any Database) async throws {
        try await setCompression("DEFAULT", on: database)
    }

    private func setCompression(_ method: String, on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        // EXECUTE, so that a server that cannot parse SET COMPRESSION fails inside the block, where it is caught.
        try await sql.raw("""
            DO $$ BEGIN
                EXECUTE 'ALTER TABLE case_assessments ALTER COLUMN assessment_json SET COMPRESSION \(unsafeRaw: method)';
            EXCEPTION WHEN feature_not_supported OR syntax_error THEN
                RAISE NOTICE 'case assessments keep the default compression: %', SQLERRM;
            END $$
            """).run()
    }
}
