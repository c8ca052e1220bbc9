#!/usr/bin/env python3
"""Traffic helper for the kernel tests: servers inside the firewall namespace, probes from peers.

Runs only inside the throwaway network namespaces the tests create; every loop is bounded in time.
"""
import os
import selectors
import socket
import sys
import subprocess
import time


def serve(tcp_ports, udp_ports, ready_file, count_file):
    sel = selectors.DefaultSelector()
    counts = {}
    for port in tcp_ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", port))
        s.listen(128)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, ("listen", port))
    for port in udp_ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", port))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, ("udp", port))
        counts[port] = {}
    with open(ready_file, "w") as f:
        f.write("ready\n")
    last_write = 0.0
    while True:
        for key, _ in sel.select(timeout=0.2):
            kind, port = key.data
            if kind == "listen":
                try:
                    conn, _ = key.fileobj.accept()
                except OSError:
                    continue
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, ("conn", port))
            elif kind == "conn":
                try:
                    data = key.fileobj.recv(4096)
                except OSError:
                    data = b""
                if data:
                    try:
                        key.fileobj.send(data)
                    except OSError:
                        pass
                else:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
            else:
                for _ in range(256):
                    try:
                        data, addr = key.fileobj.recvfrom(2048)
                    except BlockingIOError:
                        break
                    src = addr[0].replace("::ffff:", "")
                    counts[port][src] = counts[port].get(src, 0) + 1
                    if data.startswith(b"ping"):
                        key.fileobj.sendto(data, addr)
        now = time.time()
        if count_file and now - last_write > 0.1:
            last_write = now
            with open(count_file + ".tmp", "w") as f:
                for port, by_src in counts.items():
                    for src, n in by_src.items():
                        f.write(f"{port} {src} {n}\n")
            import os
            os.replace(count_file + ".tmp", count_file)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def probe_tcp(host, port, timeout):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        return 0
    except OSError:
        return 1
    finally:
        s.close()


def probe_udp(host, port, timeout):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(b"ping", (host, port))
        data, _ = s.recvfrom(100)
        return 0 if data == b"ping" else 1
    except OSError:
        return 1
    finally:
        s.close()


def blast_udp(host, port, seconds):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.setblocking(False)
    end = time.time() + seconds
    sent = 0
    while time.time() < end:
        for _ in range(64):
            try:
                s.sendto(b"blast", (host, port))
                sent += 1
            except OSError:
                pass
    print(sent, flush=True)
    return 0


def hold_tcp(host, port, seconds, interval):
    """Keeps one connection open and checks an echo every interval; fails on any lost echo."""
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(2.0)
    s.connect((host, port))
    end = time.time() + seconds
    ok = 0
    while time.time() < end:
        s.sendall(b"x")
        try:
            if s.recv(10) != b"x":
                print(f"bad echo after {ok}", flush=True)
                return 1
        except OSError as e:
            print(f"lost after {ok}: {e}", flush=True)
            return 1
        ok += 1
        time.sleep(interval)
    print(ok, flush=True)
    return 0


def syslog_sshd(config, out):
    """Runs a real sshd in the foreground and writes its messages to `out` the way rsyslog writes auth.log
    (`Mon DD HH:MM:SS host sshd[pid]: message`). sshd dies with this process (PR_SET_PDEATHSIG)."""
    import ctypes
    import subprocess
    import time as _time
    libc = ctypes.CDLL("libc.so.6")
    proc = subprocess.Popen(["/usr/sbin/sshd", "-f", config, "-e", "-D"], stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: libc.prctl(1, 9))
    with open(out, "a") as f:
        for line in proc.stderr:
            stamp = _time.strftime("%b %e %H:%M:%S")
            f.write(f"{stamp} fw sshd[{proc.pid}]: {line.rstrip()}\n")
            f.flush()
    return proc.wait()


