import CsfCompat

/// The shipped csf.conf in the shapes the golden rulesets (compat/golden/*.nft) pin: each variant is the shipped
/// file with some keys set, and the same small lists. Shared by the compiler's golden test and the kernel's
/// oracle test, which loads each golden with `nft -f` and compares it with what `csf -s` builds.
public struct GoldenVariant: Sendable {
    public let name: String
    public let settings: [String: String]

    public var goldenPath: String { Repo.path("compat/golden/\(name).nft") }

    public static let all: [GoldenVariant] = [
        GoldenVariant(name: "default", settings: [:]),
        GoldenVariant(name: "ipv4only", settings: ["IPV6": "0"]),
        GoldenVariant(name: "floods", settings: [
            "IPV6": "1", "SYNFLOOD": "1", "SYNFLOOD_PER_SOURCE": "1", "CONNLIMIT": "22;5,80;20",
            "PORTFLOOD": "22;tcp;5;300,53;udp;20;5", "UDPFLOOD": "1", "UDPFLOOD_ALLOWUSER": "",
            "PORTKNOCKING": "2222;tcp;20;1001;1002;1003", "SMTP_BLOCK": "1", "SMTP_ALLOWUSER": "", "SMTP_ALLOWGROUP": "",
            "DROP_IP_LOGGING": "1", "DROP_PF_LOGGING": "1", "CONNLIMIT_LOGGING": "1", "ICMP_TIMESTAMPDROP": "1",
        ]),
        GoldenVariant(name: "docker", settings: ["DOCKER": "1", "IPV6": "1", "DOCKER_NETWORK6": "2001:db8:1::/64"]),
    ]

    /// Lists with one entry of each shape, so every kind of set element and filter rule appears.
    public static let lists: [String: String] = [
        "csf.allow": "192.0.2.10 # office\n198.51.100.0/28 # monitoring\n2001:db8:10::1\ntcp|in|d=22|s=192.0.2.11\n",
        "csf.deny": "203.0.113.5 # lfd\n203.0.113.64/26\n2001:db8:66::/48\ntcp|out|d=25|d=198.51.100.77\n",
        "csf.sips": "192.0.2.99\n",
    ]

    /// csf.conf text: the shipped file with this variant's keys (and TESTING off) in place of the shipped lines.
    public func configText() throws -> String {
        var lines = try TextFile.read(Repo.path("compat/etc/csf/csf.conf")).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (key, value) in (settings.merging(["TESTING": "0"]) { a, _ in a }).sorted(by: { $0.key < $1.key }) {
            lines.removeAll { $0.hasPrefix("\(key) =") }
            lines.append("\(key) = \"\(value)\"")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
