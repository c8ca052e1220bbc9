#!/usr/bin/env python3
"""Blocklists and countries benchmark (issue 15). Everything runs in a network namespace this script creates and
deletes, on a throwaway CSF_ROOT; the feed is served by python's http.server on that namespace's loopback.

1. Countries: `csf -r` with CC_DENY="CN,RU" from the real tor-geoipdb data against the same `csf -r` with CC_DENY
   empty (medians of N runs); the difference is what loading the two countries costs. Target: under 200 ms.
2. A 1,000,000-entry blocklist (addresses four apart, so no two merge: a million ranges) downloaded and loaded by
   lfd, refreshed with 1 % changed and with another million (differences in batches), then after a `csf -r` and
   a restart of lfd with a third million (csf's snapshot of the set standing in for lfd's knowledge): lfd's own
   timing from its log line, and lfd's peak RSS (VmHWM). Targets: under 2.5 s, under 200 MB.
3. `csf -d` / `csf -dr` latency while that refresh runs (each command timed end to end by a loop running inside
   the namespace, samples started between the refresh's start and its log line), both verbs together and each on
   its own, with when its change landed in the kernel (csf's NFTCSF_TRACE_LANDED report). Target: p99 under 15 ms.
   The 1 % refresh runs five times (the changed 1 % moved and moved back): each window's own figures, and the p99 of
   their samples pooled (a half-second window holds too few commands for a p99 of its own). Then lfd's own bans
   (three failed SSH logins appended to the log lfd watches, one address after another) through three more whole
   swaps and five 1 % refreshes, each from the third line's append to lfd's report that the kernel took it, pooled
   per kind of refresh as the commands are (a window holds 50-100 bans).
4. ASNs: `csf -r` with CC_DENY="AS64500" against CC_DENY="" on a synthetic ip2asn-combined.tsv of the real file's
   shape (450,000 IPv4 + 120,000 IPv6 lines, 70,000 ASNs; AS64500 holds 600 ranges), medians of N runs.
5. ASNs offline (`--only location`, not run by default): lfd converting the real IPFire Location database
   (libloc-database; its time and lfd's peak RSS), then `csf -r` with CC_DENY="AS13335" from the conversion.
Usage: python3 bench/lists_bench.py [--quick] [--only countries,blocklist,asn,location]   (results: stdout + bench/out/lists.json)
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lfd_bench import ssh_fail  # noqa: E402  the failed SSH login lfd's latency benchmark bans on
from run import option  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("NFTCSF_BENCH_BIN", os.path.join(REPO, ".build", "release"))
os.environ["NFTCSF_DETECTORS"] = os.environ.get("NFTCSF_BENCH_DETECTORS", os.path.join(REPO, "compat", "detectors"))
QUICK = "--quick" in sys.argv
# 1 % refreshes timed in a row, their command samples also pooled (one is too short for a p99).
PCT_ROUNDS = 2 if QUICK else 5
SWAP_ROUNDS = 2 if QUICK else 3
ROOT_NETNS = str(os.stat("/proc/self/ns/net").st_ino)
OUT = os.path.join(REPO, "bench", "out")
GEOIP = "/usr/share/tor/geoip"


class Lab:
    def __init__(self, config):
        self.ns = f"nftcsf-listsbench-{os.getpid()}"
        self.root = tempfile.mkdtemp(prefix="nftcsf-listsbench-")
        os.chmod(self.root, 0o755)
        shutil.copytree(os.path.join(REPO, "compat/etc/csf"), self.root + "/etc/csf")
        shutil.copytree(os.path.join(REPO, "compat/tpl"), self.root + "/usr/local/csf/tpl")
        with open(self.root + "/sendmail", "w") as f:
            f.write(f"#!/bin/sh\ncat >> {self.root}/sent-mail\n")
        os.chmod(self.root + "/sendmail", 0o755)
        self.configure({"TESTING": "0", "SENDMAIL": self.root + "/sendmail", "SSHD_LOG": self.root + "/auth.log",
                        "PT_LIMIT": "0", "PT_LOAD": "0", "LF_INTEGRITY": "0", "LF_DIRWATCH": "0", "LF_PARSE": "1", **config})
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
        self.env = dict(os.environ, CSF_ROOT=self.root, NFTCSF_FORBID_NETNS=ROOT_NETNS, NFTCSF_PROCESS_SCOPE="0")
        self.pid = None
        self.server = None

    def configure(self, settings):
        path = self.root + "/etc/csf/csf.conf"
        conf = open(path).read().splitlines()
        conf = [l for l in conf if l.split(" =")[0] not in settings] + [f'{k} = "{v}"' for k, v in settings.items()]
        open(path, "w").write("\n".join(conf) + "\n")

    def csf(self, *args):
        t0 = time.perf_counter()
        r = subprocess.run(["ip", "netns", "exec", self.ns, os.path.join(BIN, "csf"), *args], env=self.env, capture_output=True, text=True)
        took = time.perf_counter() - t0
        if r.returncode != 0:
            raise RuntimeError(f"csf {' '.join(args)}: {r.stdout}{r.stderr}")
        return took

    def nft(self, *args):
        return subprocess.run(["ip", "netns", "exec", self.ns, "nft", *args], capture_output=True, text=True, check=True).stdout

    def serve(self, directory):
        self.server = subprocess.Popen(["ip", "netns", "exec", self.ns, "python3", "-m", "http.server", "8080", "--bind", "127.0.0.1",
                                        "--directory", directory], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)

    def start_lfd(self, trace=False):
        """lfd as a daemon; with `trace`, in the foreground with NFTCSF_TRACE_LANDED=1, its stderr read by a thread
        that keeps the wall-clock moments the kernel acknowledged lfd's own bans (`self.landed`)."""
        if not trace:
            subprocess.run(["ip", "netns", "exec", self.ns, os.path.join(BIN, "lfd")], env=self.env, check=True, capture_output=True)
            self.pid = int(open(self.root + "/var/run/lfd.pid").read())
            return
        self.landed = []
        self.landed_changed = threading.Condition()
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns, os.path.join(BIN, "lfd"), "--foreground"],
                                env=dict(self.env, NFTCSF_TRACE_LANDED="1"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, bufsize=1)

        def drain():
            for line in proc.stderr:
                if line.startswith("nftcsf: landed "):
                    with self.landed_changed:
                        self.landed.append(float(line.split()[2]))
                        self.landed_changed.notify_all()
        threading.Thread(target=drain, daemon=True).start()
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if int(open(self.root + "/var/run/lfd.pid").read()) == proc.pid:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        else:
            raise RuntimeError("lfd --foreground did not write its pid file")
        self.pid = proc.pid

    def log(self):
        try:
            return open(self.root + "/var/log/lfd.log").read()
        except OSError:
            return ""

    def wait_for(self, pattern, timeout, skip=0):
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            m = re.search(pattern, self.log()[skip:])
            if m:
                return m
            time.sleep(0.02)
        raise RuntimeError(f"not seen in {timeout} s: {pattern}\n{self.log()[-3000:]}")

    def cpu(self):
        fields = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / ticks, int(fields[12]) / ticks

    def peak_rss_mb(self):
        status = open(f"/proc/{self.pid}/status").read()
        return int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1]) / 1024

    def close(self):
        if self.pid:
            try:
                os.kill(self.pid, 15)
                time.sleep(0.5)
            except Exception:
                pass
        if self.server:
            self.server.kill()
            self.server.wait()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def summary(times):
    """Latency figures of a list of seconds, in milliseconds."""
    times = sorted(times)
    return {"n": len(times), "p50_ms": round(1000 * statistics.median(times), 2),
            "p99_ms": round(1000 * times[min(len(times) - 1, int(len(times) * 0.99))], 2), "max_ms": round(1000 * times[-1], 2)}


