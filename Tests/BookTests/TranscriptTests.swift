import Foundation
import Testing

/// The book's output blocks against what the programs print.
///
/// `book/transcripts/NN-name.txt` records each chapter's default run, the other commands
/// the chapter's text shows, and its `--quick` run (`book/transcripts/record.sh` writes
/// them; the default runs take too long for `swift test`). Two checks keep the book true:
/// every ```` ```text ```` block of `book/NN-name.md` appears, line for line, in that
/// transcript, with timings masked; and the transcript's `--quick` checks are the ones the
/// chapter prints today, so that a change to a chapter's output cannot leave the recording,
/// and with it the book, behind. A block that is not program output (a diagram, a file's
/// contents) is marked `<!-- not output -->` on the line before it.
@Suite("The book quotes what the programs print", .serialized)
struct TranscriptTests {
  /// A quoted line with everything that changes from run to run replaced by `#`: durations
  /// (`850ms`, `12.3s`, `3m12s`), rates (`2.4k tok/s`, `190.0 GFLOP/s`), measured sizes (RSS)
  /// and percentages of a peak, and ratios (`3.2x`).
  static func masked(_ line: Substring) -> String {
    let timing =
      #/
      \d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?\s?
      (?:ms|µs|s|min|h|k\ tok/s|tok/s|tokens/s|k\ positions/s|positions/s|[GMk]FLOP/s|[KMG]B/s|KB|MB|GB|%
        |years|days|hours|minutes|seconds)\b
      | \d[\d,]*(?:\.\d+)?x\b  # a ratio such as 3.2x, but not the 16 of "16 x 128"
      /#
    return String(
      line.replacing(/\d+h\d\dm|\d+m\d\ds/, with: "#").replacing(timing, with: "#").replacing(/\s+$/, with: ""))
  }

  struct Block: CustomStringConvertible {
    var line: Int
    var lines: [String]
    var description: String { "line \(line): \(lines.first ?? "")" }
  }

  /// The ```` ```text ```` blocks of a chapter that quote output, masked.
  static func outputBlocks(_ markdown: String) -> [Block] {
    let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
    var blocks: [Block] = []
    var i = 0
    while i < lines.count {
      defer { i += 1 }
      guard lines[i] == "```text", i == 0 || lines[i - 1] != "<!-- not output -->" else { continue }
      let start = i
      var body: [String] = []
      i += 1
      while i < lines.count, lines[i] != "```" {
        body.append(masked(lines[i]))
        i += 1
      }
      blocks.append(Block(line: start + 1, lines: body))
    }
    return blocks
  }

  /// A line the chapter's report prints (`[check]`, `[info ]`, a section or the summary), as
  /// against generated text or a listing.
  static func isTagged(_ line: String) -> Bool {
    line.hasPrefix("[") || line.hasPrefix("-- ") || line.hasPrefix("== ")
      || (line.hasPrefix("all ") && line.hasSuffix(" checks OK")) || line == "1 check OK"
  }

  /// Whether `block` is printed by one command of the transcript `lines`: its lines in order,
  /// where the book may leave out printed lines only between two report lines (it quotes the
  /// checks a section is about). Generated text is quoted whole: no line left out inside it,
  /// and none cut off after it.
  static func appears(_ block: [String], in lines: [String]) -> Bool {
    guard let first = block.first else { return true }
    return lines.indices.contains { start in
      guard lines[start] == first else { return false }
      var at = start
      for k in block.indices.dropFirst() {
        var next = at + 1
        if isTagged(block[k - 1]) && isTagged(block[k]) {
          while next < lines.count, lines[next] != block[k], !lines[next].hasPrefix("$ ") { next += 1 }
        }
        guard next < lines.count, lines[next] == block[k] else { return false }
        at = next
      }
      let (before, after) = (start > 0 ? lines[start - 1] : "", at + 1 < lines.count ? lines[at + 1] : "")
      let wholeStart = isTagged(first) || before.isEmpty || isTagged(before) || before.hasPrefix("$ ")
      return wholeStart && (isTagged(block.last!) || after.isEmpty || isTagged(after) || after.hasPrefix("$ "))
    }
  }

