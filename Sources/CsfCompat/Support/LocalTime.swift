#if canImport(Glibc)
import Glibc
#endif

/// Local-time stamps in the shapes csf writes (syslog `Jan  5 09:05:03`, ctime, RFC 822-ish with zone).
public enum LocalTime {
    public static let syslog = "%b %e %H:%M:%S"
    public static let ctime = "%a %b %e %H:%M:%S %Y"
    public static let mail = "%a %b %e %H:%M:%S %Y %z"

    public static func format(_ epoch: Int, _ pattern: String) -> String {
        var t = time_t(epoch)
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, pattern, &tmv)
        return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The local hour (0–23) and day of the month (1–31).
    public static func components(_ epoch: Int) -> (hour: Int, day: Int) {
        var t = time_t(epoch)
        var tmv = tm()
        localtime_r(&t, &tmv)
        return (Int(tmv.tm_hour), Int(tmv.tm_mday))
    }
}
