import Foundation
import Testing

/// No line of the workbook's Swift is wider than 120 columns (the `lineLength` of
/// `.swift-format`), so a learner reads every file, and the book every region it shows,
/// without scrolling sideways. `swift format` breaks code at 120 but leaves a long string
/// literal whole: this test catches those, naming each line as `file:line (columns)`.
@Suite("Every line fits in 120 columns")
struct LineLength {
  static let limit = 120

  /// Files whose owners are still shortening their lines: skipped until they are done.
  static let pending: Set<String> = [
    // shrinking: files still being reworked
  ]

  /// The Swift files under `Sources/`, `Chapters/` and `Tests/`, relative to the package root.
  static var swiftFiles: [String] {
    ["Sources", "Chapters", "Tests"].flatMap { folder -> [String] in
      let url = Workbook.root.appendingPathComponent(folder)
      let paths = FileManager.default.enumerator(atPath: url.path)?.compactMap { $0 as? String } ?? []
      return paths.filter { $0.hasSuffix(".swift") }.map { "\(folder)/\($0)" }
    }.sorted()
  }

  @Test func noLineIsWiderThanTheLimit() throws {
    var long: [String] = []
    for file in Self.swiftFiles where !Self.pending.contains(file) {
      let text = try String(contentsOf: Workbook.root.appendingPathComponent(file), encoding: .utf8)
      for (number, line) in text.components(separatedBy: "\n").enumerated() where line.count > Self.limit {
        long.append("\(file):\(number + 1) (\(line.count) columns)")
      }
    }
    #expect(long.isEmpty, "lines over \(Self.limit) columns:\n\(long.joined(separator: "\n"))")
  }

  /// The pending list only shrinks: a file on it that is already short should leave it.
  @Test func pendingFilesAreStillLong() throws {
    for file in Self.pending.sorted() {
      let url = Workbook.root.appendingPathComponent(file)
      let text = try String(contentsOf: url, encoding: .utf8)
      #expect(
        text.components(separatedBy: "\n").contains { $0.count > Self.limit },
        "\(file) has no line over \(Self.limit) columns any more: remove it from LineLength.pending")
    }
  }
}
