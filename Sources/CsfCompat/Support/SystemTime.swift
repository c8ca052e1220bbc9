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

    public static var wallSeconds: Int {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int(ts.tv_sec)
    }
}
