import CsfCompat
import CsfFirewall
import NftKernel

/// Applies one trusted, validated decision on this node through the same commands as `csf -d/-td/-a/-ta/-dr/-ar`
/// (netlink, no reload), so a decision naming this host's own address, loopback, or an address in csf.allow or
/// csf.ignore is refused with csf's own message, exactly as a local command would be.
public struct FleetApplier {
    public enum Outcome: Equatable, Sendable {
        /// The change was made (csf's messages).
        case applied([String])
        /// Nothing to do (already in place, or a temporary decision that has ended).
        case unchanged(String)
        /// csf refused it; the reason is logged and the decision is not retried.
        case refused(String)
        /// An answer for the sender (ping, grep).
        case reply(String)
        /// csf.ignore changed: lfd must reread its ignore lists.
        case ignoreChanged([String])
        /// The master's push was applied (settings or a file changed, the firewall restarted): lfd rereads too.
        case pushed(String)
        /// csf's lock stayed taken (a long `csf -r`): nothing was done; the decision is tried again later.
        case busy(String)
    }

    let commands: () throws(CsfError) -> ListCommands
    let firewall: () -> Firewall
    let clock: () -> Int

    /// `lockTimeout`: how long a decision waits for csf's lock before the follower stops and comes back to it.
    public init(paths: CsfPaths, kernel: any KernelPort = NftablesKernel(), clock: @escaping () -> Int = { SystemTime.wallSeconds },
                lockTimeout: Double = 10) {
        self.commands = { () throws(CsfError) in try ListCommands(paths: paths, kernel: kernel, clock: clock, lockTimeout: lockTimeout) }
        self.firewall = { Firewall(paths: paths, kernel: kernel, clock: clock, log: { _ in }) }
        self.clock = clock
    }

    public func apply(_ d: Decision) -> Outcome {
        do {
            let c = try commands()
            switch d.action {
            case .deny: return outcome(try c.deny(d.target, comment: d.localComment))
            case .allow: return outcome(try c.allow(d.target, comment: d.localComment))
            case .tempdeny, .tempallow:
                guard let request = try temporary(d) else { return .unchanged("ended before it reached this node") }
                return outcome(try c.tempAdd(d.action == .tempdeny ? .deny : .allow, request))
            case .remove:
                return outcome(merged([try? c.denyRemove(d.target), try? c.tempRemove(d.target, kinds: [.deny])]))
            case .allowremove:
                return outcome(merged([try? c.allowRemove(d.target), try? c.tempRemove(d.target, kinds: [.allow])]))
            case .ignore:
                let change = try c.ignore(d.target, comment: d.localComment)
                return change.changed ? .ignoreChanged(change.messages) : .unchanged(change.messages.joined(separator: " "))
            case .ignoreremove:
                let change = try c.ignoreRemove(d.target)
                return change.changed ? .ignoreChanged(change.messages) : .unchanged(change.messages.joined(separator: " "))
            case .ping: return .reply("PONG!")
            case .grep: return .reply(try c.grep(d.target).lines.joined(separator: "\n"))
            case .config, .file, .restart:
                guard let change = try? d.pushed() else { return .refused("not a valid push") }
                return .pushed(try firewall().applyPushed(change))
            }
        } catch {
            if case .locked(let why) = error { return .busy(why) }
            return .refused(error.description)
        }
    }

    /// A run of permanent denies in one go (a node catching up): one outcome per decision, in order.
    public func denyMany(_ ds: [Decision]) -> [Outcome] {
        do {
            let results = try commands().denyMany(ds.map { ListCommands.BatchItem(target: $0.target, comment: $0.localComment) })
            return results.map {
                switch $0 {
                case .added: return .applied([])
                case .alreadyListed: return .unchanged("already in csf.deny")
                case .refused(let why): return .refused(why)
                }
            }
        } catch {
            if case .locked(let why) = error { return ds.map { _ in .busy(why) } }
            return ds.map { _ in .refused(error.description) }
        }
    }

    /// The remaining time from the row's expiry (never the sender's TTL: the row may be replayed much later).
    func temporary(_ d: Decision) throws(CsfError) -> TempRequest? {
        guard let expires = d.expires else { return nil }
        let ttl = expires - clock()
        guard ttl >= 2 else { return nil }
        var request = TempRequest(target: d.target, ttl: min(ttl, TempTTL.maximum), direction: d.direction, comment: d.localComment)
        do { request.ports = try TempEntry.parsePorts(d.ports) } catch { throw .refused("invalid ports '\(shown(d.ports))'") }
        return request
    }

    private func merged(_ changes: [ListChange?]) -> ListChange {
        var out = ListChange()
        for c in changes.compactMap({ $0 }) {
            out.changed = out.changed || c.changed
            out.messages += c.messages
        }
        return out
    }

    private func outcome(_ change: ListChange) -> Outcome {
        change.changed ? .applied(change.messages) : .unchanged(change.messages.joined(separator: " "))
    }
}
