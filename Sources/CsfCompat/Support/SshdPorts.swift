/// The TCP ports sshd listens on, read from its configuration so `csf --check` can say when the firewall
/// would close them. Only `Port` lines count (and `Include`d `*.conf` files, as Debian ships them); with
/// none, or no readable file, sshd's default 22 is assumed.
public enum SshdPorts {
    public static func read(_ paths: CsfPaths) -> [UInt16] {
        var seen = Set<String>()
        let ports = collect(paths.path("/etc/ssh/sshd_config"), paths: paths, depth: 0, seen: &seen)
        return ports.isEmpty ? [22] : Array(Set(ports)).sorted()
    }

    private static func collect(_ path: String, paths: CsfPaths, depth: Int, seen: inout Set<String>) -> [UInt16] {
        guard depth < 4, seen.insert(path).inserted, let text = try? TextFile.read(path) else { return [] }
        var ports: [UInt16] = []
        for raw in LineScanner.lines(text) {
            let words = raw.trimmingWhitespace().split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" })
            guard words.count >= 2, !words[0].hasPrefix("#") else { continue }
            switch words[0].lowercased() {
            case "port":
                if let port = UInt16(words[1]), port > 0 { ports.append(port) }
            case "include":
                for pattern in words.dropFirst() {
                    for file in expand(String(pattern), paths: paths) {
                        ports += collect(file, paths: paths, depth: depth + 1, seen: &seen)
                    }
                }
            case "match":
                return ports   // everything after Match is conditional; Port is not allowed there
            default:
                continue
            }
        }
        return ports
    }

    /// `dir/*.conf` or a plain file name (relative names are under /etc/ssh, as sshd reads them).
    private static func expand(_ pattern: String, paths: CsfPaths) -> [String] {
        let absolute = pattern.hasPrefix("/") ? pattern : "/etc/ssh/" + pattern
        guard let star = absolute.lastIndex(of: "*") else { return [paths.path(absolute)] }
        guard let slash = absolute[..<star].lastIndex(of: "/") else { return [] }
        let dir = String(absolute[..<slash])
        let prefix = String(absolute[absolute.index(after: slash)..<star])
        let suffix = String(absolute[absolute.index(after: star)...])
        return FileSystem.listDirectory(paths.path(dir))
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) && !$0.hasPrefix(".") }
            .sorted()
            .map { paths.path(dir) + "/" + $0 }
    }
}
