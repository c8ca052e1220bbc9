#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import LfdService

/// csf's reCAPTCHA self-unblock (RECAPTCHA_SITEKEY / _SECRET): the messenger shows index.recaptcha.html; a
/// visitor who solves the challenge is sent to `/unblk?g-recaptcha-response=TOKEN`; the token is checked at
/// RECAPTCHA_VERIFY_URL (Google's siteverify unless set), and when Google says yes for a site hosted here (its
/// `hostname` resolves to one of our addresses or RECAPTCHA_NAT), `address;hostname;ip` is queued for lfd, which
/// removes the address's csf.deny line and temporary bans (never blocklists or countries) and alerts.
struct RecaptchaSettings: Sendable {
    var siteKey: String
    var secret: String
    var verifyURL: String
    var proxy: String
    var nat: [IPAddress]
    /// `/var/lib/csf/recaptcha.unblock`, opened for appending as root before the switch to MESSENGER_USER (who
    /// could not reach /var/lib/csf): the messenger appends, lfd reads and empties it.
    var queue: Int32

    static let googleVerifyURL = "https://www.google.com/recaptcha/api/siteverify"
}

enum Recaptcha {
    enum Outcome: Equatable, Sendable {
        case none
        case success(hostname: String, ip: String)
        case failure(String)
        case error(String)
    }

    /// The token of `GET /unblk?g-recaptcha-response=TOKEN`, nil for any other request. Google's tokens are
    /// base64url text; anything else is not a token and is never sent anywhere.
    static func token(fromURI uri: String) -> String? {
        let parts = uri.split(separator: "?", maxSplits: 1)
        guard parts.count == 2, parts[0] == "/unblk" else { return nil }
        for pair in parts[1].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0] == "g-recaptcha-response" else { continue }
            let value = String(kv[1])
            let allowed = value.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_".unicodeScalars.contains($0)) }
            return (20...4096).contains(value.utf8.count) && allowed ? value : nil
        }
        return nil
    }

    /// Asks the verification endpoint (blocking: run it off the event loop), then checks that the site the
    /// challenge was solved on is hosted here: one of our addresses, the address the visitor reached, or
    /// RECAPTCHA_NAT.
    static func verify(token: String, peer: String, reached: IPAddress?, settings: RecaptchaSettings,
                       resolve: (String) -> [IPAddress] = Self.resolve,
                       ours: () -> Set<IPAddress> = { HostAddresses.current().addresses }) -> Outcome {
        let form = "secret=\(formEncoded(settings.secret))&response=\(formEncoded(token))&remoteip=\(formEncoded(peer))"
        let answer: [UInt8]
        switch Download.fetch(settings.verifyURL, proxy: settings.proxy, timeoutSeconds: 5, limit: 64 << 10, form: form) {
        case .failure(let why): return .error("Unable to verify with Google reCAPTCHA (\(why.description))")
        case .success(let bytes): answer = bytes
        }
        let verdict = Verdict.parse(answer)
        guard verdict.success else { return .failure(verdict.codes.first ?? "not solved") }
        guard let hostname = verdict.hostname else { return .error("Google did not say which site the challenge was solved on") }
        let addresses = IPAddress(hostname).map { [$0] } ?? resolve(hostname)
        let here = ours().union(settings.nat).union(reached.map { [$0] } ?? [])
        guard let ip = addresses.first(where: { here.contains($0) }) else {
            return .error("Failed, [\(hostname)] does not appear to be hosted on this server.")
        }
        return .success(hostname: hostname, ip: ip.description)
    }

    /// What siteverify answered: `{"success": true, "hostname": "...", "error-codes": [...]}`. Only these keys are
    /// read, as plain JSON strings and literals; anything unexpected reads as not verified.
    struct Verdict: Equatable {
        var success = false
        var hostname: String?
        var codes: [String] = []

        static func parse(_ bytes: [UInt8]) -> Verdict {
            let text = String(decoding: bytes.prefix(64 << 10), as: UTF8.self)
            var v = Verdict()
            v.success = value(after: "\"success\"", in: text).map { $0.hasPrefix("true") } ?? false
            v.hostname = value(after: "\"hostname\"", in: text).flatMap(string)
            if let list = value(after: "\"error-codes\"", in: text), list.hasPrefix("["), let end = list.firstIndex(of: "]") {
                v.codes = list[list.index(after: list.startIndex)..<end].split(separator: ",").compactMap { string(Substring($0.trimmingWhitespace())) }
            }
            return v
        }

        /// The text after `"key"` and its colon.
        private static func value(after key: String, in text: String) -> Substring? {
            guard let k = text.range(of: key) else { return nil }
            let rest = text[k.upperBound...].drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
            guard rest.first == ":" else { return nil }
            return rest.dropFirst().drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        }

        /// A JSON string with no escapes (host names and error codes have none), else nil.
        private static func string(_ s: Substring) -> String? {
            guard s.first == "\"", let end = s.dropFirst().firstIndex(of: "\"") else { return nil }
            let body = s[s.index(after: s.startIndex)..<end]
            return body.contains("\\") ? nil : String(body)
        }
    }

    /// The recaptcha page's placeholders, as csf fills them: [RECAPTCHA_SITEKEY], and [RECAPTCHA_ERROR="…"],
    /// [RECAPTCHA_SUCCESS="…"], [RECAPTCHA_FAILURE="…"] shown only in their state (an error with its reason).
    static func fill(_ page: String, siteKey: String, outcome: Outcome) -> String {
        var out = page.replacing("[RECAPTCHA_SITEKEY]", with: HTMLText.escape(siteKey))
        for (tag, shown) in [("RECAPTCHA_ERROR", errorText(outcome)), ("RECAPTCHA_SUCCESS", isSuccess(outcome) ? "" : nil),
                             ("RECAPTCHA_FAILURE", isFailure(outcome) ? "" : nil)] {
            while let open = out.range(of: "[\(tag)=\""), let close = out[open.upperBound...].range(of: "\"]") {
                let text = String(out[open.upperBound..<close.lowerBound])
                let replacement = shown.map { $0.isEmpty ? text : "\(text) \(HTMLText.escape($0))" } ?? ""
                out.replaceSubrange(open.lowerBound..<close.upperBound, with: replacement)
            }
        }
        return out
    }

    private static func errorText(_ o: Outcome) -> String? { if case .error(let e) = o { return e } else { return nil } }
    private static func isSuccess(_ o: Outcome) -> Bool { if case .success = o { return true } else { return false } }
    private static func isFailure(_ o: Outcome) -> Bool { if case .failure = o { return true } else { return false } }

    /// Appends `address;hostname;ip` for lfd to the queue opened at start.
    static func enqueue(peer: String, hostname: String, ip: String, fd: Int32) -> Bool {
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        let line = "\(peer);\(hostname);\(ip)\n"
        return line.withCString { Glibc.write(fd, $0, strlen($0)) } == line.utf8.count
    }

    /// The queue, opened as root: a regular file only (never through a link), root's, 0600.
    static func openQueue(_ path: String) -> Int32? {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return nil
        }
        return fd
    }

    static func resolve(_ name: String) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &result) == 0 else { return [] }
        defer { freeaddrinfo(result) }
        var out: [IPAddress] = []
        var p = result
        while let ai = p {
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(ai.pointee.ai_addr, ai.pointee.ai_addrlen, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0,
               let a = IPAddress(String(cString: host)) { out.append(a) }
            p = ai.pointee.ai_next
        }
        return out
    }

    static func formEncoded(_ s: String) -> String { Html.percentEncoded(s) }
}
