import CCrypto

/// A UI password as csf.conf keeps it: `$scrypt$ln=15,r=8,p=1$SALT$HASH` (base64), never the password itself.
/// scrypt makes each guess cost ~32 MiB and tens of milliseconds, so a stolen csf.conf is not a password list.
enum PasswordHash {
    static let prefix = "$scrypt$"
    static let logN = 15, blockSize = 8, parallel = 1

    static func isHash(_ text: String) -> Bool { parse(text) != nil }

    static func make(_ password: String) -> String? {
        let salt = Secrets.randomBytes(16)
        guard let key = derive(password, salt: salt, logN: logN, r: blockSize, p: parallel) else { return nil }
        return "\(prefix)ln=\(logN),r=\(blockSize),p=\(parallel)$\(Secrets.base64(salt))$\(Secrets.base64(key))"
    }

    static func verify(_ password: String, against stored: String) -> Bool {
        guard let h = parse(stored), let key = derive(password, salt: h.salt, logN: h.logN, r: h.r, p: h.p) else { return false }
        return Secrets.equal(key, h.key)
    }

    private struct Parsed { var logN: Int, r: Int, p: Int, salt: [UInt8], key: [UInt8] }

    private static func parse(_ text: String) -> Parsed? {
        guard text.hasPrefix(prefix) else { return nil }
        let parts = text.dropFirst(prefix.count).split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var params: [Substring: Int] = [:]
        for field in parts[0].split(separator: ",") {
            let kv = field.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let v = Int(kv[1]) else { return nil }
            params[kv[0]] = v
        }
        // Bounds keep a hand-edited hash from asking for gigabytes or from being trivially cheap.
        guard let ln = params["ln"], (10...20).contains(ln), let r = params["r"], (1...32).contains(r),
              let p = params["p"], (1...4).contains(p),
              let salt = Secrets.unbase64(String(parts[1])), salt.count >= 8,
              let key = Secrets.unbase64(String(parts[2])), key.count == 32 else { return nil }
        return Parsed(logN: ln, r: r, p: p, salt: salt, key: key)
    }

    private static func derive(_ password: String, salt: [UInt8], logN: Int, r: Int, p: Int) -> [UInt8]? {
        var key = [UInt8](repeating: 0, count: 32)
        let pw = Array(password.utf8)
        let n = UInt64(1) << UInt64(logN)
        let maxMemory = UInt64(r) * 128 * n * UInt64(p) + (8 << 20)
        let ok = pw.withUnsafeBufferPointer { pwp in
            pwp.withMemoryRebound(to: CChar.self) { cpw in
                EVP_PBE_scrypt(cpw.baseAddress, pw.count, salt, salt.count, n, UInt64(r), UInt64(p), maxMemory, &key, key.count)
            }
        }
        return ok == 1 ? key : nil
    }
}
