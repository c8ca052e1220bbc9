import CsfCompat

/// `csf -i ip`: csf's iplookup line (`203.0.113.7 (CN/China/-)`), then what holds the address — list lines,
/// temporary entries, and the downloaded lists and country sets of the running table.
public struct IPLookupReport: Sendable {
    public var address: IPAddress
    /// csf's line, as lfd.log and csf.deny comments show the address.
    public var text: String
    public var country: String?
    public var listing: GrepReport

    /// One line per place that holds the address, in csf's words.
    public var holders: [String] {
        var out = listing.lists.map { "\($0.list == .allow ? "csf.allow" : "csf.deny") (\($0.file):\($0.line))" }
        out += listing.temporary.map { "\($0.kind == .allow ? "csf.tempallow" : "csf.tempban") (\(TempTTL.format($0.remaining)) left)" }
        out += (listing.kernelSets ?? []).compactMap { set in listing.settings[set].map { "\($0) (set \(set))" } }
        return out
    }
}

extension ListCommands {
    public func iplookup(_ text: String) throws(CsfError) -> IPLookupReport {
        guard let address = IPAddress(text) else { throw .refused("lookup failed: [\(text)] is not a valid PUBLIC IP") }
        let lookup = IPLookup(config: config, paths: paths)
        return IPLookupReport(address: address, text: lookup.tip(address), country: lookup.country(address),
                              listing: try grep(address.description))
    }
}
