#!/usr/bin/env bash
# Builds the release binaries the way README's install does (static Swift runtime) and runs the benchmarks
# inside throwaway network namespaces.
#   bench/run.sh [--quick]          both benchmarks
#   bench/run.sh start [--quick]    csf -s / -r against nft -f (issue 2)
#   bench/run.sh list [--quick]     list commands, sequential temp bans, in-process netlink bans (issue 3)
#   bench/run.sh lfd [--quick]      lfd parse throughput vs fail2ban-regex, detection latency, memory (issue 4)
#   bench/run.sh pps [--quick]      packets/s through the full ruleset + 1M deny set vs no ruleset and 10k linear rules (issue 5)
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/swift-on-path.sh
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
which=all
case "${1:-}" in start|list|lfd|pps) which=$1; shift ;; esac
. tools/static-libstdcxx.sh
for product in csf lfd csf-fleet csf-ui; do swift build -c release --static-swift-stdlib --product "$product"; done
case "$which" in start|all) python3 bench/run.py "$@" ;; esac
case "$which" in list|all) python3 bench/list_commands.py "$@" ;; esac
case "$which" in lfd|all)
    # fail2ban-regex is the baseline; its service must not start (it would add rules to this host's firewall).
    if ! command -v fail2ban-regex >/dev/null; then
        bash Tests/apt-install-quietly.sh fail2ban
    fi
    python3 bench/lfd_bench.py "$@" ;;
esac
case "$which" in pps|all)
    # csf's own shape needs iptables (iptables-nft); installing it changes no firewall.
    command -v iptables-nft-restore >/dev/null || bash Tests/apt-install-quietly.sh iptables
    python3 bench/pps.py "$@" ;;
esac
