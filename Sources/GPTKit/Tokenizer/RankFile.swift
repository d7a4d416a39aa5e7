// Chapter 01 introduces this file: saving and loading tokenizers in tiktoken's format.

import Foundation

/// Tokenizers on disk, in the format tiktoken reads: a rank file plus a small JSON sidecar.
///
/// ```
/// shakespeare-512.tiktoken    one line per token: base64(token bytes), a space, its rank
///     IA== 32
///     IHRo 256
/// shakespeare-512.json        {"pattern":"cl100k","pat_str":"'(?i:[sdmt]...","special_tokens":{"<|endoftext|>":511}}
/// ```
/// Python loads the pair with `tiktoken.Encoding(name, pat_str=..., mergeable_ranks=
/// tiktoken.load.load_tiktoken_bpe(path), special_tokens=...)` and encodes identically.
/// Real rank files such as `cl100k_base.tiktoken` load the same way, without a sidecar.
public enum RankFile {
  struct Sidecar: Codable {
    var pattern: SplitPattern
    var pat_str: String
    var special_tokens: [String: Int]
  }

  /// Writes `tokenizer` as `path` (the rank file) and `path` with `.json` (the sidecar),
  /// each atomically (a temporary file renamed into place), so a kill never leaves half a file.
  public static func save(_ tokenizer: BPETokenizer, to path: String) throws {
    var lines = ""
    lines.reserveCapacity(tokenizer.rankCount * 12)
    for rank in 0..<tokenizer.rankCount where !tokenizer.table.token(rank).isEmpty {  // a gap: a special id
      lines += Data(tokenizer.table.token(rank)).base64EncodedString() + " \(rank)\n"
    }
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(lines.utf8).write(to: url, options: .atomic)
    let sidecar = Sidecar(
      pattern: tokenizer.pattern, pat_str: tokenizer.pattern.regex, special_tokens: tokenizer.specialTokens)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    try encoder.encode(sidecar).write(to: sidecarURL(path), options: .atomic)
  }

  /// Loads a rank file. The pattern and special tokens come from its sidecar when there is
  /// one, else from the arguments (for tiktoken's own files).
  public static func load(
    _ path: String, pattern: SplitPattern = .cl100k, specialTokens: [String: Int] = [:]
  ) throws(TokenizerError) -> BPETokenizer {
    guard let data = FileManager.default.contents(atPath: path) else { throw .missingFile(path) }
    var ranks: [[UInt8]] = []
    var lineNumber = 0
    for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      lineNumber += 1
      if line.isEmpty { continue }
      let fields = line.split(separator: UInt8(ascii: " "))
      guard fields.count == 2, let token = Data(base64Encoded: Data(fields[0])), !token.isEmpty,
        let rank = Int(String(decoding: fields[1], as: UTF8.self)), rank >= 0, rank < 1 << 22
      else { throw .corruptFile(path: path, line: lineNumber, reason: "expected 'base64 rank'") }
      if rank >= ranks.count { ranks += [[UInt8]](repeating: [], count: rank + 1 - ranks.count) }
      guard ranks[rank].isEmpty else {
        throw .corruptFile(path: path, line: lineNumber, reason: "rank \(rank) appears twice")
      }
      ranks[rank] = Array(token)
    }
    guard data.last == UInt8(ascii: "\n") else {
      throw .corruptFile(path: path, line: lineNumber, reason: "the last line is cut short (the file is truncated)")
    }
    if let problem = problem(ranks) { throw .corruptFile(path: path, line: lineNumber, reason: problem) }
    var pattern = pattern
    var specialTokens = specialTokens
    if let json = FileManager.default.contents(atPath: sidecarURL(path).path) {
      guard let sidecar = try? JSONDecoder().decode(Sidecar.self, from: json) else {
        throw .corruptFile(path: sidecarURL(path).path, line: 1, reason: "not a tokenizer sidecar")
      }
      pattern = sidecar.pattern
      specialTokens = sidecar.special_tokens
      // Ours: the special tokens follow the ranks. One past a shorter file means lost ranks.
      guard Set(specialTokens.values) == Set(ranks.count..<(ranks.count + specialTokens.count)) else {
        throw .corruptFile(
          path: path, line: lineNumber,
          reason: "its \(ranks.count) ranks do not end where the special tokens \(specialTokens) begin "
            + "(the file is truncated, or the sidecar is another tokenizer's)")
      }
    }
    return BPETokenizer(ranks: ranks, pattern: pattern, specialTokens: specialTokens)
  }

  /// What makes `ranks` something other than a byte-level BPE, or nil: a rank missing from
  /// 0..<count, the same bytes at two ranks, or a byte with no token of its own.
  static func problem(_ ranks: [[UInt8]]) -> String? {
    if let gap = ranks.firstIndex(where: \.isEmpty) {
      return "rank \(gap) is missing (ranks run from 0 without a gap)"
    }
    var seen: [[UInt8]: Int] = [:]
    for (rank, token) in ranks.enumerated() {
      if let first = seen.updateValue(rank, forKey: token) { return "ranks \(first) and \(rank) are the same bytes" }
    }
    if let byte = (0...255).first(where: { seen[[UInt8($0)]] == nil }) {
      return "byte \(byte) has no token (a byte-level BPE has one for each of the 256)"
    }
    return nil
  }

  static func sidecarURL(_ path: String) -> URL {
    URL(fileURLWithPath: path).deletingPathExtension().appendingPathExtension("json")
  }
}
