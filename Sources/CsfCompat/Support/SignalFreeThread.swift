#if canImport(Glibc)
import Glibc
#endif

/// A thread for a long-running loop of a daemon that reads its signals from a signalfd: it is created with every
/// signal blocked (a thread takes its creator's mask), so SIGHUP or SIGTERM never lands on it instead.
public enum SignalFreeThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `body`; nil when no thread could be had.
    public static func start(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
        var all = sigset_t(), previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Body(body))
        guard pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<Body>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, box.toOpaque()) == 0 else {
            box.release()
            return nil
        }
        return thread
    }
}
