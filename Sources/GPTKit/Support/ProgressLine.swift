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
  /// Items already done when the loop started (a resumed run): the rate, and so the time
  /// left, counts only the items done since.
  let first: Int
  let start = monotonicSeconds()
  let interval: Double
  let isTerminal = isatty(STDOUT_FILENO) == 1
  var lastPrint = -Double.infinity

  public init(total: Int, from first: Int = 0, interval: Double = 10) {
    self.total = total
    self.first = first
    self.interval = interval
  }

  /// Reports that `done` of `total` items are finished, with an optional detail text.
  public mutating func update(_ done: Int, _ detail: String = "") {
    let now = monotonicSeconds()
    let minimumGap = isTerminal ? 0.1 : interval
    guard now - lastPrint >= minimumGap || done == total else { return }
    lastPrint = now
    let elapsed = now - start
    let eta = remaining(done: done, elapsed: elapsed)
    let line = "[info ] \(done)/\(total) \(detail) | elapsed \(formatDuration(elapsed)) | eta \(formatDuration(eta))"
    if isTerminal {
      print("\r\u{1B}[K" + line, terminator: "")
      fflush(nil)  // flush every C stream: Swift's print buffers a terminal line
    } else {
      print(line)
      fflush(nil)
    }
  }

  /// The seconds left at the rate of the items done since the loop started.
  func remaining(done: Int, elapsed: Double) -> Double {
    done > first ? elapsed / Double(done - first) * Double(total - done) : 0
  }

  /// Ends the in-place line on a terminal.
  public func finish() {
    if isTerminal { print("") }
  }
}
