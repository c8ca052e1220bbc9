#if canImport(Glibc)
import Glibc
#endif

/// User and group names as the owner matches need them (SMTP_ALLOWUSER, UDPFLOOD_ALLOWUSER, `u=`/`g=` filters).
/// nft would resolve names itself, but a failure there aborts the whole transaction, so names are resolved
/// and checked first. A protocol so the policy can be built without reading the host's account database.
public protocol AccountDirectory: Sendable {
    func uid(named name: String) -> UInt32?
    func gid(named name: String) -> UInt32?
}

/// The host's accounts (`getpwnam_r`/`getgrnam_r`).
public struct SystemAccounts: AccountDirectory {
    public init() {}
    public func uid(named name: String) -> UInt32? { Accounts.uid(named: name) }
    public func gid(named name: String) -> UInt32? { Accounts.gid(named: name) }
}

public enum Accounts {
    public static func uid(named name: String) -> UInt32? {
        account(name) { $0.pw_uid }
    }

    /// The account's login group (its passwd entry's gid); nil when there is no such account.
    public static func primaryGroup(of name: String) -> UInt32? {
        account(name) { $0.pw_gid }
    }

    /// getpwnam_r, never getpwnam: lfd's threads look names up at the same time, and getpwnam's one static entry
    /// could be overwritten between the call and the read (the messenger once read 'nobody' as missing or root).
    private static func account<T>(_ name: String, _ read: (passwd) -> T) -> T? {
        guard isPlausibleName(name) else { return nil }
        return withEntryBuffer { buffer -> T?? in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            guard let base = buffer.baseAddress else { return .some(nil) }
            let rc = getpwnam_r(name, &entry, base, buffer.count, &result)
            if rc == ERANGE { return nil }
            return .some(rc == 0 && result != nil ? read(entry) : nil)
        }
    }

    private static func groupEntry<T>(_ name: String, _ read: (group) -> T) -> T? {
        guard isPlausibleName(name) else { return nil }
        return withEntryBuffer { buffer -> T?? in
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            guard let base = buffer.baseAddress else { return .some(nil) }
            let rc = getgrnam_r(name, &entry, base, buffer.count, &result)
            if rc == ERANGE { return nil }
            return .some(rc == 0 && result != nil ? read(entry) : nil)
        }
    }

    /// Runs `body` with a buffer for an account entry, four times larger while it answers nil (ERANGE).
    private static func withEntryBuffer<T>(_ body: (UnsafeMutableBufferPointer<CChar>) -> T??) -> T? {
        var size = 16_384
        while size <= 1 << 22 {
            var buffer = [CChar](repeating: 0, count: size)
            if let answer = buffer.withUnsafeMutableBufferPointer({ body($0) }) { return answer }
            size *= 4
        }
        return nil
    }

    /// Reentrant: lfd's watch threads ask at the same time.
    public static func name(ofUID uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else { return nil }
        return String(cString: name)
    }

    public static func name(ofGID gid: UInt32) -> String? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.gr_name else { return nil }
        return String(cString: name)
    }

    /// The group's listed members (its /etc/group line), empty when there is no such group.
    public static func members(ofGroup name: String) -> [String] {
        groupEntry(name) { gr -> [String] in
            guard var member = gr.gr_mem else { return [] }
            var out: [String] = []
            while let name = member.pointee {
                out.append(String(cString: name))
                member += 1
            }
            return out
        } ?? []
    }

    public static func gid(named name: String) -> UInt32? {
        groupEntry(name) { $0.gr_gid }
    }

    static func isPlausibleName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 32 && name.utf8.allSatisfy { b in
            (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 95 || b == 45 || b == 46
        }
    }
}
