import CsfCompat
import NftRuleset
import NftKernel

/// What `--json` prints, one type per command family. Keys are part of csf's contract with scripts and Ansible.
public enum Response {
    /// Any list edit: `-a -ar -d -dr -df -td -ta -tr -trd -tra -tf`.
    public struct Change: Encodable, Sendable {
        public var ok = true
        public var changed: Bool
        public var command: String
        public var added: [String]
        public var removed: [String]
        public var kernel: KernelOutcome
        public var messages: [String]

        public init(command: String, _ change: ListChange) {
            self.command = command
            changed = change.changed
            added = change.added
            removed = change.removed
            kernel = change.kernel
            messages = change.messages
        }
    }

    /// Every failure of every command: the same shape for `csf -s` and `csf -d`.
    public struct Failure: Encodable, Sendable {
        public var ok = false
        public var changed = false
        public var error: String
        /// The `file:line` problems when the input was invalid (empty otherwise).
        public var errors: [Diagnostic]

        public init(_ failure: CommandFailure) {
            error = failure.message
            errors = failure.diagnostics.filter { $0.severity == .error }
        }
    }

    public struct Started: Encodable, Sendable {
        public var started = true
        public var elements: Int
        public var testing: Bool
        public var confirmWithin: Int?
        public var warnings: [Diagnostic]

        public init(_ report: Firewall.StartReport, confirmWithin: Int?) {
            elements = report.elements
            testing = report.testing
            self.confirmWithin = confirmWithin
            warnings = report.warnings.filter { $0.severity == .warning }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(started, forKey: .started)
            try c.encode(elements, forKey: .elements)
            try c.encode(testing, forKey: .testing)
            try c.encode(confirmWithin, forKey: .confirmWithin)   // null when absent, as before
            try c.encode(warnings, forKey: .warnings)
        }

        enum CodingKeys: String, CodingKey { case started, elements, testing, confirmWithin, warnings }
    }

    public struct Stopped: Encodable, Sendable {
        public var stopped = true
        public init() {}
    }

    public struct Status: Encodable, Sendable {
        public var running: Bool
        public var meters: [MeterListing]
        /// nft's own JSON listing of the table, embedded as it is; null when the firewall is stopped.
        public var ruleset: JSONFragment?
        /// Elements per set (`{"count": N, "exact": true}`); the ruleset leaves them out unless --full.
        public var setElements: [String: SetSize]

        public init(listing: String?, meters: [MeterListing], setElements: [String: SetSize] = [:]) {
            running = listing != nil
            self.meters = meters
            self.setElements = setElements
            ruleset = listing.map { text in
                var t = Substring(text)
                while t.last?.isNewline == true { t = t.dropLast() }
                return JSONFragment(String(t))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(running, forKey: .running)
            try c.encode(meters, forKey: .meters)
            try c.encode(ruleset, forKey: .ruleset)
            try c.encode(setElements, forKey: .setElements)
        }

        enum CodingKeys: String, CodingKey { case running, meters, ruleset, setElements = "set_elements" }
    }

    /// `--check` and `--migrate-check`.
    public struct Check: Encodable, Sendable {
        public var ok: Bool
        public var errors: [Diagnostic]
        public var warnings: [Diagnostic]
        public var findings: [MigrationCheck.Finding]?
        /// `--check`: the inbound ports the checked settings open.
        public var open: InboundExposure?

        public init(ok: Bool, diagnostics: [Diagnostic], findings: [MigrationCheck.Finding]? = nil, open: InboundExposure? = nil) {
            self.ok = ok
            errors = diagnostics.filter { $0.severity == .error }
            warnings = diagnostics.filter { $0.severity == .warning }
            self.findings = findings
            self.open = open
        }
    }

    public struct TemporaryEntry: Encodable, Sendable {
        public var type: String
        public var ip: String
        public var ports: String
        public var direction: String
        public var ttl: Int
        public var created: Int
        public var remaining: Int
        public var comment: String

