#!/usr/bin/env python3
"""csf -r / csf -s benchmark (issues 2 and 15). Runs only inside network namespaces it creates and deletes.

For each deny-list size it times `csf -r` against `nft -f` of the very script `csf --dry-run` prints (the
floor: every element through nft's parser), interleaved — each `nft -f` makes the table anew, so the next
`csf -r` loads its large sets whole — then `csf -r` twice in a row (the second sends only differences: none)
after csf -d / -dr between loads (the usual case), and with 1 % of csf.deny replaced before each run, and
records peak RSS.
Usage: python3 bench/run.py [--quick]   (results: stdout + bench/out/results.json; NFTCSF_BENCH_CSF=path times
another build of csf, e.g. an older commit's, with the same inputs)
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSF = os.environ.get("NFTCSF_BENCH_CSF") or os.path.join(REPO, ".build", "release", "csf")
QUICK = "--quick" in sys.argv
ROOT_NETNS = str(os.stat("/proc/self/ns/net").st_ino)


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw)


def option(name, default=None):
    """The value of `--name value` or `--name=value` on the command line, else `default`."""
    for i, a in enumerate(sys.argv[1:]):
        if a == f"--{name}" and i + 2 < len(sys.argv):
            return sys.argv[i + 2]
        if a.startswith(f"--{name}="):
            return a.split("=", 1)[1]
    return default


def deny_ips(n, seed=42):
    rnd = random.Random(seed)
    seen = set()
    lines = []
    while len(lines) < n:
        a = rnd.randint(11, 223)
        if a in (100, 127, 169, 172, 192, 198, 203):
            continue
        ip = f"{a}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
        if ip in seen:
            continue
        seen.add(ip)
        lines.append(f"{ip} # lfd: (sshd) Failed SSH login from {ip} (-): 5 in the last 3600 secs - Sun Jan  5 09:05:03 2025")
    return "\n".join(lines) + "\n"


def deny_cidrs(n, seed=7):
    rnd = random.Random(seed)
    lines = []
    for _ in range(n):
        plen = rnd.randint(16, 32)
        addr = rnd.randint(11 << 24, (224 << 24) - 1)
        addr &= (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
        ip = ".".join(str(addr >> s & 255) for s in (24, 16, 8, 0))
        lines.append(f"{ip}/{plen} # Manually denied - Sun Jan  5 09:05:03 2025")
    return "\n".join(lines) + "\n"


def timed(cmd, env):
    """Wall time and peak RSS (KB) of one command, via /usr/bin/time."""
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "RSS %M"] + cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{cmd}: {r.stderr}")
    rss = int([l for l in r.stderr.splitlines() if l.startswith("RSS ")][-1].split()[1])
    return wall, rss


class Lab:
    def __init__(self, deny_text):
        self.ns = f"nftcsf-bench-{os.getpid()}"
        self.root = tempfile.mkdtemp(prefix="nftcsf-bench-")
        shutil.copytree(os.path.join(REPO, "compat/etc/csf"), os.path.join(self.root, "etc/csf"))
        conf = os.path.join(self.root, "etc/csf/csf.conf")
        text = open(conf).read()
        for key, value in (("TESTING", "0"), ("DENY_IP_LIMIT", "0")):
            text = "\n".join(l for l in text.splitlines() if not l.startswith(key + " =")) + f'\n{key} = "{value}"\n'
        open(conf, "w").write(text)
        open(os.path.join(self.root, "etc/csf/csf.deny"), "w").write(deny_text)
        sh("ip", "netns", "add", self.ns)
        self.env = dict(os.environ, CSF_ROOT=self.root, NFTCSF_FORBID_NETNS=ROOT_NETNS)

    def run(self, *cmd):
        return timed(["ip", "netns", "exec", self.ns] + list(cmd), self.env)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.ns])
        shutil.rmtree(self.root, ignore_errors=True)


def measure(label, deny_text, runs):
    lab = Lab(deny_text)
    try:
        script = os.path.join(lab.root, "floor.nft")
        with open(script, "w") as f:
            subprocess.run([CSF, "--dry-run"], stdout=f, env=lab.env, check=True)
        cold, cold_rss = lab.run(CSF, "-s")
        csf_t, csf_rss, nft_t, nft_rss = [], [], [], []
        for _ in range(runs):          # interleaved so machine noise hits both alike
            t, r = lab.run(CSF, "-r")
            csf_t.append(t); csf_rss.append(r)
            t, r = lab.run("nft", "-f", script)
            nft_t.append(t); nft_rss.append(r)
        # csf -r right after csf -r: the snapshot of the last bulk load stands, so only differences are sent.
        lab.run(CSF, "-r")
        same_t = [lab.run(CSF, "-r")[0] for _ in range(runs)]
        # csf -r after bans between loads (the usual case): csf -d and csf -dr change the set the snapshot describes.
        after_bans_t = []
        for r in range(runs):
            lab.run(CSF, "-d", f"198.51.100.{r + 1}")
            lab.run(CSF, "-dr", f"198.51.100.{r + 1}")
            lab.run(CSF, "-d", f"203.0.113.{r + 1}")
            after_bans_t.append(lab.run(CSF, "-r")[0])
        deny_path = os.path.join(lab.root, "etc/csf/csf.deny")
        lines = open(deny_path).read().splitlines()
        changed_t = []
        for r in range(runs):        # 1 % of the lines replaced by new addresses each time
            step = 100
            for i in range(r, len(lines), step):
                lines[i] = f"10.{r}.{i >> 8 & 255}.{i & 255} # replaced"
            open(deny_path, "w").write("\n".join(lines) + "\n")
            changed_t.append(lab.run(CSF, "-r")[0])
        row = {
            "case": label, "runs": runs,
            "csf_start_cold_s": round(cold, 3),
            "csf_restart_unchanged_median_s": round(statistics.median(same_t), 3),
            "csf_restart_1pct_changed_median_s": round(statistics.median(changed_t), 3),
            "csf_restart_after_bans_median_s": round(statistics.median(after_bans_t), 3),
            "csf_restart_median_s": round(statistics.median(csf_t), 3),
            "nft_floor_median_s": round(statistics.median(nft_t), 3),
            "ratio": round(statistics.median(csf_t) / statistics.median(nft_t), 2),
            "csf_peak_rss_mb": round(max(csf_rss + [cold_rss]) / 1024, 1),
            "nft_peak_rss_mb": round(max(nft_rss) / 1024, 1),
        }
        print(json.dumps(row), flush=True)
        return row
    finally:
        lab.close()


def default_start(runs):
    lab = Lab("")
    try:
        times = [lab.run(CSF, "-s")[0] for _ in range(runs)]
        noop = [lab.run("true")[0] for _ in range(runs)]
        row = {"case": "csf -s, shipped defaults (TESTING=0)", "runs": runs,
               "median_s": round(statistics.median(times), 4),
               "ip_netns_exec_true_median_s": round(statistics.median(noop), 4)}
        print(json.dumps(row), flush=True)
        return row
    finally:
        lab.close()


def main():
    if not os.path.exists(CSF):
        sys.exit("build first: swift build -c release")
    sizes = [(1_000, 7), (10_000, 7), (100_000, 5), (1_000_000, 3)]
    if QUICK:
        sizes = [(1_000, 3), (10_000, 3)]
    rows = [default_start(20)]
    for n, runs in sizes:
        rows.append(measure(f"{n:,} IPv4 addresses", deny_ips(n), runs))
    if not QUICK:
        rows.append(measure("100,000 CIDRs /16-/32", deny_cidrs(100_000), 5))
    os.makedirs(os.path.join(REPO, "bench/out"), exist_ok=True)
    name = "results-other.json" if os.environ.get("NFTCSF_BENCH_CSF") else "results.json"
    with open(os.path.join(REPO, "bench/out", name), "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
