import CsfCompat

extension TempRequest {
    /// A mistake in a command's arguments (a usage error: exit code 2).
    public struct ArgumentError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    /// `ip ttl [-p ports] [-d dir] [comment]`. As in csf, a missing TTL (the options follow the address directly)
    /// means 3600 seconds; anything else that is not a TTL is refused rather than guessed at.
    public static func parse(_ words: [String], option: String) throws(ArgumentError) -> TempRequest {
        guard let ip = words.first, !ip.isEmpty else { throw ArgumentError(message: "csf: No IP specified") }
        var rest = Array(words.dropFirst())
        var ttl = 3600
        if let t = rest.first, t != "-p", t != "-d" {
            guard let seconds = TempTTL.parse(t) else {
                throw ArgumentError(message: "csf: invalid TTL '\(t)': use seconds, or a number with m, h or d (e.g. 3600, 30m, 2h, 1d)")
            }
            ttl = seconds
            rest.removeFirst()
        } else if rest.isEmpty {
            throw ArgumentError(message: "csf: missing TTL: csf \(option) IP TTL [-p ports] [-d in|out|inout] [comment]")
        }
        var request = TempRequest(target: ip, ttl: ttl)
        var comment: [String] = []
        var i = 0
        while i < rest.count {
            switch rest[i] {
            case "-p":
                // An empty list would mean every port: that takes an explicit '*' (or no -p at all).
                guard i + 1 < rest.count, !rest[i + 1].trimmingWhitespace().isEmpty else {
                    throw ArgumentError(message: "csf: -p needs a port list (e.g. 22 or 22,53;udp); leave -p out or give '*' for every port")
                }
                do { request.ports = try TempEntry.parsePorts(rest[i + 1]) } catch {
                    throw ArgumentError(message: "csf: \(error) in port list '\(rest[i + 1])'")
                }
                i += 2
            case "-d":
                guard i + 1 < rest.count, let d = TempEntry.Direction(rawValue: rest[i + 1]) else {
                    throw ArgumentError(message: "csf: -d needs a direction: in, out or inout")
                }
                request.direction = d
                i += 2
            default:
                comment.append(rest[i])
                i += 1
            }
        }
        let text = comment.joined(separator: " ").trimmingWhitespace()
        request.comment = text.isEmpty ? nil : text
        return request
    }
}
