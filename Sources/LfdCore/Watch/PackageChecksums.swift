import CsfCompat

/// What the package manager says a file should hold (LF_INTEGRITY): dpkg's `info/<package>.md5sums` lines
/// (`<md5>  <path without the leading />`) and the `Conffiles:` of its status file (` /etc/x <md5>`), or rpm's
/// digests as `rpm -qa --qf` prints them. Paths are kept as packaged; the caller maps them through the host's
/// merged directories (/bin → /usr/bin).
public struct PackageChecksums: Sendable {
    public struct Expected: Sendable, Equatable {
        public var digest: String
        public var package: String
        public var conffile: Bool
    }

    public enum Algorithm: String, Sendable { case md5, sha256 }

    public private(set) var files: [String: Expected] = [:]
    public private(set) var algorithm: Algorithm = .md5

    public init(algorithm: Algorithm = .md5) { self.algorithm = algorithm }

    public var count: Int { files.count }

    public subscript(path: String) -> Expected? { files[path] }

    /// One `<package>.md5sums` file (`package` is its name without the suffix, `libc6:amd64` kept whole).
    public mutating func addMd5sums(_ text: String, package: String) {
        for line in LineScanner.lines(text) {
            guard line.utf8.count > 34, let space = line.firstIndex(of: " ") else { continue }
            let digest = String(line[..<space]).lowercased()
            guard digest.utf8.count == 32, digest.utf8.allSatisfy(ASCII.isHexDigit) else { continue }
            let rest = line[space...].drop { $0 == " " }
            guard !rest.isEmpty else { continue }
            let path = rest.hasPrefix("/") ? String(rest) : "/" + rest
            files[path] = Expected(digest: digest, package: Self.packageName(package), conffile: false)
        }
    }

    /// dpkg's status file: the conffiles of installed packages (an `obsolete` one is skipped: no package owns it).
    public mutating func addStatus(_ text: String) {
        var package = "", installed = false, inConffiles = false
        for line in LineScanner.lines(text) {
            if line.isEmpty { (package, installed, inConffiles) = ("", false, false); continue }
            if line.hasPrefix(" ") {
                guard inConffiles, installed else { continue }
                let fields = line.split(separator: " ")
                guard fields.count >= 2, fields[0].hasPrefix("/"), fields.count == 2 || fields[2] != "obsolete" else { continue }
                let digest = String(fields[1])
                guard digest.utf8.count == 32 else { continue }
                files[String(fields[0])] = Expected(digest: digest, package: package, conffile: true)
                continue
            }
            inConffiles = line.hasPrefix("Conffiles:")
            if line.hasPrefix("Package:") { package = line.dropFirst("Package:".count).trimmingWhitespace() }
            if line.hasPrefix("Status:") { installed = line.hasSuffix(" installed") }
        }
    }

    /// `rpm -qa --qf '[%{FILEDIGESTALGO} %{FILEDIGESTS} %{NAME} %{FILENAMES}\n]'`: algorithm 1 is MD5, 8 SHA-256;
    /// directories and links have an empty digest (two spaces) and are skipped.
    public mutating func addRpmQuery(_ text: String) {
        for line in LineScanner.lines(text) {
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4, !fields[1].isEmpty, fields[3].hasPrefix("/") else { continue }
            let algorithm: Algorithm
            switch fields[0] {
            case "1": algorithm = .md5
            case "8": algorithm = .sha256
            default: continue
            }
            self.algorithm = algorithm
            files[String(fields[3])] = Expected(digest: fields[1].lowercased(), package: String(fields[2]), conffile: false)
        }
    }

    /// The same expectations under other paths (the host's canonical ones).
    public mutating func replaceAll(_ entries: [(String, Expected)]) {
        files = Dictionary(entries, uniquingKeysWith: { first, _ in first })
    }

    static func packageName(_ file: String) -> String {
        file.hasSuffix(".md5sums") ? String(file.dropLast(".md5sums".count)) : file
    }
}