        public init(kind: TempEntry.Kind, entry: TempEntry, remaining: Int) {
            type = kind.rawValue
            ip = entry.target.description
            ports = entry.portsText
            direction = entry.direction.rawValue
            ttl = entry.ttl
            created = entry.created
            self.remaining = remaining
            comment = entry.comment
        }
    }

    /// `-t`.
    public struct Temporary: Encodable, Sendable {
        public var entries: [TemporaryEntry]
        public init(_ entries: [TemporaryEntry]) { self.entries = entries }
    }

    /// `-g`.
    public struct Grep: Encodable, Sendable {
        public struct ListHit: Encodable, Sendable {
            public var list: String
            public var match: String
            public var file: String
            public var line: Int
            public var entry: String
        }

        public var ip: String
        public var found: Bool
        public var lists: [ListHit]
        public var temporary: [TemporaryEntry]
        /// Sets of the running table holding the address; null when the firewall is not running.
        public var kernel: [String]?
        /// The setting behind each downloaded-list or country set in `kernel`.
        public var settings: [String: String]

        public init(_ r: GrepReport) {
            ip = r.target.description
            found = r.found
            lists = r.lists.map { ListHit(list: $0.list.rawValue, match: $0.exact ? "exact" : "contains", file: $0.file, line: $0.line, entry: $0.text) }
            temporary = r.temporary.map { TemporaryEntry(kind: $0.kind, entry: $0.entry, remaining: $0.remaining) }
            kernel = r.kernelSets
            settings = r.settings
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(ip, forKey: .ip)
            try c.encode(found, forKey: .found)
            try c.encode(lists, forKey: .lists)
            try c.encode(temporary, forKey: .temporary)
            try c.encode(kernel, forKey: .kernel)
            try c.encode(settings, forKey: .settings)
        }

        enum CodingKeys: String, CodingKey { case ip, found, lists, temporary, kernel, settings }
    }

    /// `-i` / `--iplookup`.
    public struct Lookup: Encodable, Sendable {
        public var ip: String
        public var lookup: String
        public var country: String?
        public var listed: [String]

        public init(_ r: IPLookupReport) {
            ip = r.address.description
            lookup = r.text
            country = r.country
            listed = r.holders
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(ip, forKey: .ip)
            try c.encode(lookup, forKey: .lookup)
            try c.encode(country, forKey: .country)
            try c.encode(listed, forKey: .listed)
        }

        enum CodingKeys: String, CodingKey { case ip, lookup, country, listed }
    }

    /// `--resync`.
    public struct Resync: Encodable, Sendable {
        public var ok = true
        public var elements: Int
        public init(elements: Int) { self.elements = elements }
    }
}

/// An error as every command reports it: the exit code, the text, and the `file:line` problems if any.
public struct CommandFailure: Sendable {
    /// csf's exit codes: 1 failure or refusal, 2 usage, 3 the NFTCSF_FORBID_NETNS test guard.
    public var exitCode: Int32
    public var message: String
    /// Every problem found (warnings too: they often explain the error).
    public var diagnostics: [Diagnostic]

    public init(exitCode: Int32, message: String, diagnostics: [Diagnostic] = []) {
        self.exitCode = exitCode
        self.message = message
        self.diagnostics = diagnostics
    }

    public init(_ error: CsfError) {
        switch error {
        case .forbiddenNamespace(let message):
            self.init(exitCode: 3, message: "csf: \(message)")
        case .invalidInput(let diagnostics):
            self.init(exitCode: 1, message: error.description, diagnostics: diagnostics)
        case .refused(let message), .locked(let message):
            self.init(exitCode: 1, message: message)
        default:
            self.init(exitCode: 1, message: "csf: \(error.description)")
        }
    }

    public static func usage(_ message: String) -> CommandFailure { CommandFailure(exitCode: 2, message: message) }
}
