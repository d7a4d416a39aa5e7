import Foundation

/// Paths and processes of the workbook, as the book tests see them.
enum Workbook {
  /// The package root (this file is `Tests/BookTests/Workbook.swift`).
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// Every chapter as (product name, folder name), read from `Chapters/`:
  /// `Chapters/00-tensors` is the product `ch00-tensors`.
  static var chapters: [(product: String, folder: String)] {
    let folders =
      (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Chapters").path)) ?? []
    return folders.filter { $0.first?.isNumber == true }.sorted().map { ("ch" + $0, $0) }
  }

  /// The book's Markdown chapters, `book/NN-name.md`.
  static var bookChapters: [URL] {
    let book = root.appendingPathComponent("book")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: book.path)) ?? []
    return names.filter { $0.hasSuffix(".md") && $0.first?.isNumber == true }.sorted().map {
      book.appendingPathComponent($0)
    }
  }

  /// Where `swift test` put the chapter executables: next to the test binary.
  static func executable(_ product: String) -> URL? {
    var folders = [URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()]
    folders += Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
    folders.append(root.appendingPathComponent(".build/debug"))
    return folders.map { $0.appendingPathComponent(product) }.first {
      FileManager.default.isExecutableFile(atPath: $0.path)
    }
  }

  /// Runs a chapter executable from the package root, with `input` on its standard input;
  /// returns exit code, stdout and stderr.
  static func run(
    _ product: String, _ arguments: [String], input: String? = nil
  ) throws -> (status: Int32, out: String, err: String) {
    guard let url = executable(product) else {
      throw CocoaError(
        .fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "\(product) is not built: run `swift build` first"])
    }
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    process.currentDirectoryURL = root
    let (outPipe, errPipe, inPipe) = (Pipe(), Pipe(), Pipe())
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = inPipe
    try process.run()
    inPipe.fileHandleForWriting.write(Data((input ?? "").utf8))  // what a learner would type
    try inPipe.fileHandleForWriting.close()
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    let err = errPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
  }
}
