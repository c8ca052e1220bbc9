import Foundation
import Testing

/// The Ansible collection against a real firewall: ansible-core (from PyPI, installed by Tests/run.sh into
/// .build/ansible-venv) runs contrib/ansible/tests/test.yml with `connection: local` inside the lab's
/// namespace, CSF_ROOT pointing at the lab's tree.
@Suite(.serialized, .enabled(if: NetLab.available && AnsibleTools.path("ansible-playbook") != nil,
                             "needs root and ansible-core in .build/ansible-venv (Tests/run.sh installs it)"))
struct AnsibleKernelTests {
    /// ansible-playbook inside the lab's namespace, CSF_ROOT at `root` (the lab's tree unless given), csf and lfd
    /// on PATH; returns the result and the recap's changed count.
    func ansible(_ lab: NetLab, playbook: String, root: String? = nil, _ extra: [String]) throws -> (Shell.Result, changed: Int) {
        let bin = URL(fileURLWithPath: NetLab.csfBinary).deletingLastPathComponent().path
        let env = lab.csfEnvironment.merging([
            "CSF_ROOT": root ?? lab.root,
            "ANSIBLE_COLLECTIONS_PATH": Repo.path("contrib/ansible"), "ANSIBLE_HOME": lab.root + "/ansible",
            "ANSIBLE_LOCAL_TEMP": lab.root + "/ansible/tmp", "ANSIBLE_NOCOLOR": "1", "LC_ALL": "C.UTF-8",
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3", "PATH": "\(bin):/usr/sbin:/usr/bin:/sbin:/bin",
        ]) { $1 }.map { "\($0.key)=\($0.value)" }
        let r = try Shell.run(["ip", "netns", "exec", lab.fw, "env"] + env + [
            AnsibleTools.path("ansible-playbook")!, "-i", "localhost,", "-c", "local", Repo.path(playbook)] + extra)
        let recap = r.stdout.split(separator: "\n").last { $0.hasPrefix("localhost") } ?? ""
        let changed = recap.split(separator: " ").first { $0.hasPrefix("changed=") }.flatMap { Int($0.dropFirst(8)) } ?? -1
        return (r, changed)
    }

    func playbook(_ lab: NetLab, _ extra: [String]) throws -> (Shell.Result, changed: Int) {
        let (p1, p2, p3) = (lab.peers[0], lab.peers[1], lab.peers[2])
        return try ansible(lab, playbook: "contrib/ansible/tests/test.yml", [
            "-e", "csf_bin=\(NetLab.csfBinary)", "-e", "test_deny=\(p1.v4)", "-e", "test_allow=\(p2.v4)", "-e", "test_temp=\(p3.v4)",
        ] + extra)
    }

    var files: [String] { ["csf.conf", "csf.allow", "csf.deny"] }

