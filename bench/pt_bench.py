#!/usr/bin/env python3
"""Process tracking benchmark (issue 16). Everything runs in a network namespace this script creates and deletes;
the processes lfd may judge or kill are the benchmark's own: user ids no one else has, below a scope process
(NFTCSF_PROCESS_SCOPE), a fork bomb bounded by RLIMIT_NPROC.

1. Fork bomb: from the bomb's first fork until none of its processes is left, with PT_FORKBOMB = 100, over N runs
   (p50, max). lfd gets the kernel's process events from a proc-connector socket subscribed here, in the root
   network namespace (the only one where the connector answers), and handed down. Once more without the socket:
   lfd then finds the bomb at its PT_INTERVAL scan, as csf does (csf: every 60 s).
2. Idle cost: lfd with process tracking, load, account and syslog checks on, 1,000 processes of the benchmark's
   in scope, nothing happening: lfd's CPU time over a window (utime + stime from /proc/PID/stat), as % of a core.
Usage: python3 bench/pt_bench.py [--quick]   (results: stdout + bench/out/pt.json)
"""
import json
import os
import random
import shutil
import socket
import statistics
import struct
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


def free_uid():
    while True:
        uid = random.randrange(61000, 64000)
        if subprocess.run(["pgrep", "-U", str(uid)], capture_output=True).returncode != 0:
            return uid


def uid_pids(uid):
    r = subprocess.run(["pgrep", "-U", str(uid)], capture_output=True, text=True)
    return [int(p) for p in r.stdout.split()]


def proc_events_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 11)
    s.bind((0, 1))
    op = struct.pack("I", 1)
    cn = struct.pack("IIIIHH", 1, 1, 0, 0, len(op), 0) + op
    s.send(struct.pack("IHHII", 16 + len(cn), 3, 0, 0, os.getpid()) + cn)
    return s


