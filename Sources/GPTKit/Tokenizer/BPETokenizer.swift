// Chapter 01 introduces this file: a byte-level BPE tokenizer, compatible with tiktoken.

/// A byte-level byte-pair-encoding tokenizer: GPT-2's and GPT-4's kind.
///
/// Text becomes UTF-8 bytes; the split pattern cuts it into pieces; inside each piece,
/// adjacent tokens merge, lowest rank first, while their concatenation is a known token.
/// Ranks 0-255 are the single bytes, so any text encodes and nothing is ever unknown.
/// Special tokens such as `<|endoftext|>` have ids above every rank and are never produced
/// by merging: they enter only when explicitly allowed.
///
/// This is the algorithm of tiktoken, and with a tiktoken rank file (cl100k_base,
/// o200k_base) it produces tiktoken's ids exactly.
public struct BPETokenizer: Sendable {
  public let pattern: SplitPattern
  /// Special token text → id.
  public let specialTokens: [String: Int]
  let table: TokenTable

  /// `ranks[r]` is the byte string of rank `r`.
  public init(ranks: [[UInt8]], pattern: SplitPattern, specialTokens: [String: Int] = [:]) {
    self.table = TokenTable(tokens: ranks)
    self.pattern = pattern
    self.specialTokens = specialTokens
  }

  /// Ordinary tokens plus special tokens.
  public var vocabularySize: Int { max(table.count, (specialTokens.values.max() ?? -1) + 1) }
  /// Ranks that merging can produce (bytes and merges, no special tokens).
  public var rankCount: Int { table.count }

  /// The bytes token `id` stands for (a special token's text for special ids).
  public func bytes(of id: Int) -> [UInt8] {
    if id < table.count, !table.token(id).isEmpty { return Array(table.token(id)) }
    return Array(specialTokens.first { $0.value == id }?.key.utf8 ?? "".utf8)
  }

  /// Encodes `text`. Special token text counts as ordinary text unless listed in
  /// `allowedSpecial`; any *other* special token found in the text is an error (as in
  /// tiktoken, so that user text cannot smuggle in an `<|endoftext|>`).
  ///
  /// Special tokens are found in the UTF-8 bytes, as tiktoken's regex finds them: a
  /// combining mark right after `<|endoftext|>` belongs to the next token, although Swift's
  /// `String` would see `>` and the mark as one `Character` and find no special token at all.
  public func encode(_ text: String, allowedSpecial: Set<String> = []) throws(TokenizerError) -> [Int] {
    let utf8 = Array(text.utf8)
    for special in specialTokens.keys where !allowedSpecial.contains(special) {
      if utf8.firstRange(of: Array(special.utf8)) != nil { throw .disallowedSpecialToken(special) }
    }
    guard !allowedSpecial.isEmpty else { return encodeOrdinary(text) }
    let allowed = allowedSpecial.compactMap { s in specialTokens[s].map { (bytes: Array(s.utf8), id: $0) } }
    var out: [Int] = []
    var rest = utf8[...]
    while let (range, id) = firstSpecial(in: rest, among: allowed) {
      out += encodeOrdinary(String(decoding: rest[..<range.lowerBound], as: UTF8.self))
      out.append(id)
      rest = rest[range.upperBound...]
    }
    return out + encodeOrdinary(String(decoding: rest, as: UTF8.self))
  }

  /// The leftmost special token in `bytes` (the longest, if two start there). Special tokens
  /// are whole UTF-8 strings, so the bytes before and after one are whole scalars too.
  func firstSpecial(
    in bytes: ArraySlice<UInt8>, among allowed: [(bytes: [UInt8], id: Int)]
  ) -> (Range<Int>, Int)? {
    let found = allowed.compactMap { s in bytes.firstRange(of: s.bytes).map { ($0, s.id) } }
    return found.min { ($0.0.lowerBound, -$0.0.count) < ($1.0.lowerBound, -$1.0.count) }
  }

