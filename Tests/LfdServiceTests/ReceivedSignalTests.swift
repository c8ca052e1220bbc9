import Foundation
import Testing
@testable import LfdService

/// lfd's shutdown line names the signal and who sent it; the sender's command line is its own text.
@Suite struct ReceivedSignalTests {
    @Test func aSenderIsNamedByPidUidAndItsCommandLine() {
        let fromKernel = ReceivedSignal(number: SIGINT, sender: 0, uid: 0)
        #expect(fromKernel.description == "SIGINT")
        let fromUs = ReceivedSignal(number: SIGTERM, sender: getpid(), uid: 0)
        #expect(fromUs.description.hasPrefix("SIGTERM from PID:[\(getpid())] UID:[0] ("), "\(fromUs)")
        #expect(fromUs.description.contains(CommandLine.arguments[0]), "\(fromUs)")
        #expect(ReceivedSignal(number: SIGUSR1, sender: 0, uid: 0).description == "signal \(SIGUSR1)")
    }

    @Test func aHostileCommandLineCannotForgeALogLine() {
        let forged = "kill\0-TERM\0x\n[SHUTDOWN] fake\r\u{1b}[2J\0\0é"
        let shown = ReceivedSignal.shown(commandLine: forged)
        #expect(shown == "kill -TERM x[SHUTDOWN] fake[2J", "newlines, escapes and non-ASCII dropped: \(shown)")
        #expect(ReceivedSignal.shown(commandLine: String(repeating: "a", count: 500)).count == 200)
        #expect(ReceivedSignal.shown(commandLine: "") == "")
    }
}