def against_baseline(measure, keys, stat, name):
    """Runs `measure(0)` (the shipped lists) and `measure(1M)` (100k with --quick) side by side, prints both and
    the ratio of `stat` for each key, and keeps everything in bench/out/<name>.json."""
    os.makedirs(OUT, exist_ok=True)
    results = {"machine": os.uname().release, "cores": os.cpu_count(), "quick": QUICK}
    results["baseline"] = measure(0)
    print(json.dumps(results["baseline"]), flush=True)
    results["million"] = measure(100_000 if QUICK else 1_000_000)
    print(json.dumps(results["million"]), flush=True)
    for k in keys:
        results[f"ratio_{k}_{stat}"] = round(results["million"][k][f"{stat}_ms"] / results["baseline"][k][f"{stat}_ms"], 2)
    print(json.dumps({k: v for k, v in results.items() if k.startswith("ratio")}))
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(results, f, indent=2)


def countries(runs):
    lab = Lab({})
    try:
        os.makedirs(lab.root + "/usr/share/tor")
        shutil.copy(GEOIP, lab.root + "/usr/share/tor/geoip")
        lab.csf("-s")
        results = {}
        for label, value in [("none", ""), ("cn_ru", "CN,RU")]:
            lab.configure({"CC_DENY": value})
            lab.csf("-r")
            results[label] = statistics.median(lab.csf("-r") for _ in range(runs))
        ranges = lab.nft("list", "set", "inet", "csf", "cc_deny4").count(",") + 1
    finally:
        lab.close()
    return {"runs": runs, "csf_r_without_s": round(results["none"], 4), "csf_r_cn_ru_s": round(results["cn_ru"], 4),
            "cn_ru_cost_s": round(results["cn_ru"] - results["none"], 4), "cn_ru_ranges": ranges}


