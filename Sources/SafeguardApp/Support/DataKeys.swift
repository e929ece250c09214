import FluentKit
import Foundation
import SafeguardPersistence
import Vapor

/// The application's `FreeTextCipher`: opened once at start-up from the master key, then refreshed every few seconds
/// so that a data key made by `safeguard keys rotate` on any machine is used without a restart.
///
/// ```swift
/// let store = CaseStore(db: req.db, cipher: req.cipher)
/// ```
struct FreeTextCipherKey: StorageKey { typealias Value = FreeTextCipher }

extension Application {
    /// The cipher for case free text; set by `configure`, before any route can run.
    public var cipher: FreeTextCipher {
        guard let cipher = storage[FreeTextCipherKey.self] else {
            preconditionFailure("the free-text cipher is opened in configure(_:options:), before anything reads a case")
        }
        return cipher
    }

    /// Opens the cipher: the master key from the options, or, for a SQLite database with none set, the key file
    /// beside it (made on the first start, when the database holds no data key yet). A database whose data keys
    /// cannot be unwrapped stops the start with what to do; it is never read as empty.
    func openCipher(_ options: SafeguardOptions) async throws {
        var master = options.dataKey
        if master == nil, let path = options.dataKeyFile {
            if FileManager.default.fileExists(atPath: path) {
                master = try SafeguardOptions.readDataKey(path: path)
            } else if try await FreeTextCipher.isFresh(on: db) {
                let made = MasterKey.generate()
                guard FileManager.default.createFile(atPath: path, contents: Data((made.base64 + "\n").utf8),
                                                     attributes: [.posixPermissions: 0o600]) else {
                    throw SafeguardOptions.Invalid(description: "cannot write the data key file \(path): check the folder can be written")
                }
                logger.notice("made a data key at \(path): case text is encrypted under it. Keep a copy apart from the database's backups; in production set SAFEGUARD_DATA_KEY_FILE to a file outside the data folder")
                master = made
            } else {
                throw SafeguardOptions.Invalid(description: "this database's case text is encrypted, and its data key file \(path) is "
                    + "missing: put the key file back there, or set SAFEGUARD_DATA_KEY_FILE to where it is kept. Nothing in the cases can be read without it")
            }
        }
        storage[FreeTextCipherKey.self] = try await FreeTextCipher.load(on: db, master: master)
    }
}

extension Request {
    public var cipher: FreeTextCipher { application.cipher }
}

/// Looks for new data keys every `interval` seconds (see `FreeTextCipher.refresh`).
struct DataKeyRefresher: LifecycleHandler {
    let job: RepeatingJob

    init(interval: TimeInterval) {
        job = RepeatingJob(firstAfter: interval, every: interval) { application in
            do { try await application.cipher.refresh(on: application.db) } catch {
                application.logger.error("data keys: \(LoggedError(error))")
            }
        }
    }

    func didBootAsync(_ application: Application) async throws { job.start(application) }
    func shutdownAsync(_ application: Application) async { job.stop() }
}
