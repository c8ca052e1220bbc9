#!/usr/bin/env bash
# Daemons whose Debian packages conflict with ones the tests install (exim4 with postfix: one
# mail-transport-agent; proftpd and pure-ftpd with vsftpd: one ftp-server) are unpacked instead of installed,
# into .build/unpacked/<package>, with the shared libraries they need installed normally. Nothing of them is
# configured or started on the host; the tests run their binaries with private configs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/unpacked
libs=(libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libsodium23 libgnutls-dane0 libidn12 libdb5.3 libnsl2)
bash Tests/apt-install-quietly.sh "${libs[@]}"
mkdir -p "$out" .build/debs
chmod 755 .build .build/debs "$out"
for p in proftpd-core pure-ftpd exim4-daemon-light; do
    [ -d "$out/$p" ] && continue
    (cd .build/debs && rm -f "${p}"_*.deb && apt-get download -qq "$p" 2>/dev/null)
    dpkg-deb -x .build/debs/"${p}"_*.deb "$out/$p.tmp"
    mv "$out/$p.tmp" "$out/$p"
done
