#!/usr/bin/env bash
# The test command: unit tests plus kernel tests in throwaway network namespaces (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
# Tripwire: csf refuses to touch the firewall of the namespace the tests were started from.
export NFTCSF_FORBID_NETNS=$(stat -L -c %i /proc/self/ns/net)
# Build dependencies, and sshd + sshpass for the end-to-end lfd test (their services never start here).
bash Tests/apt-install-quietly.sh libnftables-dev libnftnl-dev libmnl-dev libpcre2-dev nftables iproute2 iputils-ping \
    python3 openssh-server openssh-client sshpass systemd-journal-remote
swift build --build-tests
swift test --skip-build
