import Foundation
import Testing
import CsfTestSupport

/// csf-ui's refusals before it serves anything: bad arguments, default or plain-text credentials, an empty
/// ui.allow; and `csf --ui-passwd` handing over to it. None of these reach the kernel.
@Suite struct UICommandLineTests {
    func ui(_ root: String, _ args: [String], stdin: String? = nil) throws -> Shell.Result {
        try Shell.run(["env", "CSF_ROOT=\(root)", MetricsKernelTests.uiBinary] + args, stdin: stdin)
    }

    @Test func badArgumentsExitWithTwo() throws {
        let dir = try TempDir.csfRoot()
        for args in [["--bogus"], ["--messenger", "extra"], ["--passwd", "--read-only"], ["--passwd", "x", "y"], ["--helper", "x"],
                     ["--passwd", "--verify", "--verify"], ["--passwd", "--read-only", "a", "--read-only", "b"]] {
            let r = try ui(dir.path, args)
            #expect(r.status == 2 && r.stderr.contains("usage"), "\(args): \(r)")
        }
        // The helper runs only on the socket pair csf-ui gives it, never from a terminal or a pipe.
        let helper = try ui(dir.path, ["--helper"], stdin: "summary\n")
        #expect(helper.status == 2 && helper.stderr.contains("started by csf-ui itself"), "\(helper)")
    }

    @Test func defaultsPlainTextPasswordsAndAnEmptyAllowListAreRefused() throws {
        let dir = try TempDir.csfRoot(config: ["UI": "1"])
        var r = try ui(dir.path, [])
        #expect(r.status == 1 && r.stderr.contains("UI_USER is still csf's default"), "\(r)")
        try dir.setConfig(["UI_USER": "admin"])
        r = try ui(dir.path, [])
        #expect(r.status == 1 && r.stderr.contains("UI_PASS is still csf's default; set a password with: csf --ui-passwd"), "\(r)")
        try dir.setConfig(["UI_PASS": "hunter2hunter2"])
        r = try ui(dir.path, [])
        #expect(r.status == 1 && r.stderr.contains("plain-text"), "\(r)")

        // csf --ui-passwd hands over to csf-ui --passwd: a short password is refused, a good one becomes a hash.
        let env = ["env", "CSF_ROOT=\(dir.path)", "NFTCSF_UI=\(MetricsKernelTests.uiBinary)", NetLab.csfBinary, "--ui-passwd"]
        r = try Shell.run(env, stdin: "short\n")
        #expect(r.status == 1 && r.stderr.contains("at least 8"), "\(r)")
        r = try Shell.run(env, stdin: "long enough password\n")
        #expect(r.status == 0, "\(r)")
        let conf = dir.read("etc/csf/csf.conf") ?? ""
        #expect(conf.contains("UI_PASS = \"$scrypt$") && !conf.contains("hunter2") && !conf.contains("long enough password"))
        #expect(conf.components(separatedBy: "\nUI_PASS =").count == 2, "one UI_PASS line")
        // --verify tells whether the stored hash is of a password, and writes nothing (Ansible sets it only once).
        r = try Shell.run(env + ["--verify"], stdin: "long enough password\n")
        #expect(r.status == 0 && r.stdout.contains("is this password"), "\(r)")
        r = try Shell.run(env + ["--verify"], stdin: "another long password\n")
        #expect(r.status == 1 && r.stdout.contains("is another password"), "\(r)")
        #expect(dir.read("etc/csf/csf.conf") == conf, "verifying changed nothing")
        r = try Shell.run(env + ["--read-only", "viewer", "--verify"], stdin: "long enough password\n")
        #expect(r.status == 1 && r.stdout.contains("password of viewer is no scrypt hash"), "\(r)")
        r = try Shell.run(env + ["--read-only", "viewer"], stdin: "viewer's own password\n")
        r = try Shell.run(env + ["--verify", "--read-only", "viewer"], stdin: "viewer's own password\n")
        #expect(r.status == 0, "\(r)")
        r = try Shell.run(env + ["--read-only", "bad name"], stdin: "long enough password\n")
        #expect(r.status == 2, "\(r)")

        try dir.setConfig(["UI_ALLOW": "1"])
        try dir.write("etc/csf/ui/ui.allow", "# only junk\nnot-an-address\n")
        r = try ui(dir.path, [])
        #expect(r.status == 1 && r.stderr.contains("ui.allow lists no address"), "\(r)")
        #expect(r.stderr.contains("ui/ui.allow:2: error: 'not-an-address' is "), "a bad line is named: \(r)")
        try dir.setConfig(["UI": "0", "METRICS": "0"])
        r = try ui(dir.path, [])
        #expect(r.status == 1 && r.stderr.contains("nothing to serve"), "\(r)")
    }
}
