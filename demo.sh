#!/usr/bin/env bash
# Build nftcsf, then start csf (and lfd) on the shipped default config inside a demo network namespace,
# summarise the ruleset, and prove it with real connections from a peer namespace. Needs root (run it from a
# root shell or with sudo). Touches only the namespaces and the temporary directory it creates; they are
# removed at the end (KEEP=1 leaves them for you to explore). No mail leaves the machine: lfd's SENDMAIL is a
# script that keeps the alert in the demo directory.
set -euo pipefail
cd "$(dirname "$0")"
. tools/swift-on-path.sh
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (it creates network namespaces)" >&2; exit 1; }

pkgs="libnftables-dev libnftnl-dev libmnl-dev libpcre2-dev libssl-dev libcurl4-openssl-dev zlib1g-dev nftables iproute2 python3"
if ! dpkg -s $pkgs >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi
# csf and lfd only: the demo has no fleet database (csf-fleet would add minutes of SwiftNIO to the build).
. tools/static-libstdcxx.sh
for product in csf lfd; do swift build -c release --static-swift-stdlib --product "$product" 2>&1 | tail -1; done
CSF=$PWD/.build/release/csf
LFD=$PWD/.build/release/lfd
PEER_PY=$PWD/Tests/KernelTests/Support/peer.py

NS=nftcsf-demo
PEER=nftcsf-demo-peer
ROOT=$(mktemp -d /tmp/nftcsf-demo.XXXXXX)
export CSF_ROOT=$ROOT
export NFTCSF_FORBID_NETNS=$(stat -L -c %i /proc/self/ns/net)   # csf refuses to run in the root namespace

