import Testing
@testable import CsfCompat
@testable import LfdCore

@Suite struct EscalationTests {
    func settings(_ f: (inout Escalation.Settings) -> Void) -> Escalation.Settings {
        var s = Escalation.Settings()
        f(&s)
        return s
    }

    @Test func theNthTemporaryBlockBecomesPermanent() {
        let e = Escalation(settings: settings { $0.permblock = true; $0.permblockCount = 2; $0.permblockInterval = 3600 })
        var history = BlockHistory()
        let ip = IPAddress("198.51.100.7")!
        #expect(e.decide(ip: ip, perm: false, message: "m1", history: &history, now: 100) == nil)
        #expect(e.decide(ip: ip, perm: false, message: "m2", history: &history, now: 200) == nil)
        let step = e.decide(ip: ip, perm: false, message: "m3", history: &history, now: 300)
        #expect(step == .permblock(ip, count: 3, message: "(PERMBLOCK) 198.51.100.7 (-) has had more than 2 temp blocks in the last 3600 secs"))
        #expect(history.entries.last?.perm == true)
        // Old blocks leave the window.
        var old = BlockHistory(entries: [.init(target: "198.51.100.8", perm: false, time: 0, message: ""),
                                         .init(target: "198.51.100.8", perm: false, time: 0, message: "")])
        #expect(e.decide(ip: IPAddress("198.51.100.8")!, perm: false, message: "m", history: &old, now: 3600) == nil)
    }

    @Test func enoughAddressesOfOneNetworkBlockTheNetworkAndAreUsedUp() {
        let e = Escalation(settings: settings { $0.netblock = true; $0.netblockCount = 2; $0.netblockInterval = 600; $0.netblockPrefix6 = 64 })
        var history = BlockHistory()
        #expect(e.decide(ip: IPAddress("203.0.113.1")!, perm: false, message: "a", history: &history, now: 1) == nil)
        #expect(e.decide(ip: IPAddress("203.0.113.1")!, perm: false, message: "a", history: &history, now: 2) == nil,
                "the same address again is not another address")
        #expect(e.decide(ip: IPAddress("198.51.100.1")!, perm: false, message: "b", history: &history, now: 3) == nil)
        let step = e.decide(ip: IPAddress("203.0.113.2")!, perm: false, message: "c", history: &history, now: 4)
        guard case .netblock(let net, let addresses, _)? = step else { Issue.record("no netblock: \(String(describing: step))"); return }
        #expect(net.description == "203.0.113.0/24" && addresses == ["203.0.113.1", "203.0.113.1", "203.0.113.2"])
        #expect(history.entries.map(\.target) == ["198.51.100.1", "203.0.113.0/24"], "the counted lines are used up")
        // IPv6 uses LF_NETBLOCK_IPV6's prefix (csf never masked IPv6, so its IPv6 netblocks never fired).
        #expect(e.network(of: IPAddress("2001:db8:1:2::5")!)?.description == "2001:db8:1:2::/64")
        let noV6 = Escalation(settings: settings { $0.netblock = true })
        #expect(noV6.network(of: IPAddress("2001:db8::5")!) == nil)
    }

    @Test func historyLinesRoundTripAndPrune() {
        let h = BlockHistory.parse("192.0.2.1|0|100|(sshd) x\n192.0.2.2|1|900|y|z\ngarbage\n", now: 1000, keep: 500)
        #expect(h.entries.map(\.target) == ["192.0.2.2"] && h.entries[0].message == "y|z")
        #expect(h.text == "192.0.2.2|1|900|y|z\n")
    }
}

@Suite struct AlertTemplateTests {
    let template = "From: lfd@[hostname]\nTo: root\nSubject: lfd on [hostname]: blocked [ip]\n\nTime: [time]\nIP: [ip]\n[text]\n[unknown] stays\n"

    @Test func placeholdersAreFilledOnceAndOverridesReplaceTheAddresses() {
        let m = AlertTemplate.render(template, values: ["hostname": "web1", "ip": "192.0.2.9 (-)", "time": "now",
                                                        "text": "line with [ip] and [hostname] in it"],
                                     to: "admin@example.com", from: "")
        #expect(m.contains("Subject: lfd on web1: blocked 192.0.2.9 (-)"))
        #expect(m.contains("To: admin@example.com") && m.contains("From: lfd@web1"))
        #expect(m.contains("line with [ip] and [hostname] in it"), "text from a log line is not expanded again")
        #expect(m.contains("[unknown] stays"))
        #expect(AlertTemplate.header("To", of: m) == "admin@example.com")
        #expect(AlertTemplate.header("Cc", of: m) == "root")
    }

    @Test func aValueCannotAddAHeader() {
        let m = AlertTemplate.render(template, values: ["hostname": "web1", "ip": "192.0.2.9\nBcc: victim@example.com", "text": "a\nb"])
        let header = m.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }
        #expect(!header.contains { $0.hasPrefix("Bcc:") }, "\(header)")
        #expect(m.contains("a\nb"), "the body keeps its lines")
    }
}
