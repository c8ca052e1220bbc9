import Testing
@testable import CsfCompat
@testable import LfdCore
import CsfTestSupport

/// One test per shipped detector file, generated from its annotated samples (compat/detectors/samples).
@Suite struct DetectorSampleTests {
    static let families: [String] = FileSystem.listDirectory(ShippedDetectors.directory)
        .filter { $0.hasSuffix(".rules") }.map { String($0.dropLast(".rules".count)) }

    @Test func everyDetectorFileHasASampleFile() {
        #expect(!Self.families.isEmpty)
        for family in Self.families {
            #expect(TextFile.exists("\(ShippedDetectors.directory)/samples/\(family).log"), "no samples/\(family).log")
        }
    }

    @Test(arguments: families)
    func samplesHold(family: String) throws {
        let (rules, ruleDiagnostics) = DetectorFile.load("\(ShippedDetectors.directory)/\(family).rules")
        #expect(ruleDiagnostics.isEmpty, "\(ruleDiagnostics)")
        let path = "\(ShippedDetectors.directory)/samples/\(family).log"
        let (samples, diagnostics) = DetectorSample.parse(try TextFile.read(path), path: path)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        for sample in samples {
            if let problem = sample.check(ShippedDetectors.classifier) { Issue.record("\(problem)") }
        }
        // Every pattern needs a line it must catch and a line it must leave alone.
        for missing in DetectorSample.uncovered(rules, by: samples) { Issue.record("\(path): \(missing)") }
    }

    @Test func annotationMistakesAreReported() {
        let (samples, diagnostics) = DetectorSample.parse("""
        # expect sshd-failed not-an-ip
        line
        # reject
        line
        stray line
        # expect sshd-failed 192.0.2.1
        """, path: "x.log")
        #expect(samples.isEmpty)
        #expect(diagnostics.map(\.line) == [1, 2, 3, 4, 5, 6], "\(diagnostics)")
    }

    @Test func aSampleThatDoesNotHoldIsReported() throws {
        let (samples, _) = DetectorSample.parse("""
        # expect sshd-failed 192.0.2.9
        Jan  5 09:05:04 web1 sshd[2212]: Failed password for root from 192.0.2.1 port 50022 ssh2
        # reject sshd-failed
        Jan  5 09:05:04 web1 sshd[2212]: Failed password for root from 192.0.2.1 port 50022 ssh2
        """, path: "x.log")
        #expect(samples.count == 2)
        #expect(samples[0].check(ShippedDetectors.classifier)?.contains("took 192.0.2.1, expected 192.0.2.9") == true)
        #expect(samples[1].check(ShippedDetectors.classifier)?.contains("matched a line it must not match") == true)
        #expect(DetectorSample.uncovered(ShippedDetectors.rules.filter { $0.name == "sshd-failed" }, by: [samples[0]])
                    == ["[sshd-failed] has no a reject sample"])
    }

    @Test func aBrokenDetectorFileIsRefusedWithItsLine() {
        let (rules, diagnostics) = DetectorFile.parse("""
        [one]
        app = x
        text = Failed x login from
        trigger = LF_X
        log = X_LOG
        pattern = ^(?<ip>[0-9.]+) fail$
        [two]
        app = y
        text = t
        trigger = LF_Y
        log = Y_LOG
        literal = unquoted
        pattern = (?<ip>.*)
        [three]
        app = z
        pattern = ^(unclosed
        """, path: "bad.rules")
        #expect(rules.isEmpty, "a file with a mistake contributes nothing")
        #expect(diagnostics.map(\.line).contains(12) && diagnostics.map(\.line).contains(14), "\(diagnostics)")
        #expect(diagnostics.allSatisfy { $0.description.hasPrefix("bad.rules:") })
    }

    /// `also` names another counter: a malformed one is the file's error with its line, and the file adds nothing.
    @Test func aMalformedAlsoIsAnErrorWithItsLine() {
        let (rules, diagnostics) = DetectorFile.parse("""
        [one]
        app = x
        text = Failed x login from
        trigger = LF_X
        log = X_LOG
        also = lf_apache_401 apache401 text
        pattern = ^(?<ip>[0-9.]+) fail$
        """, path: "also.rules")
        #expect(rules.isEmpty && diagnostics.count == 1 && diagnostics.first?.line == 6, "\(diagnostics)")
        let (good, none) = DetectorFile.parse("""
        [one]
        app = x
        text = Failed x login from
        trigger = LF_X
        log = X_LOG
        also = LF_APACHE_401 apache401 Apache 401 hit from
        pattern = ^(?<ip>[0-9.]+) fail$
        """, path: "also.rules")
        #expect(none.isEmpty && good.first?.also.first?.trigger == "LF_APACHE_401" && good.first?.also.first?.text == "Apache 401 hit from")
    }

    /// A define may use another, whichever comes first: the expansion never depends on dictionary order (it once
    /// did, and Apache 403 lines through syslog were detected in one lfd process out of two). A chain of five
    /// defines came out whole by luck in one process of 120 then.
    @Test func nestedDefinesExpandInAnyOrder() {
        let chain = ["L5 = ^%L4%", "L4 = %L3%", "L3 = %L2%", "L2 = %L1%", "L1 = (?<ip>[0-9.]+)"]
        let text = { (defines: [String]) in
            "[define]\n" + defines.joined(separator: "\n")
                + "\n[one]\napp = x\ntext = Failed x login from\ntrigger = LF_X\nlog = X_LOG\npattern = %L5% fail$\n"
        }
        for defines in [chain, chain.reversed()] {
            let (rules, diagnostics) = DetectorFile.parse(text(defines), path: "nested.rules")
            #expect(diagnostics.isEmpty, "\(diagnostics)")
            #expect(rules.first.map { rule in
                var line = "192.0.2.7 fail"
                return line.withUTF8 { if case .detected(let d) = rule.match($0) { d.ip.description } else { "" } }
            } == "192.0.2.7")
        }
        let (none, cycle) = DetectorFile.parse(text(["L5 = ^%L4%", "L4 = %L5%"]), path: "cycle.rules")
        #expect(none.isEmpty && cycle.contains { $0.description.contains("refers to itself") }, "\(cycle)")
    }
}

