#!/usr/bin/env python3
"""lfd benchmark (issue 4). Kernel parts run only inside a network namespace this script creates and deletes.

1. Parse throughput: `lfd --scan` over a generated 1,000,000-line auth.log (gen_authlog.py: ~30% sshd failures
   from 50,000 addresses), as lfd reads that file (SSHD_LOG: every detector reading it) and with every detector
   of every log; against `fail2ban-regex` with fail2ban's sshd filter on the same file.
2. Detection latency: lfd running on csf in a namespace; for each of N addresses the LF_SSHD-th failing line is
   appended, and the time until `nft monitor` reports the address added to the temp-ban set is recorded.
3. A burst: 500,000 lines in one write (100,000 distinct offending addresses below the threshold, so all are
   kept), then a sentinel's failures; the time until the sentinel is banned, and lfd's peak RSS.
Usage: python3 bench/lfd_bench.py [--quick] [--burst-only]   (results: stdout + bench/out/lfd.json)
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# lfd reads its detectors from the repository (an install puts them in /usr/share/nftcsf/detectors).
# NFTCSF_BENCH_DETECTORS: another build's own detector files, for an A/B.
os.environ["NFTCSF_DETECTORS"] = os.environ.get("NFTCSF_BENCH_DETECTORS", os.path.join(REPO, "compat", "detectors"))
# NFTCSF_BENCH_BIN=/tmp/base/.build/release measures another build (an A/B against an older commit).
BIN = os.environ.get("NFTCSF_BENCH_BIN", os.path.join(REPO, ".build", "release"))
QUICK = "--quick" in sys.argv
ROOT_NETNS = str(os.stat("/proc/self/ns/net").st_ino)
OUT = os.path.join(REPO, "bench", "out")


def throughput():
    lines = 200_000 if QUICK else 1_000_000
    log = os.path.join(OUT, f"auth{lines}.log")
    if not os.path.exists(log):
        subprocess.run([sys.executable, os.path.join(REPO, "bench", "gen_authlog.py"), log, str(lines)], check=True)
    res = {"lines": lines}
    for label, extra in (("sshd_log", ["--as", "SSHD_LOG"]), ("all_detectors", [])):
        times = []
        for _ in range(3 if QUICK else 5):
            t0 = time.perf_counter()
            r = subprocess.run([os.path.join(BIN, "lfd"), "--scan", log, "--quiet"] + extra, capture_output=True, text=True, check=True)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        res[label] = {"seconds": round(med, 3), "lines_per_second": int(lines / med), "summary": r.stdout.strip()}
    if shutil.which("fail2ban-regex"):
        t0 = time.perf_counter()
        r = subprocess.run(["fail2ban-regex", log, "/etc/fail2ban/filter.d/sshd.conf"], capture_output=True, text=True)
        sec = time.perf_counter() - t0
        summary = next((l for l in r.stdout.splitlines() if l.startswith("Lines:")), "")
        res["fail2ban_regex"] = {"seconds": round(sec, 1), "lines_per_second": int(lines / sec), "summary": summary}
        res["ratio"] = round(res["sshd_log"]["lines_per_second"] / res["fail2ban_regex"]["lines_per_second"], 1)
    return res


class Lab:
    def __init__(self, config):
        self.ns = f"nftcsf-lfdbench-{os.getpid()}"
        self.root = tempfile.mkdtemp(prefix="nftcsf-lfdbench-")
        os.makedirs(self.root + "/etc")
        shutil.copytree(os.path.join(REPO, "compat/etc/csf"), self.root + "/etc/csf")
        open(self.root + "/etc/resolv.conf", "w").close()
        self.auth = self.root + "/auth.log"
        open(self.auth, "w").close()
        conf = open(self.root + "/etc/csf/csf.conf").read().splitlines()
        # Alerts stay in the lab (never the host's mail queue).
        with open(self.root + "/sendmail", "w") as f:
            f.write(f"#!/bin/sh\ncat >> {self.root}/sent-mail\n")
        os.chmod(self.root + "/sendmail", 0o755)
        settings = {"TESTING": "0", "SSHD_LOG": self.auth, "LF_PERMBLOCK": "0", "DENY_TEMP_IP_LIMIT": "0",
                    "SENDMAIL": self.root + "/sendmail", **config}
        for key in ["LF_HTACCESS", "LF_MODSEC", "LF_POP3D", "LF_IMAPD", "LF_FTPD", "LF_SMTPAUTH", "LF_EXIMSYNTAX",
                    "LF_BIND", "LF_SUHOSIN", "LF_WEBMIN"]:
            settings.setdefault(key, "0")
        conf = [l for l in conf if l.split(" =")[0] not in settings] + [f'{k} = "{v}"' for k, v in settings.items()]
        open(self.root + "/etc/csf/csf.conf", "w").write("\n".join(conf) + "\n")
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
        # Process tracking judges no process of this host (pid 0 has no descendants).
        self.env = dict(os.environ, CSF_ROOT=self.root, NFTCSF_FORBID_NETNS=ROOT_NETNS, NFTCSF_PROCESS_SCOPE="0")
        self.run(os.path.join(BIN, "csf"), "-s")
        self.run(os.path.join(BIN, "lfd"))
        self.pid = int(open(self.root + "/var/run/lfd.pid").read())

    def run(self, *cmd):
        return subprocess.run(["ip", "netns", "exec", self.ns] + list(cmd), env=self.env, check=True, capture_output=True, text=True)

    def append(self, lines):
        with open(self.auth, "a") as f:
            f.write("".join(l + "\n" for l in lines))

    def close(self):
        try:
            os.kill(self.pid, 15)
            time.sleep(0.3)
        except Exception:
            pass
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def ssh_fail(ip, n):
    return f"Jan  5 09:05:0{n % 10} web1 sshd[22{n}]: Failed password for root from {ip} port 5{n}022 ssh2"


def latency():
    lab = Lab({"LF_SSHD": "3", "LF_SSHD_PERM": "3600"})
    seen = {}
    mon = subprocess.Popen(["ip", "netns", "exec", lab.ns, "nft", "monitor", "elements"], stdout=subprocess.PIPE, text=True, bufsize=1)

    def reader():
        for line in mon.stdout:
            if "tempdeny_in4" in line and "add element" in line:
                ip = line.split("{", 1)[1].split()[0]
                seen.setdefault(ip, time.perf_counter())

    threading.Thread(target=reader, daemon=True).start()
    time.sleep(0.5)
    samples = []
    try:
        for i in range(50 if QUICK else 300):
            ip = f"100.{64 + i // 250}.{i % 250}.7"
            lab.append([ssh_fail(ip, 1), ssh_fail(ip, 2)])
            time.sleep(0.02)
            t0 = time.perf_counter()
            lab.append([ssh_fail(ip, 3)])
            deadline = t0 + 5
            while ip not in seen and time.perf_counter() < deadline:
                time.sleep(0.0002)
            if ip in seen:
                samples.append((seen[ip] - t0) * 1000)
            time.sleep(0.01)
    finally:
        mon.kill()
        lab.close()
    samples.sort()
    q = lambda p: round(samples[min(len(samples) - 1, int(p * len(samples)))], 2)
    return {"bans": len(samples), "p50_ms": q(0.5), "p90_ms": q(0.9), "p99_ms": q(0.99), "max_ms": round(samples[-1], 2)}


def burst():
    """One write of 500,000 lines (100,000 distinct failing addresses, each below the threshold, between
    non-failure lines), then a failing pair from a sentinel: the time until the sentinel's ban is what lfd needs
    to read all of it. csf's flood guard (LF_PARSE x 1000 lines per pass) would have thrown the burst away,
    the sentinel with it. Peak RSS is taken with the 100,000 addresses tracked."""
    count = 20_000 if QUICK else 100_000
    lab = Lab({"LF_SSHD": "2", "LF_SSHD_PERM": "3600"})
    try:
        ips = [f"{11 + i // 65536}.{(i // 256) % 256}.{i % 256}.9" for i in range(count)]
        filler = "Jan  5 09:05:01 web1 sshd[2201]: Accepted publickey for deploy from 192.0.2.10 port 50000 ssh2"
        lines = []
        for ip in ips:
            lines.append(ssh_fail(ip, 1))
            lines.extend([filler] * 4)
        sentinel = "198.18.200.1"
        lines += [ssh_fail(sentinel, 1), ssh_fail(sentinel, 2)]
        log = lab.root + "/var/log/lfd.log"
        t0 = time.perf_counter()
        lab.append(lines)
        deadline = t0 + 120
        while time.perf_counter() < deadline and (not os.path.exists(log) or sentinel not in open(log).read()):
            time.sleep(0.01)
        seconds = time.perf_counter() - t0
        banned = sentinel in open(log).read()
        status = open(f"/proc/{lab.pid}/status").read()
        hwm = int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1])
        rss = int(next(l for l in status.splitlines() if l.startswith("VmRSS")).split()[1])
        flood = "flooding" in open(log).read()
    finally:
        lab.close()
    return {"lines": len(lines), "addresses": count, "sentinel_banned": banned, "seconds": round(seconds, 2),
            "lines_per_second": int(len(lines) / seconds) if banned else 0, "flood_guard_tripped": flood,
            "peak_rss_mb": round(hwm / 1024, 1), "rss_mb": round(rss / 1024, 1)}


def main():
    os.makedirs(OUT, exist_ok=True)
    result = {"machine": f"{os.cpu_count()} cores, kernel {os.uname().release}"}
    if "--burst-only" in sys.argv:
        b = burst()
        print(f"burst: {b['lines']:,} lines in one write, sentinel banned: {b['sentinel_banned']} after {b['seconds']} s "
              f"({b['lines_per_second']:,} lines/s, flood guard tripped: {b['flood_guard_tripped']})")
        print(f"memory: {b['addresses']:,} tracked addresses, peak RSS {b['peak_rss_mb']} MB (now {b['rss_mb']} MB)")
        return
    result["throughput"] = t = throughput()
    print(f"parse: {t['lines']} lines; as SSHD_LOG {t['sshd_log']['lines_per_second']:,} lines/s ({t['sshd_log']['seconds']} s), "
          f"all detectors {t['all_detectors']['lines_per_second']:,} lines/s")
    if "fail2ban_regex" in t:
        print(f"       fail2ban-regex (sshd filter) {t['fail2ban_regex']['lines_per_second']:,} lines/s ({t['fail2ban_regex']['seconds']} s): ratio {t['ratio']}x")
    result["latency"] = l = latency()
    print(f"latency: {l['bans']} bans, p50 {l['p50_ms']} ms, p90 {l['p90_ms']} ms, p99 {l['p99_ms']} ms, max {l['max_ms']} ms")
    result["burst"] = m = burst()
    print(f"burst: {m['lines']:,} lines in one write, sentinel banned: {m['sentinel_banned']} after {m['seconds']} s "
          f"({m['lines_per_second']:,} lines/s, flood guard tripped: {m['flood_guard_tripped']})")
    print(f"memory: {m['addresses']:,} tracked addresses, peak RSS {m['peak_rss_mb']} MB (now {m['rss_mb']} MB)")
    with open(os.path.join(OUT, "lfd.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
