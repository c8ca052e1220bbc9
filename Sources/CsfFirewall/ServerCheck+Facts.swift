#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import NftKernel

extension ServerCheck.Facts {
    /// Reads the host: files through CSF_ROOT (`paths`), sockets from this network namespace's /proc/net, the
    /// kernel's table through `kernel`, pending updates from the package manager (simulated, nothing changed).
    public static func read(paths: CsfPaths, kernel: any KernelPort, host: HostAddresses = .current()) -> Self {
        var f = Self()
        f.firewallRunning = try? kernel.isRunning()
        f.hostHasGlobalIPv6 = host.addresses.contains { address in
            guard address.family == .v6, !address.isLoopback else { return false }
            let text = address.description.lowercased()
            return !(text.hasPrefix("fe8") || text.hasPrefix("fe9") || text.hasPrefix("fea") || text.hasPrefix("feb"))
        }
        (f.sshd, f.sshdConfigFound) = sshdSettings(paths)
        for key in ServerCheck.sysctlKeys {
            if let text = try? TextFile.read(paths.path("/proc/sys/" + key)) { f.sysctls[key] = text.trimmingWhitespace() }
        }
        for dir in ["/tmp", "/var/tmp", "/dev/shm"] {
            var st = stat()
            if stat(paths.path(dir), &st) == 0, st.st_mode & 0o002 != 0, st.st_mode & 0o1000 == 0 { f.stickyMissing.append(dir) }
        }
        f.worldWritable = worldWritable(paths)
        f.listeners = listeners()
        (f.updates, f.packageManager) = pendingUpdates(paths)
        return f
    }

    /// sshd_config as sshd reads it: the first value of a keyword wins, Include files are read where they stand,
    /// a Match block ends the global part.
    static func sshdSettings(_ paths: CsfPaths) -> ([String: String], Bool) {
        var settings: [String: String] = [:]
        var found = false
        var depth = 0
        func read(_ path: String) {
            guard depth < 8, let text = try? TextFile.read(path) else { return }
            found = true
            depth += 1
            defer { depth -= 1 }
            for raw in LineScanner.lines(text) {
                let line = raw.trimmingWhitespace()
                if line.isEmpty || line.hasPrefix("#") { continue }
                let parts = line.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" })
                guard parts.count == 2 else { continue }
                let key = parts[0].lowercased(), value = parts[1].trimmingWhitespace()
                if key == "match" { return }
                if key == "include" {
                    for pattern in value.split(separator: " ") {
                        let absolute = pattern.hasPrefix("/") ? String(pattern) : "/etc/ssh/" + pattern
                        for file in LogSourcePlan.expandGlob(paths.path(absolute)).sorted() { read(file) }
                    }
                    continue
                }
                if key == "port", let old = settings[key] { settings[key] = old + " " + value; continue }
                if settings[key] == nil { settings[key] = value }
            }
        }
        read(paths.path("/etc/ssh/sshd_config"))
        return (settings, found)
    }

    /// World-writable directories without the sticky bit under the system trees, a few levels deep, never
    /// following a link.
    static func worldWritable(_ paths: CsfPaths, limit: Int = 200_000) -> [String] {
        var found: [String] = []
        var pending = ["/etc", "/usr", "/var", "/opt", "/srv"].map { (paths.path($0), 0) }
        var visited = 0
        while let (dir, depth) = pending.popLast(), visited < limit {
            for name in FileSystem.listDirectory(dir) {
                visited += 1
                let path = dir + "/" + name
                var st = stat()
                guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
                if st.st_mode & 0o002 != 0 && st.st_mode & 0o1000 == 0 {
                    found.append(paths.root == "/" ? path : String(path.dropFirst(paths.path("/").count - 1)))
                }
                if depth < 3 { pending.append((path, depth + 1)) }
            }
        }
        return found.sorted()
    }

    /// TCP sockets listening and UDP sockets bound, in this network namespace.
    static func listeners() -> [ServerCheck.Listener] {
        var out: [ServerCheck.Listener] = []
        for (file, proto) in [("tcp", "tcp"), ("tcp6", "tcp"), ("udp", "udp"), ("udp6", "udp")] {
            guard let text = try? TextFile.read("/proc/net/" + file) else { continue }
            for s in ProcNetSocket.parse(text) {
                let listening = proto == "tcp" ? s.state == ProcNetSocket.tcpListen : s.state == ProcNetSocket.udpUnconnected
                guard listening else { continue }
                out.append(ServerCheck.Listener(proto: proto, port: Int(s.localPort), address: s.local.description, isLoopback: s.local.isLoopback))
            }
        }
        return out
    }

    /// apt's simulated upgrade (`Inst` lines) or dnf's list of upgrades from its cache; nil when neither answers.
    static func pendingUpdates(_ paths: CsfPaths) -> (Int?, String) {
        if FileSystem.isExecutableFile("/usr/bin/apt-get") {
            // Without package lists apt finds nothing to upgrade, which says nothing about what is pending.
            let lists = FileSystem.listDirectory(paths.path("/var/lib/apt/lists")).filter { $0.hasSuffix("Packages") || $0.hasSuffix("Packages.lz4") }
            guard !lists.isEmpty else { return (nil, "apt") }
            var argv = ["/usr/bin/apt-get", "-s", "-o", "Debug::NoLocking=true"]
            if paths.root != "/" { argv += ["-o", "Dir=" + paths.root] }
            guard let out = Subprocess.output(argv + ["upgrade"], timeout: 60) else { return (nil, "apt") }
            return (LineScanner.lines(out).filter { $0.hasPrefix("Inst ") }.count, "apt")
        }
        if FileSystem.isExecutableFile("/usr/bin/dnf"), paths.root == "/" {
            guard let out = Subprocess.output(["/usr/bin/dnf", "-q", "--cacheonly", "list", "--upgrades"], timeout: 60) else { return (nil, "dnf") }
            return (LineScanner.lines(out).filter { !$0.isEmpty && !$0.hasPrefix("Available Upgrades") && !$0.hasPrefix("Upgradable") }.count, "dnf")
        }
        return (nil, "")
    }
}
