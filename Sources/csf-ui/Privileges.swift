#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// The web service never keeps root: started as root (systemd, a test), it becomes UI_RUNAS before it opens a
/// port or reads a request; started as another account, it stays that account.
enum Privileges {
    /// nil when the process now runs as `account` (or was never root); otherwise why it cannot.
    static func become(_ account: String) -> String? {
        guard geteuid() == 0 else { return nil }
        guard let uid = Accounts.uid(named: account), let gid = Accounts.primaryGroup(of: account) else {
            return "UI_RUNAS account \"\(account)\" does not exist; refusing to serve as root"
        }
        guard uid != 0 else { return "UI_RUNAS must not be root" }
        guard setgroups(0, nil) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
            return "cannot become \(account): \(String(cString: strerror(errno)))"
        }
        // Proves the change cannot be undone.
        guard setuid(0) != 0 else { return "still able to regain root after dropping to \(account)" }
        return nil
    }
}
