import Foundation
import CsfCompat
import CsfTestSupport

/// How a daemon's messages reach the disk: the three ways a hosting server logs (issue 14), plus the daemon's
/// own log file where it has one.
enum LogWay: String, CaseIterable, Sendable {
    /// rsyslog, `RSYSLOG_TraditionalFileFormat`: `Dec  1 12:00:00 host prog[pid]: msg`.
    case traditional
    /// rsyslog, `RSYSLOG_FileFormat` (Debian's default): high-precision ISO 8601 timestamps.
    case precise
    /// rsyslog, `RSYSLOG_SyslogProtocol23Format`: RFC 5424 lines.
    case rfc5424
    /// systemd-journald only, no rsyslog: the *_LOG files do not exist and lfd reads the journal.
    case journal
    /// The daemon's own log file (Apache's error.log, vsftpd.log, a BIND channel...).
    case file

    var rsyslogTemplate: String? {
        switch self {
        case .traditional: "RSYSLOG_TraditionalFileFormat"
        case .precise: "RSYSLOG_FileFormat"
        case .rfc5424: "RSYSLOG_SyslogProtocol23Format"
        case .journal, .file: nil
        }
    }
}

/// A private host inside the lab's firewall namespace: its own mount namespace with tmpfs /run, /var/log and a
/// minimal /dev (so /dev/log is a socket of ours, never the host's), a user `alice` (password `secret`) that
/// exists only there, a syslog daemon logging one of the `LogWay`s, the daemons under test, and lfd. Nothing of
/// the host's /dev, /run, /var/log, /etc/passwd or services is touched: every mount is private, and `stop()`
/// ends every process of the mount namespace.
struct PrivateHost {
    let lab: NetLab
    let way: LogWay
    let dir: String
    /// The daemon (a `run` name) whose process tree lfd's process tracking may judge and kill; none by default.
    var processScope: String?

