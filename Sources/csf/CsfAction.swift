/// csf's command options. Each is a flag with csf's own spellings; exactly one may be given.
enum CsfAction: String, CaseIterable {
    case start, startf, restart, stop, status, version, disable, enable
    case check, dryRun, confirm, watchdog, migrateCheck, lfd
    case restartall, startq, logrun, mail, status4, status6, ports, addport, removeport, listports, update, watch, migrateRegex, trace, profile
    // The list commands: parsed by ListCommandLine before CsfCommandLine sees them (csf's free-form arguments);
    // declared here so that help and shell completion offer them.
    case add, addrm, deny, denyrm, denyf, tempdeny, tempallow, temprm, temprmd, temprma, tempf, temp, grep, resync, iplookup

    /// How csf spells the option, short ones first (csf's single-dash words such as `-sf` are whole options).
    var spellings: [String] {
        switch self {
        case .start: return ["-s", "--start"]
        case .startf: return ["-sf", "--startf"]
        case .restart: return ["-r", "--restart"]
        case .stop: return ["-f", "--stop"]
        case .status: return ["-l", "--status"]
        case .version: return ["-v", "--version"]
        case .disable: return ["-x", "--disable"]
        case .enable: return ["-e", "--enable"]
        case .check: return ["--check"]
        case .dryRun: return ["--dry-run"]
        case .confirm: return ["--confirm"]
        case .watchdog: return ["--watchdog"]
        case .migrateCheck: return ["--migrate-check"]
        case .lfd: return ["--lfd"]
        case .restartall: return ["-ra", "--restartall"]
        case .startq: return ["-q", "--startq"]
        case .logrun: return ["-lr", "--logrun"]
        case .mail: return ["-m", "--mail"]
        case .status4: return ["-l4", "--status4"]
        case .status6: return ["-l6", "--status6"]
        case .ports: return ["-p", "--ports"]
        case .addport: return ["-ap", "--addport"]
        case .removeport: return ["-rp", "--removeport"]
        case .listports: return ["-lp", "--listports"]
        case .update: return ["-c", "-u", "-uf", "--update"]
        case .watch: return ["-w", "--watch"]
        case .migrateRegex: return ["--migrate-regex"]
        case .trace: return ["--trace"]
        case .profile: return ["--profile"]
        case .add: return ["-a", "--add"]
        case .addrm: return ["-ar", "--addrm"]
        case .deny: return ["-d", "--deny"]
        case .denyrm: return ["-dr", "--denyrm"]
        case .denyf: return ["-df", "--denyf"]
        case .tempdeny: return ["-td", "--tempdeny"]
        case .tempallow: return ["-ta", "--tempallow"]
        case .temprm: return ["-tr", "--temprm"]
        case .temprmd: return ["-trd", "--temprmd"]
        case .temprma: return ["-tra", "--temprma"]
        case .tempf: return ["-tf", "--tempf"]
        case .temp: return ["-t", "--temp"]
        case .grep: return ["-g", "--grep"]
        case .resync: return ["--resync"]
        case .iplookup: return ["-i", "--iplookup"]
        }
    }

    /// The help line; nil keeps the option out of help and completions.
    var help: String? {
        switch self {
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
        case .watchdog: return nil
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