    @Test func playbookChangesOnceHonoursCheckModeAndTheKernelFollows() throws {
        let lab = try NetLab(peers: 3)
        let (p1, p2, p3) = (lab.peers[0], lab.peers[1], lab.peers[2])
        try lab.setConfig(["TCP_IN": "22"])
        try lab.serve(in: lab.fw, tcp: [22, 9000], udp: [])
        #expect(try lab.csf("-s").status == 0)
        let before = try files.map { try String(contentsOfFile: lab.etc + "/" + $0, encoding: .utf8) }
        let rulesetBefore = lab.ruleset

        let (check, checkChanged) = try playbook(lab, ["--check", "--diff"])
        #expect(check.status == 0 && checkChanged > 0, "\(check.stdout)\n\(check.stderr)")
        #expect(try files.map { try String(contentsOfFile: lab.etc + "/" + $0, encoding: .utf8) } == before, "check mode wrote nothing")
        #expect(lab.ruleset == rulesetBefore, "check mode changed nothing in the kernel")
        let tempban = (try? String(contentsOfFile: lab.root + "/var/lib/csf/csf.tempban", encoding: .utf8)) ?? ""
        #expect(!tempban.contains(p3.v4), "check mode banned nothing")

        let (first, firstChanged) = try playbook(lab, [])
        #expect(first.status == 0 && firstChanged >= 5, "config, allow, deny, temp ban and the restart: \(first.stdout)\n\(first.stderr)")
        // LF_SSHD changed: the lfd handler ran, and lfd (started by it here) reads the new value.
        #expect(first.stdout.contains("RUNNING HANDLER [nftcsf.csf.nftcsf : Restart lfd]"), "\(first.stdout)")
        #expect(try lab.csf("--lfd", "status").status == 0, "lfd runs after the handler")
        let (second, secondChanged) = try playbook(lab, [])
        #expect(second.status == 0 && secondChanged == 0, "the second run changes nothing: \(second.stdout)")
        #expect(!second.stdout.contains("Restart lfd"), "\(second.stdout)")

        #expect(try !lab.tcpOpen(from: p1, port: 22, timeout: 0.5), "denied by the playbook")
        #expect(try lab.tcpOpen(from: p2, port: 9000), "allowed, and TCP_IN now has 9000")
        #expect(try !lab.tcpOpen(from: p3, port: 9000, timeout: 0.5), "temporarily banned from 9000")
        #expect(try lab.tcpOpen(from: p3, port: 22), "only from 9000")
        #expect(try String(contentsOfFile: lab.etc + "/csf.allow", encoding: .utf8).contains("\(p2.v4) # ansible office"))

        // The web UI's accounts and allow list: hashes that verify, written once (the second run changed nothing).
        let conf = try String(contentsOfFile: lab.etc + "/csf.conf", encoding: .utf8)
        #expect(conf.contains("UI_PASS = \"$scrypt$") && !conf.contains("a UI password for the test"))
        for (args, password) in [([String](), "a UI password for the test"), (["--read-only", "helpdesk"], "a UI password for the test (read only)")] {
            let verify = try Shell.run(["env", "CSF_ROOT=\(lab.root)", NetLab.csfBinary, "--ui-passwd"] + args + ["--verify"], stdin: password + "\n")
            #expect(verify.status == 0, "\(args): \(verify)")
        }
        let uiAllow = try String(contentsOfFile: lab.etc + "/ui/ui.allow", encoding: .utf8)
        #expect(uiAllow.contains("\n\(p2.v4) # ansible office\n2001:db8:77::/48\n2001:db8:78::/48\n"), "\(uiAllow)")
        #expect(try lab.csf("--check").status == 0, "csf --check reads the written ui.allow without a complaint")
        // A bad ui.allow entry fails the role before anything is written.
        let (bad, _) = try playbook(lab, ["-e", "test_ui_allow_extra=not-an-address"])
        #expect(bad.status != 0 && bad.stdout.contains("'not-an-address' is no IP address or CIDR"), "\(bad.stdout)")
        #expect(try String(contentsOfFile: lab.etc + "/ui/ui.allow", encoding: .utf8) == uiAllow)
    }

    /// A host without nftcsf: check mode reports what the role and modules would change, fails nothing and
    /// creates nothing.
    @Test func checkModeWorksOnAFreshHost() throws {
        let lab = try NetLab(peers: 1)
        let fresh = lab.root + "/fresh"
        try FileManager.default.createDirectory(atPath: fresh, withIntermediateDirectories: true)
        let rulesetBefore = lab.ruleset
        let (r, changed) = try ansible(lab, playbook: "contrib/ansible/tests/test.yml", root: fresh, [
            "--check", "--diff", "-v", "-e", "csf_bin=/nonexistent/csf", "-e", "test_deny=192.0.2.1"])
        #expect(r.status == 0 && changed >= 4, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("is not installed yet"), "\(r.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fresh).isEmpty)
        #expect(lab.ruleset == rulesetBefore)
    }

