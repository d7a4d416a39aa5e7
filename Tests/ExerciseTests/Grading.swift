import Exercises
import Foundation
import GPTKit
import Synchronization
import Testing

/// How the learner's exercises are graded, and the summary `swift test` ends with.
///
/// Which exercises are attempted is read from `Sources/Exercises` (a function whose body is
/// still `throw Exercise.notAttempted` is not), so nothing of the learner's runs before it is
/// graded. Each attempted exercise is graded in a child process (a Swift Testing exit test):
/// an out-of-range subscript or a `fatalError` in one exercise is reported as that exercise's
/// failure, and every other exercise still reports.
enum Gradebook {
  /// An exercise as `Sources/Exercises` declares it: `/// Exercise 0.1: where does an element live?`
  struct Entry {
    var number: String
    var title: String
    var file: String
    var attempted: Bool
    /// "00" for Chapter00.swift.
    var chapter: String { String(file.dropFirst(7).prefix(2)) }
  }

  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// Every exercise, in book order, read from the learner's files.
  static let entries: [Entry] = {
    let folder = root.appendingPathComponent("Sources/Exercises")
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
      $0.hasPrefix("Chapter")
    }.sorted()
    return files.flatMap { file in
      scan((try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)) ?? "", file: file)
    }
  }()

  /// The exercises of one file: each `/// Exercise N.M: title` line opens one, and it is
  /// attempted when any function under it has a body other than the placeholder.
  static func scan(_ source: String, file: String) -> [Entry] {
    var entries: [Entry] = []
    var signature = false
    var body: [String]?
    for line in source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      if line.hasPrefix("/// Exercise "), let colon = line.firstIndex(of: ":") {
        let number = String(line[line.index(line.startIndex, offsetBy: 13)..<colon])
        if !number.contains(",") {  // "Exercise 9.3, continued" adds no entry
          var title = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
          if title.hasSuffix(".") { title.removeLast() }
          entries.append(Entry(number: number, title: title, file: file, attempted: false))
        }
      } else if line.hasPrefix("public func ") {
        signature = true
      }
      if signature, line.hasSuffix("{") {
        (signature, body) = (false, [])
      } else if line == "}", let lines = body {
        let code = lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("//") }
        if code != ["throw Exercise.notAttempted"], !entries.isEmpty { entries[entries.count - 1].attempted = true }
        body = nil
      } else if body != nil {
        body!.append(line)
      }
    }
    return entries
  }

  /// Whether the learner has written exercise `number` (for `.enabled(if:)`).
  static func attempted(_ number: String) -> Bool {
    entries.first { $0.number == number }?.attempted ?? false
  }

  // MARK: In the child process

  /// Runs a grader and prints its verdict for the parent process to read: a learner's thrown
  /// error is a failure like a wrong answer.
  static func report(_ grade: () throws -> String?) {
    let verdict: String
    do {
      verdict = try grade().map { "FAIL " + $0 } ?? "PASS"
    } catch Exercise.notAttempted {
      verdict = "FAIL it still throws Exercise.notAttempted somewhere: replace that line with your code"
    } catch {
      verdict = "FAIL your code threw \(error)"
    }
    print(marker + verdict.replacingOccurrences(of: "\n", with: " "))
    fflush(nil)
    exit(gradedStatus)
  }

  /// A graded child always exits with a failure status: `gradedStatus` after printing its
  /// verdict, a signal when the learner's code crashed. So `graded` (which accepts any
  /// failure) holds for both, and the parent tells them apart by reading the output.
  static let graded = ExitTest.Condition.failure
  static let gradedStatus: CInt = 3

  static let marker = "[grade] "
  /// What the parent reads of the child.
  static let observed: [any PartialKeyPath<ExitTest.Result> & Sendable] = [
    \.standardOutputContent, \.standardErrorContent,
  ]

  // MARK: In the parent process

  /// The outcome of grading one exercise.
  enum Outcome: Equatable {
    case passed
    case failed(String)
  }

  /// Reads the child's verdict, or why it died: `nil` for a pass, else the one-line reason.
  static func verdict(_ result: ExitTest.Result?) -> String? {
    guard let result else { return "the grader could not be run" }
    let output = String(decoding: result.standardOutputContent, as: UTF8.self)
    if result.exitStatus == .exitCode(gradedStatus),
      let line = output.split(separator: "\n").last(where: { $0.hasPrefix(marker) })
    {
      let verdict = line.dropFirst(marker.count)
      return verdict == "PASS" ? nil : String(verdict.dropFirst(5))
    }
    let errors = String(decoding: result.standardErrorContent, as: UTF8.self).split(separator: "\n")
    let status: String
    switch result.exitStatus {
    case .signal(let signal): status = "signal \(signal)"
    case .exitCode(let code): status = "exit code \(code)"
    @unknown default: status = "\(result.exitStatus)"
    }
    // Swift prints "Fatal error: Index out of range" for an array; an index out of a Tensor
    // traps without a message, because the library is built optimised.
    guard let cause = errors.first(where: { $0.contains("Fatal error") || $0.contains("failed") }) else {
      return "your code crashed (\(status)), most likely an index out of range: check your indices against "
        + "the shapes in the exercise's contract"
    }
    return "your code crashed (\(status)): \(cause.trimmingCharacters(in: .whitespaces))"
  }

  /// Records exercise `number`'s grade: an issue naming the exercise when it fails.
  static func record(_ number: String, _ result: ExitTest.Result?, sourceLocation: SourceLocation = #_sourceLocation) {
    let failure = verdict(result)
    outcomes.withLock {  // an exercise graded by two tests (9.3) fails if either does
      if case .failed = $0[number] { return }
      $0[number] = failure.map(Outcome.failed) ?? .passed
    }
    if let failure { Issue.record("exercise \(number): \(failure)", sourceLocation: sourceLocation) }
  }

  static let outcomes = Mutex<[String: Outcome]>([:])

  /// The learner's summary, by chapter: printed once, after the test run's own last line.
  static func summary() -> String {
    let graded = outcomes.withLock { $0 }
    var lines = ["", "== your exercises (Sources/Exercises; graded by Tests/ExerciseTests) =="]
    lines.append("chapter  attempted  passed  failed  not attempted  not graded in this run")
    let chapters = entries.reduce(into: [String]()) { if $0.last != $1.chapter { $0.append($1.chapter) } }
    var totals = [0, 0, 0, 0, 0]
    for chapter in chapters {
      let mine = entries.filter { $0.chapter == chapter }
      let attempted = mine.filter(\.attempted)
      let passed = attempted.filter { graded[$0.number] == .passed }.count
      let failed = attempted.filter { if case .failed = graded[$0.number] { true } else { false } }.count
      let row = [attempted.count, passed, failed, mine.count - attempted.count, attempted.count - passed - failed]
      for i in totals.indices { totals[i] += row[i] }
      lines.append(tableRow(chapter, row))
    }
    lines.append(tableRow("all", totals))
    for entry in entries {
      if case .failed(let why) = graded[entry.number] { lines.append("failed \(entry.number) \(entry.title): \(why)") }
    }
    if let next = entries.first(where: { !$0.attempted }) {
      lines.append("next: exercise \(next.number), \(next.title) (Sources/Exercises/\(next.file))")
    }
    return lines.joined(separator: "\n")
  }

  static func tableRow(_ name: String, _ row: [Int]) -> String {
    name.padding(toLength: 9, withPad: " ", startingAt: 0)
      + zip(row, [11, 8, 8, 15, 1]).map { "\($0)".padding(toLength: $1, withPad: " ", startingAt: 0) }.joined()
  }

  /// Prints the summary when the test process exits (after Swift Testing's own last line).
  static let printSummaryAtExit: Void = {
    atexit {
      print(Gradebook.summary())
      fflush(nil)
    }
  }()
}

