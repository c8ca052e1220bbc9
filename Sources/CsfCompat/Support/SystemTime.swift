#if canImport(Glibc)
import Glibc
#endif

/// The two clocks csf reads: monotonic seconds for timeouts, wall-clock epoch seconds for files and expiry.
public enum SystemTime {
    public static var monotonic: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The UTC calendar year and month (1-12) of a time: what monthly published files are named by.
    public static func yearAndMonth(utcSeconds: Int) -> (year: Int, month: Int) {
        var t = time_t(utcSeconds), tmv = tm()
        gmtime_r(&t, &tmv)
        return (Int(tmv.tm_year) + 1900, Int(tmv.tm_mon) + 1)
    }

    /// Wall-clock epoch seconds with their fraction: timestamps another process compares with its own.
    public static var wallTime: Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public static var wallSeconds: Int {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int(ts.tv_sec)
    }
}
