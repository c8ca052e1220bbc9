#if canImport(Glibc)
import Glibc
#endif
import CCrypto
import CsfCompat

/// The UI's TLS identity: UI_CERT/UI_KEY when set, else /etc/csf/ui/server.crt and server.key (csf's own
/// files), generated on first start as a self-signed P-256 certificate whose SHA-256 fingerprint is printed so
/// the admin can check what the browser shows.
struct UICertificate {
    var certificatePEM: [UInt8]
    var keyPEM: [UInt8]
    var fingerprint: String
    var generated: Bool

    static func loadOrCreate(certPath: String, keyPath: String, commonName: String) throws(CsfError) -> UICertificate {
        let haveCert = TextFile.exists(certPath), haveKey = TextFile.exists(keyPath)
        if haveCert || haveKey {
            guard haveCert && haveKey else {
                throw .refused("csf-ui: \(haveCert ? keyPath : certPath) is missing (the certificate and its key go together)")
            }
            let cert = try TextFile.readBytes(certPath), key = try TextFile.readBytes(keyPath)
            guard let fingerprint = fingerprint(ofPEM: cert) else {
                throw .refused("csf-ui: \(certPath) holds no PEM certificate")
            }
            return UICertificate(certificatePEM: cert, keyPEM: key, fingerprint: fingerprint, generated: false)
        }
        guard let made = selfSigned(commonName: commonName) else {
            throw .refused("csf-ui: cannot generate a self-signed certificate (libcrypto failed)")
        }
        try FileSystem.makeDirectories(FileSystem.dirname(keyPath))
        try FileSystem.writeAtomically(keyPath, bytes: made.keyPEM, mode: 0o600)
        try FileSystem.writeAtomically(certPath, bytes: made.certificatePEM, mode: 0o644)
        return made
    }

    static func selfSigned(commonName: String) -> UICertificate? {
        guard let key = ccrypto_p256_key() else { return nil }
        defer { EVP_PKEY_free(key) }
        guard let x509 = X509_new() else { return nil }
        defer { X509_free(x509) }
        let serial = Secrets.randomBytes(8).reduce(0) { ($0 << 8) | Int($1) } & Int(Int32.max)
        guard X509_set_version(x509, 2) == 1, ASN1_INTEGER_set(X509_get_serialNumber(x509), serial) == 1,
              X509_gmtime_adj(X509_getm_notBefore(x509), -3600) != nil,
              X509_gmtime_adj(X509_getm_notAfter(x509), 825 * 86_400) != nil,
              X509_set_pubkey(x509, key) == 1, let name = X509_get_subject_name(x509) else { return nil }
        let cn = commonName.isEmpty ? "nftcsf" : String(commonName.prefix(64))
        guard X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1,
              X509_set_issuer_name(x509, name) == 1, X509_sign(x509, key, EVP_sha256()) > 0,
              let certPEM = pem({ PEM_write_bio_X509($0, x509) }),
              let keyPEM = pem({ PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }),
              let fingerprint = fingerprint(of: x509) else { return nil }
        return UICertificate(certificatePEM: certPEM, keyPEM: keyPEM, fingerprint: fingerprint, generated: true)
    }

    private static func pem(_ write: (OpaquePointer?) -> Int32) -> [UInt8]? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { return nil }
        var data: UnsafeMutablePointer<CChar>? = nil
        let n = ccrypto_bio_data(bio, &data)
        guard n > 0, let data else { return nil }
        return data.withMemoryRebound(to: UInt8.self, capacity: n) { Array(UnsafeBufferPointer(start: $0, count: n)) }
    }

    static func fingerprint(ofPEM pem: [UInt8]) -> String? {
        guard let bio = BIO_new_mem_buf(pem, Int32(pem.count)) else { return nil }
        defer { BIO_free(bio) }
        guard let x509 = PEM_read_bio_X509(bio, nil, nil, nil) else { return nil }
        defer { X509_free(x509) }
        return fingerprint(of: x509)
    }

    /// `AB:CD:…`, the way browsers and `openssl x509 -fingerprint -sha256` print it.
    private static func fingerprint(of x509: OpaquePointer) -> String? {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard X509_digest(x509, EVP_sha256(), &digest, &length) == 1, length == 32 else { return nil }
        return digest.map { Secrets.hex([$0]).uppercased() }.joined(separator: ":")
    }
}