@Suite("Grading: the learner's summary and crash isolation")
struct GradingTests {
  @Test func everyExerciseIsFound() {
    Gradebook.printSummaryAtExit
    let numbers = Gradebook.entries.map(\.number)
    #expect(numbers.count >= 39)
    #expect(Set(numbers).count == numbers.count, "each exercise number appears once")
    #expect(numbers.first == "0.1")
  }

  @Test func attemptedExercisesAreReadFromTheSource() {
    let source = """
      /// Exercise 4.1: the mask.
      public func causalMask(_ scores: Tensor) throws -> Tensor {
        throw Exercise.notAttempted
      }

      /// Exercise 4.2: one head.
      public func singleHeadAttention(q: Tensor) throws -> Tensor {
        // my attempt
        return q
      }
      """
    let entries = Gradebook.scan(source, file: "Chapter04.swift")
    #expect(entries.map(\.number) == ["4.1", "4.2"])
    #expect(entries.map(\.attempted) == [false, true])
    #expect(entries[1].title == "one head")
  }

  /// A deliberately crashing attempt reports as one failure naming the crash, in its own process.
  @Test func aCrashingAttemptIsOneFailure() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report {
        try Chapter00Grader.naiveMatmul { a, b in
          let empty: [Float] = []
          return Tensor(shape: [1, 1], storage: [empty[a.shape[0]]])  // index out of range
        }
      }
    }
    let why = Gradebook.verdict(result)
    #expect(why?.hasPrefix("your code crashed") == true, "\(why ?? "passed")")
    #expect(why?.contains("Index out of range") == true, "\(why ?? "passed")")
  }

  @Test func aWrongAnswerIsAFailureWithTheGradersReason() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter00Grader.rowMajorOffset { _, _ in 0 } }
    }
    #expect(Gradebook.verdict(result)?.hasPrefix("offset of") == true)
  }
}

