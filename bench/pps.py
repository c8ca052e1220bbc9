#!/usr/bin/env python3
"""Per-packet cost of the firewall (issue 5). Runs only inside network namespaces it creates and deletes.

One sender namespace and three receivers, each behind its own veth pair, measured in the same run:
  none    no ruleset at all
  csf     `csf -s` with the shipped config plus every flood/scan/knock protection and a 1,000,000-entry csf.deny,
          a 1,000,000-address blocklist (from its cache) and CC_DENY="CN,RU" from tor-geoipdb (issue 15)
  csf_nomark  the same with CT_MARK_FASTPATH = "0": every established packet walks the deny-side lookups
  conntrack  the floor of any stateful firewall: `ct state established,related accept`, the port, policy drop
  linear  csf's shape without ipset: 10,000 linear `ip saddr X drop` rules (nft, input hook)
  iptables  the same 10,000 rules as csf itself writes them, `-A DENYIN -s X -j DROP` through iptables-nft
The sender (bench/blast.c, pinned to CPU 0) sends small UDP datagrams to a bound socket that never reads, so
every packet crosses the input hook. Two kinds of traffic: "established" (one flow whose first datagram was
answered, so conntrack calls it established, like the bulk of a server's packets) and "new" (a flow never
answered: conntrack calls every datagram new, so each walks the whole INPUT chain, as a flood does); delivered packets/s come from the receiver's /proc/net/snmp (Udp
InDatagrams + NoPorts + InErrors). The sender's address is in no list, as for almost all real traffic.
Rounds are interleaved, and each round starts one configuration further on, so machine noise hits every
configuration alike. Besides the ratio of medians, each configuration's ratio to the conntrack floor is taken per
round (the two measured seconds apart) and reported as the median and quartiles of those paired ratios: on a noisy
VM that is the steadier figure.
Usage: python3 bench/pps.py [--quick] [--rounds N] [--only none,conntrack,csf,...]   (results: stdout + bench/out/pps.json)
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import deny_ips, option  # noqa: E402  (same generator as the load benchmark)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSF = os.path.join(REPO, ".build", "release", "csf")
OUT = os.path.join(REPO, "bench", "out")
QUICK = "--quick" in sys.argv
ROOT_NETNS = str(os.stat("/proc/self/ns/net").st_ino)
TAG = f"pps{os.getpid() % 10000}"
ALL_CONFIGS = ["none", "conntrack", "csf", "csf_nomark", "linear", "iptables"]
ONLY = option("only")
CONFIGS = [c for c in ALL_CONFIGS if ONLY is None or c in ONLY.split(",")]
ROUNDS = int(option("rounds", "0"))
GEOIP = "/usr/share/tor/geoip"
PROTECTIONS = {
    "TESTING": "0", "DENY_IP_LIMIT": "0", "UDP_IN": "20,21,53,9000",
    "SYNFLOOD": "1", "SYNFLOOD_RATE": "100/s", "SYNFLOOD_BURST": "150",
    "PORTFLOOD": "22;tcp;5;300,80;tcp;20;5,443;tcp;20;5", "CONNLIMIT": "22;10,80;50,443;50",
    "UDPFLOOD": "1", "PORTKNOCKING": "2222;tcp;20;1001;1002;1003", "PS_INTERVAL": "60", "CT_LIMIT": "300",
}


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw)


def ns_exec(ns, *args, **kw):
    return sh("ip", "netns", "exec", ns, *args, **kw)


def udp_count(ns):
    lines = [l.split() for l in ns_exec(ns, "cat", "/proc/net/snmp").stdout.splitlines() if l.startswith("Udp:")]
    fields = dict(zip(lines[0][1:], (int(v) for v in lines[1][1:])))
    return fields["InDatagrams"] + fields["NoPorts"] + fields["InErrors"]


class Topology:
    def __init__(self):
        self.sender = f"{TAG}-snd"
        self.receivers = {name: f"{TAG}-{name}" for name in CONFIGS}
        self.sinks = []
        self.root = tempfile.mkdtemp(prefix="nftcsf-pps-")
        sh("ip", "netns", "add", self.sender)
        for i, (name, ns) in enumerate(self.receivers.items(), start=1):
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "add", f"{TAG}v{i}", "netns", self.sender, "type", "veth", "peer", "name", "eth0", "netns", ns)
            ns_exec(self.sender, "ip", "addr", "add", f"198.18.{i}.1/24", "dev", f"{TAG}v{i}")
            ns_exec(self.sender, "ip", "link", "set", f"{TAG}v{i}", "up")
            ns_exec(ns, "ip", "addr", "add", f"198.18.{i}.2/24", "dev", "eth0")
            ns_exec(ns, "ip", "link", "set", "eth0", "up")
            ns_exec(ns, "ip", "link", "set", "lo", "up")
            # The sink answers the first datagram (the sender's handshake) and then never reads again.
            self.sinks.append(subprocess.Popen(["ip", "netns", "exec", ns, "python3", "-c",
                "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',9000))\n"
                "d,a=s.recvfrom(64)\ns.sendto(d,a)\ntime.sleep(10**6)"]))
        ns_exec(self.sender, "ip", "link", "set", "lo", "up")
        # The handshake needs the sinks bound; without a csf load in between, it could outrun python's start.
        for ns in self.receivers.values():
            deadline = time.time() + 10
            while not ns_exec(ns, "ss", "-Hunl", "sport = :9000").stdout.strip():
                if time.time() > deadline:
                    raise RuntimeError(f"{ns}: the sink did not bind port 9000")
                time.sleep(0.05)

    def target(self, name):
        return f"198.18.{CONFIGS.index(name) + 1}.2"

    def close(self):
        for p in self.sinks:
            p.kill()
            p.wait()
        for ns in [self.sender] + list(self.receivers.values()):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def blocklist_cache(entries):
    """`entries` addresses four apart from 11.0.0.0 (no two merge), as lfd caches a downloaded list."""
    return "".join(f"{11 + (i >> 22)}.{(i >> 14) & 255}.{(i >> 6) & 255}.{(i & 63) * 4 + 1}\n" for i in range(entries))


def load_csf(topo, entries, name, extra):
    root = os.path.join(topo.root, name)
    etc = os.path.join(root, "etc/csf")
    shutil.copytree(os.path.join(REPO, "compat/etc/csf"), etc)
    settings = dict(PROTECTIONS, CC_DENY="CN,RU", **extra)
    conf = os.path.join(etc, "csf.conf")
    lines = [l for l in open(conf).read().splitlines() if l.split(" =")[0] not in settings]
    lines += [f'{k} = "{v}"' for k, v in settings.items()]
    open(conf, "w").write("\n".join(lines) + "\n")
    open(os.path.join(etc, "csf.deny"), "w").write(deny_ips(entries))
    open(os.path.join(etc, "csf.blocklists"), "w").write("BENCH|86400|0|http://127.0.0.1:9/none.txt\n")
    os.makedirs(os.path.join(root, "var/lib/csf"))
    open(os.path.join(root, "var/lib/csf/csf.block.BENCH"), "w").write(blocklist_cache(entries))
    os.makedirs(os.path.join(root, "usr/share/tor"))
    shutil.copy(GEOIP, os.path.join(root, "usr/share/tor/geoip"))
    env = dict(os.environ, CSF_ROOT=root, NFTCSF_FORBID_NETNS=ROOT_NETNS)
    t0 = time.perf_counter()
    ns_exec(topo.receivers[name], CSF, "-s", env=env)
    return time.perf_counter() - t0


def load_linear(topo, rules):
    ips = [l.split()[0] for l in deny_ips(rules, seed=99).splitlines()]
    script = "table inet linear {\n chain input {\n  type filter hook input priority filter; policy accept;\n"
    script += "".join(f"  ip saddr {ip} drop\n" for ip in ips) + " }\n}\n"
    path = os.path.join(topo.root, "linear.nft")
    open(path, "w").write(script)
    ns_exec(topo.receivers["linear"], "nft", "-f", path)


def load_iptables(topo):
    ips = [l.split()[0] for l in deny_ips(10_000, seed=99).splitlines()]
    rules = "*filter\n:INPUT ACCEPT [0:0]\n:DENYIN - [0:0]\n-A INPUT -j DENYIN\n"
    rules += "".join(f"-A DENYIN -s {ip}/32 -j DROP\n" for ip in ips) + "COMMIT\n"
    ns_exec(topo.receivers["iptables"], "iptables-nft-restore", input=rules)


def load_conntrack(topo):
    script = ("table inet floor {\n chain input {\n  type filter hook input priority filter; policy drop;\n"
              "  ct state established,related accept\n  udp dport 9000 accept\n }\n}\n")
    path = os.path.join(topo.root, "floor.nft")
    open(path, "w").write(script)
    ns_exec(topo.receivers["conntrack"], "nft", "-f", path)


def paired_ratios(rates):
    """Per round, each configuration against the conntrack floor of the same round: median, quartiles, range."""
    out = {}
    for key, values in rates.items():
        kind, name = key.split("/")
        floor = rates.get(f"{kind}/conntrack")
        if floor is None or name == "conntrack":
            continue
        per_round = sorted(v / f for v, f in zip(values, floor) if f > 0)
        if len(per_round) < 2:
            continue
        q = statistics.quantiles(per_round, n=4)
        out[key] = {"median": statistics.median(per_round), "q1": q[0], "q3": q[2],
                    "min": per_round[0], "max": per_round[-1], "rounds": len(per_round)}
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    blast = os.path.join(OUT, "blast")
    sh("cc", "-O2", "-o", blast, os.path.join(REPO, "bench", "blast.c"))
    entries = 100_000 if QUICK else 1_000_000
    rounds, seconds = (2, 1.0) if QUICK else (7, 3.0)
    rounds = ROUNDS or rounds
    topo = Topology()
    try:
        for name, extra in [("csf", {}), ("csf_nomark", {"CT_MARK_FASTPATH": "0"})]:
            if name not in CONFIGS:
                continue
            load_time = load_csf(topo, entries, name, extra)
            rules = len(ns_exec(topo.receivers[name], "nft", "-t", "list", "ruleset").stdout.splitlines())
            print(f"{name}: csf -s with {entries} deny entries, a {entries}-address blocklist, CN+RU and every protection: "
                  f"{load_time:.2f} s; terse listing {rules} lines", flush=True)
        if "linear" in CONFIGS:
            load_linear(topo, 10_000)
        if "conntrack" in CONFIGS:
            load_conntrack(topo)
        if "iptables" in CONFIGS:
            load_iptables(topo)
        for name in CONFIGS:
            sh("ip", "netns", "exec", topo.sender, blast, topo.target(name), "9000", "0", "40000", "handshake")
        kinds = {"established": "40000", "new": "0"}
        rates = {f"{k}/{n}": [] for k in kinds for n in CONFIGS}
        for r in range(rounds):
            for kind, sport in kinds.items():
                for name in CONFIGS[r % len(CONFIGS):] + CONFIGS[:r % len(CONFIGS)]:
                    ns = topo.receivers[name]
                    before = udp_count(ns)
                    sh("ip", "netns", "exec", topo.sender, "taskset", "-c", "0", blast, topo.target(name), "9000", str(seconds), sport)
                    time.sleep(0.2)
                    rates[f"{kind}/{name}"].append((udp_count(ns) - before) / seconds)
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}" for k, v in rates.items()), flush=True)
        med = {k: statistics.median(v) for k, v in rates.items()}
        ratio = {k: med[k] / med[k.split("/")[0] + "/none"] for k in med if k.split("/")[0] + "/none" in med}
        floor = {k: med[k] / med[k.split("/")[0] + "/conntrack"] for k in med if k.split("/")[0] + "/conntrack" in med}
        paired = paired_ratios(rates)
        result = {"entries": entries, "rounds": rounds, "seconds": seconds, "median_pps": med,
                  "ratio_vs_none": ratio, "ratio_vs_conntrack": floor, "paired_vs_conntrack": paired, "all": rates,
                  "protections": PROTECTIONS, "machine": os.uname().release}
        print(json.dumps({"median_pps": med, "ratio_vs_none": ratio, "ratio_vs_conntrack": floor,
                          "paired_vs_conntrack": paired}, indent=1))
        json.dump(result, open(os.path.join(OUT, "pps.json"), "w"), indent=1)
    finally:
        topo.close()


if __name__ == "__main__":
    main()
