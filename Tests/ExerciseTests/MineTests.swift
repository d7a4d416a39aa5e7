import Exercises
import Foundation
import GPTKit
import Solutions
import Testing

/// `--mine` runs the chapters with pieces in place of the library's. These tests run the chapter
/// executables with the reference solutions as the pieces (`WORKBOOK_MINE=reference`): they
/// must print the same checks, samples and losses as the chapter without `--mine`. With one
/// typical mistake (`WORKBOOK_MINE=mistake:N.M`), the chapter's checks must fail and name it.
/// Chapters 08 and 09 take minutes in a debug build, so they are run by hand (book/README.md).
@Suite("--mine: right pieces change no number, a wrong piece fails the chapter's checks")
struct MineTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// Runs a chapter executable (built beside the test binary) from the package root.
  static func run(_ product: String, _ arguments: [String], mine: String? = nil) throws -> (
    status: Int32, out: String
  ) {
    let folders =
      [
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
        root.appendingPathComponent(".build/debug"),
      ] + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
    let candidates = folders.map { $0.appendingPathComponent(product) }
    guard let url = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
      throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "\(product) is not built"])
    }
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    process.currentDirectoryURL = root
    var environment = ProcessInfo.processInfo.environment
    environment["WORKBOOK_MINE"] = mine
    process.environment = environment
    let pipe = Pipe()
    (process.standardOutput, process.standardError) = (pipe, pipe)
    try process.run()
    let out = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self))
  }

  /// What must not change: checks (without `--mine`'s own, and without the tags naming the
  /// exercises they judge), samples and plots, and the losses; not timings.
  static func comparable(_ output: String) -> [String] {
    output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { line in
      !line.hasPrefix("[check] exercise") && !line.hasPrefix("all ")
        && (!line.hasPrefix("[info ]") || line.contains("final:") || line.contains("best validation:"))
    }.map { line in
      guard let tag = line.range(of: " [judges your "), let end = line[tag.upperBound...].firstIndex(of: "]") else {
        return line
      }
      let (before, after): (Substring, Substring) = (line[..<tag.lowerBound], line[line.index(after: end)...])
      return String(before) + String(after)
    }.map { line in  // the dots before OK pad to a width, so a tag changes their number
      line.replacingOccurrences(of: #" \.{3,} (OK|FAIL)$"#, with: " ... $1", options: .regularExpression)
    }
  }

  @Test(arguments: [
    "ch00-tensors", "ch01-tokenization", "ch02-dataloader", "ch03-embeddings", "ch04-attention", "ch05-block",
    "ch06-training",
    "ch07-sampling",
  ])
  func rightPiecesChangeNoNumber(_ chapter: String) throws {
    // Chapter 06 saves checkpoints: in a folder of its own, for the book tests run its --quick
    // at the same time in runs/ch06-quick (and a new run there clears the old run's best).
    let out = chapter == "ch06-training" ? ["--out", "runs/ch06-mine-test"] : []
    let plain = try Self.run(chapter, ["--quick"] + out)
    let mine = try Self.run(chapter, ["--quick", "--mine"] + out, mine: "reference")
    #expect(plain.status == 0 && mine.status == 0, "\(mine.out.suffix(400))")
    #expect(mine.out.contains("[info ] mine: exercise"), "--mine says which pieces are whose")
    #expect(!mine.out.contains("not attempted yet"), "every reference piece is in place")
    let (before, after) = (Self.comparable(plain.out), Self.comparable(mine.out))
    #expect(before == after, "first difference: \(zip(before, after).first { $0 != $1 } ?? ("", ""))")
    #expect(before.count > 5)
  }

  @Test(arguments: [
    ("ch00-tensors", "0.2", "fast and naive matmul agree"),
    ("ch00-tensors", "0.4", "GELU backward"),
    ("ch01-tokenization", "1.4", "your 20 merges of the corpus's first"),
    ("ch02-dataloader", "2.2", "y is x shifted by one in every window"),
    ("ch03-embeddings", "3.2", "embedding backward passes the gradient check"),
    ("ch04-attention", "4.1", "the first token can only attend to itself"),
    ("ch04-attention", "4.4", "your head's backward passes the gradient check"),
    ("ch04-attention", "4.2", "the fused layer equals the step-by-step heads"),
    ("ch05-block", "5.2", "every row comes out with mean 0 and variance 1"),
  ])
  func aMistakeFailsTheChaptersChecks(_ chapter: String, _ exercise: String, _ check: String) throws {
    let run = try Self.run(chapter, ["--quick", "--mine"], mine: "mistake:\(exercise)")
    #expect(run.status == 1)
    let failed = run.out.split(separator: "\n").filter { $0.hasPrefix("[check]") && $0.hasSuffix("FAIL") }
    let named = failed.filter {
      $0.contains("[judges your \(exercise)") || $0.hasPrefix("[check] exercise \(exercise):")
    }
    #expect(named.contains { $0.contains(check) }, "\(failed)")
  }

  /// Chapter 06's and 07's pieces are judged in-process here (their chapter runs take seconds):
  /// the check comparing a piece with the library's names it and fails.
  @Test(arguments: ["6.6", "6.7"])
  func aWrongTrainingPieceFailsItsCheck(_ exercise: String) throws {
    let report = ChapterReport("mine \(exercise)")
    let schedule = LearningRateSchedule(maxLR: 1e-2, warmupSteps: 10, totalSteps: 150)
    Pieces.solutions("mistake:\(exercise)")!.announceTraining(report, schedule: schedule)
    #expect(report.failed.count == 1)
    #expect(report.failed.first?.hasPrefix("exercise \(exercise): ") == true, "\(report.failed)")
    Pieces.reference.announceTraining(report, schedule: schedule)
    #expect(report.failed.count == 1 && report.passed == 3, "the reference passes both checks")
  }

  /// The reference pieces train a GPT bit for bit as the library does; a typical AdamW mistake
  /// trains it differently (in chapter 06 its validation loss then falls by less than the
  /// chapter's check asks: 6.26 -> 5.30 in the `--quick` run, against 5.15 with the library's).
  @Test func theLearnersOptimizerTrainsTheModel() throws {
    let config = GPTConfig(vocabularySize: 13, contextLength: 8, layerCount: 1, headCount: 2, channels: 16)
    let stream: [Int32] = (0..<4000).map { Int32(($0 * 5 + $0 / 7) % 13) }
    func train(_ pieces: Pieces?) throws -> [Float] {
      var options = TrainingOptions(steps: 30, batchSize: 4)
      (options.warmupSteps, options.learningRate, options.evalBatches) = (5, 1e-2, 1)
      let trainer = Trainer(
        model: GPT(config, seed: 4), train: stream, validation: Array(stream.suffix(400)), options: options)
      pieces?.install(on: trainer)
      return try (0..<30).map { _ in try trainer.trainStep().loss }
    }
    let library = try train(nil)
    #expect(try train(.reference) == library, "the reference pieces train bit for bit like the library")
    let mistaken = try train(Pieces.solutions("mistake:6.6"))
    #expect(mistaken != library, "without bias correction the steps differ")
  }

  /// What chapter 07's check that cached generation equals recomputation rests on, on a tiny
  /// model: the cache's logits equal the full forward's, bit for bit, with the reference
  /// append, and not with the key stored in the wrong layout.
  @Test func aKVCacheMistakeChangesTheLogits() {
    let model = GPT(GPTConfig(vocabularySize: 13, contextLength: 8, layerCount: 2, headCount: 2, channels: 16), seed: 3)
    let tokens: [Int32] = [1, 2, 3, 4, 5, 6]
    let full = model.nextTokenLogits(tokens)
    func cached(_ pieces: Pieces) -> [Float] {
      let cache = KVCache(model)
      cache.store = pieces.install(on: Generator(model)).store
      for token in tokens { cache.append(token) }
      return Array(UnsafeBufferPointer(start: cache.logits, count: 13))
    }
    #expect(cached(.reference) == full)
    #expect(cached(Pieces.solutions("mistake:7.5")!) != full)  // the wrong keys: other scores, other logits
  }

  @Test func topPMistakeIsCaughtByChapter07sCheck() throws {
    var rng = SplitMix64(seed: 7)
    let logits = (0..<50).map { _ in 2 * rng.nextNormal() }
    let full = Sampler.distribution(logits, previous: [], options: SamplingOptions())
    let options = SamplingOptions(topP: 0.9)
    let right = Sampler.distribution(logits, previous: [], options: options, nucleus: Pieces.reference.nucleus)
    let library = Sampler.distribution(logits, previous: [], options: options)
    #expect(zip(right, library).allSatisfy { abs($0 - $1) < 1e-6 })
    let wrong = Sampler.distribution(
      logits, previous: [], options: options, nucleus: Pieces.solutions("mistake:7.3")!.nucleus)
    let kept = wrong.indices.filter { wrong[$0] > 0 }
    #expect(kept.reduce(0) { $0 + full[$1] } < 0.9, "the kept mass falls short of p: chapter 07's check fails")
  }
}