  static func transcript(_ folder: String) -> String? {
    let path = Workbook.root.appendingPathComponent("book/transcripts/\(folder).txt").path
    return FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
  }

  @Test(arguments: Workbook.chapters.map(\.folder))
  func everyOutputBlockIsInTheTranscript(_ folder: String) throws {
    let markdown = try String(
      contentsOf: Workbook.root.appendingPathComponent("book/\(folder).md"), encoding: .utf8)
    let recorded = try #require(
      Self.transcript(folder), "book/transcripts/\(folder).txt is missing: run book/transcripts/record.sh")
    let lines = recorded.split(separator: "\n", omittingEmptySubsequences: false).map(Self.masked)
    for block in Self.outputBlocks(markdown) where !Self.appears(block.lines, in: lines) {
      let message =
        "book/\(folder).md \(block) is not what the program prints (book/transcripts/\(folder).txt): "
        + "quote the transcript, or mark a block that is not output <!-- not output -->"
      Issue.record(Comment(rawValue: message))
    }
  }

  /// The `--quick` run a transcript ends with, against the chapter's `--quick` run now.
  @Test(arguments: Workbook.chapters.map(\.folder))
  func transcriptIsCurrent(_ folder: String) throws {
    let product = "ch" + folder
    let recorded = try #require(Self.transcript(folder), "run book/transcripts/record.sh")
    let marker = "$ swift run -c release \(product) --quick\n"
    let quick = try #require(recorded.range(of: marker), "the transcript has no --quick run").upperBound
    let then = ChapterRuns.checks(String(recorded[quick...]))
    let now = ChapterRuns.checks(try ChapterRuns.quickRun(product).out)
    let advice = "run book/transcripts/record.sh \(folder.prefix(2)) and check the book"
    #expect(then == now, "\(product) prints other checks than book/transcripts/\(folder).txt recorded: \(advice)")
  }

  /// The matcher itself: a wrong number fails, a different timing does not.
  @Test func maskingHidesTimingsOnly() {
    let printed = ["[info ] trained 150 steps in 12.3s: 4.1k tok/s", "[info ] final: validation 3.371"]
      .map { Self.masked($0[...]) }
    #expect(Self.appears([Self.masked("[info ] trained 150 steps in 2m05s: 3.9k tok/s")], in: printed))
    #expect(!Self.appears([Self.masked("[info ] final: validation 3.370")], in: printed))
    #expect(!Self.appears([Self.masked("[info ] trained 151 steps in 12.3s: 4.1k tok/s")], in: printed))
    let sample = ["First Citizen:", "It is", "As quick", "As or", "all 6 checks OK"]
    #expect(Self.appears(Array(sample.prefix(4)), in: sample))
    #expect(!Self.appears(Array(sample.prefix(3)), in: sample))  // a sample cut short
    #expect(!Self.appears(["First Citizen:", "As quick"], in: sample))  // a line left out inside it
    #expect(!Self.appears(["As quick", "As or"], in: sample))  // a sample quoted from its middle
    #expect(!Self.appears([Self.masked("[info ] 16 x 128 tokens")], in: [Self.masked("[info ] 12 x 128 tokens")]))
    #expect(Self.appears([Self.masked("[info ] 3.2x faster")], in: [Self.masked("[info ] 5.7x faster")]))
    #expect(Self.appears(["[check] a ... OK", "[check] c ... OK"], in: ["[check] a ... OK", "x", "[check] c ... OK"]))
    let blocks = Self.outputBlocks("a\n```text\nx 1\ny\n```\n<!-- not output -->\n```text\nz\n```\n")
    #expect(blocks.map(\.lines) == [["x 1", "y"]])
  }
}
