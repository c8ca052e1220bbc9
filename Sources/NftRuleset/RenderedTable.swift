/// A compiled table and the nft script that replaces the running one with it in one transaction.
public struct RenderedTable: Sendable {
    public let table: NftTable
    public let script: String

    public init(_ table: NftTable) throws(NftRenderer.RenderError) {
        self.table = table
        self.script = try NftRenderer.replaceScript(table)
    }

    /// How many list and temporary entries the table loads.
    public var elementCount: Int { table.sets.reduce(0) { $0 + $1.elements.count } }
}
