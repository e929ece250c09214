import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program the tests start: the `safeguard` command, a server to kill, `pg_dump`, `python3`.
///
/// It starts programs with `posix_spawn`, not Foundation's `Process`. Swift 6.3.1's Foundation reads 256 bytes of every
/// `/proc/self/fd` entry whatever its size when it starts a program, past glibc's buffer when an entry sits at its end,
/// and so crashed the whole test process now and then while other tests held many files open
/// (swift-corelibs-foundation PR #5472, fixed after 6.3.1). Here the child closes every inherited descriptor above
/// the three standard ones with glibc's `closefrom` action instead, and nothing walks a directory.
///
/// Standard input and output are files, never pipes, so a chatty program can never block on a full pipe that nobody
/// reads yet.
///
///     let run = try ChildProcess.run("/usr/bin/env", ["echo", "hello"])
///     #expect(run.termination == .exited(0) && run.output == "hello\n")
public final class ChildProcess: @unchecked Sendable {
    /// How a program ended.
    public enum Termination: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        /// The exit status; a program killed by a signal gets 128 + the signal, as a shell says.
        public var status: Int32 {
            switch self {
            case .exited(let status): status
            case .signalled(let signal): 128 + signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let status): "exited with status \(status)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// What a program that has ended said, and how it ended.
    public struct Run: Sendable {
        public var termination: Termination
        /// Standard output (with standard error in it, in order, when they were not kept apart).
        public var output: String
        /// Standard error when it was kept apart; empty otherwise.
        public var error: String
        public var status: Int32 { termination.status }
    }

    public let pid: pid_t
    private let lock = NSLock()
    private var ended: Termination?

    /// Starts `executable` (an absolute path) with `arguments`.
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment; `nil` passes this process's on.
    ///   - directory: the child's working directory; `nil` keeps this process's.
    ///   - input: a file the child reads as standard input; `nil` gives it `/dev/null`.
    ///   - output: a file its standard output is appended to; `nil` gives it `/dev/null`.
    ///   - error: a file its standard error is appended to; `nil` sends it wherever standard output goes.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
                input: String? = nil, output: String? = nil, error: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        try Self.check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let directory {
            // glibc declares addchdir_np only under _GNU_SOURCE, which Swift's Glibc module is built without.
            guard let addChdir = Self.addChdir else { throw SpawnError("this C library cannot set a child's directory") }
            try Self.check(directory.withCString { addChdir(&actions, $0) }, "posix_spawn_file_actions_addchdir_np")
        }
        try Self.check(posix_spawn_file_actions_addopen(&actions, 0, input ?? "/dev/null", O_RDONLY, 0), "open standard input")
        try Self.check(posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o600),
                       "open standard output")
        if let error {
            try Self.check(posix_spawn_file_actions_addopen(&actions, 2, error, O_WRONLY | O_CREAT | O_APPEND, 0o600),
                           "open standard error")
        } else {
            try Self.check(posix_spawn_file_actions_adddup2(&actions, 1, 2), "send standard error to standard output")
        }
        if let closeFrom = Self.addCloseFrom {
            try Self.check(closeFrom(&actions, 3), "posix_spawn_file_actions_addclosefrom_np")
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }

        var child: pid_t = 0
        let started: Int32 = if let envp {
            envp.withUnsafeBufferPointer { posix_spawn(&child, executable, &actions, nil, argv, $0.baseAddress) }
        } else {
            posix_spawn(&child, executable, &actions, nil, argv, environ)
        }
        try Self.check(started, "could not start \(executable)")
        pid = child
    }

    /// Runs a program to its end and returns what it wrote to standard output and standard error: kept apart, or
    /// together in the order written.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           directory: String? = nil, input: String? = nil, errorApart: Bool = true) throws -> Run {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputFile = folder.appendingPathComponent("input").path
        let outputFile = folder.appendingPathComponent("output").path
        let errorFile = folder.appendingPathComponent("error").path
        if let input { try Data(input.utf8).write(to: URL(fileURLWithPath: inputFile)) }
        let child = try ChildProcess(executable, arguments, environment: environment, directory: directory,
                                     input: input == nil ? nil : inputFile, output: outputFile, error: errorApart ? errorFile : nil)
        let termination = child.wait()
        func read(_ path: String) -> String {
            String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        }
        return Run(termination: termination, output: read(outputFile), error: read(errorFile))
    }

    /// Whether the program is still running (reaps it, without waiting, if it has ended).
    public var isRunning: Bool { reap(waiting: false) == nil }

    /// How the program ended, once it has; `nil` while it runs.
    public var termination: Termination? { reap(waiting: false) }

    /// Waits for the program to end.
    @discardableResult public func wait() -> Termination { reap(waiting: true)! }

    /// Sends a signal (SIGTERM unless told), if the program still runs.
    public func signal(_ signal: Int32 = SIGTERM) {
        if isRunning { _ = Glibc.kill(pid, signal) }
    }

    private func reap(waiting: Bool) -> Termination? {
        lock.lock()
        defer { lock.unlock() }
        if let ended { return ended }
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, waiting ? 0 : WNOHANG)
            if result == -1 && errno == EINTR { continue }
            guard result == pid else { return nil }
            break
        }
        // WIFEXITED and friends are macros Swift cannot see: the low seven bits are the signal, 0 for an exit.
        let signal = status & 0x7f
        ended = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
        return ended
    }

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    private static func symbol<T>(_ name: String, as: T.Type) -> T? {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }

    // glibc 2.29 and 2.34; without closefrom (an older C library) the child inherits this process's open files.
    private static let addChdir = symbol("posix_spawn_file_actions_addchdir_np", as: AddChdir.self)
    private static let addCloseFrom = symbol("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self)

    private static func check(_ result: Int32, _ what: String) throws {
        guard result != 0 else { return }
        throw SpawnError("\(what): \(String(cString: strerror(result)))")
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
