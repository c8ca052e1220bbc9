import CCurl
import CsfCompat

/// One HTTP(S) download through libcurl (csf.blocklists, GLOBAL_*): redirects followed within http and https,
/// URLPROXY honoured, a timeout for the whole transfer and a size cap (the body is held in memory and parsed).
/// Anything but a 200 answer is a failure with its reason, and the caller keeps its last good copy.
public enum Download {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Larger than any real feed (a million addresses is about 16 MB), small enough to bound lfd's memory.
    public static let sizeLimit = 128 << 20

    private static let initialised: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// The body the transfer has received so far, and whether the cap stopped it.
    private final class Body {
        var bytes: [UInt8] = []
        var limit: Int
        var overLimit = false
        init(limit: Int) { self.limit = limit }
    }

    /// `text` as one URL query value: every byte but RFC 3986's unreserved ones percent-encoded.
    static func queryEscaped(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            let unreserved = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || "-._~".utf8.contains(b)
            if unreserved { out.unicodeScalars.append(UnicodeScalar(b)) } else { out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2) }
        }
        return out
    }

    /// `form`: sent as an application/x-www-form-urlencoded POST body (the reCAPTCHA check) instead of a GET.
    public static func fetch(_ url: String, proxy: String, timeoutSeconds: Int, limit: Int = sizeLimit,
                             form: String? = nil) -> Result<[UInt8], Failure> {
        guard initialised, let curl = curl_easy_init() else { return .failure(Failure(description: "libcurl could not be initialised")) }
        defer { curl_easy_cleanup(curl) }
        let body = Body(limit: limit)
        let box = Unmanaged.passRetained(body)
        defer { box.release() }
        var error = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = ccurl_set_string(curl, CURLOPT_URL, url)
        _ = ccurl_set_string(curl, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = ccurl_set_string(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        _ = ccurl_set_long(curl, CURLOPT_FOLLOWLOCATION, 1)
        _ = ccurl_set_long(curl, CURLOPT_MAXREDIRS, 5)
        // Threads: no SIGALRM for DNS timeouts (lfd reads its signals from a signalfd).
        _ = ccurl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_set_long(curl, CURLOPT_CONNECTTIMEOUT, min(30, timeoutSeconds))
        _ = ccurl_set_long(curl, CURLOPT_TIMEOUT, timeoutSeconds)
        _ = ccurl_set_offset(curl, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limit))
        _ = ccurl_set_string(curl, CURLOPT_USERAGENT, "nftcsf-lfd/\(NftcsfVersion.string)")
        _ = ccurl_set_string(curl, CURLOPT_ACCEPT_ENCODING, "")
        if !proxy.isEmpty { _ = ccurl_set_string(curl, CURLOPT_PROXY, proxy) }
        if let form { _ = ccurl_set_string(curl, CURLOPT_COPYPOSTFIELDS, form) }
        _ = ccurl_set_pointer(curl, CURLOPT_WRITEDATA, box.toOpaque())
        _ = ccurl_set_write_function(curl) { data, size, count, user in
            guard let data, let user else { return 0 }
            let body = Unmanaged<Body>.fromOpaque(user).takeUnretainedValue()
            let n = size * count
            guard body.bytes.count + n <= body.limit else {
                body.overLimit = true
                return 0
            }
            data.withMemoryRebound(to: UInt8.self, capacity: n) { body.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
            return n
        }
        let code = error.withUnsafeMutableBufferPointer { buffer -> CURLcode in
            _ = ccurl_set_pointer(curl, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            return curl_easy_perform(curl)
        }
        if body.overLimit || code == CURLE_FILESIZE_EXCEEDED {
            return .failure(Failure(description: "larger than \(limit >> 20) MB"))
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(Failure(description: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail))
        }
        var status = 0
        _ = ccurl_get_long(curl, CURLINFO_RESPONSE_CODE, &status)
        guard status == 200 else { return .failure(Failure(description: "HTTP status \(status)")) }
        return .success(body.bytes)
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
