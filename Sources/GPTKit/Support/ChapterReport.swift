// Chapter 00 introduces this file: the uniform `[check]` output every chapter prints.

import Foundation

/// Prints a chapter's checks in the workbook's greppable format and sets its exit code.
///
/// ```
/// == 00 tensors ==
/// [check] naive and fast matmul agree (max diff 2.4e-06) .............. OK
/// [info ] 8192x384 · 384x1152: 190.0 GFLOP/s
/// 1 check OK
/// ```
/// `[check]` lines are deterministic: tests run every chapter with `--quick` and assert
/// them. `[info ]` lines carry timings and other machine-dependent numbers, never asserted.
public final class ChapterReport {
  public private(set) var passed = 0
  public private(set) var failed: [String] = []
  /// Said after the summary when a check failed: e.g. that the thresholds assume the
  /// chapter's default model, when the learner chose another one.
  public var noteIfFailed: String?
  let width = 72

  /// Prints the chapter's title line.
  public init(_ title: String) {
    print("== \(title) ==")
  }

  /// Records and prints one check. Returns `ok` so callers can branch on it.
  @discardableResult
  public func check(_ description: String, _ ok: Bool) -> Bool {
    let status = ok ? "OK" : "FAIL"
    let dots = String(repeating: ".", count: max(3, width - description.count - status.count - 10))
    print("[check] \(description) \(dots) \(status)")
    fflush(nil)  // show it now, even when the output goes to a file or a pipe
    if ok { passed += 1 } else { failed.append(description) }
    return ok
  }

  /// Prints a line that is not a check (timings, samples, explanations).
  public func info(_ text: String) {
    print("[info ] \(text)")
    fflush(nil)
  }

  /// Prints a blank line and a section heading, to follow the chapter's story.
  public func section(_ title: String) {
    print("\n-- \(title) --")
  }

  /// Prints the summary line and exits: 0 when every check passed, 1 otherwise.
  public func finish() -> Never {
    print(Self.summary(passed: passed, failed: failed))
    if failed.isEmpty { exit(0) }
    if let noteIfFailed { print("note: \(noteIfFailed)") }
    exit(1)
  }

  /// The last line: "all 7 checks OK", or which failed ("2 of 7 checks FAILED: ..."), in
  /// the singular when a run made one check.
  static func summary(passed: Int, failed: [String]) -> String {
    let total = passed + failed.count
    if failed.isEmpty { return total == 1 ? "1 check OK" : "all \(total) checks OK" }
    let which = total == 1 ? "1 check" : "\(failed.count) of \(total) checks"
    return "\(which) FAILED: \(failed.joined(separator: "; "))"
  }
}