def feed(path, count, offset, changed=None):
    """count addresses four apart from 11.0.0.0 + offset; with `changed`, the last `changed` of them moved by one."""
    base = 0x0B000000 + offset
    with open(path, "w") as f:
        f.write("# bench feed\n")
        for i in range(count):
            a = base + 4 * i + (1 if changed and i >= count - changed else 0)
            f.write(f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}\n")


LINE = r"Retrieved and blocking blocklist BENCH: (\d+) entries as (\d+) range\(s\) in ([\d.]+) s \(loading ([\d.]+) s(?:, ([^)]*))?\)"


# Runs inside the namespace, so each sample is csf itself (and python's fork/exec), not `ip netns exec`. Each line:
# start time, the command's duration, its verb, and when the kernel took its change (csf's NFTCSF_TRACE_LANDED
# report, less the start time: the moment the ban is enforced, before the file's flush), -1 when not reported.
COMMAND_LOOP = r"""
import os, subprocess, sys, time
csf, stop = sys.argv[1], sys.argv[2]
env = dict(os.environ, NFTCSF_TRACE_LANDED="1")
i = 0
while not os.path.exists(stop):
    ip = f"198.18.{(i // 250) % 250}.{i % 250 + 1}"
    for args in (["-d", ip, "bench"], ["-dr", ip]):
        t0 = time.time()
        r = subprocess.run([csf, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True, check=True)
        t1 = time.time()
        landed = [float(l.split()[2]) - t0 for l in r.stderr.splitlines() if l.startswith("nftcsf: landed ")]
        print(t0, t1 - t0, args[0], landed[0] if landed else -1, flush=True)
    i += 1
"""


def stats(times):
    """n, p50, p99 and max in ms of a list of seconds."""
    times = sorted(times)
    if not times:
        return {"n": 0}
    return {"n": len(times), "p50_ms": round(1000 * statistics.median(times), 2),
            "p99_ms": round(1000 * times[min(len(times) - 1, int(len(times) * 0.99))], 2), "max_ms": round(1000 * times[-1], 2)}


def by_verb(samples, verb):
    """Command and landed figures of one verb's (seconds, landed seconds or -1, verb) samples."""
    mine = [(t, landed) for (t, landed, name) in samples if name == verb]
    return {"command": stats([t for t, _ in mine]), "landed": stats([l for _, l in mine if l >= 0])}


def hup_refresh(lab):
    """Ages the list's cached copy and asks lfd to look again (SIGHUP), with the load to measure already running:
    the log line's match, the window (from the signal to the line) and lfd's CPU seconds in it."""
    cache = lab.root + "/var/lib/csf/csf.block.BENCH"
    old = time.time() - 3 * 86400
    os.utime(cache, (old, old))
    skip = len(lab.log())
    began = time.time()
    user0, sys0 = lab.cpu()
    os.kill(lab.pid, 1)
    m = lab.wait_for(LINE, 180, skip)
    ended = time.time()
    user1, sys1 = lab.cpu()
    return m, began, ended, {"user": round(user1 - user0, 2), "system": round(sys1 - sys0, 2)}


