// Chapter 02 introduces this file: the token stream, cached on disk.

import Foundation

/// A corpus encoded once and stored as a compact binary file, so later chapters load it in
/// milliseconds instead of tokenizing again.
///
/// Layout (little-endian): the 8-byte magic `GPTTOKS1`, the element width in bytes (2 when
/// every id fits a `UInt16`, else 4) as a `UInt32`, the token count as a `UInt64`, then the
/// ids. The file name carries fingerprints of the corpus and the tokenizer, so changing
/// either one makes a new file instead of silently reusing a stale one.
public enum TokenFile {
  static let magic = Array("GPTTOKS1".utf8)

  /// Where the token stream of `corpusText` under `tokenizer` is cached.
  public static func path(corpusPath: String, corpusText: String, tokenizer: TextTokenizer) -> String {
    let name = URL(fileURLWithPath: corpusPath).deletingPathExtension().lastPathComponent
    return "runs/tokens/\(name)-\(TokenizerStore.fingerprint(corpusText))-\(tokenizer.identity).bin"
  }

  /// The token stream: read from the cache, or encoded and cached. `cached` says which.
  public static func tokens(
    corpusPath: String, corpusText: String, tokenizer: TextTokenizer
  ) throws -> (tokens: [Int32], cached: Bool) {
    let file = path(corpusPath: corpusPath, corpusText: corpusText, tokenizer: tokenizer)
    if let tokens = try? read(file) { return (tokens, true) }
    let tokens = try tokenizer.encodeText(corpusText).map(Int32.init)
    do { try write(tokens, to: file, vocabularySize: tokenizer.vocabularySize) } catch {
      throw FileWriteError(file, error)
    }
    return (tokens, false)
  }

  /// Writes ids with the narrowest element that holds `vocabularySize`, atomically.
  public static func write(_ tokens: [Int32], to path: String, vocabularySize: Int) throws {
    let width = vocabularySize <= 65_536 ? 2 : 4
    var data = Data(magic)
    withUnsafeBytes(of: UInt32(width).littleEndian) { data.append(contentsOf: $0) }
    withUnsafeBytes(of: UInt64(tokens.count).littleEndian) { data.append(contentsOf: $0) }
    if width == 2 {
      tokens.map { UInt16(truncatingIfNeeded: $0).littleEndian }.withUnsafeBytes { data.append(contentsOf: $0) }
    } else {
      tokens.map { UInt32(bitPattern: $0).littleEndian }.withUnsafeBytes { data.append(contentsOf: $0) }
    }
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url, options: .atomic)
  }

  /// Reads a token file; throws `corruptFile` for a wrong magic, width or length.
  public static func read(_ path: String) throws(TokenizerError) -> [Int32] {
    guard let data = FileManager.default.contents(atPath: path) else { throw .missingFile(path) }
    let bytes = [UInt8](data)
    guard bytes.count >= 20, Array(bytes[0..<8]) == magic else {
      throw .corruptFile(path: path, line: 1, reason: "not a token file (bad header)")
    }
    let width = bytes[8..<12].reversed().reduce(0) { $0 << 8 | Int($1) }
    let count = bytes[12..<20].reversed().reduce(0) { $0 << 8 | Int($1) }
    guard width == 2 || width == 4, bytes.count == 20 + width * count else {
      throw .corruptFile(path: path, line: 1, reason: "truncated: header promises \(count) tokens")
    }
    return bytes[20...].withUnsafeBytes { raw in
      width == 2
        ? (0..<count).map { Int32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        : (0..<count).map {
          Int32(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
        }
    }
  }
}