def smtp_sink(port, out, ready):
    """A minimal SMTP server on 127.0.0.1:port that appends every message it accepts to `out`."""
    import socketserver

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(b"220 test ESMTP\r\n")
            data, envelope = None, []
            for raw in self.rfile:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if data is not None:
                    if line == ".":
                        with open(out, "a") as f:
                            f.write("\n".join(envelope) + "\n" + "\n".join(data) + "\n.\n")
                        data = None
                        self.wfile.write(b"250 queued\r\n")
                    else:
                        data.append(line[1:] if line.startswith("..") else line)
                    continue
                verb = line.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.wfile.write(b"250-test\r\n250 OK\r\n")
                elif verb in ("MAIL", "RCPT"):
                    envelope.append(line)
                    self.wfile.write(b"250 OK\r\n")
                elif verb == "DATA":
                    data = []
                    self.wfile.write(b"354 go ahead\r\n")
                elif verb == "QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 OK\r\n")

    socketserver.TCPServer.allow_reuse_address = True
    with socketserver.TCPServer(("127.0.0.1", port), Handler) as server:
        open(ready, "w").close()
        server.serve_forever()


def burst_tcp(host, port, count, timeout):
    """Starts `count` TCP connections at once; prints how many completed within `timeout`."""
    import select
    socks = []
    for _ in range(count):
        s = socket.socket(family(host), socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        socks.append(s)
    done = set()
    end = time.time() + timeout
    while time.time() < end and len(done) < count:
        _, writable, _ = select.select([], [s for s in socks if s not in done], [], max(0.0, end - time.time()))
        for s in writable:
            done.add(s)
    ok = sum(1 for s in done if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0)
    print(ok, flush=True)
    return 0


def scan_tcp(host, first, count, seconds):
    """SYNs to `count` ports from `first` on, spread evenly over `seconds` (a port scan); nothing waits for answers."""
    socks = []
    start = time.time()
    for i in range(count):
        delay = start + seconds * i / count - time.time()
        if delay > 0:
            time.sleep(delay)
        s = socket.socket(family(host), socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, first + i))
        socks.append(s)
    time.sleep(0.2)
    for s in socks:
        s.close()
    return 0