def timed_refresh(lab):
    """Times csf -d / -dr throughout a refresh (hup_refresh)."""
    stop = lab.root + "/stop-commands"
    loop = subprocess.Popen(["ip", "netns", "exec", lab.ns, "python3", "-c", COMMAND_LOOP, os.path.join(BIN, "csf"), stop],
                            env=lab.env, stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    m, began, ended, cpu = hup_refresh(lab)
    time.sleep(0.3)
    open(stop, "w").close()
    out, _ = loop.communicate(timeout=60)
    os.remove(stop)
    samples = [(float(a), float(b), verb, float(c)) for a, b, verb, c in (line.split() for line in out.splitlines())]
    window = [(t, landed, name) for (t0, t, name, landed) in samples if began <= t0 <= ended]
    idle = [t for (t0, t, _, _) in samples if t0 < began]
    return {
        "ranges": int(m.group(2)), "total_s": float(m.group(3)), "kernel_load_s": float(m.group(4)), "sent": m.group(5),
        "lfd_cpu_s": cpu,
        "csf_d_during": stats([t for t, _, _ in window]),
        "csf_d_idle_p50_ms": round(1000 * statistics.median(idle), 2) if idle else None,
        "deny_during": by_verb(window, "-d"), "denyrm_during": by_verb(window, "-dr"),
        "_samples": window,
    }


def pooled(windows):
    """The samples of several short refresh windows together: a window of half a second holds ~60 commands of each
    verb, so its own "p99" is its slowest command; pooled, the p99 is a percentile again."""
    samples = [s for w in windows for s in w["_samples"]]
    return {"windows": len(windows), "total_s": [w["total_s"] for w in windows],
            "deny_during": by_verb(samples, "-d"), "denyrm_during": by_verb(samples, "-dr"),
            "window_max_ms": [w["csf_d_during"].get("max_ms") for w in windows]}


def timed_lfd_bans(lab, octet):
    """Throughout a refresh (hup_refresh), has lfd ban one address after another (x.x.x.`octet`): three failed SSH
    logins (LF_SSHD = 3), the third appended at t0; landed = the moment lfd reported the kernel's acknowledgement
    (NFTCSF_TRACE_LANDED), less t0. lfd detects, decides and bans in-process."""
    stop = threading.Event()
    samples, lost = [], []

    def bans():
        i = 0
        while not stop.is_set():
            ip = f"100.{64 + (i // 250) % 60}.{i % 250}.{octet}"
            before = len(lab.landed)
            with open(lab.root + "/auth.log", "a") as f:
                f.write(ssh_fail(ip, 1) + "\n" + ssh_fail(ip, 2) + "\n")
            time.sleep(0.02)
            t0 = time.time()
            with open(lab.root + "/auth.log", "a") as f:
                f.write(ssh_fail(ip, 3) + "\n")
            with lab.landed_changed:
                answered = lab.landed_changed.wait_for(lambda: len(lab.landed) > before, timeout=5)
            if answered:
                samples.append((t0, lab.landed[before] - t0))
            else:
                lost.append(ip)
            i += 1
            time.sleep(0.005)
    worker = threading.Thread(target=bans)
    worker.start()
    time.sleep(1.0)
    m, began, ended, _ = hup_refresh(lab)
    time.sleep(0.3)
    stop.set()
    worker.join()
    during = [d for t0, d in samples if began <= t0 <= ended]
    return {"ranges": int(m.group(2)), "total_s": float(m.group(3)), "sent": m.group(5),
            "lfd_ban_landed_during": stats(during),
            "lfd_ban_landed_idle": stats([d for t0, d in samples if t0 < began]), "not_landed_in_5s": len(lost),
            "_samples": during}


def pooled_bans(windows):
    """lfd's bans over several refresh windows (pooled as for csf's commands): a window holds 50-100 bans, so its
    own p99 is its slowest or second-slowest; each window's figures are kept too."""
    samples = [d for w in windows for d in w.pop("_samples")]
    return {"windows": len(windows), "total_s": [w["total_s"] for w in windows], "lfd_ban_landed_during": stats(samples),
            "window_max_ms": [w["lfd_ban_landed_during"].get("max_ms") for w in windows],
            "not_landed_in_5s": sum(w["not_landed_in_5s"] for w in windows), "each": windows}


def refresh(count):
    web = tempfile.mkdtemp(prefix="nftcsf-listsbench-web-")
    os.chmod(web, 0o755)
    feed(web + "/feed.txt", count, 1)
    lab = Lab({"TCP_OUT": "20,21,22,25,53,80,110,113,443,587,993,995,8080", "LF_SSHD": "3", "LF_SSHD_PERM": "3600"})
    try:
        with open(lab.root + "/etc/csf/csf.blocklists", "w") as f:
            f.write("BENCH|86400|0|http://127.0.0.1:8080/feed.txt\n")
        lab.serve(web)
        lab.csf("-s")
        lab.start_lfd(trace=True)
        time.sleep(0.3)
        rss_before = lab.peak_rss_mb()
        first = lab.wait_for(LINE, 180)
        rss_first = lab.peak_rss_mb()
        # A typical refresh: 1 % of the list changed (then changed back, and so on), PCT_ROUNDS times.
        typicals = []
        for i in range(PCT_ROUNDS):
            feed(web + "/feed.txt", count, 1, changed=count // 100 if i % 2 == 0 else None)
            typicals.append(timed_refresh(lab))
        typical = typicals[0]
        # The worst case: another million, every entry different.
        feed(web + "/feed.txt", count, 2)
        whole = timed_refresh(lab)
        rss_lfd = lab.peak_rss_mb()
        # A whole change swaps the list into its other slot (blb_): whichever slot is running, each of its address
        # sets (a million addresses: bl_BENCH, bl1_BENCH … bl31_BENCH).
        running = lab.nft("-t", "list", "sets", "inet")
        prefix = "blb" if "set blb_BENCH " in running else "bl"
        elements = 0
        for shard in range(64):
            if f"set {prefix}{shard or ''}_BENCH " not in running:
                continue
            listed = lab.nft("list", "set", "inet", "csf", f"{prefix}{shard or ''}_BENCH")
            elements += listed.count(",") + 1 if "elements" in listed else 0
        # After csf -r (the set sized for its list from the cached copy) and a restart of lfd, which knows nothing
        # it loaded: the first refresh, every entry changed again, against csf's snapshot of the set.
        os.kill(lab.pid, 15)
        time.sleep(1)
        csf_r = lab.csf("-r")
        lab.start_lfd(trace=True)
        time.sleep(0.5)
        feed(web + "/feed.txt", count, 3)
        after_restart = timed_refresh(lab)
        # lfd's own bans (no csf command running): through SWAP_ROUNDS whole swaps, then PCT_ROUNDS 1 % refreshes,
        # each window's bans from addresses of their own (the last octet).
        octets = iter(range(1, 255))
        swaps = []
        for i in range(SWAP_ROUNDS):
            feed(web + "/feed.txt", count, 4 + i)
            swaps.append(timed_lfd_bans(lab, next(octets)))
        lfd_bans_swap = pooled_bans(swaps)
        pcts = []
        for i in range(PCT_ROUNDS):
            feed(web + "/feed.txt", count, 3 + SWAP_ROUNDS, changed=count // 100 if i % 2 == 0 else None)
            pcts.append(timed_lfd_bans(lab, next(octets)))
        lfd_bans_1pct = pooled_bans(pcts)
        pooled_1pct = pooled(typicals)
        for window in typicals + [whole, after_restart]:
            window.pop("_samples")
        result = {
            "entries": count,
            "first_load": {"ranges": int(first.group(2)), "total_s": float(first.group(3)), "kernel_load_s": float(first.group(4))},
            "refresh_1pct_changed": typical,
            "refresh_1pct_pooled": pooled_1pct,
            "refresh_all_changed": whole,
            "elements_in_kernel": elements,
            "csf_r_s": round(csf_r, 2),
            "refresh_all_changed_after_csf_r_and_lfd_restart": after_restart,
            "lfd_bans_during_swap": lfd_bans_swap,
            "lfd_bans_during_1pct": lfd_bans_1pct,
            "lfd_peak_rss_mb_before": round(rss_before, 1),
            "lfd_peak_rss_mb_after_first": round(rss_first, 1),
            "lfd_peak_rss_mb": round(rss_lfd, 1),
            "lfd_peak_rss_mb_restarted": round(lab.peak_rss_mb(), 1),
        }
    finally:
        lab.close()
        shutil.rmtree(web, ignore_errors=True)
    return result


def asn_file(path):
    """The shape of iptoasn's combined file: sorted IPv4 ranges of /24 size, then IPv6 /48s; every 750th line AS64500."""
    import random
    rnd = random.Random(7)
    with open(path, "w") as f:
        for i in range(450_000):
            a = 0x0B000000 + i * 512
            asn = 64500 if i % 750 == 0 else rnd.randint(1, 70_000)
            f.write(f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.0\t{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.255\t{asn}\tZZ\tNET-{asn}\n")
        for i in range(120_000):
            asn = 64500 if i % 750 == 0 else rnd.randint(1, 70_000)
            f.write(f"2001:{i >> 16:x}:{i & 0xffff:x}::\t2001:{i >> 16:x}:{i & 0xffff:x}:ffff:ffff:ffff:ffff:ffff\t{asn}\tZZ\tNET-{asn}\n")


def asn(runs):
    lab = Lab({})
    try:
        os.makedirs(lab.root + "/var/lib/csf/Geo", exist_ok=True)
        asn_file(lab.root + "/var/lib/csf/Geo/ip2asn-combined.tsv")
        lab.csf("-s")
        results = {}
        for label, value in [("none", ""), ("as64500", "AS64500")]:
            lab.configure({"CC_DENY": value})
            lab.csf("-r")
            results[label] = statistics.median(lab.csf("-r") for _ in range(runs))
        ranges = lab.nft("list", "set", "inet", "csf", "cc_deny4").count("-") + lab.nft("list", "set", "inet", "csf", "cc_deny4").count("/")
    finally:
        lab.close()
    return {"runs": runs, "csf_r_without_s": round(results["none"], 4), "csf_r_as64500_s": round(results["as64500"], 4),
            "as64500_cost_s": round(results["as64500"] - results["none"], 4), "cc_deny4_elements": ranges}


def location(runs):
    """lfd converting the real IPFire Location database (libloc-database), then csf -r with AS13335 (Cloudflare)
    from the conversion against CC_DENY empty."""
    real = "/var/lib/location/database.db"
    if not os.path.exists(real):
        raise RuntimeError("libloc-database is not installed (apt-get install libloc-database location)")
    lab = Lab({"CC_DENY": "AS13335", "CC_ASN_URL": ""})
    try:
        os.makedirs(lab.root + "/var/lib/location")
        os.symlink(real, lab.root + "/var/lib/location/database.db")
        lab.csf("-s")
        lab.start_lfd()
        m = lab.wait_for(r"IPFire Location database converted: (\d+) bytes in ([\d.]+) s", 300)
        lab.wait_for(r"csf restarted with new ASN data", 60)
        rss = lab.peak_rss_mb()
        os.kill(lab.pid, 15)
        time.sleep(1)
        lab.pid = None
        results = {}
        for label, value in [("none", ""), ("as13335", "AS13335")]:
            lab.configure({"CC_DENY": value})
            lab.csf("-r")
            results[label] = statistics.median(lab.csf("-r") for _ in range(runs))
        listed = lab.nft("list", "set", "inet", "csf", "cc_deny4")
    finally:
        lab.close()
    return {"runs": runs, "conversion_s": float(m.group(2)), "converted_bytes": int(m.group(1)), "lfd_peak_rss_mb": round(rss, 1),
            "csf_r_without_s": round(results["none"], 4), "csf_r_as13335_s": round(results["as13335"], 4),
            "as13335_cost_s": round(results["as13335"] - results["none"], 4), "holds_1_1_1_0": "1.1.1.0/24" in listed}


def main():
    os.makedirs(OUT, exist_ok=True)
    only = option("only", "countries,blocklist,asn").split(",")
    results = {"machine": os.uname().release, "cores": os.cpu_count(), "quick": QUICK}
    if "countries" in only:
        results["countries"] = countries(3 if QUICK else 10)
        print(json.dumps(results["countries"]), flush=True)
    if "asn" in only:
        results["asn"] = asn(3 if QUICK else 10)
        print(json.dumps(results["asn"]), flush=True)
    if "location" in only:
        results["location"] = location(3 if QUICK else 10)
        print(json.dumps(results["location"]), flush=True)
    if "blocklist" in only:
        results["blocklist"] = refresh(100_000 if QUICK else 1_000_000)
        print(json.dumps(results["blocklist"]), flush=True)
    with open(os.path.join(OUT, "lists.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
