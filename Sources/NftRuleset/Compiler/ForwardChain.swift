import CsfCompat
import CsfPolicy

extension RulesetCompiler {
    func forwardChain() -> NftChain {
        var chain = NftChain(name: C.forward, base: .init(kind: .filter, hook: .forward, priority: "filter", policy: .drop))
        chain.rules += ipv6Bypass
        if let docker = policy.docker {
            let dev = docker.device
            chain.add(NftRule([.oifname(dev, negated: false), .ctState([.established, .related])], [], .accept, comment: "DOCKER"))
            chain.add(NftRule([.iifname(dev, negated: false), .oifname(dev, negated: true)], [], .accept, comment: "DOCKER"))
            chain.add(NftRule([.iifname(dev, negated: false), .oifname(dev, negated: false)], [], .accept, comment: "DOCKER"))
        }
        var anyDnat = false
        for r in policy.redirects {
            guard case .dnat(_, _, let target, let targetPort) = r.action else { continue }
            anyDnat = true
            var m = ethIn(policy.ethIn) + [.daddr(.v4, .network(IPNetwork(host: target)))]
            m += targetPort.map { [NftMatch.dport(r.proto, [PortRange($0)])] } ?? [.l4proto(r.proto)]
            if policy.spi { m.append(.ctState([.new])) }
            chain.add(NftRule(m, [], .accept, comment: "csf.redirect"))
        }
        if anyDnat && policy.spi {
            chain.add(NftRule(ethIn(policy.ethIn) + [.ctState([.established, .related])], [], .accept, comment: "csf.redirect"))
            chain.add(NftRule(ethIn(policy.ethIn), [], .jump(C.logDropIn), comment: "csf.redirect"))
        }
        return chain
    }
}
