#!/usr/bin/env bash
# Installs Debian packages without letting their services start: openssh-server would listen on the host,
# fail2ban would add rules to the host's firewall. A policy-rc.d that refuses every start is in place for
# the duration of the install (and removed afterwards if we created it). Packages already installed are
# left exactly as they are.
set -euo pipefail
missing=()
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    created=1
fi
trap '[ "$created" = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# On a systemd host, also keep the services we just installed stopped and disabled (never ones that were there).
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    for p in "${missing[@]}"; do
        case "$p" in
            openssh-server) systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true ;;
            fail2ban) systemctl disable --now fail2ban.service >/dev/null 2>&1 || true ;;
            dovecot-core|dovecot-imapd|dovecot-pop3d|dovecot-submissiond) systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true ;;
            systemd-journal-remote) systemctl disable --now systemd-journal-remote.socket systemd-journal-remote.service >/dev/null 2>&1 || true ;;
            rsyslog) systemctl disable --now rsyslog.service syslog.socket >/dev/null 2>&1 || true ;;
            postfix) systemctl disable --now postfix.service >/dev/null 2>&1 || true ;;
            vsftpd) systemctl disable --now vsftpd.service >/dev/null 2>&1 || true ;;
            apache2) systemctl disable --now apache2.service apache-htcacheclean.service >/dev/null 2>&1 || true ;;
            nginx) systemctl disable --now nginx.service >/dev/null 2>&1 || true ;;
            bind9) systemctl disable --now named.service >/dev/null 2>&1 || true ;;
            postgresql-15|postgresql) systemctl disable --now postgresql.service 'postgresql@*' >/dev/null 2>&1 || true ;;
            tor|tor-geoipdb) systemctl disable --now tor.service >/dev/null 2>&1 || true ;;
        esac
    done
fi
