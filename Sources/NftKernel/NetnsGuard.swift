#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// A tripwire for tests: when `NFTCSF_FORBID_NETNS` names a network namespace inode (the root one), any
/// attempt to open an nftables context or netlink socket inside that namespace is refused before a single
/// message is sent.
public enum NetnsGuard {
    public static func currentInode() -> UInt64? {
        var st = stat()
        guard stat("/proc/thread-self/ns/net", &st) == 0 || stat("/proc/self/ns/net", &st) == 0 else { return nil }
        return UInt64(st.st_ino)
    }

    public static func check() throws(CsfError) {
        guard let forbidden = Environment.value("NFTCSF_FORBID_NETNS"), let inode = UInt64(forbidden) else { return }
        if currentInode() == inode {
            throw .forbiddenNamespace("refusing to touch the firewall of a forbidden network namespace (NFTCSF_FORBID_NETNS=\(forbidden))")
        }
    }
}