def flood_tcp(host, port, seconds):
    """As many SYNs to one port as a loop of non-blocking connects sends; prints the number sent."""
    end = time.time() + seconds
    sent = 0
    while time.time() < end:
        batch = []
        for _ in range(256):
            s = socket.socket(family(host), socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((host, port))
            batch.append(s)
            sent += 1
        for s in batch:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
    print(sent, flush=True)
    return 0


def mail_logins(proto, host, port, user, password, attempts):
    """`attempts` logins over one IMAP or POP3 connection (a real client library); prints how many succeeded."""
    import imaplib
    import poplib
    ok = 0
    if proto == "imap":
        c = imaplib.IMAP4(host, port, timeout=10)
        for _ in range(attempts):
            try:
                c.login(user, password)
                ok += 1
                break
            except imaplib.IMAP4.error:
                pass
        try:
            c.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    else:
        c = poplib.POP3(host, port, timeout=10)
        for _ in range(attempts):
            try:
                c.user(user)
                c.pass_(password)
                ok += 1
                break
            except poplib.error_proto:
                pass
        try:
            c.quit()
        except (poplib.error_proto, OSError):
            pass
    print(ok, flush=True)
    return 0


def count_logins(attempts, once):
    """Runs `once` (one login on a fresh connection, True when accepted) `attempts` times; prints the successes."""
    ok = 0
    for _ in range(attempts):
        try:
            ok += 1 if once() else 0
        except Exception:  # refused, timed out (banned), or the server hung up: not a login
            pass
    print(ok, flush=True)
    return 0


def ftp_logins(host, port, user, password, attempts):
    """`attempts` FTP logins, a connection each (ftplib)."""
    import ftplib

    def once():
        c = ftplib.FTP()
        c.connect(host, port, timeout=10)
        try:
            c.login(user, password)
            return True
        except ftplib.error_perm:
            return False
        finally:
            try:
                c.quit()
            except ftplib.all_errors:
                pass
    return count_logins(attempts, once)


def smtp_auths(host, port, user, password, attempts):
    """`attempts` SMTP AUTH logins, a connection each (smtplib, one AUTH PLAIN: login() would retry a failed
    PLAIN as LOGIN, two failures per attempt)."""
    import smtplib

    def once():
        c = smtplib.SMTP(host, port, timeout=10)
        try:
            c.ehlo("client.example")
            c.user, c.password = user, password
            # smtplib returns 503 ("AUTH command used when not advertised") as if it were a success.
            code, _ = c.auth("PLAIN", c.auth_plain)
            return code == 235
        except smtplib.SMTPException:
            return False
        finally:
            try:
                c.quit()
            except (smtplib.SMTPException, OSError):
                pass
    return count_logins(attempts, once)


def send_mails(host, port, count, recipients, user, password):
    """`count` messages over one SMTP session, each to `recipients` addresses @example.test, after AUTH PLAIN
    when `user` is not "-". Prints how many were accepted."""
    import smtplib
    sent = 0
    c = smtplib.SMTP(host, port, timeout=10)
    try:
        c.ehlo("client.example")
        if user != "-":
            c.user, c.password = user, password
            c.auth("PLAIN", c.auth_plain)
        for i in range(count):
            to = [f"rcpt{i}-{r}@example.test" for r in range(recipients)]
            c.sendmail("sender@client.example", to, f"Subject: message {i}\r\n\r\nhello {i}\r\n")
            sent += 1
    except (smtplib.SMTPException, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
    finally:
        try:
            c.quit()
        except (smtplib.SMTPException, OSError):
            pass
    print(sent)
    return 0


def smtp_hang(port, ready):
    """An SMTP server on 127.0.0.1:port that accepts connections and never says a word."""
    import socket
    import time as _time
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(64)
    open(ready, "w").close()
    held = []
    while True:
        conn, _ = srv.accept()
        held.append(conn)


def hold_lock(path, seconds, ready):
    """Holds an exclusive flock on `path` (csf's lock) for `seconds`, as a csf -r of a huge list would."""
    import fcntl
    import time as _time
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        open(ready, "w").close()
        _time.sleep(seconds)
    return 0


def proc_events_exec(argv):
    """Subscribes to the kernel's process events here (the root network namespace: the connector answers nowhere
    else), then runs argv with the socket inherited and named in NFTCSF_PROC_EVENTS_FD. Reading events changes
    nothing on the host."""
    import struct
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 11)
    s.bind((0, 1))
    op = struct.pack("I", 1)
    cn = struct.pack("IIIIHH", 1, 1, 0, 0, len(op), 0) + op
    s.send(struct.pack("IHHII", 16 + len(cn), 3, 0, 0, os.getpid()) + cn)
    fd = s.detach()
    os.set_inheritable(fd, True)
    os.environ["NFTCSF_PROC_EVENTS_FD"] = str(fd)
    os.execvp(argv[0], argv)


def connected_hold(seconds):
    """A process holding a connected TCP socket (to itself over loopback) for `seconds`."""
    import time as _time
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    _time.sleep(seconds)
    return 0


def pty_run(password, argv):
    """Runs argv on a pseudo-terminal, answers its password prompt, and returns its exit status (su reads the
    password from the terminal, never from stdin)."""
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    out = b""
    sent = False
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if not sent and b"assword" in out:
            os.write(fd, password.encode() + b"\n")
            sent = True
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    return os.waitstatus_to_exitcode(status)


def fetch(host, port, request, timeout):
    """Connects, sends `request` (if any), reads until the server closes; the bytes, or None."""
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        if request:
            s.sendall(request)
        out = b""
        while True:
            d = s.recv(65536)
            if not d:
                return out
            out += d
    except OSError:
        return None
    finally:
        s.close()


def https_get(host, port, server_name, timeout):
    """GET / over TLS sending `server_name` as SNI (the certificate is not checked: the test reads it): prints
    the certificate's subject common name, then the answer. Exit 1 when no TLS session could be made."""
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, ctx.wrap_socket(raw, server_hostname=server_name) as tls:
            der = tls.getpeercert(binary_form=True)
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {server_name}\r\n\r\n".encode())
            out = b""
            while True:
                d = tls.recv(65536)
                if not d:
                    break
                out += d
    except (OSError, ssl.SSLError) as e:
        print(f"no TLS: {e}", file=sys.stderr)
        return 1
    cn = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "multiline"], input=der,
                        capture_output=True).stdout.decode()
    name = next((l.split("=", 1)[1].strip() for l in cn.splitlines() if "commonName" in l), "?")
    print(name)
    sys.stdout.write(out.decode(errors="replace"))
    return 0


