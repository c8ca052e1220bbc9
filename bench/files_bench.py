#!/usr/bin/env python3
"""Directory watching and integrity benchmark (issue 17). lfd runs in a network namespace this script creates and
deletes, on a throwaway CSF_ROOT: the watched /tmp is the root's, the integrity check reads a copy of the host's
/usr/bin, /usr/sbin and dpkg database made inside the root (the host's files are only read, to copy them).

1. Alert latency: a suspicious file (a script owned by a uid no account has) dropped into the watched /tmp, until
   its `*Suspicious File*` line is in lfd.log; N drops, p50 and max. csf's floor: its LF_DIRWATCH walk, every
   300 s as shipped (150 s on average).
2. 1,000,000 files under watch (1,000 directories of 1,000 files owned by that uid, holding data a look must read):
   lfd's RSS against the same lfd with an empty /tmp, the start-up walk's time, and lfd's CPU over an idle window.
3. Integrity: the first LF_INTEGRITY check of every file in the copied /usr/bin and /usr/sbin against the copied
   dpkg checksums (every file read and hashed), and a later check (stat only): time and lfd's CPU.
Usage: python3 bench/files_bench.py [--quick]   (results: stdout + bench/out/files.json)
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["NFTCSF_DETECTORS"] = os.path.join(REPO, "compat", "detectors")
BIN = os.environ.get("NFTCSF_BENCH_BIN", os.path.join(REPO, ".build", "release"))
QUICK = "--quick" in sys.argv
ROOT_NETNS = str(os.stat("/proc/self/ns/net").st_ino)
OUT = os.path.join(REPO, "bench", "out")
TICKS = os.sysconf("SC_CLK_TCK")
ATTACKER = 64_321


class Lab:
    def __init__(self, config, prepare=None):
        self.ns = f"nftcsf-filesbench-{os.getpid()}"
        self.root = tempfile.mkdtemp(prefix="nftcsf-filesbench-")
        os.chmod(self.root, 0o755)
        shutil.copytree(os.path.join(REPO, "compat/etc/csf"), self.root + "/etc/csf")
        shutil.copytree(os.path.join(REPO, "compat/tpl"), self.root + "/usr/local/csf/tpl")
        os.makedirs(self.root + "/tmp")
        with open(self.root + "/sendmail", "w") as f:
            f.write(f"#!/bin/sh\ncat >> {self.root}/sent-mail\n")
        os.chmod(self.root + "/sendmail", 0o755)
        conf = open(self.root + "/etc/csf/csf.conf").read().splitlines()
        settings = {"TESTING": "0", "SENDMAIL": self.root + "/sendmail", "SSHD_LOG": self.root + "/auth.log",
                    "PT_LIMIT": "0", "PT_LOAD": "0", **config}
        conf = [l for l in conf if l.split(" =")[0] not in settings] + [f'{k} = "{v}"' for k, v in settings.items()]
        open(self.root + "/etc/csf/csf.conf", "w").write("\n".join(conf) + "\n")
        if prepare:
            prepare(self.root)
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
        env = dict(os.environ, CSF_ROOT=self.root, NFTCSF_FORBID_NETNS=ROOT_NETNS, NFTCSF_PROCESS_SCOPE="0")
        subprocess.run(["ip", "netns", "exec", self.ns, os.path.join(BIN, "csf"), "-s"], env=env, check=True, capture_output=True)
        self.started = time.perf_counter()
        subprocess.run(["ip", "netns", "exec", self.ns, os.path.join(BIN, "lfd")], env=env, check=True, capture_output=True)
        self.pid = int(open(self.root + "/var/run/lfd.pid").read())

    def log(self):
        try:
            return open(self.root + "/var/log/lfd.log").read()
        except OSError:
            return ""

    def wait_for(self, pattern, timeout):
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            m = re.search(pattern, self.log())
            if m:
                return m
            time.sleep(0.05)
        raise RuntimeError(f"not seen in {timeout} s: {pattern}\n{self.log()[-3000:]}")

    def cpu_seconds(self):
        fields = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def rss_mb(self):
        status = open(f"/proc/{self.pid}/status").read()
        return int(next(l for l in status.splitlines() if l.startswith("VmRSS")).split()[1]) / 1024

    def close(self):
        try:
            os.kill(self.pid, 15)
            time.sleep(0.3)
        except Exception:
            pass
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def alert_latency(drops):
    lab = Lab({"LF_INTEGRITY": "0", "LF_DIRWATCH": "60"})
    times = []
    try:
        lab.wait_for(r"Directory Watching: \d+ entries walked", 10)
        for i in range(drops):
            path = f"{lab.root}/tmp/drop{i}"
            line = f"*Suspicious File* {path} ["
            t0 = time.perf_counter()
            with open(path, "w") as f:
                f.write("#!/bin/sh\necho owned\n")
            os.chown(path, ATTACKER, ATTACKER)
            while line not in lab.log():
                if time.perf_counter() - t0 > 10:
                    raise RuntimeError("not told within 10 s")
                time.sleep(0.002)
            times.append(time.perf_counter() - t0)
            # Below csf's ten-per-window hold (LF_DIRWATCH = 60 here: a new window every minute).
            if i % 9 == 8:
                time.sleep(61)
    finally:
        lab.close()
    times.sort()
    return {"drops": drops, "p50_s": round(statistics.median(times), 4), "max_s": round(times[-1], 4)}


def make_files(root, dirs, per_dir):
    base = root + "/tmp/data"
    os.makedirs(base)
    for d in range(dirs):
        path = f"{base}/d{d}"
        os.mkdir(path)
        for f in range(per_dir):
            fd = os.open(f"{path}/f{f}", os.O_WRONLY | os.O_CREAT, 0o644)
            os.write(fd, b"data")
            os.close(fd)
            os.chown(f"{path}/f{f}", ATTACKER, ATTACKER)
        os.chown(path, ATTACKER, ATTACKER)


def million_files(dirs, per_dir):
    window = 60 if QUICK else 120
    empty = Lab({"LF_INTEGRITY": "0"})
    try:
        empty.wait_for(r"Directory Watching: \d+ entries walked", 10)
        time.sleep(2)
        rss_empty = empty.rss_mb()
    finally:
        empty.close()
    t0 = time.perf_counter()
    lab = Lab({"LF_INTEGRITY": "0"}, prepare=lambda root: make_files(root, dirs, per_dir))
    made = time.perf_counter() - t0
    try:
        m = lab.wait_for(r"Directory Watching: (\d+) entries walked, (\d+) directories watched, in ([\d.]+) secs", 600)
        time.sleep(3)
        c0, w0 = lab.cpu_seconds(), time.perf_counter()
        time.sleep(window)
        used, wall = lab.cpu_seconds() - c0, time.perf_counter() - w0
        rss = lab.rss_mb()
    finally:
        lab.close()
    return {"files": dirs * per_dir, "setup_s": round(made, 1), "walked": int(m.group(1)), "watched_dirs": int(m.group(2)),
            "walk_s": float(m.group(3)), "rss_empty_mb": round(rss_empty, 1), "rss_mb": round(rss, 1),
            "rss_growth_mb": round(rss - rss_empty, 1), "idle_window_s": round(wall, 1),
            "idle_cpu_percent_of_a_core": round(100 * used / wall, 3)}


def copy_system(root):
    for d in ("usr/bin", "usr/sbin"):
        shutil.copytree("/" + d, f"{root}/{d}", symlinks=True)
    os.symlink("usr/bin", root + "/bin")
    os.symlink("usr/sbin", root + "/sbin")
    os.makedirs(root + "/var/lib/dpkg")
    shutil.copytree("/var/lib/dpkg/info", root + "/var/lib/dpkg/info")
    shutil.copy("/var/lib/dpkg/status", root + "/var/lib/dpkg/status")


def integrity():
    lab = Lab({"LF_INTEGRITY": "3600", "LF_DIRWATCH": "0"}, prepare=copy_system)
    try:
        pattern = r"System Integrity: (\d+) files checked \((\d+) read\) against (\d+) packaged checksums in ([\d.]+) secs"
        m = lab.wait_for(pattern, 300)
        cpu_first = lab.cpu_seconds()
        du = subprocess.run(["du", "-smc", lab.root + "/usr/bin", lab.root + "/usr/sbin"], capture_output=True, text=True)
        size = int(du.stdout.splitlines()[-1].split()[0])
        # A later check: touch a watched directory, the check runs within seconds and reads nothing unchanged.
        c0 = lab.cpu_seconds()
        open(lab.root + "/usr/bin/nftcsf-bench-new", "w").write("#!/bin/sh\n")
        m2 = lab.wait_for(pattern.replace(r"(\d+) read", r"(1) read"), 30)
        time.sleep(1)
        later_cpu = lab.cpu_seconds() - c0
        findings = lab.log().count("*System Integrity*")
    finally:
        lab.close()
    return {"files": int(m.group(1)), "read": int(m.group(2)), "packaged_checksums": int(m.group(3)), "usr_bin_sbin_mb": size,
            "first_check_s": float(m.group(4)), "lfd_cpu_s_through_first_check": round(cpu_first, 2),
            "later_check_s": float(m2.group(4)), "later_check_cpu_s": round(later_cpu, 3), "alerts": findings}


def main():
    os.makedirs(OUT, exist_ok=True)
    result = {"machine": f"{os.cpu_count()} cores, kernel {os.uname().release}"}
    result["alert_latency"] = a = alert_latency(9 if QUICK else 18)
    print(f"suspicious file told: p50 {a['p50_s'] * 1000:.1f} ms, max {a['max_s'] * 1000:.1f} ms over {a['drops']} drops "
          f"(csf: its next LF_DIRWATCH walk, every 300 s)")
    dirs = 200 if QUICK else 1000
    result["million_files"] = m = million_files(dirs, 1000)
    print(f"{m['files']:,} files under watch: start-up walk {m['walk_s']} s ({m['watched_dirs']} directories watched), "
          f"RSS {m['rss_mb']} MB vs {m['rss_empty_mb']} MB with an empty /tmp (+{m['rss_growth_mb']} MB), "
          f"idle {m['idle_cpu_percent_of_a_core']}% of a core over {m['idle_window_s']} s")
    result["integrity"] = i = integrity()
    print(f"integrity: {i['files']} files, {i['packaged_checksums']:,} packaged checksums: first check {i['first_check_s']} s "
          f"(lfd CPU {i['lfd_cpu_s_through_first_check']} s from its start), a later check {i['later_check_s']} s "
          f"({i['later_check_cpu_s']} s CPU); alerts on the copied system: {i['alerts']}")
    with open(os.path.join(OUT, "files.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