/// Grades a learner's backward pass against central differences of `forward`, computed in
/// double precision so the check is sharp: `nil` when it passes, else what was compared and
/// by how much. `forward` maps the flattened input to the flattened output of the same shape.
///
/// With `L(x) = Σ forward(x) · dOut` for a random `dOut`, the numeric gradient is
/// `(L(x + h·e_i) - L(x - h·e_i)) / 2h`, accurate to about 1e-9 here; a Float answer is good
/// to about 1e-6 of the gradient's scale, so 1e-4 is allowed. A wrong backward (a missing
/// factor or term, a sign) is usually off by 1% or more: a hundred times the allowance.
func gradeBackward(
  _ x: Tensor, forward: ([Double]) -> [Double], answer: (_ dOut: Tensor) throws -> Tensor
) throws -> String? {
  var rng = SplitMix64(seed: 99)
  let input = x.storage.map(Double.init)
  let dOut = Tensor.randn(x.shape, rng: &rng)  // forward keeps its input's shape
  let got = try answer(dOut)
  guard got.shape == x.shape else { return "dX has shape \(got.shape); it must be the input's shape \(x.shape)" }
  func loss(_ v: [Double]) -> Double { zip(forward(v), dOut.storage).reduce(0) { $0 + $1.0 * Double($1.1) } }
  var (worst, scale, at) = (0.0, 0.0, 0)
  for i in input.indices {
    let h = 1e-5 * max(1, abs(input[i]))
    var (plus, minus) = (input, input)
    plus[i] += h
    minus[i] -= h
    let numeric = (loss(plus) - loss(minus)) / (2 * h)
    scale = max(scale, abs(numeric))
    let error = abs(Double(got.storage[i]) - numeric)
    if !(error <= worst) { (worst, at) = (error, i) }
  }
  let relative = worst / max(scale, 1e-12)
  if relative <= 1e-4 { return nil }
  return "rel err \(relative.formatted(significant: 3)) > 0.0001 allowed (largest |yours - finite differences| "
    + "at element \(at), over the gradient's largest size); a wrong backward is usually off by 0.01 or more"
}

/// Grades a backward pass of Tensor functions with `GradientCheck` (Float central differences,
/// good to about 1e-3 of the gradient's scale): for products, where a mistake is large.
func gradeBackward(_ x: Tensor, forward: (Tensor) -> Tensor, answer: (_ dOut: Tensor) throws -> Tensor) throws
  -> String?
{
  var failure: Error?
  let report = GradientCheck.check(x, forward: forward) { dOut in
    do { return try answer(dOut) } catch {
      failure = error
      return Tensor(shape: x.shape)
    }
  }
  if let failure { throw failure }
  if report.passes() { return nil }
  return "the gradient check fails: \(report) (> \(GradientCheckReport.defaultTolerance) allowed; "
    + "a wrong backward is usually off by 0.1 or more)"
}