/// csf cannot load the detectors (PCRE2), so it keeps its own table of the logs each check reads: the two
/// must agree, or `csf --check` would judge the wrong files.
@Suite struct LoginChecksTableTests {
    @Test func theTableMatchesTheShippedDetectors() {
        let (rules, diagnostics) = DetectorFile.loadDirectory(Repo.path("compat/detectors"))
        #expect(diagnostics.isEmpty)
        var fromFiles: [String: Set<String>] = [:]
        for rule in rules {
            for r in [rule] + rule.also { fromFiles[r.trigger, default: []].formUnion(r.logKeys) }
        }
        #expect(fromFiles == LoginChecks.logKeys.mapValues(Set.init))
    }
}

@Suite struct RegexCustomPmLoadingTests {
    @Test func aTranslatedRuleDetectsWhatTheCsfRuleDid() throws {
        let dir = try TempDir()
        try FileSystem.makeDirectories(dir.path + "/usr/local/csf/bin")
        try dir.write("usr/local/csf/bin/regex.custom.pm", RegexCustomPmTestText.pm)
        let (rules, diagnostics) = DetectorLibrary.load(CsfPaths(root: dir.path))
        #expect(!diagnostics.contains { $0.file.hasSuffix("regex.custom.pm") }, "\(diagnostics)")
        let rule = try #require(rules.first { $0.name == "mysaslmatch" })
        #expect(rule.logKeys == ["CUSTOM1_LOG"] && rule.threshold == 5 && rule.blockSeconds == nil && rule.ports == "25,465,587")
        let line = "Jan  5 09:05:44 mail postfix/smtpd[999]: warning: unknown[203.0.113.56]: SASL LOGIN authentication failed: x"
        #expect(LineClassifier(rules: [rule]).classify(line, logKey: "CUSTOM1_LOG")?.ip == IPAddress("203.0.113.56"))
        // With an /etc/csf/regex.custom the site has migrated: the .pm is no longer read.
        try FileSystem.makeDirectories(dir.path + "/etc/csf")
        try dir.write("etc/csf/regex.custom", "")
        #expect(!DetectorLibrary.load(CsfPaths(root: dir.path)).rules.contains { $0.name == "mysaslmatch" })
    }
}

enum RegexCustomPmTestText {
    static let pm = #"""
    sub custom_line {
    if (($globlogs{CUSTOM1_LOG}{$lgfile}) and ($line =~ /postfix\/smtpd\[\d+\]: warning: .*\[(\d+\.\d+\.\d+\.\d+)\]: SASL [A-Z]*? authentication failed/)) {
            return ("Failed SASL login from",$1,"mysaslmatch","5","25,465,587","1");
    }
    return 0;
    }
    """#
}
