import Testing
@testable import CsfCompat
@testable import LfdCore

@Suite struct ProcessIgnoreTests {
    @Test func csfPrefixesAreReadAndExpressionsMatchWholeValues() {
        let text = "# comment\nexe:/usr/sbin/named\nUSER:bind\ncmd:/usr/bin/foo --bar baz\npexe:/home/.*/cgi-bin/x\\.cgi\npuser:bob\\d+\npcmd:sleep 30[0-9]\nInclude /more\n"
        let (ignore, diagnostics) = ProcessIgnore.parse(text, path: "/etc/csf/csf.pignore") { $0 == "/more" ? "user:extra\n" : nil }
        #expect(diagnostics.isEmpty)
        #expect(ignore.count == 7)
        #expect(ignore.ignores(exe: "/usr/sbin/named") && !ignore.ignores(exe: "/usr/sbin/named2"))
        #expect(ignore.ignores(user: "bind") && ignore.ignores(user: "bob12") && !ignore.ignores(user: "bob12x") && ignore.ignores(user: "extra"))
        #expect(ignore.ignores(command: "/usr/bin/foo --bar baz") && ignore.ignores(command: "sleep 301") && !ignore.ignores(command: "sleep 3011"))
        #expect(ignore.ignores(exe: "/home/alice/cgi-bin/x.cgi") && !ignore.ignores(exe: "/home/alice/cgi-bin/xxcgi"))
    }

    @Test func anUnknownPrefixOrABrokenExpressionIsAnErrorWithItsLine() {
        let (_, diagnostics) = ProcessIgnore.parse("exe:/bin/a\nexec:/bin/b\npcmd:foo(\n/bin/c\nuser:\n", path: "/etc/csf/csf.pignore")
        #expect(diagnostics.map(\.line) == [2, 3, 4, 5])
        #expect(diagnostics.allSatisfy { $0.severity == .error && $0.file == "/etc/csf/csf.pignore" })
        #expect(diagnostics[0].message.contains("unknown prefix \"exec:\""))
    }
}

@Suite struct ProcessTrackerTests {
    static func process(_ pid: Int32, user: String = "alice", uid: UInt32 = 1000, sid: Int32 = 100, exe: String = "/usr/bin/sleep",
                        command: String = "sleep 300", uptime: Int = 100, vm: Int = 1000, rss: Int = 100, ppid: Int32 = 1) -> ProcessFacts {
        ProcessFacts(identity: ProcessIdentity(pid: pid, startTime: UInt64(pid) * 10), ppid: ppid, pgrp: pid, sid: sid, uid: uid, user: user,
                     exe: exe, command: command, vmSizeKB: vm, vmRSSKB: rss, uptime: uptime)
    }

    static func settings(_ change: (inout ProcessTracker.Settings) -> Void) -> ProcessTracker.Settings {
        var s = ProcessTracker.Settings()
        (s.userProcesses, s.userMemoryMB, s.userRSSMB, s.userSeconds) = (0, 0, 0, 0)
        change(&s)
        return s
    }

    @Test func aUserOverPTUserprocIsReportedOnceWithinLFFlush() {
        var tracker = ProcessTracker(settings: Self.settings { $0.userProcesses = 3 })
        let procs = (1...4).map { Self.process($0) } + [Self.process(9, user: "root", uid: 0), Self.process(10, user: "nobody", uid: 65534)]
        let first = tracker.review(procs, sockets: { _ in [] }, now: 1000)
        #expect(first.map(\.logLine) == ["*Excessive Processes* User:alice Kill:0 Process Count:4"])
        #expect(tracker.review(procs, sockets: { _ in [] }, now: 2000).isEmpty, "reported within LF_FLUSH")
        #expect(tracker.review(procs, sockets: { _ in [] }, now: 4601).count == 1, "reported again after LF_FLUSH")
    }

