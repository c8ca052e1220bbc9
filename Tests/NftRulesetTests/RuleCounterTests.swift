import Testing
@testable import NftRuleset

struct RuleCounterParseTests {
    static let listing = """
    table inet csf {
    \tset deny4 {
    \t\ttype ipv4_addr
    \t\tflags interval
    \t}
    \tchain INPUT {
    \t\ttype filter hook input priority filter; policy drop;
    \t\tiif "lo" counter packets 5 bytes 300 accept comment "loopback"
    \t\tcounter packets 10 bytes 1000 jump DENYIN comment "csf.deny"
    \t\ttcp dport 22 ct state new counter packets 3 bytes 180 accept comment "TCP_IN"
    \t\ttcp dport 80 ct state new counter packets 4 bytes 240 accept comment "TCP_IN"
    \t\tcounter packets 1 bytes 60 drop
    \t}
    \tchain DENYIN {
    \t\tip saddr @deny4 counter packets 7 bytes 420 drop comment "csf.deny"
    \t}
    }
    """

    @Test func countersAreSummedPerChainAndSetting() {
        let counters = RuleCounter.parse(Self.listing)
        #expect(counters == [
            RuleCounter(chain: "INPUT", setting: "loopback", packets: 5, bytes: 300),
            RuleCounter(chain: "INPUT", setting: "csf.deny", packets: 10, bytes: 1000),
            RuleCounter(chain: "INPUT", setting: "TCP_IN", packets: 7, bytes: 420),
            RuleCounter(chain: "INPUT", setting: "-", packets: 1, bytes: 60),
            RuleCounter(chain: "DENYIN", setting: "csf.deny", packets: 7, bytes: 420),
        ])
    }

    @Test func setBodiesAndMalformedCountersAreNotRules() {
        #expect(RuleCounter.parse("table inet csf {\n\tset s {\n\t\tcounter packets 9 bytes 9\n\t}\n}").isEmpty)
        #expect(RuleCounter.parse("\tchain X {\n\t\tcounter packets x bytes 1 drop\n\t}").isEmpty)
    }
}
