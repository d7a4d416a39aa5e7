import Foundation
import Testing

/// The book shows code only as copies of anchored regions of real source files:
///
///     <!-- code: Sources/GPTKit/Kernels/Matmul.swift#naive-matmul -->
///     ```swift
///     ...the lines between `// ANCHOR: naive-matmul` and `// ANCHOR_END: naive-matmul`...
///     ```
///
/// This test fails when a copy drifts from its source. To refresh every copy after
/// editing the source, run `UPDATE_BOOK=1 swift test --filter CodeAnchors`.
@Suite("The book's code is the real code")
struct CodeAnchors {
  static let refresh = "run UPDATE_BOOK=1 swift test --filter CodeAnchors"
  struct Include {
    var file: String
    var anchor: String
    var shown: String
    var range: Range<String.Index>
  }

  /// The `(file, anchor)` includes of a Markdown text, with the code each one shows.
  static func includes(in markdown: String) -> [Include] {
    let pattern = /<!-- code: ([^#\s]+)#([\w-]+) -->\n```swift\n((?:.*\n)*?)```/
    return markdown.matches(of: pattern).map {
      Include(file: String($0.1), anchor: String($0.2), shown: String($0.3), range: $0.range)
    }
  }

  /// The lines between `// ANCHOR: name` and `// ANCHOR_END: name`, without their common indent.
  static func region(_ anchor: String, in source: String) -> String? {
    let lines = source.components(separatedBy: "\n")
    guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "// ANCHOR: \(anchor)" }),
      let end = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "// ANCHOR_END: \(anchor)" }),
      start < end
    else { return nil }
    let body = lines[(start + 1)..<end]
    let indent = body.filter { !$0.allSatisfy(\.isWhitespace) }.map { $0.prefix(while: { $0 == " " }).count }.min() ?? 0
    return body.map { String($0.dropFirst(min(indent, $0.prefix(while: { $0 == " " }).count))) }.joined(separator: "\n")
      + "\n"
  }

  @Test func everyIncludeMatchesItsSource() throws {
    let update = ProcessInfo.processInfo.environment["UPDATE_BOOK"] == "1"
    var total = 0
    for chapter in Workbook.bookChapters + [Workbook.root.appendingPathComponent("README.md")] {
      guard var markdown = try? String(contentsOf: chapter, encoding: .utf8) else { continue }
      for include in Self.includes(in: markdown).reversed() {
        total += 1
        let path = Workbook.root.appendingPathComponent(include.file)
        let source = try String(contentsOf: path, encoding: .utf8)
        let region = try #require(
          Self.region(include.anchor, in: source),
          "\(chapter.lastPathComponent): no anchor \(include.anchor) in \(include.file)")
        if update {
          markdown.replaceSubrange(
            include.range, with: "<!-- code: \(include.file)#\(include.anchor) -->\n```swift\n\(region)```")
        } else {
          #expect(
            include.shown == region,
            "\(chapter.lastPathComponent) shows an old copy of \(include.file)#\(include.anchor): \(Self.refresh)")
        }
      }
      if update { try markdown.write(to: chapter, atomically: true, encoding: .utf8) }
    }
    #expect(total > 0, "the book includes no code at all")
  }

  @Test func theCheckerNoticesADriftedCopy() {
    let source = "a\n  // ANCHOR: x\n  let y = 1\n  // ANCHOR_END: x\n"
    #expect(Self.region("x", in: source) == "let y = 1\n")
    let markdown = "<!-- code: f.swift#x -->\n```swift\nlet y = 2\n```\n"
    let include = Self.includes(in: markdown)
    #expect(include.count == 1 && include[0].shown != Self.region("x", in: source))
  }
}