    @Test func resourcesAreJudgedPerProcessInCsfsWords() {
        var tracker = ProcessTracker(settings: Self.settings { $0.userMemoryMB = 100; $0.userSeconds = 50; $0.userKill = true })
        let findings = tracker.review([Self.process(7, uptime: 60, vm: 200 * 1024)], sockets: { _ in [] }, now: 1)
        guard case .resource(_, let resource, let level, let kill, let lines) = findings.first else { Issue.record("\(findings)"); return }
        #expect(resource == "Process Time" && level == "60 > 50 (seconds)" && kill)
        #expect(lines == ["*User Processing* PID:7 Kill:1 User:alice VM:200(MB) EXE:/usr/bin/sleep CMD:sleep 300",
                          "*User Processing* PID:7 Kill:1 User:alice Time:60 EXE:/usr/bin/sleep CMD:sleep 300"])
    }

    @Test func suspiciousNeedsAgeAndAConnectedSocketAndSkipsRootAndIgnores() {
        let ignore = ProcessIgnore.parse("exe:/usr/sbin/ignored\n", path: "p").0
        var tracker = ProcessTracker(settings: Self.settings { $0.limit = 60 }, ignore: ignore)
        let socket = SocketFact(proto: "tcp", local: "192.0.2.1", localPort: 40000, remote: "198.51.100.7", remotePort: 6667)
        let procs = [Self.process(1, uptime: 61), Self.process(2, uptime: 59), Self.process(3, user: "root", uid: 0, uptime: 500),
                     Self.process(4, exe: "/usr/sbin/ignored", uptime: 500), Self.process(5, exe: "", uptime: 500)]
        var asked: [Int32] = []
        let findings = tracker.review(procs, sockets: { asked.append($0.pid); return [socket] }, now: 1)
        #expect(asked == [1], "only old, non-root, non-ignored processes are looked at")
        #expect(findings.map(\.logLine) == ["*Suspicious Process* PID:1 PPID:1 User:alice Uptime:61 secs EXE:/usr/bin/sleep CMD:sleep 300"])
    }

    @Test func aSessionReachingPTForkbombIsOneRootIncluded() {
        var tracker = ProcessTracker(settings: Self.settings { $0.forkBomb = 3 })
        let bomb = (10...12).map { Self.process($0, user: "root", uid: 0, sid: 10) } + [Self.process(20, sid: 20)]
        let findings = tracker.review(bomb, sockets: { _ in [] }, now: 1)
        #expect(findings.map(\.logLine) == ["*PT_FORKBOMB* PID:12 SID:10 User:root EXE:/usr/bin/sleep CMD:sleep 300"])
        #expect(tracker.forkBomb(session: 10, bomb) != nil && tracker.forkBomb(session: 20, bomb) == nil)
        #expect(tracker.forkBomb(session: 1, (1...5).map { Self.process($0, sid: 1) }) == nil, "session 1 (init's) is never one")
    }

    @Test func skipHTTPSparesAWebServersChildrenAndSocketsOnItsPorts() {
        var tracker = ProcessTracker(settings: Self.settings { $0.limit = 10; $0.skipHTTP = true })
        var apache = Self.process(100, user: "www-data", exe: "/usr/sbin/apache2", command: "/usr/sbin/apache2 -k start", uptime: 500)
        apache.pgrp = 100
        var child = Self.process(101, user: "www-data", exe: "/usr/bin/php", command: "php x.php", uptime: 500, ppid: 100)
        child.pgrp = 100
        let web = SocketFact(proto: "tcp", local: "192.0.2.1", localPort: 443, remote: "198.51.100.7", remotePort: 50000)
        let irc = SocketFact(proto: "tcp", local: "192.0.2.1", localPort: 40000, remote: "198.51.100.7", remotePort: 6667)
        let findings = tracker.review([apache, child], sockets: { $0.pid == 100 ? [web] : [irc] }, now: 1)
        #expect(findings.isEmpty, "the server's own 443 connection and its child are spared: \(findings)")
        tracker.settings.skipHTTP = false
        #expect(tracker.review([apache, child], sockets: { $0.pid == 100 ? [web] : [irc] }, now: 1).count == 2)
    }

    @Test func hungSshdIsWhatCsfMeant() {
        #expect(ProcessTracker.isHungSshd("sshd: unknown [net]") && ProcessTracker.isHungSshd("sshd: unknown [priv]"))
        #expect(!ProcessTracker.isHungSshd("sshd: unknown [netx"), "csf's pattern matched this")
        #expect(!ProcessTracker.isHungSshd("bash -c echo [priv]"), "and this")
    }

    @Test func escapingKeepsAnAlertOnItsLines() {
        #expect(ProcessFacts.escaped(Array("a\nb\"c\\\u{1}".utf8)) == "a\\nb\\\"c\\\\\\01")
    }

    @Test func sessionsAreCountedFromEvents() {
        var sessions = SessionCounter()
        #expect(sessions.add(100, session: 100) == 1)
        #expect(sessions.add(101, session: 100) == 2)
        sessions.startedSession(101)
        #expect(sessions.count(100) == 1 && sessions.count(101) == 1)
        sessions.remove(100)
        #expect(sessions.count(100) == 0 && sessions.members(101) == [101] && sessions.processCount == 1)
    }
}

