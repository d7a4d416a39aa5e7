// The fuzz harness (issue 16): corpora, and damaged copies of a small checkpoint.

import Foundation
import GPTKit

/// Texts to train on: empty, tiny, odd scripts, invalid UTF-8, huge lines, special files.
func corpusCases(bin: String, work: String, scratch: String, rng: inout SplitMix64) -> [Case] {
  let shakespeare = String(
    decoding: FileManager.default.contents(atPath: "\(work)/\(Corpus.shakespeare)")!, as: UTF8.self)
  func random(_ alphabet: String, _ count: Int, _ rng: inout SplitMix64) -> String {
    let scalars = Array(alphabet.unicodeScalars)
    return String(String.UnicodeScalarView((0..<count).map { _ in scalars[rng.nextInt(below: scalars.count)] }))
  }
  let texts: [(String, () -> Data)] = [
    ("empty", { Data() }), ("one-byte", { Data("a".utf8) }), ("999-bytes", { Data(shakespeare.utf8.prefix(999)) }),
    ("1000-bytes", { Data(shakespeare.utf8.prefix(1000)) }), ("4k", { Data(shakespeare.utf8.prefix(4000)) }),
    ("one-letter", { Data(String(repeating: "a", count: 50_000).utf8) }),
    ("emoji", { Data(String(repeating: "😀👍🏽🇫🇷", count: 30_000).utf8) }),
    (
      "cjk-no-punctuation",
      { [rng] in
        var r = rng; return Data(random("日本語中文字漢東京大阪", 100_000, &r).utf8)
      }
    ),
    (
      "arabic",
      { [rng] in
        var r = rng; return Data(random("مرحبا بالعالم ", 40_000, &r).utf8)
      }
    ),
    ("combining", { Data(String(repeating: "e\u{301}a\u{308}\u{323} ", count: 5000).utf8) }),
    (
      "invalid-utf8",
      { [rng] in
        var r = rng; return Data((0..<5000).map { _ in UInt8(r.nextInt(below: 256)) })
      }
    ),
    ("latin1", { Data(shakespeare.utf8.prefix(3000)) + Data([0xE9]) }),
    (
      "utf16",
      { Data([0xFF, 0xFE]) + Data(shakespeare.prefix(3000).utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }) }
    ),
    ("nul-bytes", { Data(repeating: 0, count: 5000) }),
    ("huge-line", { Data(String(repeating: "x", count: 3_000_000).utf8) }),
    ("newlines", { Data(String(repeating: "\n", count: 20_000).utf8) }),
    ("bom", { Data([0xEF, 0xBB, 0xBF]) + Data(shakespeare.utf8.prefix(20_000)) }),
    (
      "many-scalars",
      {
        Data(
          String(
            String.UnicodeScalarView(
              (0x4E00..<0x9FFF).compactMap(Unicode.Scalar.init) + (0x10000..<0x20000).compactMap(Unicode.Scalar.init))
          ).utf8)
      }
    ),
  ]
  let special = ["/dev/null", "/dev/stdin", "\(scratch)/fifo", scratch, "\(scratch)/missing.txt"]
  mkfifo("\(scratch)/fifo", 0o644)
  let readers: [(String, [String])] = [
    ("ch01-tokenization", ["--quick"]), ("ch02-dataloader", ["--quick"]),
    ("ch02-dataloader", ["--quick", "--tokenizer", "char"]),
    ("ch03-embeddings", ["--quick"]), ("ch05-block", ["--quick"]),
    (
      "ch06-training",
      [
        "--quick", "--steps", "4", "--eval-interval", "2", "--layers", "1", "--channels", "16",
        "--heads", "2", "--context", "16", "--batch", "4", "--tokenizer", "char",
      ]
    ),
  ]
  var cases: [Case] = []
  for (name, make) in texts {
    for (chapter, arguments) in readers {
      let path = "\(scratch)/\(name).txt"
      var arguments = arguments + ["--data", path]
      if chapter.hasPrefix("ch06") { arguments += ["--out", "\(scratch)/runs/\(name)"] }
      cases.append(
        Case(category: "corpus", label: name, executable: "\(bin)/\(chapter)", arguments: arguments, timeout: 120) {
          if !FileManager.default.fileExists(atPath: path) { try make().write(to: URL(fileURLWithPath: path)) }
        })
    }
  }
  for path in special {
    for (chapter, arguments) in readers.prefix(2) {
      cases.append(
        Case(
          category: "corpus", label: path, executable: "\(bin)/\(chapter)", arguments: arguments + ["--data", path],
          timeout: 30))
    }
  }
  rng.shuffle(&cases)
  return cases
}
