import CsfCompat
import CsfPolicy

/// Turns the typed table into nft's text syntax. Every value that is not a number or an address passes
/// through `quoted(_:)` or `identifier(_:)`, so no input can add syntax to the script.
public struct NftRenderer {
    public struct RenderError: Error, CustomStringConvertible {
        public let description: String
    }

    /// A script that replaces the table in one transaction: declaring the table first makes the delete
    /// valid when it does not exist yet, and libnftables applies the whole buffer atomically.
    public static func replaceScript(_ table: NftTable) throws(RenderError) -> String {
        var out = ""
        out.reserveCapacity(estimatedSize(table))
        let head = "\(table.family) \(try identifier(table.name))"
        out += "table \(head)\ndelete table \(head)\n"
        try render(table, into: &out)
        return out
    }

    public static func render(_ table: NftTable) throws(RenderError) -> String {
        var out = ""
        out.reserveCapacity(estimatedSize(table))
        try render(table, into: &out)
        return out
    }

    static func estimatedSize(_ table: NftTable) -> Int {
        table.sets.reduce(4096) { $0 + $1.elements.count * 48 }
    }

    static func render(_ table: NftTable, into out: inout String) throws(RenderError) {
        out += "table \(table.family) \(try identifier(table.name)) {\n"
        for set in table.sets { try render(set, into: &out) }
        if let mark = table.connectionMark { out += mark.declarations() }
        for chain in table.chains { try render(chain, into: &out) }
        out += "}\n"
    }

    static func render(_ set: NftSet, into out: inout String) throws(RenderError) {
        out += "\tset \(try identifier(set.name)) {\n\t\ttype \(set.keyType.rawValue)\n"
        if !set.flags.isEmpty { out += "\t\tflags \(set.flags.map(\.rawValue).joined(separator: ","))\n" }
        if let size = set.size { out += "\t\tsize \(size)\n" }
        if let timeout = set.defaultTimeout { out += "\t\ttimeout \(timeout)s\n" }
        out += "\t\tcomment \(try quoted(set.comment))\n"
        if !set.elements.isEmpty {
            out += "\t\telements = { "
            var bytes: [UInt8] = []
            bytes.reserveCapacity(set.elements.count * 20)
            var first = true
            for element in set.elements {
                if !first { bytes.append(contentsOf: [44, 10, 9, 9, 9]) }   // ",\n\t\t\t"
                first = false
                element.network.appendText(to: &bytes)
                if let last = element.last {
                    bytes.append(45)   // "-"
                    IPNetwork(host: last).appendText(to: &bytes)
                }
                if let port = element.port {
                    bytes.append(contentsOf: " . \(port.proto.rawValue) . \(port.port)".utf8)
                }
                if let timeout = element.timeout {
                    bytes.append(contentsOf: " timeout \(max(1, timeout))s".utf8)
                }
                // A comment nft could not store is left out: it is inert data, never a reason to refuse a start.
                if let comment = element.comment, !comment.isEmpty, CommentText.problem(Substring(comment)) == nil {
                    bytes.append(contentsOf: " comment \"\(CommentText.truncated(comment))\"".utf8)
                }
            }
            out += String(decoding: bytes, as: UTF8.self)
            out += " }\n"
        }
        out += "\t}\n"
    }

    static func render(_ chain: NftChain, into out: inout String) throws(RenderError) {
        out += "\tchain \(try identifier(chain.name)) {\n"
        if let base = chain.base {
            out += "\t\ttype \(base.kind.rawValue) hook \(base.hook.rawValue) priority \(base.priority);"
            if let policy = base.policy { out += " policy \(try verdict(policy));" }
            out += "\n"
        }
        for rule in chain.rules {
            out += "\t\t"
            out += try render(rule)
            out += "\n"
        }
        out += "\t}\n"
    }

    public static func render(_ rule: NftRule) throws(RenderError) -> String {
        var parts: [String] = []
        for m in rule.matches { parts.append(try match(m)) }
        for s in rule.statements { parts.append(try statement(s)) }
        if let v = rule.verdict { parts.append(try verdict(v)) }
        parts.append("comment \(try quoted(rule.comment))")
        return parts.joined(separator: " ")
    }

    static func addressKeyword(_ family: IPAddress.Family) -> String { family == .v4 ? "ip" : "ip6" }

