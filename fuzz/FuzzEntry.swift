// libFuzzer entry for the parsers of untrusted files and arguments. Built by fuzz/run.sh together with
// CsfCompat's sources into one binary; FUZZ_TARGET picks the parser. A crash, a broken round trip (a trap
// below), a hang (-timeout) or runaway memory (-rss_limit_mb) fails the run.

private enum Target: String {
    case address, lists, config
}

private let target = Target(rawValue: Environment.value("FUZZ_TARGET") ?? "") ?? .address

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    switch target {
    case .address: fuzzAddress(bytes)
    case .lists: fuzzLists(bytes)
    case .config: fuzzConfig(bytes)
    }
    return 0
}

private func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

/// Addresses, CIDRs, port lists, TTLs and advanced filters, as they come from the command line.
private func fuzzAddress(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    if case .success(let network) = IPNetwork.parse(bytes[...]) {
        // What parses prints as something that parses back to the same network, and never holds a '%'.
        guard case .success(let again) = IPNetwork.parse(network.description) else {
            return require(false, "\(network) does not parse back")
        }
        require(again == network, "\(network) parses back as \(again)")
        require(!network.description.contains("%"), "a zone id survived: \(network)")
        require(network.address.unmapped == nil, "a mapped address was not normalised: \(network)")
    }
    if let address = IPAddress(text) {
        require(IPAddress(address.description) == address, "\(address) does not round-trip")
    }
    if let ports = try? PortList.parse(text) {
        require(ports.allSatisfy { $0.low <= $0.high }, "inverted range in \(ports)")
    }
    _ = try? TempEntry.parsePorts(text)
    _ = TempTTL.parse(text)
    // The filter parser is as lenient as csf's (unknown fields are inert); the command line refuses control
    // characters before it. What it must do is never crash, and keep a parsed address exact.
    if AdvancedFilter.looksLikeFilter(bytes[...]), let filter = try? AdvancedFilter.parse(Substring(text)),
       let network = filter.address?.network {
        require(IPNetwork(network.description) == network, "filter address \(network) does not round-trip")
    }
}

/// csf.allow/csf.deny/csf.ignore lines and csf.tempban records.
private func fuzzLists(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let list = AccessList.parse(text: text, path: "/fuzz/csf.deny")
    for entry in list.entries {
        require(!entry.comment.contains("\n"), "a comment spans lines: \(entry.comment.debugDescription)")
        if case .network(let n) = entry.kind {
            require(IPNetwork(n.description) == n, "listed \(n) does not round-trip")
        }
    }
    for line in LineScanner.lines(text) {
        if let entry = try? TempEntry.parse(line) {
            require(!entry.line.contains("\n"), "a temp record spans lines")
            require((try? TempEntry.parse(Substring(entry.line)))?.line == entry.line, "\(entry.line) does not round-trip")
        }
    }
}

/// csf.conf: the parser and every value checker.
private func fuzzConfig(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let (config, _) = ConfigParser.parse(text: text, path: "/fuzz/csf.conf")
    for (key, value) in config.values {
        if let spec = ConfigSchema.byName[key] { _ = ConfigSchema.problem(with: value, kind: spec.kind) }
        _ = config.ports(key)
        _ = config.rate(key)
    }
    require(!config.text.isEmpty || config.values.isEmpty, "settings lost in the folded text")
}
