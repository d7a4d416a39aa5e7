// Chapter 00 introduces this file: a progress line for long loops.

import Foundation

/// Shows how far a long loop has got: rewritten in place on a terminal, printed as plain
/// lines at most every `interval` seconds otherwise (so logs and tests stay readable).
///
/// ```
/// var progress = ProgressLine(total: 2000)
/// for step in 1...2000 { ...; progress.update(step, "loss \(loss)") }
/// progress.finish()
/// ```
public struct ProgressLine {
  public let total: Int
  let start = monotonicSeconds()
  let interval: Double
  let isTerminal = isatty(STDOUT_FILENO) == 1
  var lastPrint = -Double.infinity

  public init(total: Int, interval: Double = 10) {
    self.total = total
    self.interval = interval
  }

  /// Reports that `done` of `total` items are finished, with an optional detail text.
  public mutating func update(_ done: Int, _ detail: String = "") {
    let now = monotonicSeconds()
    let minimumGap = isTerminal ? 0.1 : interval
    guard now - lastPrint >= minimumGap || done == total else { return }
    lastPrint = now
    let elapsed = now - start
    let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
    let line = "[info ] \(done)/\(total) \(detail) | elapsed \(formatDuration(elapsed)) | eta \(formatDuration(eta))"
    if isTerminal {
      print("\r\u{1B}[K" + line, terminator: "")
      fflush(nil)  // flush every C stream: Swift's print buffers a terminal line
    } else {
      print(line)
      fflush(nil)
    }
  }

  /// Ends the in-place line on a terminal.
  public func finish() {
    if isTerminal { print("") }
  }
}
