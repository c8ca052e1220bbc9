#if canImport(Glibc)
import Glibc
#endif

/// Small output helpers shared by the csf and lfd commands: stderr lines and a dependency-free JSON writer.
public enum Output {
    public static func err(_ line: String) {
        let text = line + "\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
    }

    public static func raw(_ text: String) {
        print(text, terminator: "")
    }

    public static func diagnostic(_ d: Diagnostic) -> [String: Any] {
        ["file": d.file, "line": d.line, "message": d.message, "severity": d.severity.rawValue]
    }

    /// A small JSON writer for dictionaries of strings, numbers, booleans, arrays and nested dictionaries.
    public static func json(_ object: [String: Any]) {
        print(encode(object))
    }

    public static func encode(_ value: Any) -> String {
        switch value {
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let i as Int32: return String(i)
        case let s as String: return quote(s)
        case let a as [Any]: return "[" + a.map(encode).joined(separator: ", ") + "]"
        case let d as [String: Any]:
            return "{" + d.keys.sorted().map { "\(quote($0)): \(encode(d[$0] as Any))" }.joined(separator: ", ") + "}"
        case Optional<Any>.none: return "null"
        case let o as Optional<Any>:
            if case .some(let inner) = o { return encode(inner) }
            return "null"
        default: return quote("\(value)")
        }
    }

    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