def fetch_many(host, port, request, timeout, count):
    """`count` connections at once, each sending `request` and reading to the end: prints the first answer and,
    on stderr, how many answers arrived. Exit 0 when every connection got one."""
    import threading
    answers = [None] * count
    def one(i):
        answers[i] = fetch(host, port, request, timeout)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = [a for a in answers if a]
    print(f"{len(got)} of {count} answered", file=sys.stderr)
    if got:
        sys.stdout.write(got[0].decode(errors="replace"))
    return 0 if len(got) == count else 1


def trickle(host, port, seconds):
    """Sends an unfinished request a byte every half second until the server closes or `seconds` pass; prints
    how long the connection lived. Exit 0 when the server closed it."""
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(0.5)
    start = time.time()
    try:
        s.connect((host, port))
        s.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
        while time.time() - start < seconds:
            try:
                if s.recv(65536) == b"":
                    print(f"{time.time() - start:.1f}")
                    return 0
            except socket.timeout:
                pass
            s.sendall(b"a")
    except OSError:
        print(f"{time.time() - start:.1f}")
        return 0
    finally:
        s.close()
    print(f"{time.time() - start:.1f}")
    return 1


def ports(arg):
    return [int(p) for p in arg.split(",") if p]


def main(argv):
    cmd = argv[1]
    if cmd == "serve":
        serve(ports(argv[2]), ports(argv[3]), argv[4], argv[5] if len(argv) > 5 else None)
        return 0
    if cmd == "probe-tcp":
        return probe_tcp(argv[2], int(argv[3]), float(argv[4]))
    if cmd == "probe-udp":
        return probe_udp(argv[2], int(argv[3]), float(argv[4]))
    if cmd == "blast-udp":
        return blast_udp(argv[2], int(argv[3]), float(argv[4]))
    if cmd == "burst-tcp":
        return burst_tcp(argv[2], int(argv[3]), int(argv[4]), float(argv[5]))
    if cmd == "scan-tcp":
        return scan_tcp(argv[2], int(argv[3]), int(argv[4]), float(argv[5]))
    if cmd == "flood-tcp":
        return flood_tcp(argv[2], int(argv[3]), float(argv[4]))
    if cmd == "mail-login":
        return mail_logins(argv[2], argv[3], int(argv[4]), argv[5], argv[6], int(argv[7]))
    if cmd == "ftp-login":
        return ftp_logins(argv[2], int(argv[3]), argv[4], argv[5], int(argv[6]))
    if cmd == "smtp-auth":
        return smtp_auths(argv[2], int(argv[3]), argv[4], argv[5], int(argv[6]))
    if cmd == "send-mail":
        return send_mails(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), argv[6], argv[7])
    if cmd == "smtp":
        return smtp_sink(int(argv[2]), argv[3], argv[4])
    if cmd == "sshd":
        return syslog_sshd(argv[2], argv[3])
    if cmd == "smtp-hang":
        return smtp_hang(int(argv[2]), argv[3])
    if cmd == "hold-lock":
        return hold_lock(argv[2], float(argv[3]), argv[4])
    if cmd == "hold-tcp":
        return hold_tcp(argv[2], int(argv[3]), float(argv[4]), float(argv[5]))
    if cmd == "proc-events-exec":
        return proc_events_exec(argv[2:])
    if cmd == "pty-run":
        return pty_run(argv[2], argv[3:])
    if cmd == "http-get":
        request = f"GET {argv[5] if len(argv) > 5 else '/'} HTTP/1.0\r\nHost: {argv[2]}\r\n\r\n".encode()
        return fetch_many(argv[2], int(argv[3]), request, float(argv[4]), int(argv[6]) if len(argv) > 6 else 1)
    if cmd == "https-get":
        return https_get(argv[2], int(argv[3]), argv[4], float(argv[5]))
    if cmd == "trickle":
        return trickle(argv[2], int(argv[3]), float(argv[4]))
    if cmd == "read-tcp":
        return fetch_many(argv[2], int(argv[3]), b"", float(argv[4]), 1)
    if cmd == "connected-hold":
        return connected_hold(float(argv[2]))
    print("unknown command", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