    init(lab: NetLab, way: LogWay) throws {
        Self.sweepStale()
        self.lab = lab
        self.way = way
        // Daemons drop privileges and must traverse it (the lab's own root is 0700).
        dir = "/tmp/nftcsf-host-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        for sub in ["", "/etc", "/run", "/pids"] {
            try FileManager.default.createDirectory(atPath: dir + sub, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
    }

    /// `crypt("secret")`, SHA-512, for alice's shadow entry.
    static let secretHash = "$6$nftcsf$OXtKoThHZ62x8L0rlizcTBm5zId/qQ72svK7LQQ9Wno3Cgz/G2CFSMAzJuQ/nEeuwRm99u5efPN3LaZH6tg3f1"

    /// Shell text, run as root in the private mount namespace, that sets the host up and starts `daemons`
    /// (shell lines; each starts one daemon in the foreground, in the background, with `run NAME cmd...`) and lfd.
    func script(daemons: String, extraUsers: [String] = []) -> String {
        let env = lab.csfEnvironment.merging(["NFTCSF_DETECTORS": Repo.path("compat/detectors")]) { $1 }
            .map { "export \($0.key)='\($0.value)'" }.joined(separator: "\n")
        let passwd = ["alice:x:2001:2001:Alice:\(dir)/home/alice:/bin/sh"] + extraUsers
        let users = passwd.joined(separator: "\n")
        // Each user gets a group of its own name and gid.
        let groups = passwd.map { $0.split(separator: ":", omittingEmptySubsequences: false) }.filter { $0.count > 3 }
            .map { "\($0[0]):x:\($0[3]):" }.joined(separator: "\n")
        return """
        set -e
        \(RealDaemons.closeInherited)
        mount -t tmpfs -o mode=755 tmpfs /run
        mount -t tmpfs -o mode=755 tmpfs /var/log
        mountpoint -q /sys/fs/cgroup || mount -t cgroup2 -o ro cgroup2 /sys/fs/cgroup
        # A /dev of our own: the daemons' /dev/log is the syslog daemon started below.
        mount -t tmpfs -o mode=755 tmpfs /dev
        for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do set -- $n; mknod -m 666 /dev/$1 c $2 $3; done
        mkdir /dev/pts /dev/shm
        mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
        ln -s pts/ptmx /dev/ptmx
        mount -t tmpfs tmpfs /dev/shm
        ln -s /proc/self/fd /dev/fd
        for i in 0:stdin 1:stdout 2:stderr; do ln -s /proc/self/fd/${i%%:*} /dev/${i#*:}; done
        # Users that exist only here.
        mkdir -p \(dir)/home/alice && chown 2001:2001 \(dir)/home/alice
        cp /etc/passwd /etc/shadow /etc/group \(dir)/etc/
        printf '%s\\n' '\(users)' >> \(dir)/etc/passwd
        echo 'alice:\(Self.secretHash):20000:0:99999:7:::' >> \(dir)/etc/shadow
        printf '%s\\n' '\(groups)' >> \(dir)/etc/group
        # No resolver: reverse lookups of the peers fail at once instead of timing out.
        echo 'nameserver 127.0.0.1' > \(dir)/etc/resolv.conf
        for f in passwd shadow group resolv.conf; do mount --bind \(dir)/etc/$f /etc/$f; done
        # pam_unix without its 2 s pause after a failure: the matrix makes hundreds (the lines are the same).
        sed 's/pam_unix.so/pam_unix.so nodelay/' /etc/pam.d/common-auth > \(dir)/etc/common-auth
        mount --bind \(dir)/etc/common-auth /etc/pam.d/common-auth
        # Mail from anything in here (sudo tells root of a refused user) stays here: never the host's mail queue.
        printf '#!/bin/sh\ncat >> \(dir)/run/sendmail.out\n' > \(dir)/etc/sendmail && chmod 0755 \(dir)/etc/sendmail
        touch \(dir)/run/sendmail.out && chmod 0666 \(dir)/run/sendmail.out
        if [ -e /usr/sbin/sendmail ]; then mount --bind \(dir)/etc/sendmail /usr/sbin/sendmail; fi
        run() { name=$1; shift; setsid "$@" </dev/null >>\(dir)/run/$name.out 2>&1 & echo $! > \(dir)/pids/$name.pid; }
        # A witness that lives as long as the host and names its directory: how stop() finds this namespace.
        run 00-witness bash -c 'exec -a "nftcsf-witness \(dir)" sleep 2147483647'
        \(logDaemon)
        \(daemons)
        \(env)
        \(processScope.map { "export NFTCSF_PROCESS_SCOPE=$(cat \(dir)/pids/\($0).pid)" } ?? "")
        \(NetLab.lfdBinary)
        """
    }

    private var logDaemon: String {
        switch way {
        case .journal:
            return """
            mkdir -p /run/systemd/journal /run/log/journal
            run journald /lib/systemd/systemd-journald
            for i in $(seq 100); do [ -S /run/systemd/journal/dev-log ] && break; sleep 0.05; done
            ln -s /run/systemd/journal/dev-log /dev/log
            """
        case .traditional, .precise, .rfc5424, .file:
            // Debian's layout: auth.log, mail.log, and the rest in syslog.
            let t = way.rsyslogTemplate ?? "RSYSLOG_FileFormat"
            return """
            mkdir -p /run/rsyslog
            touch /var/log/auth.log /var/log/mail.log /var/log/syslog
            cat > /run/rsyslog.conf <<'CONF'
            global(workDirectory="/run/rsyslog")
            module(load="imuxsock" SysSock.RateLimit.Interval="0")
            auth,authpriv.* action(type="omfile" file="/var/log/auth.log" template="\(t)")
            mail.* action(type="omfile" file="/var/log/mail.log" template="\(t)")
            *.*;auth,authpriv.none,mail.none action(type="omfile" file="/var/log/syslog" template="\(t)")
            CONF
            run rsyslogd /usr/sbin/rsyslogd -n -f /run/rsyslog.conf -i /run/rsyslogd.pid
            for i in $(seq 100); do [ -S /dev/log ] && break; sleep 0.05; done
            """
        }
    }

    /// Writes the script and runs it in a new private mount namespace of the firewall namespace.
    func start(daemons: String, extraUsers: [String] = []) throws -> Shell.Result {
        try script(daemons: daemons, extraUsers: extraUsers).write(toFile: dir + "/start.sh", atomically: true, encoding: .utf8)
        return try Shell.run(["ip", "netns", "exec", lab.fw, "unshare", "-m", "--propagation", "private", "bash", dir + "/start.sh"])
    }

    /// A process of the private host, to reach its files through /proc/PID/root: one its pid files name that is
    /// still in a mount namespace other than ours and holds this host's directory on its command line or in
    /// its environment (a pid file outlives its process, and the pid may have gone to someone else's).
    private var witness: Int32? {
        let own = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/mnt")
        let pidFiles = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/pids")) ?? []
        for name in pidFiles.sorted() {
            guard let text = try? String(contentsOfFile: dir + "/pids/" + name, encoding: .utf8),
                  let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0,
                  let ns = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/mnt"), ns != own,
                  lab.isOurs(pid) || Self.commandLine(pid).contains(dir) else { continue }
            return pid
        }
        return nil
    }

    /// Runs a command in the private host's mount namespace (its /dev/log, its /etc/passwd).
    func run(_ argv: [String]) throws -> Shell.Result {
        guard let pid = witness else { throw Shell.Failure(description: "the private host is not running") }
        return try Shell.run(["nsenter", "-m", "-t", String(pid), "--"] + argv)
    }

    /// A file as the private host sees it (its /var/log is not the host's), empty when unreadable.
    func file(_ path: String) -> String {
        guard let pid = witness else { return "" }
        return (try? String(contentsOfFile: "/proc/\(pid)/root" + path, encoding: .utf8)) ?? ""
    }

    /// Everything the daemons logged, for a failure message and for captured samples.
    var logs: String {
        guard let pid = witness else { return "(host stopped)" }
        if way == .journal {
            let r = try? Shell.run(["nsenter", "-m", "-t", String(pid), "journalctl", "-o", "short-precise", "--no-pager", "-q"])
            return r?.stdout ?? ""
        }
        let base = "/proc/\(pid)/root/var/log"
        let names = ((FileManager.default.subpaths(atPath: base)) ?? []).sorted()
            .filter { !FileSystem.isDirectory(base + "/" + $0) }
        return names.map { "== /var/log/\($0)\n" + ((try? String(contentsOfFile: base + "/" + $0, encoding: .utf8)) ?? "") }.joined(separator: "\n")
            + ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/run")) ?? []).filter { $0.hasSuffix(".out") }.sorted()
            .map { "\n== \($0)\n" + ((try? String(contentsOfFile: dir + "/run/" + $0, encoding: .utf8)) ?? "") }.joined()
    }

    /// Ends lfd, then every process of the private mount namespace (SIGTERM, then SIGKILL), and removes `dir`.
    /// The namespace is held open meanwhile: once its last process is gone the kernel would give its number to the
    /// next new namespace (any `ip netns exec`), and the SIGKILL round would find that one's processes.
    func stop() {
        lab.stopLfd()
        let held = witness.map { open("/proc/\($0)/ns/mnt", O_RDONLY | O_CLOEXEC) } ?? -1
        defer { if held >= 0 { close(held) } }
        if held >= 0, let ns = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(held)") {
            for signal in [SIGTERM, SIGKILL] {
                let members = Self.processes(inMountNamespace: ns)
                for p in members { kill(p, signal) }
                for _ in 0..<20 where !Self.processes(inMountNamespace: ns).isEmpty { usleep(50_000) }
            }
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Private hosts of test processes that died without stopping them (a killed run): their daemons are ended
    /// and their directories removed, as NetLab removes such a run's namespaces.
    static func sweepStale() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for name in names where name.hasPrefix("nftcsf-host-") {
            let parts = name.split(separator: "-")
            guard parts.count >= 4, let owner = Int32(parts[2]), owner != getpid(), kill(owner, 0) != 0 else { continue }
            let dir = "/tmp/" + name
            for pidFile in (try? FileManager.default.contentsOfDirectory(atPath: dir + "/pids")) ?? [] {
                guard let text = try? String(contentsOfFile: dir + "/pids/" + pidFile, encoding: .utf8),
                      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                      let ns = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/mnt"),
                      ns != (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/mnt")) else { continue }
                // A pid may have been reused: only a namespace one of whose processes names this host's directory.
                let members = processes(inMountNamespace: ns)
                guard members.contains(where: { commandLine($0).contains(dir) }) else { continue }
                for p in members { kill(p, SIGKILL) }
            }
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    static func commandLine(_ pid: Int32) -> String { Daemon.commandLine(pid) }

    private static func processes(inMountNamespace ns: String) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
            .filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\($0)/ns/mnt")) == ns }
    }
}

