#!/usr/bin/env bash
# The test command: unit tests plus kernel tests in throwaway network namespaces (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/swift-on-path.sh
# Tripwire: csf refuses to touch the firewall of the namespace the tests were started from.
export NFTCSF_FORBID_NETNS=$(stat -L -c %i /proc/self/ns/net)
# Build dependencies, and sshd + sshpass for the end-to-end lfd test (their services never start here).
bash Tests/apt-install-quietly.sh libnftables-dev libnftnl-dev libmnl-dev libpcre2-dev libssl-dev libcurl4-openssl-dev zlib1g-dev nftables iproute2 iputils-ping \
    python3 python3-venv openssh-server openssh-client sshpass systemd-journal-remote make dpkg-dev systemd lintian \
    dovecot-imapd dovecot-pop3d rpm zsh fish
# The fleet's database (issue 19): Debian's PostgreSQL, started privately by the tests in a namespace of their own.
bash Tests/apt-install-quietly.sh postgresql-15 postgresql-client-15 openssl
# Country data for CC_* (issue 15): the IPFire Location ranges Tor ships; tor itself never starts here.
bash Tests/apt-install-quietly.sh tor-geoipdb
# ASN data without a download: the IPFire Location database and its `location` command (dump only).
bash Tests/apt-install-quietly.sh libloc-database location
# The web UI's browser test (issue 18): Debian's chromium and its driver, Selenium from PyPI in its own venv.
bash Tests/apt-install-quietly.sh chromium chromium-driver
if [ ! -x .build/ui-venv/bin/python ] || ! .build/ui-venv/bin/python -c 'import selenium' 2>/dev/null; then
    if ! { python3 -m venv .build/ui-venv && .build/ui-venv/bin/pip install -q selenium; }; then
        echo "Tests/run.sh: Selenium could not be installed; the browser test will be skipped" >&2
        [ "${CI:-}" = true ] && exit 1
    fi
fi
# The real-daemon matrix (Tests/KernelTests/DaemonMatrix.swift): every daemon runs privately in a test namespace.
bash Tests/apt-install-quietly.sh dovecot-submissiond rsyslog postfix vsftpd apache2 apache2-utils libapache2-mod-security2 nginx bind9 \
    bind9-dnsutils curl sudo
# Exim, ProFTPD and Pure-FTPd conflict with Postfix and vsftpd as packages: unpacked under .build instead.
bash Tests/unpack-debs.sh
# ansible-core (+ ansible-lint) from PyPI for the collection's tests. Without PyPI those tests are skipped
# on a developer's machine, saying so; in CI (CI=true) that is a failure, never a silent skip.
if [ ! -x .build/ansible-venv/bin/ansible-lint ]; then
    if ! { python3 -m venv .build/ansible-venv && .build/ansible-venv/bin/pip install -q ansible-core ansible-lint; }; then
        echo "Tests/run.sh: ansible-core could not be installed; the Ansible tests will be skipped" >&2
        [ "${CI:-}" = true ] && exit 1
    fi
fi
# The release build (static Swift runtime) is what the packaging tests install and package: our three programs
# only (a plain build would also build the example programs of SwiftNIO's packages).
. tools/static-libstdcxx.sh
for product in csf lfd csf-fleet csf-ui; do swift build -c release --static-swift-stdlib --product "$product"; done
swift build --build-tests
swift test --skip-build
# ansible-test sanity on the Ansible collection (its own venv; pip from PyPI).
bash Tests/ansible/sanity.sh
# The parser fuzzer (libFuzzer + ASan) for a bounded time per target: addresses, list files, csf.conf.
bash fuzz/run.sh "${NFTCSF_FUZZ_SECONDS:-30}"
