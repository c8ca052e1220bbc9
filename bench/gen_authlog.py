#!/usr/bin/env python3
"""Writes a synthetic auth.log for the lfd benchmarks: about 30% sshd failures from 50,000 addresses,
the rest the noise a real auth.log carries (accepted logins, PAM sessions, disconnects, cron, sudo, systemd).
Usage: gen_authlog.py OUT [LINES]   (deterministic: same seed, same file)"""
import random
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rnd = random.Random(1)
ips = [f"{rnd.randint(11, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}" for _ in range(50_000)]
users = ["root", "admin", "test", "oracle", "ubuntu", "git", "postgres", "user", "guest", "deploy"]
months = ["Jan", "Feb", "Mar"]


def stamp(i):
    s = i // 20
    return f"{months[(s // 86400) % 3]} {1 + (s // 3600) % 28:2d} {(s // 3600) % 24:02d}:{(s // 60) % 60:02d}:{s % 60:02d}"


fail = [
    "sshd[{pid}]: Failed password for {user} from {ip} port {port} ssh2",
    "sshd[{pid}]: Failed password for invalid user {user} from {ip} port {port} ssh2",
    "sshd[{pid}]: Invalid user {user} from {ip} port {port}",
    "sshd[{pid}]: error: maximum authentication attempts exceeded for {user} from {ip} port {port} ssh2 [preauth]",
]
noise = [
    "sshd[{pid}]: Accepted publickey for deploy from 192.0.2.10 port {port} ssh2: ED25519 SHA256:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg",
    "sshd[{pid}]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)",
    "sshd[{pid}]: pam_unix(sshd:session): session closed for user deploy",
    "sshd[{pid}]: Received disconnect from {ip} port {port}:11: Bye Bye [preauth]",
    "sshd[{pid}]: Disconnected from invalid user {user} {ip} port {port} [preauth]",
    "sshd[{pid}]: Connection closed by {ip} port {port} [preauth]",
    "CRON[{pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
    "CRON[{pid}]: pam_unix(cron:session): session closed for user root",
    "sudo: deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx",
    "sudo: pam_unix(sudo:session): session opened for user root(uid=0) by deploy(uid=1000)",
    "systemd-logind[412]: New session {pid} of user deploy.",
    "systemd-logind[412]: Session {pid} logged out. Waiting for processes to exit.",
    "systemd[1]: Started session-{pid}.scope - Session {pid} of User deploy.",
]
with open(out, "w") as f:
    for i in range(n):
        tpl = rnd.choice(fail) if rnd.random() < 0.30 else rnd.choice(noise)
        msg = tpl.format(pid=rnd.randint(1000, 99999), user=rnd.choice(users), ip=rnd.choice(ips), port=rnd.randint(1024, 65535))
        f.write(f"{stamp(i)} web1 {msg}\n")
