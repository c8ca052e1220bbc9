#!/usr/bin/env python3
"""Fleet benchmark (issue 19): three nodes (csf + lfd, release build) in network namespaces of their own and a
private PostgreSQL in a fourth, each node on its own link to it. Nothing runs in the root namespace's firewall;
the database listens only inside its namespace and is deleted afterwards.

1. Propagation: `csf -cd ADDR` on node A (a new process each time: connect, TLS, insert) until `nft monitor` in
   node B's and node C's namespace reports ADDR added to deny4. p50/p90/p99 over N bans.
2. Throughput: 10,000 bans written by node A (100 statements of 100 rows, each a psql run: the writer is the
   limit), until the last is in B's and C's kernel: bans/s per node; then 10,000 more in one statement (a
   burst: the nodes are the limit).
3. Catch-up: node B's lfd stopped, 100,000 decisions written, lfd started; the time until B has applied them all
   (its csf.fleet holds the last id) and its peak RSS.
Usage: python3 bench/fleet_bench.py [--quick] [--catch-up-only]   (results: stdout + bench/out/fleet.json)
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("NFTCSF_BENCH_BIN", os.path.join(REPO, ".build", "release"))
QUICK = "--quick" in sys.argv
CATCH_UP_ONLY = "--catch-up-only" in sys.argv
ROOT_NETNS = str(os.stat("/proc/self/ns/net").st_ino)
OUT = os.path.join(REPO, "bench", "out")
PG = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
TAG = f"{os.getpid()}"
# lfd reads its detectors from the repository (an install puts them in /usr/share/nftcsf/detectors).
os.environ["NFTCSF_DETECTORS"] = os.path.join(REPO, "compat", "detectors")


def sh(*cmd, **kw):
    return subprocess.run(list(cmd), check=True, capture_output=True, text=True, **kw)


class Database:
    def __init__(self):
        self.ns = f"nftcsf-fb{TAG}-db"
        sh("ip", "netns", "add", self.ns)
        sh("ip", "-n", self.ns, "link", "set", "lo", "up")
        self.dir = tempfile.mkdtemp(prefix="nftcsf-fleetbench-pg-")
        sh("chown", "postgres:postgres", self.dir)
        priv = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
        sh(*priv, f"{PG}/initdb", "-D", self.dir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256")
        with open(self.dir + "/pg_hba.conf", "a") as f:
            f.write("host all all 0.0.0.0/0 scram-sha-256\n")
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.dir + "/server.key",
           "-out", self.dir + "/server.crt", "-days", "2", "-subj", "/CN=fleetdb")
        sh("chown", "postgres:postgres", self.dir + "/server.key", self.dir + "/server.crt")
        os.chmod(self.dir + "/server.key", 0o600)
        # Durable commits (the default), as a production database would run.
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns] + priv + [f"{PG}/postgres", "-D", self.dir, "-c", "listen_addresses=*",
                                      "-k", self.dir, "-c", "ssl=on"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if subprocess.run([f"{PG}/pg_isready", "-q", "-h", self.dir], capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        self.sql("CREATE ROLE fleet_admin LOGIN PASSWORD 'admin'")
        self.sql("CREATE DATABASE fleet OWNER fleet_admin")

    def sql(self, statement, db="postgres", user="postgres"):
        return sh("psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-U", user, "-d", db, "-c", statement).stdout.strip()

    def close(self):
        pid = int(open(self.dir + "/postmaster.pid").readline())
        os.kill(pid, 3)
        self.proc.wait(timeout=10)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


class Node:
    def __init__(self, i, db):
        self.name = f"node_{chr(97 + i)}"
        self.ns = f"nftcsf-fb{TAG}-n{i}"
        self.root = tempfile.mkdtemp(prefix=f"nftcsf-fleetbench-{self.name}-")
        os.makedirs(self.root + "/etc")
        shutil.copytree(os.path.join(REPO, "compat/etc/csf"), self.root + "/etc/csf")
        sh("ip", "netns", "add", self.ns)
        sh("ip", "-n", self.ns, "link", "set", "lo", "up")
        sh("ip", "-n", self.ns, "link", "add", "fleet0", "type", "veth", "peer", "name", f"n{i}", "netns", db.ns)
        sh("ip", "-n", self.ns, "addr", "add", f"100.64.{i}.1/24", "dev", "fleet0")
        sh("ip", "-n", self.ns, "link", "set", "fleet0", "up")
        sh("ip", "-n", db.ns, "addr", "add", f"100.64.{i}.2/24", "dev", f"n{i}")
        sh("ip", "-n", db.ns, "link", "set", f"n{i}", "up")
        db.sql(f"CREATE ROLE {self.name} LOGIN PASSWORD '{self.name}-pw'")
        self.passfile(f"{self.name}-pw")
        self.configure({"TESTING": "0", "LF_PARSE": "1", "DENY_IP_LIMIT": "0", "LF_SSHD": "0",
                        "CLUSTER_DB": f"postgresql://{self.name}@100.64.{i}.2:5432/fleet?sslmode=require"})
        self.env = dict(os.environ, CSF_ROOT=self.root, NFTCSF_FORBID_NETNS=ROOT_NETNS, NFTCSF_PROCESS_SCOPE="0")

    def passfile(self, pw):
        with open(self.root + "/etc/csf/cluster.pass", "w") as f:
            f.write(pw + "\n")
        os.chmod(self.root + "/etc/csf/cluster.pass", 0o600)

    def configure(self, settings):
        conf = open(self.root + "/etc/csf/csf.conf").read().splitlines()
        conf = [l for l in conf if l.split(" =")[0] not in settings] + [f'{k} = "{v}"' for k, v in settings.items()]
        open(self.root + "/etc/csf/csf.conf", "w").write("\n".join(conf) + "\n")

    def run(self, *cmd, env=None):
        return subprocess.run(["ip", "netns", "exec", self.ns] + list(cmd), env=env or self.env, check=True, capture_output=True, text=True)

    def start(self):
        self.run(os.path.join(BIN, "lfd"))
        self.pid = int(open(self.root + "/var/run/lfd.pid").read())

    def stop(self):
        if not hasattr(self, "pid"):
            return
        try:
            os.kill(self.pid, 15)
        except ProcessLookupError:
            return
        for _ in range(100):
            if not os.path.exists(f"/proc/{self.pid}"):
                break
            time.sleep(0.05)
        time.sleep(0.3)

    def applied(self):
        try:
            return int(open(self.root + "/var/lib/csf/csf.fleet").read())
        except (OSError, ValueError):
            return 0

    def close(self):
        self.stop()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


class Monitor:
    """`nft monitor` in a node's namespace: when each address reached deny4."""
    def __init__(self, node):
        self.seen = {}
        self.proc = subprocess.Popen(["ip", "netns", "exec", node.ns, "nft", "monitor", "new", "elements"],
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.proc.stdout:
            if " deny4 " in line and "add element" in line:
                now = time.perf_counter()
                for ip in line.split("{", 1)[1].rsplit("}", 1)[0].replace(",", " ").split():
                    self.seen.setdefault(ip, now)

    def close(self):
        self.proc.kill()


def q(samples, p):
    s = sorted(samples)
    return round(s[min(len(s) - 1, int(p * len(s)))], 1)


def applied_rate(db, monitors, nodes, first_octet, total, per_statement):
    """Writes `total` denies as node_a (`first_octet`.x.y.z), `per_statement` rows per psql run, and measures
    when each node's kernel holds the last one."""
    insert = ("INSERT INTO nftcsf_decisions (action, target, reason) SELECT 'deny', "
              f"'{first_octet}.' || (i / 65536) || '.' || (i / 256 % 256) || '.' || (i % 256), 'bench' FROM generate_series({{}}, {{}}) AS i")
    t0 = time.perf_counter()
    for s in range(0, total, per_statement):
        db.sql(insert.format(s, min(total, s + per_statement) - 1), db="fleet", user="node_a")
    written = time.perf_counter() - t0
    last_ip = f"{first_octet}.{(total - 1) // 65536}.{(total - 1) // 256 % 256}.{(total - 1) % 256}"
    deadline = time.perf_counter() + 120
    while not all(last_ip in m.seen for m in monitors) and time.perf_counter() < deadline:
        time.sleep(0.005)
    per_node = {}
    for node, m in zip(nodes, monitors):
        got = sum(1 for ip in m.seen if ip.startswith(first_octet + "."))
        done = m.seen.get(last_ip, time.perf_counter()) - t0
        per_node[node.name] = {"applied": got, "seconds": round(done, 2), "bans_per_second": int(got / done)}
    return {"bans": total, "write_seconds": round(written, 2), "nodes": per_node}


def main():
    os.makedirs(OUT, exist_ok=True)
    db = Database()
    nodes = []
    monitors = []
    res = {"machine": os.uname().nodename, "nodes": 3, "postgresql": PG.split("/")[-2]}
    try:
        nodes = [Node(i, db) for i in range(3)]
        admin = nodes[0]
        admin_root = tempfile.mkdtemp(prefix="nftcsf-fleetbench-admin-")
        os.makedirs(admin_root + "/etc/csf")
        open(admin_root + "/etc/csf/csf.conf", "w").write('CLUSTER_DB = "postgresql://fleet_admin@100.64.0.2/fleet?sslmode=require"\n')
        open(admin_root + "/etc/csf/cluster.pass", "w").write("admin\n")
        os.chmod(admin_root + "/etc/csf/cluster.pass", 0o600)
        admin.run(os.path.join(BIN, "csf"), "--cluster", "init", env=dict(os.environ, CSF_ROOT=admin_root))
        for n in nodes:
            n.run(os.path.join(BIN, "csf"), "-s")
            n.start()
        a, b, c = nodes
        monitors = [Monitor(b), Monitor(c)]
        time.sleep(2)

        # 1. propagation
        count = 0 if CATCH_UP_ONLY else 30 if QUICK else 200
        samples = []
        quiet = dict(a.env, NFTCSF_FLEET_WAIT="0")
        cli = []
        for i in range(count):
            ip = f"198.51.{100 + i // 250}.{i % 250 + 1}"
            t0 = time.perf_counter()
            a.run(os.path.join(BIN, "csf"), "-cd", ip, "bench", env=quiet)
            cli.append((time.perf_counter() - t0) * 1000)
            deadline = t0 + 5
            while not all(ip in m.seen for m in monitors) and time.perf_counter() < deadline:
                time.sleep(0.0005)
            for m in monitors:
                if ip in m.seen:
                    samples.append((m.seen[ip] - t0) * 1000)
            time.sleep(0.02)
        if count:
            res["propagation"] = {"bans": count, "samples": len(samples), "p50_ms": q(samples, 0.5), "p90_ms": q(samples, 0.9),
                                  "p99_ms": q(samples, 0.99), "max_ms": round(max(samples), 1), "csf_cd_p50_ms": q(cli, 0.5)}
            print("propagation", res["propagation"], flush=True)

        # 2. throughput: 10,000 bans written by node A as 100 statements (the writer's pace), then 10,000 more in
        # one statement (the nodes' pace)
        total = 100 if CATCH_UP_ONLY else 2000 if QUICK else 10_000
        res["throughput"] = applied_rate(db, monitors, (b, c), "10", total, per_statement=100)
        print("throughput", res["throughput"], flush=True)
        res["burst"] = applied_rate(db, monitors, (b, c), "12", total, per_statement=total)
        print("burst", res["burst"], flush=True)

        # 3. catch-up: node B down while 100,000 decisions are written
        missed = int(os.environ.get("FLEET_MISSED", 20_000 if QUICK else 100_000))
        b.stop()
        db.sql("INSERT INTO nftcsf_decisions (action, target, reason) SELECT 'deny', '11.' || (i / 65536) || '.' || (i / 256 % 256) || '.' || (i % 256), 'missed'"
               f" FROM generate_series(0, {missed - 1}) AS i", db="fleet", user="node_a")
        newest = int(db.sql("SELECT max(id) FROM nftcsf_decisions", db="fleet"))
        t0 = time.perf_counter()
        b.start()
        hwm = 0
        child_hwm = 0
        while b.applied() < newest and time.perf_counter() - t0 < 300:
            time.sleep(0.02)
        seconds = time.perf_counter() - t0
        for pid in [b.pid] + [int(p) for p in open(f"/proc/{b.pid}/task/{b.pid}/children").read().split()]:
            status = open(f"/proc/{pid}/status").read()
            kb = int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1])
            if pid == b.pid:
                hwm = kb
            else:
                child_hwm = max(child_hwm, kb)
        deny_lines = sum(1 for l in open(b.root + "/etc/csf/csf.deny") if l.startswith("11."))
        res["catch_up"] = {"decisions": missed, "seconds": round(seconds, 2), "complete": b.applied() >= newest,
                           "csf_deny_lines": deny_lines, "lfd_hwm_mb": round(hwm / 1024, 1), "follower_hwm_mb": round(child_hwm / 1024, 1)}
        print("catch_up", res["catch_up"], flush=True)
    finally:
        # Every part is taken down even if another's teardown fails: nothing of the bench may outlive it.
        for part in monitors + nodes + [db]:
            try:
                part.close()
            except Exception as e:
                print(f"teardown: {e}", file=sys.stderr)
    with open(os.path.join(OUT, "fleet.json"), "w") as f:
        json.dump(res, f, indent=2)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