  /// Encodes `text` treating everything, special token text included, as ordinary text.
  public func encodeOrdinary(_ text: String) -> [Int] {
    var utf8 = Array(text.utf8)
    let scalars = Array(text.unicodeScalars)
    let classes = scalars.map(ScalarClass.of)
    var out: [Int] = []
    out.reserveCapacity(utf8.count / 3)
    var parts = MergeParts()
    utf8.withUnsafeMutableBufferPointer { bytes in
      var byte = 0  // UTF-8 offset of the current scalar
      var scalarIndex = 0
      pattern.split(scalars, classes: classes) { piece in
        let start = byte
        while scalarIndex < piece.upperBound {
          byte += UTF8.width(scalars[scalarIndex])
          scalarIndex += 1
        }
        encodePiece(bytes.baseAddress! + start, byte - start, into: &out, parts: &parts)
      }
    }
    return out
  }

  /// One piece: a whole-token shortcut, else merge by rank.
  @inline(__always)
  func encodePiece(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [Int], parts: inout MergeParts) {
    let whole = table.rank(p, n)
    if whole >= 0 {
      out.append(Int(whole))
      return
    }
    if n > MergeParts.longPiece { parts.mergeLong(p, n, table: table) } else { parts.merge(p, n, table: table) }
    for i in 0..<(parts.count - 1) {
      out.append(Int(table.rank(p + parts.start[i], parts.start[i + 1] - parts.start[i])))
    }
  }

  /// The bytes of a token sequence.
  public func decodeBytes(_ tokens: [Int]) -> [UInt8] {
    var out: [UInt8] = []
    for id in tokens { out += bytes(of: id) }
    return out
  }

  /// The text of a token sequence; byte sequences that are not valid UTF-8 (a token can end
  /// in the middle of a character) become U+FFFD, as in tiktoken's `decode`.
  public func decode(_ tokens: [Int]) -> String {
    String(decoding: decodeBytes(tokens), as: UTF8.self)
  }
}

/// The working state of one piece's merges: boundaries and the rank of merging each
/// boundary with the next. Reused across pieces so encoding does not allocate.
struct MergeParts {
  var start: [Int] = []
  var rank: [Int32] = []
  var count: Int { start.count }

  // ANCHOR: byte-pair-merge
  /// tiktoken's `byte_pair_merge`: repeatedly merge the adjacent pair of lowest rank.
  mutating func merge(_ p: UnsafePointer<UInt8>, _ n: Int, table: TokenTable) {
    start.removeAll(keepingCapacity: true)
    rank.removeAll(keepingCapacity: true)
    for i in 0...n { start.append(i) }
    for i in 0...n {
      let r = i + 2 <= n ? table.rank(p + i, 2) : -1
      rank.append(r < 0 ? Int32.max : r)
    }
    while true {
      var best = Int32.max
      var at = -1
      for i in 0..<(count - 1) where rank[i] < best {
        best = rank[i]
        at = i
      }
      if at < 0 { break }
      // merging boundary `at` with `at + 1`: the spans on either side change their ranks
      rank[at] = pairRank(p, at, table)
      if at > 0 { rank[at - 1] = pairRank(p, at - 1, table) }
      start.remove(at: at + 1)
      rank.remove(at: at + 1)
    }
  }
  // ANCHOR_END: byte-pair-merge

  /// Pieces longer than this (in bytes) are merged by `mergeLong`.
  static let longPiece = 256

