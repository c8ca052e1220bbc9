import ArgumentParser

/// csf's command options. Each is a flag with csf's own spellings; exactly one may be given.
enum CsfAction: String, EnumerableFlag {
    case start, startf, restart, stop, status, version, disable, enable
    case check, dryRun, confirm, watchdog, migrateCheck, lfd
    case restartall, startq, logrun, mail, status4, status6, ports, addport, removeport, listports, update, watch, migrateRegex, trace, profile
    // The list commands: parsed by ListCommandLine before this parser sees them (csf's free-form arguments);
    // declared here so that help and shell completion offer them.
    case add, addrm, deny, denyrm, denyf, tempdeny, tempallow, temprm, temprmd, temprma, tempf, temp, grep, resync, iplookup

    static func name(for value: CsfAction) -> NameSpecification {
        switch value {
        case .start: return [.customShort("s"), .customLong("start")]
        case .startf: return [.customLong("sf", withSingleDash: true), .customLong("startf")]
        case .restart: return [.customShort("r"), .customLong("restart")]
        case .stop: return [.customShort("f"), .customLong("stop")]
        case .status: return [.customShort("l"), .customLong("status")]
        case .version: return [.customShort("v"), .customLong("version")]
        case .disable: return [.customShort("x"), .customLong("disable")]
        case .enable: return [.customShort("e"), .customLong("enable")]
        case .check: return [.customLong("check")]
        case .dryRun: return [.customLong("dry-run")]
        case .confirm: return [.customLong("confirm")]
        case .watchdog: return [.customLong("watchdog")]
        case .migrateCheck: return [.customLong("migrate-check")]
        case .lfd: return [.customLong("lfd")]
        case .restartall: return [.customLong("ra", withSingleDash: true), .customLong("restartall")]
        case .startq: return [.customShort("q"), .customLong("startq")]
        case .logrun: return [.customLong("lr", withSingleDash: true), .customLong("logrun")]
        case .mail: return [.customShort("m"), .customLong("mail")]
        case .status4: return [.customLong("l4", withSingleDash: true), .customLong("status4")]
        case .status6: return [.customLong("l6", withSingleDash: true), .customLong("status6")]
        case .ports: return [.customShort("p"), .customLong("ports")]
        case .addport: return [.customLong("ap", withSingleDash: true), .customLong("addport")]
        case .removeport: return [.customLong("rp", withSingleDash: true), .customLong("removeport")]
        case .listports: return [.customLong("lp", withSingleDash: true), .customLong("listports")]
        case .update: return [.customShort("c"), .customShort("u"), .customLong("uf", withSingleDash: true), .customLong("update")]
        case .watch: return [.customShort("w"), .customLong("watch")]
        case .migrateRegex: return [.customLong("migrate-regex")]
        case .trace: return [.customLong("trace")]
        case .profile: return [.customLong("profile")]
        case .add: return [.customShort("a"), .customLong("add")]
        case .addrm: return [.customLong("ar", withSingleDash: true), .customLong("addrm")]
        case .deny: return [.customShort("d"), .customLong("deny")]
        case .denyrm: return [.customLong("dr", withSingleDash: true), .customLong("denyrm")]
        case .denyf: return [.customLong("df", withSingleDash: true), .customLong("denyf")]
        case .tempdeny: return [.customLong("td", withSingleDash: true), .customLong("tempdeny")]
        case .tempallow: return [.customLong("ta", withSingleDash: true), .customLong("tempallow")]
        case .temprm: return [.customLong("tr", withSingleDash: true), .customLong("temprm")]
        case .temprmd: return [.customLong("trd", withSingleDash: true), .customLong("temprmd")]
        case .temprma: return [.customLong("tra", withSingleDash: true), .customLong("temprma")]
        case .tempf: return [.customLong("tf", withSingleDash: true), .customLong("tempf")]
        case .temp: return [.customShort("t"), .customLong("temp")]
        case .grep: return [.customShort("g"), .customLong("grep")]
        case .resync: return [.customLong("resync")]
        case .iplookup: return [.customShort("i"), .customLong("iplookup")]
        }
    }

