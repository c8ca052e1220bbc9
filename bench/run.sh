#!/usr/bin/env bash
# Builds a release and runs the issue-2 benchmark inside throwaway network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
swift build -c release
python3 bench/run.py "$@"
