import CsfCompat

/// Finds which of a set of literal strings occur in a line, in one pass over its bytes (Aho–Corasick as a
/// full transition table). The classifier runs a rule's pattern only when all of the rule's literals were
/// seen, so most log lines cost one table walk and no regex at all.
public struct LiteralMatcher: Sendable {
    public let literals: [[UInt8]]
    /// Bytes that occur in no literal share one class, so the table stays small enough for the L1/L2 caches.
    private let byteClass: [UInt8]
    private let classes: Int
    /// state offset (state * classes) + class -> next state's offset, with bit 15 set when literals end there.
    /// 16-bit entries keep the whole table in the L1/L2 cache: each byte's lookup depends on the previous one.
    /// Keeping offsets (not state numbers) takes the multiply out of the per-byte dependency chain.
    private let table: [UInt16]
    private let outputs: [UInt64]     // state * words + w: literals ending here (through failure links)
    public let words: Int

    /// Whether `literals` fit the compact table (state offsets below 32768).
    public static func fits(_ literals: [[UInt8]]) -> Bool {
        let states = literals.reduce(1) { $0 + $1.count }
        let classes = Set(literals.joined()).count + 1
        return states * classes < 0x8000
    }

    /// `literals` must satisfy `fits`.
    public init(_ literals: [[UInt8]]) {
        self.literals = literals
        words = max(1, (literals.count + 63) / 64)
        // Trie.
        var goto: [[Int32]] = [[Int32](repeating: -1, count: 256)]
        var out: [[Int]] = [[]]
        for (id, lit) in literals.enumerated() {
            var s = 0
            for b in lit {
                if goto[s][Int(b)] < 0 {
                    goto.append([Int32](repeating: -1, count: 256))
                    out.append([])
                    goto[s][Int(b)] = Int32(goto.count - 1)
                }
                s = Int(goto[s][Int(b)])
            }
            out[s].append(id)
        }
        // Failure links, breadth first, turning the trie into a DFA.
        var fail = [Int](repeating: 0, count: goto.count)
        var queue: [Int] = []
        for b in 0..<256 {
            let t = goto[0][b]
            if t < 0 { goto[0][b] = 0 } else { fail[Int(t)] = 0; queue.append(Int(t)) }
        }
        var head = 0
        while head < queue.count {
            let s = queue[head]
            head += 1
            out[s] += out[fail[s]]
            for b in 0..<256 {
                let t = goto[s][b]
                if t < 0 {
                    goto[s][b] = goto[fail[s]][b]
                } else {
                    fail[Int(t)] = Int(goto[fail[s]][b])
                    queue.append(Int(t))
                }
            }
        }
        var classOf = [UInt8](repeating: 0, count: 256)
        var next = 1
        for lit in literals {
            for b in lit where classOf[Int(b)] == 0 {
                classOf[Int(b)] = UInt8(truncatingIfNeeded: next)
                next += 1
            }
        }
        let classCount = next
        var representative = [Int](repeating: -1, count: classCount)
        for b in 0..<256 where representative[Int(classOf[b])] < 0 { representative[Int(classOf[b])] = b }
        var flat = [UInt16](repeating: 0, count: goto.count * classCount)
        for (state, row) in goto.enumerated() {
            for c in 0..<classCount {
                let next = Int(row[representative[c]])
                flat[state * classCount + c] = UInt16(truncatingIfNeeded: next * classCount) | (out[next].isEmpty ? 0 : 0x8000)
            }
        }
        byteClass = classOf
        classes = classCount
        table = flat
        var masks = [UInt64](repeating: 0, count: goto.count * words)
        for (s, ids) in out.enumerated() {
            for id in ids { masks[s * words + id / 64] |= 1 << UInt64(id % 64) }
        }
        outputs = masks
    }

    /// Bit i of word i/64 is set when literal i occurs in `line`.
    public func scan(_ line: UnsafeBufferPointer<UInt8>, into found: inout [UInt64]) {
        let words = self.words
        let classes = self.classes
        found.withUnsafeMutableBufferPointer { f in
            for w in 0..<words { f[w] = 0 }
            table.withUnsafeBufferPointer { tb in
                byteClass.withUnsafeBufferPointer { cb in
                        outputs.withUnsafeBufferPointer { ob in
                            guard let t = tb.baseAddress, let cls = cb.baseAddress, let out = ob.baseAddress,
                                  var p = line.baseAddress else { return }
                            let end = p + line.count
                            var off = 0
                            while p < end {
                                let v = t[off &+ Int(cls[Int(p.pointee)])]
                                off = Int(v & 0x7fff)
                                if v & 0x8000 != 0 {
                                    let s = off / classes
                                    for w in 0..<words { f[w] |= out[s &* words &+ w] }
                                }
                                p += 1
                            }
                        }
                }
            }
        }
    }
}
