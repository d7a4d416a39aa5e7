// The fuzz harness (issue 16): running one case in a child process and classifying it.

import Foundation

/// How one run ended, from the harness's point of view.
enum Outcome: String, CaseIterable {
  /// Exit 0 (for a damaged checkpoint: exit 0 and the undamaged checkpoint's output).
  case ok
  /// A non-zero exit with exactly one line on standard error, `error: ...`.
  case refusal = "clean refusal"
  /// A non-zero exit because a `[check]` failed (a loud result, not a crash).
  case checkFailed = "check failed"
  /// A non-zero exit whose standard error is not one `error:` line (a dump, several lines, nothing).
  case messy = "messy refusal"
  /// A signal or a Swift runtime trap.
  case crash
  /// Still running at the timeout.
  case hang
  /// A damaged checkpoint that loaded (exit 0) and changed the output.
  case silentLoad = "silent load"

  /// Whether the bounded run fails on this outcome.
  var isFailure: Bool { [.messy, .crash, .hang, .silentLoad].contains(self) }
}

/// A finished child process: how it ended and what it printed.
struct Finished {
  var status: Int32
  var signalled: Bool
  var timedOut: Bool
  var stdout: String
  var stderr: String

  /// The outcome, before any comparison with a baseline.
  var outcome: Outcome {
    if timedOut { return .hang }
    let trapped = ["Fatal error", "Stack dump", "Backtrace", "Illegal instruction", "Segmentation fault"]
    if signalled || trapped.contains(where: stderr.contains) { return .crash }
    if status == 0 { return .ok }
    // Lines and prefix in scalars: a message may quote a value that starts with a combining mark.
    let lines = stderr.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: true)
    if lines.count == 1 && lines[0].starts(with: "error: ".unicodeScalars) { return .refusal }
    let summary = stdout.contains("checks FAILED") || stdout.contains("1 check FAILED")  // ChapterReport.summary
    if lines.isEmpty && summary { return .checkFailed }
    return .messy
  }
}

/// Runs `executable` with `arguments` in `directory`, standard input empty, killing it after
/// `timeout` seconds.
func run(_ executable: String, _ arguments: [String], in directory: String, timeout: Double) -> Finished {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: directory)
  let id = UUID().uuidString
  let (outPath, errPath) = (NSTemporaryDirectory() + "fuzz-\(id).out", NSTemporaryDirectory() + "fuzz-\(id).err")
  FileManager.default.createFile(atPath: outPath, contents: nil)
  FileManager.default.createFile(atPath: errPath, contents: nil)
  defer { for path in [outPath, errPath] { try? FileManager.default.removeItem(atPath: path) } }
  process.standardInput = FileHandle.nullDevice
  process.standardOutput = FileHandle(forWritingAtPath: outPath)
  process.standardError = FileHandle(forWritingAtPath: errPath)
  do { try process.run() } catch {
    return Finished(status: -1, signalled: false, timedOut: false, stdout: "", stderr: "cannot start: \(error)")
  }
  let deadline = Date().addingTimeInterval(timeout)
  var timedOut = false
  while process.isRunning {
    if Date() > deadline {
      timedOut = true
      kill(process.processIdentifier, SIGKILL)
    }
    usleep(10_000)
  }
  process.waitUntilExit()
  let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
  return Finished(
    status: process.terminationStatus, signalled: !timedOut && process.terminationReason == .uncaughtSignal,
    timedOut: timedOut, stdout: read(outPath), stderr: read(errPath))
}

/// One case: what to run and, for a damaged checkpoint, the output an undamaged one gives.
struct Case {
  var category: String
  var label: String
  var executable: String
  var arguments: [String]
  var timeout: Double
  /// Exit 0 with an output other than this is a silent load.
  var baseline: String? = nil
  /// Prepares the files the case reads (a mutated checkpoint, a corpus), just before it runs.
  var prepare: () throws -> Void = {}

  /// The command line, to reproduce a failure by hand.
  var commandLine: String {
    ([(executable as NSString).lastPathComponent] + arguments).map { word in
      word.isEmpty || word.contains(where: { " \n\t'\"".contains($0) }) ? word.debugDescription : word
    }.joined(separator: " ")
  }

  func classify(_ finished: Finished) -> Outcome {
    let outcome = finished.outcome
    if outcome == .ok, let baseline, finished.stdout != baseline { return .silentLoad }
    return outcome
  }
}
