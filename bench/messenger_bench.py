#!/usr/bin/env python3
"""Messenger benchmark (issue 18). A firewall namespace (csf + lfd with MESSENGER = 1, release build) and a peer
namespace on a veth link, both created and deleted here; the peer's address is in csf.deny, so every connection
it makes to port 80 is redirected by prerouting to lfd's messenger child (csf-ui --messenger, as nobody).

1. 1,000 concurrent connections for 10 s: requests/s, errors, the messenger's peak RSS (VmHWM), and lfd's ban
   latency meanwhile (three failed SSH lines for another address until lfd logs the block).
2. Requests/s on one core: the messenger pinned to CPU 1 (all its threads), wrk (Debian's package) pinned to
   CPU 0 in the peer namespace; each request is a new connection (the messenger closes after its answer, as
   csf's did), so this is connections/s through conntrack, the redirect and the server. MESSENGER_RATE is set
   out of the way for this run (it is a per-source limit). One client address reuses its ports within
   conntrack's 120 s TIME_WAIT after ~64,000 connections, and its new connections then wait for SYN
   retransmits: the runs are kept shorter than that, the 1,000-connection run first.
Usage: python3 bench/messenger_bench.py [--quick]   (results: stdout + bench/out/messenger.json)
"""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lists_bench import BIN, OUT, QUICK, Lab  # noqa: E402

SECONDS = 5 if QUICK else 10
PEER, FW = "10.99.0.2", "10.99.0.1"


def wrk(peer_ns, connections, seconds):
    r = subprocess.run(["taskset", "-c", "0", "ip", "netns", "exec", peer_ns, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
                        "--timeout", "5s", f"http://{FW}/"], capture_output=True, text=True, check=True)
    out = r.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = re.search(r"Latency\s+([\d.]+\w+)\s+([\d.]+\w+)\s+([\d.]+\w+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"connections": connections, "requests_per_s": round(rps), "latency_avg": lat.group(1) if lat else None,
            "latency_max": lat.group(3) if lat else None,
            "socket_errors": dict(zip(["connect", "read", "write", "timeout"], map(int, errors.groups()))) if errors else {},
            "answers_403": "Non-2xx or 3xx responses" in out}


def status(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return 0


def main():
    os.makedirs(OUT, exist_ok=True)
    lab = Lab({"MESSENGER": "1", "MESSENGER_USER": "nobody", "MESSENGER_HTTPS_IN": "", "MESSENGER_RATE": "1000000/s",
               "MESSENGER_BURST": "1000000", "TCP_IN": "22,80", "LF_SSHD": "3", "LF_SSHD_PERM": "300"})
    peer = lab.ns + "-peer"
    results = {"machine": os.uname().release, "cores": os.cpu_count(), "quick": QUICK}
    try:
        subprocess.run(["ip", "netns", "add", peer], check=True)
        subprocess.run(["ip", "-n", lab.ns, "link", "add", "veth0", "type", "veth", "peer", "name", "eth0", "netns", peer], check=True)
        for ns, dev, addr in [(lab.ns, "veth0", FW), (peer, "eth0", PEER)]:
            subprocess.run(["ip", "-n", ns, "addr", "add", addr + "/24", "dev", dev], check=True)
            subprocess.run(["ip", "-n", ns, "link", "set", dev, "up"], check=True)
        subprocess.run(["ip", "-n", peer, "link", "set", "lo", "up"], check=True)
        # One client address makes ~100,000 connections here: all of its ports, not the default 28,000.
        subprocess.run(["ip", "netns", "exec", peer, "sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65535"], check=True)
        open(lab.root + "/auth.log", "w").close()
        lab.csf("-s")
        lab.csf("-d", PEER, "bench")
        lab.start_lfd()
        lab.wait_for(r"Messenger: serving blocked visitors as nobody", 10)
        time.sleep(1)
        pid = int(subprocess.run(["pgrep", "-f", "csf-ui --messenger"], capture_output=True, text=True).stdout.split()[0])
        subprocess.run(["taskset", "-a", "-p", "-c", "1", str(pid)], check=True, capture_output=True)
        results["rss_idle_mb"] = round(status(pid, "VmRSS"), 1)
        # 1,000 at once, and lfd banning meanwhile.
        load = subprocess.Popen(["taskset", "-c", "0", "ip", "netns", "exec", peer, "wrk", "-t1", "-c1000", f"-d{SECONDS}s",
                                 "--timeout", "5s", f"http://{FW}/"], stdout=subprocess.PIPE, text=True)
        time.sleep(2)
        skip = len(lab.log())
        t0 = time.perf_counter()
        with open(lab.root + "/auth.log", "a") as f:
            for n in range(1, 4):
                f.write(f"Jan  5 09:05:0{n} web1 sshd[22{n}]: Failed password for root from 198.18.5.5 port 5{n}022 ssh2\n")
                f.flush()
        lab.wait_for(r"198\.18\.5\.5.*\*Blocked in csf\*", 10, skip)
        ban_ms = (time.perf_counter() - t0) * 1000
        out, _ = load.communicate(timeout=SECONDS + 30)
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        lat = re.search(r"Latency\s+([\d.]+\w+)\s+([\d.]+\w+)\s+([\d.]+\w+)", out)
        results["thousand_connections"] = {
            "requests_per_s": round(rps),
            "latency_avg": lat.group(1) if lat else None, "latency_max": lat.group(3) if lat else None,
            "wrk": out.strip().splitlines(),
            "socket_errors": dict(zip(["connect", "read", "write", "timeout"], map(int, errors.groups()))) if errors else {},
            "lfd_ban_during_ms": round(ban_ms, 1),
            "messenger_peak_rss_mb": round(status(pid, "VmHWM"), 1),
        }
        print(json.dumps(results["thousand_connections"]), flush=True)
        results["one_core"] = wrk(peer, 50, SECONDS)
        print(json.dumps(results["one_core"]), flush=True)
    finally:
        lab.close()
        subprocess.run(["ip", "netns", "del", peer], capture_output=True)
    with open(os.path.join(OUT, "messenger.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