class Lab:
    def __init__(self, config, scope_body, events=True):
        self.ns = f"nftcsf-ptbench-{os.getpid()}"
        self.root = tempfile.mkdtemp(prefix="nftcsf-ptbench-")
        os.chmod(self.root, 0o755)
        shutil.copytree(os.path.join(REPO, "compat/etc/csf"), self.root + "/etc/csf")
        shutil.copytree(os.path.join(REPO, "compat/tpl"), self.root + "/usr/local/csf/tpl")
        with open(self.root + "/sendmail", "w") as f:
            f.write(f"#!/bin/sh\ncat >> {self.root}/sent-mail\n")
        os.chmod(self.root + "/sendmail", 0o755)
        conf = open(self.root + "/etc/csf/csf.conf").read().splitlines()
        settings = {"TESTING": "0", "SENDMAIL": self.root + "/sendmail", "SSHD_LOG": self.root + "/auth.log", **config}
        conf = [l for l in conf if l.split(" =")[0] not in settings] + [f'{k} = "{v}"' for k, v in settings.items()]
        open(self.root + "/etc/csf/csf.conf", "w").write("\n".join(conf) + "\n")
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
        # The scope: a child subreaper (kept across exec), so the workload's orphans stay below it.
        script = self.root + "/scope.sh"
        # It stays (the sleep) while the workload's processes come and go: orphans need their subreaper alive.
        open(script, "w").write("#!/bin/bash\n" + scope_body + f"\nsleep 1000000 &\ntouch {self.root}/ready\nwait\n")
        self.scope = subprocess.Popen(["ip", "netns", "exec", self.ns, sys.executable, "-c",
                                       "import ctypes, os, sys; ctypes.CDLL(None).prctl(36, 1, 0, 0, 0); "
                                       "os.execv('/bin/bash', ['bash', sys.argv[1]])", script],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(400):
            if os.path.exists(self.root + "/ready"):
                break
            time.sleep(0.05)
        env = dict(os.environ, CSF_ROOT=self.root, NFTCSF_FORBID_NETNS=ROOT_NETNS, NFTCSF_PROCESS_SCOPE=str(self.scope.pid))
        subprocess.run(["ip", "netns", "exec", self.ns, os.path.join(BIN, "csf"), "-s"], env=env, check=True, capture_output=True)
        pass_fds = ()
        if events:
            self.events = proc_events_socket()
            env["NFTCSF_PROC_EVENTS_FD"] = str(self.events.fileno())
            pass_fds = (self.events.fileno(),)
        subprocess.run(["ip", "netns", "exec", self.ns, os.path.join(BIN, "lfd")], env=env, check=True, capture_output=True,
                       pass_fds=pass_fds)
        self.pid = int(open(self.root + "/var/run/lfd.pid").read())

    def log(self):
        try:
            return open(self.root + "/var/log/lfd.log").read()
        except OSError:
            return ""

    def cpu_seconds(self):
        fields = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def close(self, *uids):
        try:
            os.kill(self.pid, 15)
            time.sleep(0.3)
        except Exception:
            pass
        self.scope.kill()
        for _ in range(3):
            for uid in uids:
                subprocess.run(["pkill", "-9", "-U", str(uid)], capture_output=True)
            time.sleep(0.1)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def fork_bomb(events=True):
    uid = free_uid()
    go, started = "/tmp/nftcsf-ptbench-go", "/tmp/nftcsf-ptbench-t0"
    for f in (go, started):
        if os.path.exists(f):
            os.remove(f)
    body = (f"(while [ ! -e {go} ]; do sleep 0.01; done; ulimit -u 400; "
            f"exec setsid setpriv --reuid={uid} --regid={uid} --clear-groups bash -c 'b() {{ b | b & }}; b') &")
    lab = Lab({"PT_LIMIT": "60", "PT_INTERVAL": "10", "PT_FORKBOMB": "100", "PT_USERPROC": "0", "PT_USERMEM": "0",
               "PT_USERRSS": "0", "PT_USERTIME": "0", "PT_LOAD": "0", "LF_SSHD": "0"}, body, events=events)
    try:
        time.sleep(3)   # past lfd's first scan
        t0 = time.perf_counter()
        open(go, "w").close()
        seen = False
        deadline = t0 + 60
        while time.perf_counter() < deadline:
            pids = uid_pids(uid)
            seen = seen or bool(pids)
            if seen and not pids:
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - t0
        found = "*PT_FORKBOMB* PID:" in lab.log()
    finally:
        lab.close(uid)
        os.remove(go)
    return {"seconds": round(seconds, 3), "found": found}


def idle_cost(interval):
    """lfd on the shipped defaults (every check of this issue on: process tracking, load, account tracking,
    LF_CSF) with PT_INTERVAL = `interval`, 1,000 sleeping processes of the benchmark's in scope."""
    uid = free_uid()
    procs = 1000
    body = f"for i in $(seq {procs}); do setpriv --reuid={uid} --regid={uid} --clear-groups sleep 100000 & done"
    window = 60 if QUICK else 180
    lab = Lab({"PT_INTERVAL": str(interval), "PT_FORKBOMB": "2000", "PT_LOAD_LEVEL": "1000", "AT_ALERT": "1"}, body)
    try:
        running = len(uid_pids(uid))
        time.sleep(5)
        c0, t0 = lab.cpu_seconds(), time.perf_counter()
        time.sleep(window)
        used, wall = lab.cpu_seconds() - c0, time.perf_counter() - t0
        status = open(f"/proc/{lab.pid}/status").read()
        rss = int(next(l for l in status.splitlines() if l.startswith("VmRSS")).split()[1])
        host = sum(1 for p in os.listdir("/proc") if p.isdigit())
    finally:
        lab.close(uid)
    return {"pt_interval": interval, "processes_in_scope": running, "processes_on_host": host, "window_s": round(wall, 1),
            "cpu_seconds": round(used, 3), "cpu_percent_of_a_core": round(100 * used / wall, 3), "rss_mb": round(rss / 1024, 1)}


def main():
    os.makedirs(OUT, exist_ok=True)
    result = {"machine": f"{os.cpu_count()} cores, kernel {os.uname().release}"}
    runs = [fork_bomb() for _ in range(3 if QUICK else 7)]
    times = sorted(r["seconds"] for r in runs)
    result["fork_bomb_events"] = {"runs": runs, "p50_s": statistics.median(times), "max_s": times[-1]}
    print(f"fork bomb, process events: p50 {statistics.median(times):.3f} s, max {times[-1]:.3f} s over {len(runs)} runs "
          f"(all found: {all(r['found'] for r in runs)})")
    scan = fork_bomb(events=False)
    result["fork_bomb_scan_only"] = scan
    print(f"fork bomb, PT_INTERVAL scans only (PT_INTERVAL = 10): {scan['seconds']:.2f} s (found: {scan['found']})")
    for interval in (60, 10):
        result[f"idle_pt_interval_{interval}"] = idle = idle_cost(interval)
        print(f"idle, PT_INTERVAL = {interval}: {idle['processes_in_scope']} processes in scope, {idle['processes_on_host']} on the host, "
              f"lfd {idle['cpu_percent_of_a_core']}% of a core ({idle['cpu_seconds']} s CPU in {idle['window_s']} s), RSS {idle['rss_mb']} MB")
    with open(os.path.join(OUT, "pt.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
