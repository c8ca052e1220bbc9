extension StringProtocol {
    /// The text without leading and trailing white space (Unicode's definition): the one trimming rule for
    /// settings, list fields, arguments and templates.
    package func trimmingWhitespace() -> String {
        let scalars = String(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) ?? first
        return String(scalars[first...last])
    }
}
