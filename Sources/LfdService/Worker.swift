#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CSys
import Synchronization

/// A thread of its own for work that may block — waiting for csf's lock, SMTP and sendmail, DNS — fed through a
/// bounded queue, so the thread that reads logs never waits on it. Jobs run one at a time, in order.
final class Worker: @unchecked Sendable {
    // Allocated, not stored inline: a pthread object must never move, and `&storedProperty` may pass a copy.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var stopping = false
    private var busy = false
    private var thread: pthread_t?
    let name: String
    let capacity: Int

    init(name: String, capacity: Int) {
        self.name = name
        self.capacity = capacity
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        thread = SignalFreeThread.start { [self] in loop() }
    }

    /// Queues a job; false when the queue is full (the caller decides what giving up means).
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard !stopping, jobs.count - head < capacity else { return false }
        jobs.append(job)
        pthread_cond_signal(condition)
        return true
    }

    /// Jobs waiting or running.
    var pending: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return jobs.count - head + (busy ? 1 : 0)
    }

    /// Stops taking jobs and waits up to `seconds` for the queued ones; a job still blocked then is abandoned
    /// with the process.
    func shutdown(waitingUpTo seconds: Double) {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
        let deadline = SystemTime.monotonic + seconds
        while pending > 0 && SystemTime.monotonic < deadline { usleep(10_000) }
    }

    private func loop() {
        while true {
            pthread_mutex_lock(mutex)
            while head == jobs.count && !stopping { pthread_cond_wait(condition, mutex) }
            if head == jobs.count {
                pthread_mutex_unlock(mutex)
                return
            }
            let job = jobs[head]
            head += 1
            if head > 1024 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            busy = true
            pthread_mutex_unlock(mutex)
            job()
            pthread_mutex_lock(mutex)
            busy = false
            pthread_mutex_unlock(mutex)
        }
    }
}

/// Results of jobs, handed back to the event loop: queued under a lock and announced on an eventfd the loop
/// polls, so the loop wakes at once and applies them on its own thread.
final class Mailbox<Message: Sendable>: Sendable {
    private let messages = Mutex<[Message]>([])
    let fd: Int32

    init() {
        fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    deinit { if fd >= 0 { close(fd) } }

    func post(_ message: Message) {
        messages.withLock { $0.append(message) }
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
    }

    func drain() -> [Message] {
        var count: UInt64 = 0
        _ = read(fd, &count, 8)
        return messages.withLock { queued in
            defer { queued.removeAll(keepingCapacity: true) }
            return queued
        }
    }
}
