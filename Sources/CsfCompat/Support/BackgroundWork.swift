#if canImport(Glibc)
import Glibc
#endif

/// One piece of work on a thread of its own while the caller does another (a CLI on two cores: the kernel
/// filling a set while csf computes what it records about it). `wait()` joins the thread and gives the result.
public final class BackgroundWork<T: Sendable> {
    private let job: Job<T>
    private var thread: pthread_t?

    public init(_ body: @escaping @Sendable () -> T) {
        job = Job(body)
        var t = pthread_t()
        let arg = Unmanaged<Runnable>.passRetained(job).toOpaque()
        if pthread_create(&t, nil, { arg in
            guard let arg else { return nil }
            Unmanaged<Runnable>.fromOpaque(arg).takeRetainedValue().run()
            return nil
        }, arg) == 0 {
            thread = t
        } else {
            // No thread to be had: the work runs now, on the caller's.
            Unmanaged<Runnable>.fromOpaque(arg).release()
            job.run()
        }
    }

    /// A job left unwaited (its caller failed) still ends before its thread's resources go.
    deinit {
        if let thread { pthread_join(thread, nil) }
    }

    public func wait() -> T {
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
        // Set by the thread before it ended; the join orders that write before this read.
        if let result = job.result { return result }
        job.run()
        return job.result ?? job.body()
    }
}

/// The thread's entry point sees only this (a C function cannot capture the generic result type).
private class Runnable: @unchecked Sendable {
    func run() {}
}

private final class Job<T: Sendable>: Runnable, @unchecked Sendable {
    let body: @Sendable () -> T
    var result: T?
    init(_ body: @escaping @Sendable () -> T) { self.body = body }
    override func run() { result = body() }
}
