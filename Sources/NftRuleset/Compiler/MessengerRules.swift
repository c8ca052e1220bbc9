import CsfCompat
import CsfPolicy

/// MESSENGER (reference §7.1): set membership instead of csf's rule per blocked address. Prerouting redirects a
/// listed or temporarily banned source's new connections to the *_IN ports onto the local messenger ports; INPUT
/// accepts them, rate-limited, before the lists drop that source. Only redirected connections (`ct status dnat`)
/// are accepted there: a direct connection to a messenger port meets the ordinary rules (csf opened the ports to
/// everyone).
extension RulesetCompiler {
    /// MESSENGER_RATE and _BURST per source (csf's limit was one bucket for everyone, so one blocked visitor
    /// flooding the messenger silenced it for all the others).
    func messengerAccept() -> [NftRule] {
        guard let m = policy.messenger else { return [] }
        let ports = m.services.map { PortRange($0.port) }
        return families.map { f in
            NftRule(familyMatch(f) + [.dport(.tcp, ports), .ctStatusDnat],
                    [.setLimitSource(set: S.messenger(f), family: f, rate: m.rate, burst: m.burst)], .accept,
                    comment: "MESSENGER: MESSENGER_RATE, MESSENGER_BURST per source")
        }
    }

    /// The messenger's answers go to a listed address, which DENYOUT would drop (csf's OUTPUT sport rule): only
    /// replies of redirected connections pass.
    func messengerReplies() -> [NftRule] {
        guard let m = policy.messenger else { return [] }
        let ports = m.services.map { PortRange($0.port) }
        return [NftRule([.sport(.tcp, ports), .ctStatusDnat, .ctDirectionOriginal(false)], [], .accept, comment: "MESSENGER")]
    }

    /// CC_MESSENGER_DENY's sources leave first; with CC_MESSENGER_ALLOW only its sources are redirected.
    func messengerRedirects() -> [NftRule] {
        guard let m = policy.messenger else { return [] }
        var rules: [NftRule] = []
        let countries = policy.countries
        for f in families {
            if countries.messengerDeny != nil {
                rules.append(NftRule(ethIn(scope(f)) + [.saddr(f, .set(S.country(.messengerDeny, f)))], [], .return,
                                     comment: "CC_MESSENGER_DENY"))
            }
            let allowed: [NftMatch] = countries.messengerAllow == nil ? [] : [.saddr(f, .set(S.country(.messengerAllow, f)))]
            var sources: [[NftMatch]] = []
            if m.permanent { sources += setMatches(.deny, f, source: true) }
            if m.temporary { sources += tempMatches(.deny, inbound: true, family: f) }
            for source in sources {
                for service in m.services {
                    rules.append(NftRule(ethIn(scope(f)) + allowed + source + [.dport(.tcp, service.inbound)], [],
                                         .redirect(toPort: service.port), comment: "MESSENGER"))
                }
            }
        }
        return rules
    }
}
