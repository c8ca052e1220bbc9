/// The messenger's pages (/etc/csf/messenger/index.html, index.text): data with two placeholders, never code.
/// csf's messenger ran its templates through Perl and a crafted request could execute code (fixed upstream in
/// September 2026); here a template is a string, the placeholders are the only thing replaced, and the values
/// are escaped for HTML. Nothing from the request but the client's own address reaches the page.
public struct MessengerTemplate: Sendable {
    public let text: String

    public init(_ text: String) { self.text = text }

    /// `[IPADDRESS]` and `[HOSTNAME]` filled in; `html` escapes the values for an HTML page.
    public func fill(address: String, hostname: String, html: Bool) -> String {
        let (a, h) = html ? (Self.escape(address), Self.escape(hostname)) : (Self.plain(address), Self.plain(hostname))
        return text.replacing("[IPADDRESS]", with: a).replacing("[HOSTNAME]", with: h)
    }

    /// The TEXT messenger's answer: csf joins the file's lines with spaces.
    public func textLine(address: String, hostname: String) -> String {
        let filled = fill(address: address, hostname: hostname, html: false)
        return filled.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ") + "\r\n"
    }

    public static func escape(_ s: String) -> String { HTMLText.escape(s) }

    /// A value on the text page: printable characters only (no terminal escapes reach the visitor's client).
    static func plain(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.filter { $0.value >= 32 && $0.value != 127 }))
    }
}
