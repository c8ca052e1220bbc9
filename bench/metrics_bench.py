#!/usr/bin/env python3
"""Metrics benchmark (issue 18). In a network namespace this script creates and deletes, on a throwaway CSF_ROOT:
csf with a 1,000,000-line csf.deny, lfd with a 1,000,000-entry blocklist (served by python's http.server on the
namespace's loopback) and METRICS = 1, csf-ui serving /metrics as nobody.

1. A scrape straight from lfd's socket (what csf-ui relays): the first one (csf.deny counted from the file) and
   N more (counted once, then a stat per scrape); p50/p99.
2. GET /metrics through csf-ui over one keep-alive HTTP connection (as Prometheus scrapes), N times; p50/p99.
3. The same two with the shipped lists (no csf.deny entries, no blocklist): the baseline, and the ratio to it.
Target (issue 18): a scrape with a 1M-element list under 100 ms.
Usage: python3 bench/metrics_bench.py [--quick]   (results: stdout + bench/out/metrics.json)
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lists_bench import BIN, LINE, QUICK, Lab, against_baseline, summary, feed  # noqa: E402

N = 50 if QUICK else 300

HTTP_LOOP = r"""
import http.client, json, sys, time
n = int(sys.argv[1])
c = http.client.HTTPConnection('127.0.0.1', 9386, timeout=10)
times, size = [], 0
for _ in range(n):
    t0 = time.perf_counter()
    c.request('GET', '/metrics')
    r = c.getresponse()
    body = r.read()
    times.append(time.perf_counter() - t0)
    assert r.status == 200, r.status
    size = len(body)
print(json.dumps({"times": times, "bytes": size}))
"""


def socket_scrape(path):
    t0 = time.perf_counter()
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    body = b""
    while True:
        d = s.recv(1 << 16)
        if not d:
            break
        body += d
    s.close()
    return time.perf_counter() - t0, body


def measure(entries):
    web = tempfile.mkdtemp(prefix="nftcsf-metricsbench-web-")
    os.chmod(web, 0o755)
    lab = Lab({"METRICS": "1", "UI_RUNAS": "nobody", "DENY_IP_LIMIT": "0",
               "TCP_OUT": "20,21,22,25,53,80,110,113,443,587,993,995,8080"})
    ui = None
    try:
        os.makedirs(lab.root + "/run", mode=0o755, exist_ok=True)
        if entries:
            feed(web + "/feed.txt", entries, 1)
            with open(lab.root + "/etc/csf/csf.blocklists", "w") as f:
                f.write("BENCH|86400|0|http://127.0.0.1:8080/feed.txt\n")
            with open(lab.root + "/etc/csf/csf.deny", "w") as f:
                base = 0x0C000000
                for i in range(entries):
                    a = base + 4 * i
                    f.write(f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255} # bench {i}\n")
            lab.serve(web)
        lab.csf("-s")
        lab.start_lfd()
        if entries:
            lab.wait_for(LINE, 300)
        ui = subprocess.Popen(["ip", "netns", "exec", lab.ns, os.path.join(BIN, "csf-ui")], env=lab.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        path = lab.root + "/run/csf/lfd.metrics.sock"
        for _ in range(100):
            if os.path.exists(path):
                break
            time.sleep(0.05)
        first, body = socket_scrape(path)
        text = body.decode()
        series = [l for l in text.splitlines() if l and not l.startswith("#")]
        deny = next((l for l in series if l.startswith('nftcsf_list_entries{list="csf.deny"}')), "")
        direct = [socket_scrape(path)[0] for _ in range(N)]
        time.sleep(0.5)
        r = subprocess.run(["ip", "netns", "exec", lab.ns, "python3", "-c", HTTP_LOOP, str(N)], capture_output=True, text=True, check=True)
        http = json.loads(r.stdout)
        return {"entries": entries, "series": len(series), "exposition_bytes": http["bytes"], "csf_deny_series": deny,
                "first_socket_scrape_ms": round(1000 * first, 2), "socket": summary(direct), "http_keepalive": summary(http["times"])}
    finally:
        if ui:
            ui.kill()
            ui.wait()
        lab.close()
        shutil.rmtree(web, ignore_errors=True)


def main():
    against_baseline(measure, ("socket", "http_keepalive"), "p50", "metrics")


if __name__ == "__main__":
    main()
