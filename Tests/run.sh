#!/usr/bin/env bash
# The test command: unit tests plus kernel tests in throwaway network namespaces (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
# Tripwire: csf refuses to touch the firewall of the namespace the tests were started from.
export NFTCSF_FORBID_NETNS=$(stat -L -c %i /proc/self/ns/net)
swift build --build-tests
swift test --skip-build
