// Chapter 01 introduces this file: the three split patterns, one matcher each.

extension SplitPattern {
  /// The end of the run of scalars in class `cls` that starts at `i`.
  @inline(__always)
  static func runEnd(_ c: [ScalarClass], from i: Int, _ cls: ScalarClass) -> Int {
    var j = i
    while j < c.count && !c[j].isDisjoint(with: cls) { j += 1 }
    return j
  }

  /// Neither whitespace, letter nor number: `[^\s\p{L}\p{N}]`.
  @inline(__always)
  static func isOther(_ c: ScalarClass) -> Bool { c.isDisjoint(with: [.space, .letter, .number]) }

  /// Whether `s[i]` equals the ASCII letter `lower`, ignoring case the way `(?i)` does
  /// (Unicode case folding also maps U+017F LONG S to "s").
  @inline(__always)
  static func letter(_ s: [Unicode.Scalar], _ i: Int, is lower: Unicode.Scalar, ignoringCase: Bool) -> Bool {
    guard i < s.count else { return false }
    let v = s[i].value
    if v == lower.value { return true }
    guard ignoringCase else { return false }
    return v == lower.value - 32 || (lower == "s" && v == 0x17F)
  }

  /// The length of a contraction `'s 't 're 've 'm 'll 'd` starting at `i` (0 if none).
  static func contraction(_ s: [Unicode.Scalar], at i: Int, ignoringCase: Bool) -> Int {
    guard i < s.count, s[i] == "'" else { return 0 }
    for single in ["s", "d", "m", "t"] as [Unicode.Scalar]
    where letter(s, i + 1, is: single, ignoringCase: ignoringCase) {
      return 2
    }
    for (a, b) in [("l", "l"), ("v", "e"), ("r", "e")] as [(Unicode.Scalar, Unicode.Scalar)]
    where letter(s, i + 1, is: a, ignoringCase: ignoringCase) && letter(s, i + 2, is: b, ignoringCase: ignoringCase) {
      return 3
    }
    return 0
  }

  /// The whitespace alternatives shared by all three patterns, for a run starting at `i`:
  /// `\s++$` (gpt2, cl100k), then `\s*[\r\n]` (cl100k, o200k), `\s+(?!\S)`, and `\s` or `\s+`.
  static func whitespacePiece(
    _ c: [ScalarClass], at i: Int, toEnd: Bool, uptoNewline: Bool, lastIsRun: Bool
  ) -> Int {
    let e = runEnd(c, from: i, .space)
    if toEnd && e == c.count { return e }  // \s++$
    if uptoNewline, let k = (i..<e).last(where: { c[$0].contains(.newline) }) { return k + 1 }  // \s*[\r\n]
    if e == c.count { return e }  // \s+(?!\S) at the end of the text
    if e - i >= 2 { return e - 1 }  // \s+(?!\S): leave the last space to the next word
    return lastIsRun ? e : i + 1  // \s+ or \s
  }

  /// `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
  static func gpt2Piece(_ s: [Unicode.Scalar], _ c: [ScalarClass], at i: Int) -> Int {
    let n = contraction(s, at: i, ignoringCase: false)
    if n > 0 { return i + n }
    let j = s[i] == " " && i + 1 < s.count ? i + 1 : i  // " ?"
    if c[j].contains(.letter) { return runEnd(c, from: j, .letter) }
    if c[j].contains(.number) { return runEnd(c, from: j, .number) }
    if isOther(c[j]) {
      var k = j
      while k < c.count && isOther(c[k]) { k += 1 }
      return k
    }
    return whitespacePiece(c, at: i, toEnd: true, uptoNewline: false, lastIsRun: false)
  }

  // ANCHOR: cl100k-piece
  /// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+`
  /// `|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
  static func cl100kPiece(_ s: [Unicode.Scalar], _ c: [ScalarClass], at i: Int) -> Int {
    let n = contraction(s, at: i, ignoringCase: true)
    if n > 0 { return i + n }
    let prefix = c[i].isDisjoint(with: [.newline, .letter, .number])  // [^\r\n\p{L}\p{N}]?+
    let j = prefix ? i + 1 : i
    if j < c.count && c[j].contains(.letter) { return runEnd(c, from: j, .letter) }
    if c[i].contains(.number) { return min(runEnd(c, from: i, .number), i + 3) }
    let k = s[i] == " " && i + 1 < s.count ? i + 1 : i  // " ?"
    if isOther(c[k]) {
      var e = k
      while e < c.count && isOther(c[e]) { e += 1 }
      return runEnd(c, from: e, .newline)
    }
    return whitespacePiece(c, at: i, toEnd: true, uptoNewline: true, lastIsRun: false)
  }
  // ANCHOR_END: cl100k-piece

  /// o200k: two letter alternatives split by case (with backtracking), digits in threes,
  /// punctuation with trailing newlines or slashes, then whitespace (see `o200kRegex`).
  static func o200kPiece(_ s: [Unicode.Scalar], _ c: [ScalarClass], at i: Int) -> Int {
    let prefix = c[i].isDisjoint(with: [.newline, .letter, .number])  // [^\r\n\p{L}\p{N}]?
    let starts = prefix && i + 1 < s.count ? [i + 1, i] : [i]
    for start in starts {  // [U]*[L]+ contraction?
      let e = runEnd(c, from: start, .upperish)
      if let j = stride(from: e, through: start, by: -1).first(where: { $0 < c.count && c[$0].contains(.lowerish) }) {
        let f = runEnd(c, from: j, .lowerish)
        return f + contraction(s, at: f, ignoringCase: true)
      }
    }
    for start in starts where c[start].contains(.upperish) {  // [U]+[L]* contraction?
      let f = runEnd(c, from: runEnd(c, from: start, .upperish), .lowerish)
      return f + contraction(s, at: f, ignoringCase: true)
    }
    if c[i].contains(.number) { return min(runEnd(c, from: i, .number), i + 3) }
    let k = s[i] == " " && i + 1 < s.count ? i + 1 : i  // " ?"
    if isOther(c[k]) {
      var e = k
      while e < c.count && isOther(c[e]) { e += 1 }
      while e < c.count && (c[e].contains(.newline) || s[e] == "/") { e += 1 }  // [\r\n/]*
      return e
    }
    return whitespacePiece(c, at: i, toEnd: false, uptoNewline: true, lastIsRun: true)
  }
}
