// Chapter 01 introduces this file: learning BPE merges from a corpus.

/// Trains a byte-level BPE tokenizer: start from the 256 bytes, then repeatedly merge the
/// most frequent adjacent pair into a new token.
///
/// Two ideas make it fast (a recount over the whole corpus per merge would take seconds):
/// - **Chunk de-duplication.** The split pattern cuts 1 MB of Shakespeare into 249,404
///   pieces but only 15,170 distinct ones; each distinct piece is stored once with its count.
/// - **Incremental pair counts.** Merging `(a, b)` only changes the pairs of the pieces that
///   contain it. An index from each pair to the pieces holding it finds them, their old pairs
///   are subtracted and their new pairs added, and a heap keeps the most frequent pair on top.
///
/// Ties (two pairs with the same count) go to the smaller pair `(a, b)`, comparing `a` first,
/// so training is deterministic. Example (minbpe's, from Wikipedia):
/// `"aaabdaaabac"`, 3 merges → `aa`=256, `ab`=257 (tie with `(256, a)`, smaller), `(256, 257)`=258,
/// and the text encodes as `[258, 100, 258, 97, 99]`.
public enum BPETrainer {
  /// Learns `vocabularySize - 256 - specialTokens.count` merges from `text`.
  /// Special tokens get the ids right after the last merge.
  public static func train(
    _ text: String, vocabularySize: Int, pattern: SplitPattern = .cl100k,
    specialTokens: [String] = ["<|endoftext|>"]
  ) throws(TokenizerError) -> BPETokenizer {
    let maximum = 65_536  // ids must fit the UInt16 token files of chapter 02
    guard vocabularySize >= 256 + specialTokens.count && vocabularySize <= maximum else {
      throw .vocabularySize(vocabularySize, minimum: 256 + specialTokens.count, maximum: maximum)
    }
    let wanted = vocabularySize - 256 - specialTokens.count
    // ANCHOR: train-loop
    var state = PairState(words: distinctPieces(of: text, pattern: pattern))
    var ranks = (0..<256).map { [UInt8($0)] }
    while ranks.count < 256 + wanted, let (a, b) = state.mostFrequentPair() {
      ranks.append(ranks[Int(a)] + ranks[Int(b)])
      state.merge(a, b, into: Int32(ranks.count - 1))
    }
    // ANCHOR_END: train-loop
    guard ranks.count == 256 + wanted else { throw .corpusTooSmall(merges: ranks.count - 256, wanted: wanted) }
    let specials = Dictionary(uniqueKeysWithValues: specialTokens.enumerated().map { ($1, ranks.count + $0) })
    return BPETokenizer(ranks: ranks, pattern: pattern, specialTokens: specials)
  }

  /// Every distinct piece of `text` as byte ids, with how often it occurs.
  static func distinctPieces(of text: String, pattern: SplitPattern) -> [(ids: [Int32], count: Int)] {
    let scalars = Array(text.unicodeScalars)
    let utf8 = Array(text.utf8)
    var counts: [ArraySlice<UInt8>: Int] = [:]
    var byte = 0
    pattern.split(scalars, classes: scalars.map(ScalarClass.of)) { piece in
      let start = byte
      for k in piece { byte += UTF8.width(scalars[k]) }
      counts[utf8[start..<byte], default: 0] += 1
    }
    return counts.map { ($0.key.map { Int32($0) }, $0.value) }
      .sorted { $0.ids.lexicographicallyPrecedes($1.ids) }  // a fixed order: reproducible runs
  }
}

/// Pair counts over the distinct pieces, kept up to date merge by merge.
struct PairState {
  var words: [[Int32]]
  var weights: [Int]
  var counts: [UInt64: Int] = [:]
  var wordsWithPair: [UInt64: [Int32]] = [:]
  var heap = PairHeap()
  var visited: [Int] = []

  static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

  init(words pieces: [(ids: [Int32], count: Int)]) {
    words = pieces.map(\.ids)
    weights = pieces.map(\.count)
    visited = [Int](repeating: -1, count: words.count)
    for (w, word) in words.enumerated() { add(word, weight: weights[w], index: Int32(w)) }
    for (key, count) in counts { heap.push(count, key) }
  }

