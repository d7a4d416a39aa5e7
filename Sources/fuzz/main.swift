// The fuzz harness (issue 16): deterministic from a seed, it runs the chapters on odd
// command-line values, odd corpora and damaged checkpoints, and classifies every run. A run
// fails on any crash, hang, silent load or messy refusal.
//
//   swift build && .build/debug/fuzz --seconds 90          the bounded run of .ci/run
//   swift build -c release && .build/release/fuzz --seconds 3600 --seed 7    a long run
//
// `fuzz load DIR` and `fuzz resume DIR WINDOWS` are its child processes for checkpoints.

import Foundation
import GPTKit

let arguments = CommandLine.arguments
if arguments.count >= 3 && arguments[1] == "load" {
  Consume.load(arguments[2])
  exit(0)
}
if arguments.count >= 4 && arguments[1] == "resume", let windows = Int(arguments[3]) {
  Consume.resume(arguments[2], windows: windows)
  exit(0)
}

let seedOption = Setting("seed", "seed of every choice the run makes", default: 1, in: 0...Int.max)
let seconds = Setting("seconds", "time budget, split between the three categories", default: 90, in: 10...86_400)
let only = Setting("only", "one category: cli, corpus or checkpoint (empty: all)", default: "")
let args = Arguments.parseOrExit(
  "fuzz", summary: "Fuzzes the chapters' command lines, corpora and checkpoints (issue 16).",
  options: [seedOption.option, seconds.option, only.option])
let bin = URL(fileURLWithPath: arguments[0]).deletingLastPathComponent().path
let work = FileManager.default.currentDirectoryPath
guard FileManager.default.fileExists(atPath: "\(work)/\(Corpus.shakespeare)") else {
  fail("run fuzz from the workbook folder (it reads \(Corpus.shakespeare))")
}
for chapter in chapters where !FileManager.default.isExecutableFile(atPath: "\(bin)/\(chapter)") {
  fail("\(bin)/\(chapter) is missing: build every chapter first (swift build)")
}
let scratch = NSTemporaryDirectory() + "fuzz-\(getpid())"
try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: scratch) }

var rng = SplitMix64(seed: UInt64(args[seedOption]))
let started = monotonicSeconds()
var categories: [(String, [Case])] = []
if args[only].isEmpty || args[only] == "checkpoint" {
  categories.append(("checkpoint", checkpointCases(bin: bin, work: work, scratch: scratch, rng: &rng)))
}
if args[only].isEmpty || args[only] == "cli" {
  categories.append(("command line", commandLineCases(bin: bin, work: work, scratch: scratch, rng: &rng)))
}
if args[only].isEmpty || args[only] == "corpus" {
  categories.append(("corpus", corpusCases(bin: bin, work: work, scratch: scratch, rng: &rng)))
}
var failures: [String] = []
/// Runs whose checks failed: loud, not failures of the harness, but worth a look.
var checkFailures: [String: Int] = [:]
say("fuzz: seed \(args[seedOption]), \(args[seconds]) s for \(categories.map(\.0).joined(separator: ", "))")
for (index, (name, cases)) in categories.enumerated() {  // each its share of what is left
  let end =
    monotonicSeconds() + (Double(args[seconds]) - (monotonicSeconds() - started)) / Double(categories.count - index)
  var counts: [Outcome: Int] = [:]
  var tried = 0
  for c in cases where monotonicSeconds() < end {
    do { try c.prepare() } catch {
      failures.append("\(name): could not prepare \(c.label): \(error)")
      continue
    }
    let finished = run(
      c.executable, c.arguments, in: work, timeout: min(c.timeout, max(5, end - monotonicSeconds() + 30)))
    let outcome = c.classify(finished)
    counts[outcome, default: 0] += 1
    tried += 1
    if outcome == .checkFailed { checkFailures[c.commandLine, default: 0] += 1 }
    if outcome.isFailure {
      let why = (finished.stderr.isEmpty ? finished.stdout : finished.stderr).suffix(300)
      failures.append("\(outcome.rawValue): \(c.label): \(c.commandLine)\n    \(why.debugDescription)")
    }
  }
  let summary = Outcome.allCases.compactMap { o in counts[o].map { "\($0) \(o.rawValue)" } }
  say("\(name): \(tried) of \(cases.count) cases run: \(summary.joined(separator: ", "))")
}
for line in checkFailures.keys.sorted() { say("check failed: \(line)") }
for failure in failures { say("FAIL \(failure)") }
say(failures.isEmpty ? "fuzz: no crash, hang, silent load or messy refusal" : "fuzz: \(failures.count) failures")
exit(failures.isEmpty ? 0 : 1)

/// Prints a line at once, also into a log file.
func say(_ line: String) {
  print(line)
  fflush(nil)
}