@Suite struct AccountTrackerTests {
    static let passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n"
    static let shadow = "root:$6$a:1::::::\nalice:$6$b:1::::::\nbob:!:1::::::\n"

    @Test func everyChangeIsToldInCsfsWordsForTheAccountsATAlertWatches() {
        var settings = AccountTracker.Settings()
        settings.scope = 1
        let old = AccountTracker.snapshot(passwd: Self.passwd, shadow: Self.shadow)
        let new = AccountTracker.snapshot(passwd: "root:x:0:0:root:/root:/bin/zsh\nalice:x:0:1000::/srv/alice:/bin/sh\ncarol:x:1002:1002::/home/carol:/bin/sh\n",
                                          shadow: "root:$6$z:1::::::\nalice:$6$b:1::::::\n")
        #expect(AccountTracker.report(from: old, to: new, settings: settings) == [
            "Account [alice] uid has changed from [1000] to [0]",
            "Account [alice] login directory has changed from [/home/alice] to [/srv/alice]",
            "New account [carol] has been created with uid:[1002] gid:[1002] login:[/home/carol] shell:[/bin/sh]",
            "Account [root] password has changed",
            "Account [root] login shell has changed from [/bin/bash] to [/bin/zsh]",
            "Existing account [bob] has been removed. Old settings uid:[1001] gid:[1001] login:[/home/bob] shell:[/bin/sh]",
        ])
        settings.scope = 2
        #expect(AccountTracker.report(from: old, to: new, settings: settings).count == 4, "alice became UID 0: told; carol and bob not")
        settings.scope = 3
        #expect(AccountTracker.report(from: old, to: new, settings: settings).count == 2)
        settings.shell = false
        #expect(AccountTracker.report(from: old, to: new, settings: settings) == ["Account [root] password has changed"])
    }

    @Test func superusersAreUIDZeroAccountsButRootAndTheIgnored() {
        let passwd = "root:x:0:0::/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\nadmin0:x:0:0::/:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n"
        #expect(AccountTracker.superusers(passwd: passwd, ignoring: ["admin0"]) == ["toor"])
        #expect(AccountTracker.superuserReport("toor").report == "Possible root compromise: User account toor is a superuser (UID 0)")
        #expect(AccountTracker.superuserReport("toor").log == "*System Exploit* has detected a possible root compromise (toor = UID 0)")
    }

    @Test func theBaselineRoundTrips() {
        let snapshot = AccountTracker.snapshot(passwd: Self.passwd, shadow: Self.shadow)
        #expect(AccountTracker.decode(AccountTracker.encode(snapshot)) == snapshot)
    }
}

@Suite struct AccountGarbageTests {
    @Test func malformedPasswdShadowAndBaselineLinesAreSkipped() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\n# comment\nshort:x:0\n:x:0:0::/:/bin/sh\n\u{0}\u{1}garbage\ntoor:x:0:0::/root:/bin/sh\n"
        let snapshot = AccountTracker.snapshot(passwd: passwd, shadow: "root\n::::\n\u{ff}")
        #expect(Set(snapshot.keys) == ["root", "toor"])
        #expect(AccountTracker.superusers(passwd: passwd, ignoring: []) == ["toor"])
        #expect(AccountTracker.decode("garbage\nroot\tzz\t0\t0\t/root\t/bin/sh\nroot\t1\t0\n").isEmpty)
    }
}
