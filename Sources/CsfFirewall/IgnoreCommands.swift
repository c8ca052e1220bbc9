import CsfCompat

extension ListCommands {
    // MARK: csf.ignore (what a fleet's `-ci` / `-cir` change; lfd rereads the file on SIGHUP)

    /// Appends `ip # comment - time` to csf.ignore unless a line already names the address.
    public func ignore(_ targetText: String, comment: String) throws(CsfError) -> ListChange {
        let lock = try self.lock()
        defer { withExtendedLifetime(lock) {} }
        let net = try Self.plainNetwork(targetText)
        let note = try CommandComment.validate(comment)
        var change = ListChange()
        let file = try ListFile.load(paths.ignore)
        if isListed(.network(net), in: file) {
            change.messages.append("csf: \(net) is already in \(paths.ignore)")
            return change
        }
        _ = try FileSystem.appendLine(paths.ignore, "\(net) # \(note) - \(Self.ctime(clock()))")
        change.messages.append("Adding \(net) to csf.ignore")
        change.changed = true
        change.added = [net.description]
        return change
    }

    /// Removes the lines of csf.ignore whose address is the target (Include'd files are left alone).
    public func ignoreRemove(_ targetText: String) throws(CsfError) -> ListChange {
        let lock = try self.lock()
        defer { withExtendedLifetime(lock) {} }
        let net = try Self.plainNetwork(targetText)
        let file = try ListFile.load(paths.ignore)
        let drop = Set(file.lines.indices.filter { i in file.token(i).flatMap(\.listedNetwork) == net })
        var change = ListChange()
        guard !drop.isEmpty else {
            change.messages.append("csf: \(net) not found in csf.ignore")
            return change
        }
        try FileSystem.writeAtomically(file.path, bytes: file.removing(drop), mode: 0o644)
        change.messages.append("Removing \(net) from csf.ignore")
        change.changed = true
        change.removed = [net.description]
        return change
    }

    static func plainNetwork(_ text: String) throws(CsfError) -> IPNetwork {
        guard case .success(let parsed) = IPNetwork.parse(text), parsed.prefix > 0 else {
            throw .refused("csf: [\(text)] is not a valid PUBLIC IP/CIDR")
        }
        return parsed.network
    }
}
