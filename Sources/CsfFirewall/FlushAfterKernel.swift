#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// A list edit whose bytes are written to the file but not flushed yet (an appended line, lines blanked in place):
/// the kernel takes the change first, then the file is flushed. A ban is enforced without waiting for the disk,
/// which can sit tens of milliseconds behind another process's writeback (lfd saving a blocklist's cached copy),
/// and the command still returns only once its line is durable. Every other process reads the line before the
/// kernel changes, as before; only a power loss can lose it, and that takes the kernel's state with it.
enum FlushAfterKernel {
    /// `undoFile` puts the file back if the kernel refuses; `undoBoth` takes the change back from kernel and file
    /// if the disk refuses the flush, so a failed command still changes nothing.
    static func run(_ path: String, kernel: () throws(CsfError) -> KernelOutcome, undoFile: () -> Void,
                    undoBoth: () -> Void) throws(CsfError) -> KernelOutcome {
        let outcome: KernelOutcome
        do {
            outcome = try kernel()
            traceLanded()
        } catch {
            undoFile()
            throw error
        }
        do {
            try flush(path)
        } catch {
            undoBoth()
            throw error
        }
        return outcome
    }

    /// The flush; a test can make it fail as a dying disk does (EIO).
    static func flush(_ path: String) throws(CsfError) {
        if Environment.value("NFTCSF_TEST_FAIL_FLUSH") == "1" { throw .system(path, EIO) }
        try FileSystem.flush(path)
    }

    /// For the benchmarks (bench/lists_bench.py): the wall-clock moment the kernel took the change, which is when
    /// a ban is enforced, apart from the flush that follows. `NFTCSF_TRACE_LANDED=1` writes it to stderr.
    static func traceLanded() {
        guard Environment.value("NFTCSF_TRACE_LANDED") == "1" else { return }
        Output.err("nftcsf: landed \(SystemTime.wallTime)")
    }
}