  /// Counts the pairs of word `index`, `weight` times each, and indexes the word by them.
  mutating func add(_ word: [Int32], weight: Int, index: Int32) {
    guard word.count > 1 else { return }
    for i in 0..<(word.count - 1) {
      let key = Self.key(word[i], word[i + 1])
      counts[key, default: 0] += weight
      wordsWithPair[key, default: []].append(index)
    }
  }

  /// The most frequent pair still present (ties to the smaller pair), or nil.
  mutating func mostFrequentPair() -> (Int32, Int32)? {
    while let (count, key) = heap.pop() {
      if count > 0 && counts[key] == count { return (Int32(key >> 32), Int32(truncatingIfNeeded: key & 0xFFFF_FFFF)) }
    }
    return nil
  }

  // ANCHOR: incremental-merge
  /// Replaces every `a b` with `new` in the words that contain it, updating the counts.
  ///
  /// Only pairs that touch a merged `a b` change, so only they are counted again: each
  /// `a b` removes itself, the pair on its left and the one on its right (unless another
  /// `a b` starts there: that one removes it as its left), and every pair holding `new` is
  /// added. A merge then costs a scan of each word plus a few updates per `a b`, not one per
  /// pair of the word (one 600 KB run of CJK text is a single word of 200,000 pairs).
  mutating func merge(_ a: Int32, _ b: Int32, into new: Int32) {
    let mergedKey = Self.key(a, b)
    var changed: Set<UInt64> = []
    func count(_ key: UInt64, _ weight: Int) {
      counts[key, default: 0] += weight
      changed.insert(key)
    }
    for w in wordsWithPair[mergedKey] ?? [] where visited[Int(w)] != Int(new) {
      visited[Int(w)] = Int(new)
      let (old, weight) = (words[Int(w)], weights[Int(w)])
      func isMerge(_ i: Int) -> Bool { i + 1 < old.count && old[i] == a && old[i + 1] == b }
      var merged: [Int32] = []
      merged.reserveCapacity(old.count)
      var i = 0
      while i < old.count {
        guard isMerge(i) else {
          merged.append(old[i])
          i += 1
          continue
        }
        count(mergedKey, -weight)
        if i > 0 { count(Self.key(old[i - 1], a), -weight) }
        if i + 2 < old.count && !isMerge(i + 2) { count(Self.key(b, old[i + 2]), -weight) }
        merged.append(new)
        i += 2
      }
      guard merged.count < old.count else { continue }  // a stale index entry
      for i in 0..<(merged.count - 1) where merged[i] == new || merged[i + 1] == new {
        count(Self.key(merged[i], merged[i + 1]), weight)
        wordsWithPair[Self.key(merged[i], merged[i + 1]), default: []].append(w)
      }
      words[Int(w)] = merged
    }
    wordsWithPair[mergedKey] = nil
    for key in changed { heap.push(counts[key] ?? 0, key) }
  }
  // ANCHOR_END: incremental-merge
}

/// A binary max-heap of (count, pair): larger count first, then smaller pair.
struct PairHeap {
  var items: [(count: Int, key: UInt64)] = []

  static func above(_ x: (count: Int, key: UInt64), _ y: (count: Int, key: UInt64)) -> Bool {
    x.count != y.count ? x.count > y.count : x.key < y.key
  }

  mutating func push(_ count: Int, _ key: UInt64) {
    items.append((count, key))
    var i = items.count - 1
    while i > 0 && Self.above(items[i], items[(i - 1) / 2]) {
      items.swapAt(i, (i - 1) / 2)
      i = (i - 1) / 2
    }
  }

  mutating func pop() -> (Int, UInt64)? {
    guard let top = items.first else { return nil }
    items.swapAt(0, items.count - 1)
    items.removeLast()
    var i = 0
    while true {
      let (l, r) = (2 * i + 1, 2 * i + 2)
      var best = i
      if l < items.count && Self.above(items[l], items[best]) { best = l }
      if r < items.count && Self.above(items[r], items[best]) { best = r }
      if best == i { break }
      items.swapAt(i, best)
      i = best
    }
    return (top.count, top.key)
  }
}
