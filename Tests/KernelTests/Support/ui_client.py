#!/usr/bin/env python3
"""Drives csf-ui's web UI over HTTPS without a browser, for the security checks of UIKernelTests.

usage: ui_client.py BASE_URL STEP [ARGS...]; prints one JSON object. The certificate is self-signed: its
fingerprint is compared with the one csf-ui printed instead of a CA check.
"""
import hashlib, http.cookiejar, json, re, socket, ssl, sys, time, urllib.error, urllib.parse, urllib.request

base = sys.argv[1]
host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
jar = http.cookiejar.CookieJar()
timeout = 8


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def req(path, data=None, cookie=None):
    r = urllib.request.Request(base + path, data=urllib.parse.urlencode(data).encode() if data is not None else None)
    if cookie:
        r.add_header("Cookie", cookie)
    try:
        resp = opener.open(r, timeout=timeout)
        return resp.status, resp.read().decode(), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers
    except (OSError, socket.timeout) as e:
        return 0, type(e).__name__, {}


def csrf(body):
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', body)
    return m.group(1) if m else ""


def login(user, password):
    s, body, _ = req("/login")
    s, body, h = req("/login", {"csrf": csrf(body), "user": user, "password": password})
    return s, body, h


def session_cookie():
    return next((c.value for c in jar if c.name == "csfui_session"), None)


out = {}
step = sys.argv[2]
if step == "fingerprint":
    with socket.create_connection((host, port), timeout=5) as raw, ctx.wrap_socket(raw) as tls:
        der = tls.getpeercert(binary_form=True)
        out["sha256"] = ":".join("%02X" % b for b in hashlib.sha256(der).digest())
        out["version"] = tls.version()
elif step == "tls":
    # tls MAX_VERSION [TLS1.2 CIPHERS]: one handshake offering at most that version (and only those ciphers).
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname, c.verify_mode = False, ssl.CERT_NONE
    c.minimum_version = ssl.TLSVersion.TLSv1_2
    c.maximum_version = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[sys.argv[3]]
    if sys.argv[3] == "1.3":
        c.minimum_version = ssl.TLSVersion.TLSv1_3
    if len(sys.argv) > 4:
        c.set_ciphers(sys.argv[4])
    try:
        with socket.create_connection((host, port), timeout=5) as raw, c.wrap_socket(raw) as tls:
            out["version"], out["cipher"] = tls.version(), tls.cipher()[0]
    except (OSError, ssl.SSLError) as e:
        out["refused"] = type(e).__name__
elif step == "plain-http":
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(200)
        except OSError:
            data = b""
        out["http_answer"] = data.startswith(b"HTTP/")
elif step == "security":
    user, password, ip = sys.argv[3], sys.argv[4], sys.argv[5]
    s, body, h = req("/login")
    out["login_page"] = s
    out["csp"] = h.get("Content-Security-Policy")
    out["login_cookie"] = h.get("Set-Cookie")
    out["unauthenticated_dashboard"] = [req("/")[0], req("/")[2].get("Location")]
    s, body, h = login(user, password)
    out["login"] = s
    out["session_cookie"] = [c for c in (h.get_all("Set-Cookie") or []) if c.startswith("csfui_session=")]
    s, body, h = req("/quick")
    token = csrf(body)
    # No token, a wrong token: refused, nothing changes.
    out["no_csrf"] = req("/quick", {"action": "deny", "ip": ip})[0]
    out["wrong_csrf"] = req("/quick", {"csrf": "0" * 64, "action": "deny", "ip": ip})[0]
    # Markup in a comment is shown as text.
    s, body, _ = req("/quick", {"csrf": token, "action": "deny", "ip": ip, "comment": "<script>alert(1)</script><b>x</b>"})
    out["deny"] = s
    s, body, _ = req("/list/deny?q=" + urllib.parse.quote(ip))
    out["list_raw_script"] = "<script>" in body
    out["list_escaped"] = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in body
    s, body, _ = req("/quick", {"csrf": token, "action": "search", "ip": ip})
    out["search_escaped"] = "&lt;script&gt;" in body and "<script>" not in body
    # A session that ended is worth nothing, even with its token.
    old = session_cookie()
    out["logout"] = req("/logout", {"csrf": token})[0]
    out["stale_session"] = req("/quick", {"csrf": token, "action": "unblock", "ip": ip}, cookie="csfui_session=" + old)[0]
elif step == "readonly":
    user, password, ip = sys.argv[3], sys.argv[4], sys.argv[5]
    out["login"] = login(user, password)[0]
    s, body, _ = req("/")
    out["dashboard"] = s
    out["dashboard_says_read_only"] = "(read-only)" in body
    s, body, _ = req("/quick")
    token = csrf(body)
    out["deny_form_offered"] = 'value="deny"' in body
    out["deny"] = req("/quick", {"csrf": token, "action": "deny", "ip": ip})[0]
    out["temp_remove"] = req("/temp/remove", {"csrf": token, "ip": ip})[0]
    out["search"] = req("/quick", {"csrf": token, "action": "search", "ip": ip})[0]
    out["config_apply"] = req("/config/apply", {"csrf": token, "key": "DENY_IP_LIMIT", "value": "1", "confirm": "60"})[0]
elif step == "wrong-passwords":
    user, count = sys.argv[3], int(sys.argv[4])
    timeout = 2  # once banned, the kernel drops the answers: each try ends at its timeout
    out["answers"] = [login(user, "not the password %d" % i)[0] for i in range(count)]
elif step == "children":
    # UI_CHILDREN connections held open (handshake done, idle): the next request waits until one closes.
    held = []
    for _ in range(int(sys.argv[3])):
        raw = socket.create_connection((host, port), timeout=5)
        held.append(ctx.wrap_socket(raw))
    timeout = 2
    out["while_full"] = req("/login")[0]
    held.pop().close()
    timeout = 8
    out["after_one_closed"] = req("/login")[0]
    for h in held:
        h.close()
elif step == "silent-tcp":
    # A connection that never starts TLS is closed by the server (its handshake deadline).
    t0 = time.time()
    with socket.create_connection((host, port), timeout=30) as s:
        try:
            out["read"] = repr(s.recv(10))
        except OSError as e:
            out["read"] = type(e).__name__
    out["closed_after"] = round(time.time() - t0, 1)
elif step == "login-page":
    out["status"] = req("/login")[0]
    out["body"] = req("/login")[1][:400]
print(json.dumps(out))
