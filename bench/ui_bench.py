#!/usr/bin/env python3
"""Web UI benchmark (issue 18). In a network namespace this script creates and deletes, on a throwaway CSF_ROOT:
csf with a 1,000,000-line csf.deny (DENY_IP_LIMIT = 0) and csf-ui serving the web UI over TLS as nobody with its
root helper. A client in the namespace signs in once and, over one keep-alive HTTPS connection:

1. GET / (the dashboard: firewall state, list sizes, temporary entries, lfd.log's blocks) N times;
2. POST /quick action=deny for N new addresses (csf -d through the helper: csf.deny appended, one netlink batch);
3. POST /quick action=unblock for the same addresses;
4. GET /list/deny?page=10000 (a page deep in the million lines) N/5 times.
The same with the shipped, empty csf.deny is the baseline. Target (issue 18): dashboard and quick-deny p99 < 50 ms
with 1M deny entries.
Usage: python3 bench/ui_bench.py [--quick]   (results: stdout + bench/out/ui.json)
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lists_bench import BIN, QUICK, Lab, against_baseline, summary  # noqa: E402

N = 40 if QUICK else 200
PASSWORD = "bench password long enough"

CLIENT = r"""
import http.client, json, re, ssl, sys, time, urllib.parse
n = int(sys.argv[1]); password = sys.argv[2]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
c = http.client.HTTPSConnection('127.0.0.1', 8443, context=ctx, timeout=30)
cookies = {}
def call(method, path, form=None):
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form); headers["Content-Type"] = "application/x-www-form-urlencoded"
    t0 = time.perf_counter()
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse(); data = r.read().decode()
    took = time.perf_counter() - t0
    for h in r.headers.get_all("Set-Cookie") or []:
        k, v = h.split(";")[0].split("=", 1); cookies[k] = v
    return r.status, data, took
def csrf(body): return re.search(r'name="csrf" value="([0-9a-f]+)"', body).group(1)
s, body, _ = call("GET", "/login")
s, body, login = call("POST", "/login", {"csrf": csrf(body), "user": "admin", "password": password})
assert s == 303, s
out = {"login_ms": round(login * 1000, 1), "dashboard": [], "deny": [], "unblock": [], "list_page": []}
s, body, _ = call("GET", "/quick"); token = csrf(body)
for i in range(n):
    s, body, t = call("GET", "/"); assert s == 200, s; out["dashboard"].append(t)
for i in range(n):
    ip = f"100.64.{i // 250}.{i % 250 + 1}"
    s, body, t = call("POST", "/quick", {"csrf": token, "action": "deny", "ip": ip, "comment": "bench"})
    assert s == 200 and "Adding" in body, (s, body[-300:]); out["deny"].append(t)
for i in range(n):
    ip = f"100.64.{i // 250}.{i % 250 + 1}"
    s, body, t = call("POST", "/quick", {"csrf": token, "action": "unblock", "ip": ip})
    assert s == 200, s; out["unblock"].append(t)
for i in range(max(1, n // 5)):
    s, body, t = call("GET", "/list/deny?page=10000"); assert s == 200, s; out["list_page"].append(t)
print(json.dumps(out))
"""


def measure(entries):
    lab = Lab({"UI": "1", "UI_USER": "admin", "UI_PORT": "8443", "UI_RUNAS": "nobody", "UI_BLOCK_PRIVATE_NET": "0",
               "DENY_IP_LIMIT": "0", "TCP_IN": "22,8443"})
    ui = None
    try:
        os.makedirs(lab.root + "/etc/csf/ui", exist_ok=True)
        with open(lab.root + "/etc/csf/ui/ui.allow", "w") as f:
            f.write("127.0.0.1\n")
        subprocess.run([os.path.join(BIN, "csf-ui"), "--passwd"], env=lab.env, input=PASSWORD + "\n", text=True, check=True,
                       capture_output=True)
        if entries:
            with open(lab.root + "/etc/csf/csf.deny", "w") as f:
                base = 0x0C000000
                for i in range(entries):
                    a = base + 4 * i
                    f.write(f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255} # bench {i}\n")
        lab.csf("-s")
        ui = subprocess.Popen(["ip", "netns", "exec", lab.ns, os.path.join(BIN, "csf-ui")], env=lab.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = ui.stdout.readline()
        while "serving the web UI" not in line:
            if not line:
                raise RuntimeError("csf-ui ended")
            line = ui.stdout.readline()
        r = subprocess.run(["ip", "netns", "exec", lab.ns, "python3", "-c", CLIENT, str(N), PASSWORD], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(r.stderr[-2000:])
        raw = json.loads(r.stdout)
        helper_rss = 0
        for pid in subprocess.run(["pgrep", "-f", "csf-ui --helper"], capture_output=True, text=True).stdout.split():
            if f"CSF_ROOT={lab.root}" in open(f"/proc/{pid}/environ").read().replace("\0", " "):
                helper_rss = int(next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")))
        ui_rss = int(next(l.split()[1] for l in open(f"/proc/{ui.pid}/status") if l.startswith("VmHWM")))
        return {"entries": entries, "login_ms": raw["login_ms"], **{k: summary(raw[k]) for k in ("dashboard", "deny", "unblock", "list_page")},
                "ui_peak_rss_mb": round(ui_rss / 1024, 1), "helper_peak_rss_mb": round(helper_rss / 1024, 1)}
    finally:
        if ui:
            ui.kill()
            ui.wait()
        lab.close()


def main():
    against_baseline(measure, ("dashboard", "deny", "unblock"), "p99", "ui")


if __name__ == "__main__":
    main()