    /// contrib/ansible/example-playbook.yml as an admin runs it (no package to install: the lab's build is on
    /// PATH): SSH and the web ports open, the office allowed, lfd started and reading sshd's log (its own
    /// assertions, through csf_info), a port outside TCP_IN closed to a peer.
    @Test func theExamplePlaybookProtectsSSH() throws {
        let lab = try NetLab(peers: 2)
        let (office, other) = (lab.peers[0], lab.peers[1])
        try lab.serve(in: lab.fw, tcp: [22, 9000], udp: [])
        let vars = ["-e", #"{"ansible_become": false, "nftcsf_package": "", "nftcsf_services": false, "nftcsf_lfd_restart": true}"#,
                    "-e", "office=\(office.v4)/32"]
        let (check, _) = try ansible(lab, playbook: "contrib/ansible/example-playbook.yml", vars + ["--check"])
        #expect(check.status == 0, "\(check.stdout)\n\(check.stderr)")
        #expect(try lab.csf("-s").status == 0)
        let (run, changed) = try ansible(lab, playbook: "contrib/ansible/example-playbook.yml", vars)
        #expect(run.status == 0 && changed > 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("All assertions passed"), "\(run.stdout)")
        #expect(try lab.tcpOpen(from: office, port: 22) && lab.tcpOpen(from: other, port: 22))
        #expect(try lab.tcpOpen(from: office, port: 9000), "the office is allowed everywhere")
        #expect(try !lab.tcpOpen(from: other, port: 9000, timeout: 0.5), "9000 is not in TCP_IN")
    }

    /// Garbage through the modules fails the task and changes no file and no rule.
    @Test func badValuesFailTheTaskAndChangeNothing() throws {
        let lab = try NetLab(peers: 1)
        #expect(try lab.csf("-s").status == 0)
        let before = try files.map { try String(contentsOfFile: lab.etc + "/" + $0, encoding: .utf8) }
        let rulesetBefore = lab.ruleset
        let env = lab.csfEnvironment.merging([
            "ANSIBLE_COLLECTIONS_PATH": Repo.path("contrib/ansible"), "ANSIBLE_HOME": lab.root + "/ansible",
            "ANSIBLE_LOCAL_TEMP": lab.root + "/ansible/tmp", "ANSIBLE_NOCOLOR": "1", "LC_ALL": "C.UTF-8",
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
        ]) { $1 }.map { "\($0.key)=\($0.value)" }
        for (module, args) in [("nftcsf.csf.csf_config", "settings={\"TCP_IN\": \"22,99999\"} csf_bin=\(NetLab.csfBinary)"),
                               ("nftcsf.csf.csf_config", "settings={\"TCP_IN\": \"22\\\"; drop\"} csf_bin=\(NetLab.csfBinary)"),
                               ("nftcsf.csf.csf_entry", "ip=not-an-address state=deny csf_bin=\(NetLab.csfBinary)"),
                               ("nftcsf.csf.csf_entry", "ip=192.0.2.9 state=tempdeny ttl=forever csf_bin=\(NetLab.csfBinary)"),
                               ("nftcsf.csf.csf_info", "ip=not-an-address csf_bin=\(NetLab.csfBinary)")] {
            let r = try Shell.run(["ip", "netns", "exec", lab.fw, "env"] + env + [
                AnsibleTools.path("ansible")!, "localhost", "-i", "localhost,", "-c", "local", "-m", module, "-a", args])
            #expect(r.status != 0 && r.stdout.contains("FAILED"), "\(module) \(args): \(r.stdout)")
        }
        #expect(try files.map { try String(contentsOfFile: lab.etc + "/" + $0, encoding: .utf8) } == before)
        #expect(!FileManager.default.fileExists(atPath: lab.etc + "/csf.conf.ansible-previous"), "the rollback leaves no copy behind")
        #expect(lab.ruleset == rulesetBefore)
    }

    @Test(.enabled(if: AnsibleTools.path("ansible-lint") != nil, "ansible-lint from PyPI"))
    func collectionIsAnsibleLintClean() throws {
        let r = try Shell.run(["env", "ANSIBLE_COLLECTIONS_PATH=\(Repo.path("contrib/ansible"))", "HOME=\(NSTemporaryDirectory())",
                               "PATH=\(Repo.path(".build/ansible-venv/bin")):/usr/bin:/bin", AnsibleTools.path("ansible-lint")!, "--nocolor",
                               Repo.path("contrib/ansible/ansible_collections/nftcsf/csf")])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
    }
}

enum AnsibleTools {
    static func path(_ name: String) -> String? {
        let path = Repo.path(".build/ansible-venv/bin/\(name)")
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}
