import CsfCompat
import CsfPolicy

extension RulesetCompiler {
    func natChains() -> [NftChain] {
        var pre = NftChain(name: C.natPrerouting, base: .init(kind: .nat, hook: .prerouting, priority: "dstnat", policy: nil))
        var post = NftChain(name: C.natPostrouting, base: .init(kind: .nat, hook: .postrouting, priority: "srcnat", policy: nil))
        var out = NftChain(name: C.natOutput, base: .init(kind: .nat, hook: .output, priority: "-100", policy: nil))
        pre.rules += messengerRedirects()
        for r in policy.redirects {
            switch r.action {
            case .redirect(let dest, let from, let to):
                var m = ethIn(policy.ethIn)
                if let dest { m.append(.daddr(.v4, .network(IPNetwork(host: dest)))) }
                m.append(.dport(r.proto, [PortRange(from)]))
                pre.add(NftRule(m, [], .redirect(toPort: to), comment: "csf.redirect"))
            case .dnat(let dest, let port, let target, let targetPort):
                var m: [NftMatch] = [.daddr(.v4, .network(IPNetwork(host: dest)))]
                if let port { m.append(.dport(r.proto, [PortRange(port)])) }
                pre.add(NftRule(m, [], .dnat(target, port: targetPort), comment: "csf.redirect"))
                var sm = ethOut(policy.ethIn) + [.daddr(.v4, .network(IPNetwork(host: target)))]
                sm.append(targetPort.map { .dport(r.proto, [PortRange($0)]) } ?? .l4proto(r.proto))
                post.add(NftRule(sm, [], .snat(dest), comment: "csf.redirect"))
            }
        }
        if let smtp = policy.smtp, smtp.redirect, !smtp.ports.isEmpty {
            let ports = NftMatch.dport(.tcp, smtp.ports)
            if smtp.allowLocal { out.add(NftRule([.oifname(Self.loopback, negated: false), ports], [], .return, comment: "SMTP_ALLOWLOCAL")) }
            for gid in smtp.groups { out.add(NftRule([.skgid(gid), ports], [], .return, comment: "SMTP_ALLOWGROUP")) }
            for uid in smtp.users { out.add(NftRule([.skuid(uid), ports], [], .return, comment: "SMTP_ALLOWUSER")) }
            out.add(NftRule([.skuid(0), ports], [], .return, comment: "SMTP_REDIRECT: root"))
            out.add(NftRule([ports], [], .redirect(toPort: nil), comment: "SMTP_REDIRECT"))
        }
        if let docker = policy.docker {
            for net in [docker.network4, docker.network6].compactMap({ $0 }) {
                post.add(NftRule([.saddr(net.family, .network(net)), .oifname(docker.device, negated: true)], [], .masquerade, comment: "DOCKER"))
            }
        }
        return [pre, post, out].filter { !$0.rules.isEmpty }
    }
}
