#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// One HTTP/1.0 GET of a local status page (PT_APACHESTATUS): `http://host[:port]/path`, a timeout, at most
/// 1 MB; the body when the server answers 200. https:// is refused (Apache's status page is local).
enum HttpGet {
    static func fetch(_ url: String, timeout: Int32, limit: Int = 1 << 20) -> Result<String, TcpConnection.Failure> {
        guard url.hasPrefix("http://") else { return .failure(.init(description: "only http:// URLs are fetched")) }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        var host = String(authority), port = "80"
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            host = String(authority[..<colon])
            port = String(authority[authority.index(after: colon)...])
        }
        host = host.filter { $0 != "[" && $0 != "]" }
        // Nothing from the URL may end a request line early.
        guard !host.isEmpty, !url.contains(where: { $0 == "\r" || $0 == "\n" || $0 == " " }) else {
            return .failure(.init(description: "not a valid URL"))
        }
        let fd: Int32
        switch TcpConnection.open(host: host, port: port, timeoutMilliseconds: timeout * 1000) {
        case .success(let opened): fd = opened
        case .failure(let failure): return .failure(failure)
        }
        defer { close(fd) }
        let request = Array("GET \(path.isEmpty ? "/" : String(path)) HTTP/1.0\r\nHost: \(authority)\r\nUser-Agent: lfd\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            return .failure(.init(description: "send: \(String(cString: strerror(errno)))"))
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while response.count < limit {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        return body(of: response)
    }

    /// The body of a 200 response; anything else (no header end, another status, garbage) is a failure.
    static func body(of response: [UInt8]) -> Result<String, TcpConnection.Failure> {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, response.count - 3)).first(where: { response[$0..<$0 + 4].elementsEqual(separator) }) else {
            return .failure(.init(description: "no HTTP response"))
        }
        let status = String(decoding: response[..<end].prefix { $0 != 13 }, as: UTF8.self)
        guard status.hasPrefix("HTTP/"), status.split(separator: " ").dropFirst().first == "200" else {
            return .failure(.init(description: "the server said \(status.prefix(100))"))
        }
        return .success(String(decoding: response[(end + 4)...], as: UTF8.self))
    }
}
