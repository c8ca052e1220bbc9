import Foundation
import Testing
@testable import CsfCompat
@testable import LfdService
import CsfTestSupport

/// The reCAPTCHA queue the messenger fills and lfd takes: a line that is not `address;hostname;ip` is dropped,
/// a host name cannot carry control characters into lfd's log or mail, and the queue is read only when it is a
/// regular file (never through a link the messenger's user could plant).
struct RecaptchaQueueTests {
    @Test func onlyWellFormedLinesAreTakenAndTheQueueIsEmptied() throws {
        let dir = try TempDir()
        let queue = dir.path + "/recaptcha.unblock"
        let junk = "not-an-ip;www.example.com;192.0.2.1\n;;\n192.0.2.9;too;many;fields\n\u{0}\u{1}\u{2}\n"
        try dir.write("recaptcha.unblock", junk + "198.51.100.7;www.example.com\u{1b}[31m;192.0.2.1\n2001:db8::5;shop.example.net;2001:db8::1\n")
        let taken = MessengerChild.takeUnblocks(queue)
        #expect(taken.map(\.ip.description) == ["198.51.100.7", "2001:db8::5"])
        #expect(taken.allSatisfy { !$0.hostname.unicodeScalars.contains { $0.value < 0x20 } }, "\(taken.map(\.hostname))")
        #expect(taken.last?.hostname == "shop.example.net")
        #expect(dir.read("recaptcha.unblock") == "", "the queue is emptied")
        #expect(MessengerChild.takeUnblocks(queue).isEmpty)
    }

    @Test func aLinkOrAFifoIsNeverRead() throws {
        let dir = try TempDir()
        try dir.write("target", "198.51.100.7;www.example.com;192.0.2.1\n")
        #expect(symlink(dir.path + "/target", dir.path + "/recaptcha.unblock") == 0)
        #expect(MessengerChild.takeUnblocks(dir.path + "/recaptcha.unblock").isEmpty)
        #expect(dir.read("target") == "198.51.100.7;www.example.com;192.0.2.1\n", "the link's target is left alone")
        #expect(mkfifo(dir.path + "/fifo", 0o600) == 0)
        #expect(MessengerChild.takeUnblocks(dir.path + "/fifo").isEmpty, "a FIFO neither blocks nor counts")
        #expect(MessengerChild.takeUnblocks(dir.path + "/missing").isEmpty)
    }
}