  /// `merge` for long pieces, with the same result in O(n log n) instead of O(n²): a 600 KB
  /// run of CJK text without punctuation is one piece. The parts are a linked list and the
  /// lowest (rank, start) pair comes off a min-heap: the same lowest rank, and on a tie the
  /// same leftmost pair, as `merge`'s scan. Entries left behind by a merge are skipped when
  /// their rank is no longer their part's.
  mutating func mergeLong(_ p: UnsafePointer<UInt8>, _ n: Int, table: TokenTable) {
    var next = Array(1...(n + 1))  // parts are named by their start; part n is the end
    var previous = Array(-1..<n)
    var alive = [Bool](repeating: true, count: n + 1)
    var rankOf = [Int32](repeating: .max, count: n + 1)
    var heap = MinHeap()
    func update(_ i: Int) {  // the rank of joining part i with the next one
      let j = next[i]
      guard j < n else {
        rankOf[i] = .max
        return
      }
      let r = table.rank(p + i, next[j] - i)
      rankOf[i] = r < 0 ? .max : r
      if r >= 0 { heap.push(UInt64(r) << 32 | UInt64(i)) }
    }
    for i in 0..<n { update(i) }
    while let top = heap.pop() {
      let (r, i) = (Int32(top >> 32), Int(top & 0xFFFF_FFFF))
      guard alive[i], rankOf[i] == r else { continue }  // a stale entry
      let j = next[i]  // part j joins part i
      alive[j] = false
      next[i] = next[j]
      previous[next[j]] = i
      update(i)
      if previous[i] >= 0 { update(previous[i]) }
    }
    start.removeAll(keepingCapacity: true)
    var i = 0
    while i <= n {
      start.append(i)
      i = next[i]
    }
  }

  /// The rank of joining the part at `i` with the next one (after the pending removal).
  @inline(__always)
  func pairRank(_ p: UnsafePointer<UInt8>, _ i: Int, _ table: TokenTable) -> Int32 {
    guard i + 3 < count else { return Int32.max }
    let r = table.rank(p + start[i], start[i + 3] - start[i])
    return r < 0 ? Int32.max : r
  }
}

/// A binary min-heap of packed `(rank << 32 | start)` keys, for `MergeParts.mergeLong`.
struct MinHeap {
  var items: [UInt64] = []

  mutating func push(_ key: UInt64) {
    items.append(key)
    var i = items.count - 1
    while i > 0 && items[i] < items[(i - 1) / 2] {
      items.swapAt(i, (i - 1) / 2)
      i = (i - 1) / 2
    }
  }

  mutating func pop() -> UInt64? {
    guard let top = items.first else { return nil }
    items.swapAt(0, items.count - 1)
    items.removeLast()
    var i = 0
    while true {
      let (l, r) = (2 * i + 1, 2 * i + 2)
      var least = i
      if l < items.count && items[l] < items[least] { least = l }
      if r < items.count && items[r] < items[least] { least = r }
      if least == i { break }
      items.swapAt(i, least)
      i = least
    }
    return top
  }
}

extension BPETokenizer {
  /// How token listings show token `id`: its text, with whitespace and control characters
  /// escaped (`\n`, `\t`), and each byte that is not part of a whole UTF-8 character in the
  /// token as `<0xE2>`. A byte-level BPE has such tokens: "’" is the three bytes E2 80 99,
  /// and a token may hold only the first of them.
  public func display(_ id: Int) -> String { Self.display(bytes: bytes(of: id)) }

  /// `display` for raw bytes. `display(bytes: [0x20, 0xE2])` is `" <0xE2>"`.
  public static func display(bytes: [UInt8]) -> String {
    var out = ""
    var i = 0
    while i < bytes.count {
      let lead = bytes[i]
      let width = lead < 0x80 ? 1 : lead >> 5 == 0b110 ? 2 : lead >> 4 == 0b1110 ? 3 : lead >> 3 == 0b11110 ? 4 : 0
      let end = i + width
      if width > 0, end <= bytes.count,
        let scalar = String(validating: bytes[i..<end], as: UTF8.self)?.unicodeScalars.first
      {
        out += escaped(scalar)
        i = end
      } else {
        out += "<0x\(lead < 0x10 ? "0" : "")\(String(lead, radix: 16, uppercase: true))>"
        i += 1
      }
    }
    return out
  }

  static func escaped(_ scalar: Unicode.Scalar) -> String {
    switch scalar {
    case "\n": return "\\n"
    case "\t": return "\\t"
    case "\r": return "\\r"
    case "\\": return "\\\\"
    default:
      // Controls, and marks or joiners that would draw onto the bracket before them.
      let invisible: Set<Unicode.GeneralCategory> = [.control, .format, .nonspacingMark, .enclosingMark]
      return invisible.contains(scalar.properties.generalCategory)
        ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
    }
  }
}
