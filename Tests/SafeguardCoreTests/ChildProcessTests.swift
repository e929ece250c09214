import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Spawning
import Testing

/// The tests' own way to start a program (`ChildProcess`), which the command-line and process tests rely on to say
/// truly how a program ended and what it wrote.
@Suite("Starting a program")
struct ChildProcessTests {
    @Test("It passes input, arguments, environment and directory, and keeps output and error apart")
    func passesAndKeeps() throws {
        let run = try ChildProcess.run("/bin/sh", ["-c", #"read line; echo "$line $1 $GREETING $(pwd)"; echo oops >&2; exit 3"#, "sh", "two"],
                                       environment: ["GREETING": "three", "PATH": "/usr/bin:/bin"], directory: "/usr", input: "one\n")
        #expect(run.termination == .exited(3))
        #expect(run.status == 3)
        #expect(run.output == "one two three /usr\n")
        #expect(run.error == "oops\n")
    }

    @Test("A program killed by a signal is said to be, and is no longer running")
    func signalled() throws {
        let child = try ChildProcess("/bin/sleep", ["30"])
        #expect(child.isRunning)
        #expect(child.termination == nil)
        child.signal(SIGKILL)
        #expect(child.wait() == .signalled(SIGKILL))
        #expect(!child.isRunning)
        #expect(child.termination == .signalled(SIGKILL))
    }

    /// Why it exists: Foundation's `Process` closes the child's inherited files by reading `/proc/self/fd`, which
    /// crashes Swift 6.3.1 now and then; the child must still inherit nothing but its three standard files.
    @Test("The child inherits none of this process's open files but its standard three")
    func inheritsNothing() throws {
        // No O_CLOEXEC: a plain fork and exec would pass it on. (Not moved to a number of our choosing: other tests
        // run at once, and dup2 would close a file one of them holds.)
        let opened = open("/dev/null", O_RDONLY)
        try #require(opened > 2)
        defer { close(opened) }
        let check = #"test -e /proc/$$/fd/"$1""#
        let inherited = try ChildProcess.run("/bin/sh", ["-c", check, "sh", String(opened)])
        #expect(inherited.termination == .exited(1), "file \(opened) was passed on to the child")
        let standard = try ChildProcess.run("/bin/sh", ["-c", check, "sh", "2"])
        #expect(standard.termination == .exited(0), "the check can pass: standard error is there")
    }

    @Test("A program that is not there is an error that names it")
    func missingProgram() throws {
        let error = #expect(throws: ChildProcess.SpawnError.self) { try ChildProcess("/nonexistent/program", []) }
        #expect(error?.description.contains("/nonexistent/program") == true)
    }
}