cleanup() {
    [ "${KEEP:-0}" = 1 ] && { echo; echo "kept: ip netns exec $NS nft list ruleset; CSF_ROOT=$ROOT"; return; }
    kill "$(cat "$ROOT/var/run/lfd.pid" 2>/dev/null)" 2>/dev/null || true
    [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null || true
    ip netns exec $NS "$CSF" -f >/dev/null 2>&1 || true
    ip netns del $NS 2>/dev/null || true
    ip netns del $PEER 2>/dev/null || true
    rm -rf "$ROOT"
}
trap cleanup EXIT
ip netns del $NS 2>/dev/null || true
ip netns del $PEER 2>/dev/null || true

mkdir -p "$ROOT/etc"
cp -r compat/etc/csf "$ROOT/etc/"
mkdir -p "$ROOT/usr/share/nftcsf" && cp -r compat/tpl "$ROOT/etc/csf/" && cp -r compat/detectors "$ROOT/usr/share/nftcsf/"
ip netns add $NS
ip netns add $PEER
ip -n $NS link set lo up
ip -n $NS link add eth0 type veth peer name eth0 netns $PEER
ip -n $NS addr add 192.0.2.1/24 dev eth0 && ip -n $NS link set eth0 up
ip -n $PEER addr add 192.0.2.2/24 dev eth0 && ip -n $PEER link set eth0 up

echo "== csf --check (shipped /etc/csf, under CSF_ROOT=$ROOT)"
ip netns exec $NS "$CSF" --check | tail -1
echo "== csf -s"
ip netns exec $NS "$CSF" -s
echo "== lfd (refuses while TESTING = 1, as csf's lfd does)"
ip netns exec $NS "$LFD" || true
echo "== the ruleset (inside $NS; KEEP=1 and 'ip netns exec $NS nft list ruleset' show all of it)"
ip netns exec $NS nft -j list table inet csf | python3 -c '
import json, sys
items = json.load(sys.stdin)["nftables"]
chains = [i["chain"] for i in items if "chain" in i]
rules = [i["rule"] for i in items if "rule" in i]
sets = [i["set"] for i in items if "set" in i]
filled = [(s["name"], len(s.get("elem", []))) for s in sets if s.get("elem")]
print(f"table inet csf: {len(chains)} chains, {len(rules)} rules, {len(sets)} sets ({len(filled)} with elements: "
      + ", ".join(f"{n} {c}" for n, c in filled) + ")")
'
echo "== its INPUT chain: csf's order, each list a set lookup"
ip netns exec $NS nft list chain inet csf INPUT | sed -n '3,40p' | grep -v '^\s*}' | head -30

ip netns exec $NS python3 "$PEER_PY" serve 22,80,3306 "" "$ROOT/ready" &
SERVER=$!
for _ in $(seq 50); do [ -f "$ROOT/ready" ] && break; sleep 0.1; done
probe() { ip netns exec $PEER python3 "$PEER_PY" probe-tcp 192.0.2.1 "$1" 1 && echo "open" || echo "dropped"; }
echo "== from the peer 192.0.2.2: TCP 22 (in TCP_IN) is $(probe 22), TCP 3306 (not in TCP_IN) is $(probe 3306)"
echo "== csf -d 192.0.2.2 (one netlink batch, no reload)"
ip netns exec $NS "$CSF" -d 192.0.2.2 "demo: deny the peer"
echo "== TCP 22 is now $(probe 22); csf -g 192.0.2.2:"
ip netns exec $NS "$CSF" -g 192.0.2.2
ip netns exec $NS "$CSF" -dr 192.0.2.2
echo "== csf -dr 192.0.2.2: TCP 22 is $(probe 22)"
echo "== csf -td 192.0.2.2 4 -p 22 (a 4-second ban on port 22 that the kernel expires)"
ip netns exec $NS "$CSF" -td 192.0.2.2 4 -p 22 "demo: temporary ban"
ip netns exec $NS "$CSF" -t
ip netns exec $NS nft list set inet csf tempdeny_in4_port
echo "== TCP 22 is $(probe 22), TCP 80 is $(probe 80); waiting 5 s with no process of ours running..."
sleep 5
echo "== TCP 22 is $(probe 22) again"

echo "== lfd on the shipped defaults, with TESTING turned off, SSHD_LOG pointed at the demo's auth.log and"
echo "   SENDMAIL at a script that keeps the alert in the demo directory"
printf '#!/bin/sh\ncat > "%s/alert.eml"\n' "$ROOT" > "$ROOT/sendmail" && chmod 0755 "$ROOT/sendmail"
sed -i -e 's/^TESTING = .*/TESTING = "0"/' -e "s|^SSHD_LOG = .*|SSHD_LOG = \"$ROOT/auth.log\"|" \
    -e "s|^SENDMAIL = .*|SENDMAIL = \"$ROOT/sendmail\"|" "$ROOT/etc/csf/csf.conf"
: > "$ROOT/auth.log"
ip netns exec $NS "$CSF" -r >/dev/null
# Process tracking (on in the shipped csf.conf) would judge this machine's processes: the demo's lfd looks at none.
ip netns exec $NS env NFTCSF_PROCESS_SCOPE=0 "$LFD"
LFD_PID=$(cat "$ROOT/var/run/lfd.pid")
for n in 1 2 3 4 5; do
    echo "$(date '+%b %e %H:%M:%S') demo sshd[100$n]: Failed password for root from 192.0.2.2 port 4000$n ssh2" >> "$ROOT/auth.log"
done
sleep 1
echo "== lfd.log"
cat "$ROOT/var/log/lfd.log"
echo "== the ban (LF_SSHD_PERM = 1 means permanent: csf.deny and the kernel's deny4 set, added over netlink)"
ip netns exec $NS "$CSF" -g 192.0.2.2
BANNED=$(probe 22)
echo "== from the peer: TCP 22 is $BANNED"
for _ in $(seq 20); do [ -s "$ROOT/alert.eml" ] && break; sleep 0.1; done
echo "== the alert lfd mailed (kept in $ROOT/alert.eml, not sent)"
head -4 "$ROOT/alert.eml" 2>/dev/null || echo "(none)"
kill "$LFD_PID" 2>/dev/null || true
echo
echo "== what the demo proved: csf built one nftables table from the shipped /etc/csf; the peer reached TCP 22"
echo "   and not 3306; csf -d and -dr changed the kernel at once; a 4-second ban expired in the kernel with no"
echo "   process of ours running; lfd saw five failed SSH logins and the peer's TCP 22 is $BANNED."
sleep 0.3
