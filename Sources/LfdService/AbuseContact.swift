#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat

/// X_ARF_ABUSE (reference §6.9): the abuse contact of an address from abusix's Abuse Contact DB, a DNS TXT record
/// at `<reversed address>.abuse-contacts.abusix.org`, asked through the system resolver as csf's `host -t TXT`.
/// The answer becomes a mail header, so only plain addresses are taken from it.
enum AbuseContact {
    static let zone = "abuse-contacts.abusix.org"

    static func lookup(_ ip: IPAddress) -> [String] {
        var answer = [UInt8](repeating: 0, count: 4096)
        let name = DnsTxt.reversed(ip) + "." + zone
        let n = answer.withUnsafeMutableBufferPointer { csys_query_txt(name, $0.baseAddress, Int32($0.count)) }
        guard n > 0 else { return [] }
        return addresses(DnsTxt.strings(Array(answer[..<Int(min(n, 4096))])))
    }

    /// The plain e-mail addresses in TXT strings (comma-separated lists allowed); anything else is dropped.
    static func addresses(_ strings: [String]) -> [String] {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.@+-_".utf8)
        var out: [String] = []
        for s in strings {
            for part in s.split(separator: ",") {
                let a = part.trimmingWhitespace()
                guard a.utf8.count <= 254, a.utf8.allSatisfy(allowed.contains), a.split(separator: "@", omittingEmptySubsequences: false).count == 2,
                      !a.hasPrefix("@"), !a.hasSuffix("@"), !out.contains(a) else { continue }
                out.append(a)
            }
        }
        return out
    }

    /// csf's note in the report, naming the source of the contact.
    static func note(_ ip: IPAddress, _ contacts: [String]) -> String {
        "Abuse Contact for \(ip): [\(contacts.joined(separator: ","))]\n\nThe Abuse Contact of this report was provided by the Abuse Contact DB by abusix.com. abusix.com does not maintain the content of the database. All information which we pass out, derives from the RIR databases and is processed for ease of use. If you want to change or report non working abuse contacts please contact the appropriate RIR. Information about the Abuse Contact Database can be found here:\nhttps://abusix.com/global-reporting/abuse-contact-db\nabusix.com is neither responsible nor liable for the content or accuracy of this message.\n"
    }
}