    static func help(for value: CsfAction) -> ArgumentHelp? {
        switch value {
        case .start: return "Start the firewall: build the whole inet csf table and apply it in one transaction."
        case .startf: return "Start the firewall (what lfd calls; same as -s)."
        case .restart: return "Restart the firewall (same as -s: one atomic replacement, never an open moment)."
        case .stop: return "Stop the firewall: remove the inet csf table (other tables are left alone)."
        case .status: return "List the running ruleset as nft shows it."
        case .version: return "Show the version."
        case .disable: return "Disable csf and lfd (creates csf.disable) and stop the firewall."
        case .enable: return "Re-enable csf and lfd and start the firewall."
        case .check: return "Validate csf.conf and every list; print each problem as file:line; change nothing."
        case .dryRun: return "Print the nft script that -s would apply; change nothing."
        case .confirm: return "Keep the ruleset applied by -s --confirm-within (cancels the rollback)."
        case .watchdog: return .hidden
        case .migrateCheck: return "List settings of an existing csf install that nftcsf lacks or does differently; exit 0 only if no security is lost."
        case .lfd: return "--lfd start|stop|restart|status: control lfd (through systemd when it runs lfd); status shows what lfd reads, tracks and banned."
        case .restartall: return "Restart the firewall, then lfd."
        case .startq: return "Ask lfd to restart the firewall within LF_PARSE seconds."
        case .logrun: return "Ask lfd to send the log scanner report (LOGSCANNER) now."
        case .mail: return "-m [ADDRESS]: the server security check (csf's settings, sshd, kernel, files, services, updates), printed, as --json, or mailed."
        case .status4: return "List the running ruleset's IPv4 part."
        case .status6: return "List the running ruleset's IPv6 part."
        case .ports: return "List listening ports, whether TCP_IN/UDP_IN open them, connections and processes."
        case .addport: return "-ap KEY:PORT: add a port (or low:high range) to TCP_IN, TCP_OUT, UDP_IN, UDP_OUT (or the 6 keys); csf -r applies it."
        case .removeport: return "-rp KEY:PORT: remove a port from one of those lists."
        case .listports: return "Show TCP_IN, TCP_OUT, UDP_IN and UDP_OUT (and the IPv6 lists when IPV6 is on)."
        case .update: return "-c, -u, -uf: updates come from the package manager; prints the installed version."
        case .watch: return "Obsolete (csf's -w); use nft monitor trace."
        case .migrateRegex: return "Print csf's regex.custom.pm translated into /etc/csf/regex.custom's format (problems on stderr)."
        case .trace: return "--trace add|remove IP: mark packets from IP for nft monitor trace; --trace watch runs it."
        case .profile: return "--profile list | backup [name] | restore backup | apply profile | keep N | diff a [b|current]: csf.conf backups and profiles."
        case .add: return "-a IP [comment]: allow IP (or an advanced filter) in csf.allow."
        case .addrm: return "-ar IP: remove IP from csf.allow."
        case .deny: return "-d IP [comment]: deny IP (or an advanced filter) in csf.deny."
        case .denyrm: return "-dr IP: remove IP from csf.deny (\"do not delete\" lines stay)."
        case .denyf: return "Empty csf.deny except \"do not delete\" lines."
        case .tempdeny: return "-td IP TTL [-p PORTS] [-d in|out|inout] [comment]: a temporary ban the kernel expires."
        case .tempallow: return "-ta IP TTL [-p PORTS] [-d in|out|inout] [comment]: a temporary allow."
        case .temprm: return "-tr IP: remove IP's temporary bans and allows."
        case .temprmd: return "-trd IP: remove IP's temporary bans."
        case .temprma: return "-tra IP: remove IP's temporary allows."
        case .tempf: return "Remove every temporary entry."
        case .temp: return "List temporary entries with their remaining time."
        case .grep: return "-g IP: where IP is allowed or blocked (list lines, temporary entries, kernel sets)."
        case .iplookup: return "-i IP: csf's lookup line for IP (country with CC_LOOKUPS), then every list, blocklist and country set holding it."
        case .resync: return "Put every temporary entry back into the kernel with its remaining time."
        }
    }

    /// Commands csf still runs while csf.disable exists.
    var allowedWhileDisabled: Bool {
        [.version, .check, .stop, .enable, .dryRun, .watchdog, .confirm, .migrateCheck, .migrateRegex, .lfd, .ports, .update,
         .addport, .removeport, .listports, .profile, .mail].contains(self)
    }
}
