#!/usr/bin/env python3
"""List-command benchmark (issue 3). Runs only inside a network namespace it creates and deletes.

1. One `csf -d` / `csf -dr` / `csf -td` / `csf -tr` with a 100,000-entry csf.deny loaded, against a bare
   `nft add element` / `nft delete element` making the same change (interleaved, timed inside the namespace,
   so `ip netns exec` is not part of either number).
2. 10,000 sequential `csf -td` calls.
3. 100,000 temp bans through the in-process netlink API (NetlinkSetWriter), one ban per transaction and
   1,000 per transaction.
Usage: python3 bench/list_commands.py [--quick]   (results: stdout + bench/out/list_commands.json)
"""
import json
import re
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import deny_ips  # noqa: E402  same 100k list as the issue-2 benchmark

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSF = os.path.join(REPO, ".build", "release", "csf")
PROBE = os.path.join(REPO, ".build", "release", "NetlinkProbe")
QUICK = "--quick" in sys.argv
# The outer process passes the root namespace down; inside the bench namespace it is not our own.
ROOT_NETNS = os.environ.get("NFTCSF_FORBID_NETNS") if "--inner" in sys.argv else str(os.stat("/proc/self/ns/net").st_ino)


def inner(root):
    """Runs inside the namespace: every timing here excludes `ip netns exec`."""
    env = dict(os.environ, CSF_ROOT=root, NFTCSF_FORBID_NETNS=ROOT_NETNS)
    runs = 10 if QUICK else 40

    def t(cmd):
        # Deleting set elements leaves the kernel an RCU grace period of cleanup, which the next process to close a
        # netfilter socket within it waits for. A pause gives every command (ours and nft's) a quiet kernel, as
        # an admin typing commands would.
        time.sleep(0.05)
        t0 = time.perf_counter()
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            raise SystemExit(f"{cmd} failed: {r.stdout} {r.stderr}")
        return dt

    samples = {k: [] for k in ("csf -d", "nft add element", "csf -dr", "nft delete element",
                               "csf -td", "nft add element (timeout)", "csf -tr", "nft delete element (timeout)")}
    for i in range(runs):
        ip = f"198.18.{i // 250}.{i % 250 + 1}"
        samples["csf -d"].append(t([CSF, "-d", ip, "bench"]))
        samples["csf -dr"].append(t([CSF, "-dr", ip]))
        samples["nft add element"].append(t(["nft", "add", "element", "inet", "csf", "deny4", "{", ip, "}"]))
        samples["nft delete element"].append(t(["nft", "delete", "element", "inet", "csf", "deny4", "{", ip, "}"]))
        samples["csf -td"].append(t([CSF, "-td", ip, "3600"]))
        samples["csf -tr"].append(t([CSF, "-tr", ip]))
        samples["nft add element (timeout)"].append(
            t(["nft", "add", "element", "inet", "csf", "tempdeny_in4", "{", ip, "timeout", "3600s", "}"]))
        samples["nft delete element (timeout)"].append(
            t(["nft", "delete", "element", "inet", "csf", "tempdeny_in4", "{", ip, "}"]))
    single = {k: round(statistics.median(v) * 1000, 2) for k, v in samples.items()}

    count = 1000 if QUICK else 10000
    t0 = time.perf_counter()
    for i in range(count):
        ip = f"100.64.{i // 250}.{i % 250 + 1}"
        r = subprocess.run([CSF, "-td", ip, "3600"], env=env, capture_output=True)
        if r.returncode != 0:
            raise SystemExit(f"csf -td {ip} failed: {r.stderr}")
    sequential = time.perf_counter() - t0
    listing = subprocess.run(["nft", "list", "set", "inet", "csf", "tempdeny_in4"], capture_output=True, text=True).stdout
    in_kernel = len(re.findall(r"\b100\.64\.\d+\.\d+ timeout", listing))
    with open(os.path.join(root, "var/lib/csf/csf.tempban")) as f:
        in_file = sum(1 for _ in f)
    subprocess.run([CSF, "-tf"], env=env, capture_output=True, check=True)

    api = {}
    bans = 20000 if QUICK else 100000
    for per_batch in (1, 1000):
        subprocess.run(["nft", "flush", "set", "inet", "csf", "tempdeny_in4"], check=True)
        r = subprocess.run([PROBE, "bench-temp", "csf", "tempdeny_in4", str(bans), str(per_batch)],
                           env=env, capture_output=True, text=True, check=True)
        fields = dict(kv.split("=") for kv in r.stdout.split())
        api[per_batch] = {"seconds": round(float(fields["seconds"]), 3), "bans_per_second": int(fields["bans_per_second"])}
    print(json.dumps({"runs": runs, "single_ms": single, "sequential": {
        "calls": count, "seconds": round(sequential, 1), "ms_per_call": round(sequential / count * 1000, 2),
        "in_kernel": in_kernel, "in_file": in_file}, "api": api}))


def main():
    if "--inner" in sys.argv:
        inner(sys.argv[sys.argv.index("--inner") + 1])
        return
    ns = f"nftcsf-bench3-{os.getpid()}"
    root = tempfile.mkdtemp(prefix="nftcsf-bench3-")
    try:
        os.makedirs(root + "/etc")
        shutil.copytree(os.path.join(REPO, "compat/etc/csf"), root + "/etc/csf")
        with open(root + "/etc/csf/csf.conf", "a") as f:
            f.write('\n')
        conf = open(root + "/etc/csf/csf.conf").read().splitlines()
        conf = [line for line in conf if not line.startswith(("TESTING =", "DENY_IP_LIMIT ="))]
        conf += ['TESTING = "0"', 'DENY_IP_LIMIT = "0"']
        open(root + "/etc/csf/csf.conf", "w").write("\n".join(conf) + "\n")
        open(root + "/etc/csf/csf.deny", "w").write(deny_ips(100000))
        open(root + "/etc/resolv.conf", "w").write("")
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        env = dict(os.environ, CSF_ROOT=root, NFTCSF_FORBID_NETNS=ROOT_NETNS)
        subprocess.run(["ip", "netns", "exec", ns, CSF, "-s"], env=env, check=True, capture_output=True)
        r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__), "--inner", root]
                           + (["--quick"] if QUICK else []), env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(r.stderr or r.stdout)
        result = json.loads(r.stdout)
        result["machine"] = f"{os.cpu_count()} cores, kernel {os.uname().release}"
        os.makedirs(os.path.join(REPO, "bench/out"), exist_ok=True)
        with open(os.path.join(REPO, "bench/out/list_commands.json"), "w") as f:
            json.dump(result, f, indent=2)
        s = result["single_ms"]
        print(f"single commands, 100k-entry csf.deny loaded, median of {result['runs']} (ms):")
        for csf_cmd, nft_cmd in (("csf -d", "nft add element"), ("csf -dr", "nft delete element"),
                                 ("csf -td", "nft add element (timeout)"), ("csf -tr", "nft delete element (timeout)")):
            print(f"  {csf_cmd:8} {s[csf_cmd]:7.2f}   {nft_cmd:28} {s[nft_cmd]:7.2f}   ratio {s[csf_cmd] / s[nft_cmd]:.2f}")
        q = result["sequential"]
        print(f"{q['calls']} sequential csf -td: {q['seconds']} s ({q['ms_per_call']} ms/call); "
              f"{q['in_kernel']} in the kernel, {q['in_file']} in csf.tempban")
        for per_batch, a in result["api"].items():
            print(f"in-process API, {per_batch} ban(s) per transaction: {a['bans_per_second']} bans/s ({a['seconds']} s)")
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
