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
    guard ranks.count >= 256, ranks.contains(where: { !$0.isEmpty }) else {
      throw .corruptFile(path: path, line: lineNumber, reason: "too few tokens (a byte-level BPE has at least 256)")
    }
    var pattern = pattern
    var specialTokens = specialTokens
    if let json = FileManager.default.contents(atPath: sidecarURL(path).path) {
      guard let sidecar = try? JSONDecoder().decode(Sidecar.self, from: json) else {
        throw .corruptFile(path: sidecarURL(path).path, line: 1, reason: "not a tokenizer sidecar")
      }
      pattern = sidecar.pattern
      specialTokens = sidecar.special_tokens
    }
    return BPETokenizer(ranks: ranks, pattern: pattern, specialTokens: specialTokens)
  }

  static func sidecarURL(_ path: String) -> URL {
    URL(fileURLWithPath: path).deletingPathExtension().appendingPathExtension("json")
  }
}
