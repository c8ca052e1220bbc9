/// What csf.conf may contain: every key csf knows, its kind and its generic default.
public enum ConfigSchema {
    public enum ValueKind: Sendable, Equatable {
        case bool
        case integer
        case decimal
        case permOrSeconds
        case intRange(Int, Int)
        case optionalIntRange(Int, Int)
        case port
        case portList
        case portProtoList
        case scanPortList
        case rate
        case rateOrZero
        case choice([String])
        case interface
        case interfaceList
        case address
        case addressList
        case network
        case portFloodList
        case connLimitList
        case portKnockList
        case octal
        case text
        case databaseURL
        /// An IO::Socket::SSL version string (UI_SSL_VERSION).
        case tlsVersions
        /// An OpenSSL cipher string (UI_CIPHER).
        case cipherList
    }

    public struct KeySpec: Sendable {
        public let name: String
        public let kind: ValueKind
        public let defaultValue: String
        public let section: String

        init(_ name: String, _ kind: ValueKind, default defaultValue: String, section: String) {
            self.name = name
            self.kind = kind
            self.defaultValue = defaultValue
            self.section = section
        }
    }

    /// The section of the keys nftcsf added to csf's; a csf.conf written for csf has none of them.
    public static let additionsSection = "nftcsf additions"

    public static let byName: [String: KeySpec] = {
        var map: [String: KeySpec] = [:]
        map.reserveCapacity(catalogue.count + panelKeys.count)
        for spec in catalogue { map[spec.name] = spec }
        for name in panelKeys where map[name] == nil {
            map[name] = KeySpec(name, .text, default: "", section: "Control panel")
        }
        return map
    }()

    /// Checks one value against its kind; returns the reason when it does not fit.
    public static func problem(with value: String, kind: ValueKind) -> String? {
        switch kind {
        case .text: return nil
        case .tlsVersions:
            do { _ = try UITLSPolicy.versions(value); return nil } catch { return error.reason }
        case .cipherList:
            do { _ = try UITLSPolicy.suites(value); return nil } catch { return error.reason }
        case .databaseURL:
            if value.isEmpty { return nil }
            do { _ = try ClusterDatabase.parse(value); return nil } catch { return error.reason }
        case .bool:
            return value == "0" || value == "1" ? nil : "expected 0 or 1"
        case .integer, .permOrSeconds:
            return value.isEmpty || isUnsigned(value) ? nil : "expected a whole number"
        case .decimal:
            return value.isEmpty || Double(value) != nil ? nil : "expected a number"
        case .intRange(let lo, let hi):
            guard let n = Int(value), isUnsigned(value), n >= lo, n <= hi else { return "expected a number from \(lo) to \(hi)" }
            return nil
        case .optionalIntRange(let lo, let hi):
            if value.isEmpty { return nil }
            guard let n = Int(value), isUnsigned(value), n >= lo, n <= hi else { return "expected empty or a number from \(lo) to \(hi)" }
            return nil
        case .port:
            guard let n = Int(value), isUnsigned(value), n <= 65535 else { return "expected a port number (0-65535)" }
            return nil
        case .portList:
            do { _ = try PortList.parse(value); return nil } catch { return "\(error)" }
        case .portProtoList:
            for item in items(value) {
                let parts = item.split(separator: ";", omittingEmptySubsequences: false)
                guard parts.count <= 2, let p = Int(parts[0]), p >= 0, p <= 65535,
                      parts.count == 1 || ["tcp", "udp"].contains(parts[1].lowercased()) else {
                    return "invalid port[;proto] item '\(item)'"
                }
            }
            return nil
        case .scanPortList:
            for item in items(value) where !["ICMP", "INVALID", "OPEN", "BRD"].contains(item.uppercased()) {
                if (try? PortList.parse(item)) == nil { return "invalid port or keyword '\(item)'" }
            }
            return nil
        case .rate:
            return Rate(csf: value) == nil ? "expected a rate such as 100/s" : nil
        case .rateOrZero:
            return value == "0" || value.isEmpty || Rate(csf: value) != nil ? nil : "expected 0 or a rate such as 1/s"
        case .choice(let options):
            return options.contains(value) ? nil : "expected one of \(options.map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: ", "))"
        case .interface:
            return value.isEmpty || InterfaceName(csf: value) != nil ? nil : "invalid interface name"
        case .interfaceList:
            for item in items(value) where InterfaceName(csf: item) == nil { return "invalid interface name '\(item)'" }
            return nil
        case .address:
            return value.isEmpty || IPAddress(value) != nil ? nil : "expected an IP address"
        case .addressList:
            for item in items(value) where IPAddress(item) == nil { return "invalid IP address '\(item)'" }
            return nil
        case .network:
            return value.isEmpty || IPNetwork(value) != nil ? nil : "expected an IP network (CIDR)"
        case .portFloodList, .connLimitList, .portKnockList:
            for item in items(value) where !item.split(separator: ";").allSatisfy({ !$0.isEmpty }) {
                return "invalid entry '\(item)'"
            }
            return nil
        case .octal:
            return value.isEmpty || value.allSatisfy({ ("0"..."7").contains($0) }) ? nil : "expected an octal mode"
        }
    }

    package static func isUnsigned(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 18 && s.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// Comma-separated items with white space removed, as csf splits its lists.
    package static func items(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.filter { !$0.isWhitespaceCheaply } }.filter { !$0.isEmpty }
    }
}
