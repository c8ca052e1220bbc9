#!/usr/bin/env python3
"""A/B of two csf builds on the list commands: `csf -d` and `csf -td` (each followed by its removal) with the same
100,000-entry csf.deny loaded, alternating the two binaries call by call inside one namespace this script creates
and deletes, so machine noise hits both alike. Used to check that a change kept the hot path's speed.

Usage: python3 bench/ab_list.py BASE_CSF NEW_CSF [RUNS]
  e.g. git worktree add /tmp/base <commit> && (cd /tmp/base && swift build -c release --static-swift-stdlib)
       python3 bench/ab_list.py /tmp/base/.build/release/csf .build/release/csf 100
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
from run import deny_ips  # noqa: E402  the same 100k list as the other benchmarks


def inner(base, new, runs):
    root = tempfile.mkdtemp(prefix="nftcsf-ab-")
    try:
        shutil.copytree(os.path.join(REPO, "compat", "etc", "csf"), root + "/etc/csf")
        conf = open(root + "/etc/csf/csf.conf").read()
        conf = conf.replace('TESTING = "1"', 'TESTING = "0"').replace('DENY_IP_LIMIT = "200"', 'DENY_IP_LIMIT = "0"')
        open(root + "/etc/csf/csf.conf", "w").write(conf)
        open(root + "/etc/csf/csf.deny", "w").write(deny_ips(100000))
        env = dict(os.environ, CSF_ROOT=root)
        r = subprocess.run([new, "-s"], env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[-2000:]

        def timed(cmd):
            # A pause lets the kernel finish the previous deletion's cleanup (see bench/RESULTS.md, issue 3).
            time.sleep(0.05)
            start = time.perf_counter()
            r = subprocess.run(cmd, env=env, capture_output=True)
            elapsed = (time.perf_counter() - start) * 1000
            assert r.returncode == 0, r
            return elapsed

        results = {(b, c): [] for b in (base, new) for c in ("-d", "-td")}
        for i in range(runs):
            for tag, binary in ((1, base), (2, new)):
                ip = f"198.18.{tag}.{i % 250 + 1}"
                results[(binary, "-d")].append(timed([binary, "-d", ip]))
                timed([binary, "-dr", ip])
                results[(binary, "-td")].append(timed([binary, "-td", ip, "3600"]))
                timed([binary, "-tr", ip])
        for command in ("-d", "-td"):
            b, n = statistics.median(results[(base, command)]), statistics.median(results[(new, command)])
            print(f"csf {command:4} base {b:6.2f} ms   new {n:6.2f} ms   new/base {n / b:.3f}   (median of {runs}, interleaved)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main():
    if "--inner" in sys.argv:
        args = [a for a in sys.argv[1:] if a != "--inner"]
        inner(args[0], args[1], int(args[2]))
        return
    base, new = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    runs = sys.argv[3] if len(sys.argv) > 3 else "100"
    ns = f"nftcsf-ab-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__), "--inner", base, new, runs], check=True)
    finally:
        subprocess.run(["ip", "netns", "del", ns])


if __name__ == "__main__":
    main()