    static func match(_ m: NftMatch) throws(RenderError) -> String {
        switch m {
        case .family(let f): return "meta nfproto \(f.rawValue)"
        case .iifLoopback: return "iif \"lo\""
        case .iifname(let name, let neg): return "iifname \(neg ? "!= " : "")\(try quoted(name.nftPattern))"
        case .oifname(let name, let neg): return "oifname \(neg ? "!= " : "")\(try quoted(name.nftPattern))"
        case .l4proto(let p): return "meta l4proto \(p == .icmpv6 ? "ipv6-icmp" : p.rawValue)"
        case .dport(let p, let ports): return "\(try portProto(p)) dport \(try portSet(ports))"
        case .sport(let p, let ports): return "\(try portProto(p)) sport \(try portSet(ports))"
        case .saddr(let f, let ref): return "\(addressKeyword(f)) saddr \(try address(ref, family: f))"
        case .daddr(let f, let ref): return "\(addressKeyword(f)) daddr \(try address(ref, family: f))"
        case .saddrLowBits(let f, let mask, let value):
            let low = { (bits: UInt32) in f == .v4 ? IPAddress.v4(bits).description : IPAddress.v6(hi: 0, lo: UInt64(bits)).description }
            return "\(addressKeyword(f)) saddr & \(low(mask)) == \(low(value & mask))"
        case .connCountOver(let f, let set, let limit):
            return "add @\(try identifier(set)) { \(addressKeyword(f)) saddr ct count over \(limit) }"
        case .addressPortInSet(let f, let source, let set):
            return "\(addressKeyword(f)) \(source ? "saddr" : "daddr") . meta l4proto . th dport @\(try identifier(set))"
        case .ctMark(let mask, let set, let negated):
            return "ct mark & \(ConnectionMark.hex(mask)) \(negated ? "!=" : "==") @\(try identifier(set))"
        case .ctDirectionOriginal(let original): return "ct direction \(original ? "original" : "reply")"
        case .ctStatusDnat: return "ct status dnat"
        case .ctState(let states):
            guard !states.isEmpty else { throw RenderError(description: "empty ct state match") }
            return "ct state \(states.map(\.rawValue).joined(separator: ","))"
        case .icmpType(let f, let types):
            var names: [String] = []
            for t in types {
                guard let n = IcmpTypes.nftName(t, family: f) else { throw RenderError(description: "invalid ICMP type \(t)") }
                names.append(n)
            }
            guard !names.isEmpty else { throw RenderError(description: "empty ICMP type match") }
            let kw = f == .v4 ? "icmp type" : "icmpv6 type"
            return names.count == 1 ? "\(kw) \(names[0])" : "\(kw) { \(names.joined(separator: ", ")) }"
        case .tcpFlags(let mask, let value, let neg):
            return "tcp flags & (\(flagNames(mask))) \(neg ? "!=" : "==") \(value.isEmpty ? "0x0" : flagNames(value))"
        case .skuid(let uid): return "meta skuid \(uid)"
        case .skgid(let gid): return "meta skgid \(gid)"
        case .hopLimit(let hl): return "ip6 hoplimit \(hl)"
        case .limit(let rate, let burst): return "limit rate \(rate) burst \(burst) packets"
        }
    }

    static func statement(_ s: NftStatement) throws(RenderError) -> String {
        switch s {
        case .counter: return "counter"
        case .ctMarkSetFromState(let map): return "ct mark set ct state map @\(try identifier(map))"
        case .ctMarkOr(let bits): return "ct mark set ct mark | \(ConnectionMark.hex(bits))"
        case .log(let prefix, let uid, let group):
            if let group { return "log prefix \(try quoted(prefix)) group \(group)" }
            return "log prefix \(try quoted(prefix))\(uid ? " flags skuid" : "")"
        case .setLimitSource(let set, let family, let rate, let burst):
            return "update @\(try identifier(set)) { \(addressKeyword(family)) saddr limit rate \(rate) burst \(burst) packets }"
        case .setDeleteSource(let set, let family):
            return "delete @\(try identifier(set)) { \(addressKeyword(family)) saddr }"
        case .setAddSource(let set, let family, let update, let limit, let burst):
            let limitText = limit.map { " limit rate over \($0) burst \(burst) packets" } ?? ""
            return "\(update ? "update" : "add") @\(try identifier(set)) { \(addressKeyword(family)) saddr\(limitText) }"
        }
    }

    static func verdict(_ v: NftVerdict) throws(RenderError) -> String {
        switch v {
        case .accept: return "accept"
        case .drop: return "drop"
        case .reject: return "reject"
        case .rejectTcpReset: return "reject with tcp reset"
        case .return: return "return"
        case .jump(let chain): return "jump \(try identifier(chain))"
        case .goto(let chain): return "goto \(try identifier(chain))"
        case .redirect(let port): return port.map { "redirect to :\($0)" } ?? "redirect"
        case .dnat(let addr, let port):
            let target = port.map { addr.family == .v4 ? "\(addr):\($0)" : "[\(addr)]:\($0)" } ?? addr.description
            return "dnat \(addressKeyword(addr.family)) to \(target)"
        case .snat(let addr): return "snat \(addressKeyword(addr.family)) to \(addr)"
        case .masquerade: return "masquerade"
        }
    }

    static func portProto(_ p: IPProtocol) throws(RenderError) -> String {
        guard p == .tcp || p == .udp else { throw RenderError(description: "ports need tcp or udp") }
        return p.rawValue
    }

    static func portSet(_ ports: [PortRange]) throws(RenderError) -> String {
        let normalized = PortList.normalized(ports)
        guard !normalized.isEmpty else { throw RenderError(description: "empty port list") }
        if normalized.count == 1 { return normalized[0].description }
        return "{ " + normalized.map(\.description).joined(separator: ", ") + " }"
    }

    static func address(_ ref: NftAddressRef, family: IPAddress.Family) throws(RenderError) -> String {
        switch ref {
        case .set(let name): return "@" + (try identifier(name))
        case .network(let net):
            guard net.family == family else { throw RenderError(description: "address \(net) is not \(family.rawValue)") }
            return net.description
        }
    }

    static func flagNames(_ flags: NftTcpFlags) -> String {
        let names: [(NftTcpFlags, String)] = [(.fin, "fin"), (.syn, "syn"), (.rst, "rst"), (.psh, "psh"), (.ack, "ack"), (.urg, "urg")]
        return names.filter { flags.contains($0.0) }.map(\.1).joined(separator: "|")
    }

    public static func identifier(_ name: String) throws(RenderError) -> String {
        guard let first = name.utf8.first, (first >= 97 && first <= 122) || (first >= 65 && first <= 90),
              name.utf8.count <= 64,
              name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 })
        else { throw RenderError(description: "invalid nft identifier '\(name)'") }
        return name
    }

    public static func quoted(_ text: String) throws(RenderError) -> String {
        if let problem = CommentText.problem(Substring(text)) {
            throw RenderError(description: "string \(problem)")
        }
        guard text.utf8.count <= 256 else { throw RenderError(description: "string too long") }
        return "\"" + text + "\""
    }
}
