import CsfCompat

/// The lists lfd and the list commands read besides the firewall's own: checked by `--check` like the rest, so
/// a bad line is found before it matters (every bad line is skipped where the list is used).
public enum ListChecks {
    public static func auxiliary(_ paths: CsfPaths) -> [Diagnostic] {
        ignore(paths.ignore) + rignore(paths.etc("csf.rignore")) + uidignore(paths.etc("csf.uidignore"))
            + SmtpAuthRestrict.text(paths).1 + blocklists(paths.etc("csf.blocklists"))
            + DynDnsNames.parse(ListReader.read(paths.etc("csf.dyndns")), filters: true).problems + uiLists(paths)
    }

    /// The web UI's ui.allow and ui.ban (csf-ui prints these at its start too): an address or CIDR per line.
    public static func uiLists(_ paths: CsfPaths) -> [Diagnostic] {
        ignore(paths.etc("ui/ui.allow")) + ignore(paths.etc("ui/ui.ban"))
    }

    /// csf.ignore (addresses and CIDRs lfd never blocks and `csf -d` refuses), and lists of the same form.
    static func ignore(_ path: String) -> [Diagnostic] {
        let reader = ListReader.read(path)
        return reader.diagnostics + reader.lines.compactMap { line in
            if case .failure(let reason) = IPNetwork.parse(line.tokenBytes) {
                return Diagnostic(.error, file: line.file, line: line.line, "'\(shown(line.token))' is \(reason); line skipped")
            }
            return nil
        }
    }

    /// csf.blocklists: `NAME|INTERVAL|MAX|URL` lines (the lists are not loaded yet; a bad line is still the
    /// admin's to know about).
    static func blocklists(_ path: String) -> [Diagnostic] {
        guard let text = try? TextFile.read(path) else { return [] }
        return Blocklists.parse(text, path: path).1
    }

    /// csf.rignore: host names or `.domain` suffixes.
    static func rignore(_ path: String) -> [Diagnostic] {
        let reader = ListReader.read(path)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_".utf8)
        return reader.diagnostics + reader.lines.compactMap { line in
            guard line.tokenBytes.allSatisfy(allowed.contains), line.tokenBytes.contains(where: { $0 != ASCII.dot }) else {
                return Diagnostic(.error, file: line.file, line: line.line, "'\(shown(line.token))' is not a host name or .domain; line skipped")
            }
            return nil
        }
    }

    /// csf.uidignore: numeric user ids.
    static func uidignore(_ path: String) -> [Diagnostic] {
        let reader = ListReader.read(path)
        return reader.diagnostics + reader.lines.compactMap { line in
            guard UInt32(line.token) == nil else { return nil }
            return Diagnostic(.error, file: line.file, line: line.line, "'\(shown(line.token))' is not a numeric uid; line skipped")
        }
    }
}
