#!/usr/bin/env bash
# ansible-test sanity on the nftcsf.csf collection, offline but for PyPI: ansible-core in its own venv
# (.build/ansible-sanity-venv), a throwaway HOME for ansible-test's caches and venvs, and a get-pip stand-in
# (get_pip_offline.py) where ansible-test would download one.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
venv=$repo/.build/ansible-sanity-venv
if [ ! -x "$venv/bin/ansible-test" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q ansible-core
fi
home=$(mktemp -d /tmp/nftcsf-ansible-test.XXXXXX)
trap 'rm -rf "$home"' EXIT
# The pip version ansible-test pins names the bootstrap script it looks for in its cache.
pip_version=$(grep -oP "pip='\K[0-9.]+" "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -1)
mkdir -p "$home/.ansible/test/cache"
cp Tests/ansible/get_pip_offline.py "$home/.ansible/test/cache/get_pip_${pip_version//./_}.py"
# ansible-test wants the collection at ansible_collections/<ns>/<name> with nothing generated in it.
work=$home/src/ansible_collections/nftcsf/csf
mkdir -p "$work"
cp -r contrib/ansible/ansible_collections/nftcsf/csf/. "$work/"
cd "$work"
HOME=$home PATH=$venv/bin:$PATH ansible-test sanity --venv --python "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$@"
