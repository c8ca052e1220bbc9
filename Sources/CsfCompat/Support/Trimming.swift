extension StringProtocol {
    /// The text without leading and trailing white space (Unicode's definition): the one trimming rule for
    /// settings, list fields, arguments and templates.
    package func trimmingWhitespace() -> String {
        let scalars = String(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isWhitespaceCheaply }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.isWhitespaceCheaply }) ?? first
        return String(scalars[first...last])
    }
}

extension Double {
    /// Seconds (or any measure) with two decimals, for log lines: `1.5` → `1.50`.
    public var twoDecimals: String {
        let hundredths = Int((self * 100).rounded())
        let fraction = abs(hundredths % 100)
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
