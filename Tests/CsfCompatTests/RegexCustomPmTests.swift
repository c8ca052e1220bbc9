import Testing
@testable import CsfCompat

/// Issue 13: csf's regex.custom.pm is translated, not dropped; what cannot be translated is said with its line.
@Suite struct RegexCustomPmTests {
    static let pm = #"""
    #!/usr/bin/perl
    sub custom_line {
            my $line = shift;
            my $lgfile = shift;

    # Do not edit before this point
    if (($globlogs{CUSTOM1_LOG}{$lgfile}) and ($line =~ /^\S+\s+\d+\s+\S+ \S+ postfix\/smtpd\[\d+\]: warning: .*\[(\d+\.\d+\.\d+\.\d+)\]: SASL [A-Z]*? authentication failed/)) {
            return ("Failed SASL login from",$1,"mysaslmatch","5","25,465,587","1");
    }
    if (($globlogs{CUSTOM2_LOG}{$lgfile}) and ($line =~ /(joomla|wordpress) login failed for (\S+) from (\S+)$/i)) {
            return ("Failed CMS login from",$3,"cms","10","80,443","3600");
    }
    if (($lgfile eq "/var/log/app.log") and ($line =~ /denied (\S+)/)) {
            return ("Denied from",$1,"app","3","","1");
    }
    if (($globlogs{CUSTOM3_LOG}{$lgfile}) and ($line =~ /bad (\S+) by $user/)) {
            return ("Bad $user from",$1,"bad","3","","1");
    }
    # Do not edit beyond this point
            return 0;
    }
    1;
    """#

    @Test func theDocumentedFormIsTranslatedAndTheRestReported() {
        let t = RegexCustomPm.translate(Self.pm, path: "regex.custom.pm")
        #expect(t.translated == 2, "\(t.rulesText)")
        #expect(t.rulesText.contains("""
            [mysaslmatch]
            log = CUSTOM1_LOG
            pattern = ^\\S+\\s+\\d+\\s+\\S+ \\S+ postfix/smtpd\\[\\d+\\]: warning: .*\\[(?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)\\]: SASL [A-Z]*? authentication failed
            trigger = 5
            block = perm
            ports = 25,465,587
            text = Failed SASL login from
            """), "\(t.rulesText)")
        #expect(t.rulesText.contains("pattern = (?i)(joomla|wordpress) login failed for (\\S+) from (?<ip>\\S+)$"))
        #expect(t.rulesText.contains("block = 3600"))
        #expect(t.diagnostics.map(\.line) == [13, 16], "\(t.diagnostics)")
        #expect(t.diagnostics.first?.message.contains("$globlogs{KEY_LOG}") == true)
    }

    @Test func captureCountingSkipsEscapesClassesAndNonCapturingGroups() {
        #expect(RegexCustomPm.namingCapture(2, in: #"\((?:a|b)[(](x)(y)"#) == #"\((?:a|b)[(](x)(?<ip>y)"#)
        #expect(RegexCustomPm.namingCapture(1, in: "(?<=a)(b)") == "(?<=a)(?<ip>b)")
        #expect(RegexCustomPm.namingCapture(3, in: "(a)(b)") == nil)
    }
}
