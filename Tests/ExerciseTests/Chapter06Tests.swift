import Exercises
import Foundation
import GPTKit
import Solutions
import Testing

/// Graders for chapter 06 (see Chapter00Tests.swift for how graders are run).
enum Chapter06Grader {
  static let config = GPTConfig(vocabularySize: 13, contextLength: 8, layerCount: 1, headCount: 2, channels: 16)
  /// A text with structure to learn: a repeating pattern of 13 tokens, with a twist every 5.
  static let stream: [Int32] = (0..<4000).map { Int32(($0 * 5 + $0 / 7) % 13) }
  static let (x, y) = (Array(stream[0..<32]), Array(stream[1..<33]))

  static func initialLoss(_ answer: (Int) throws -> Float) throws -> String? {
    for V in [65, 512, 50257] {
      let got = try answer(V)
      if !(abs(got - log(Float(V))) < 1e-3) {
        return "V = \(V): got \(got); every one of V tokens is equally likely at first"
      }
    }
    return nil
  }

  static func overfit(_ answer: (GPT, [Int32], [Int32], Int, Int, Int, Float) throws -> [Float]) throws -> String? {
    let losses = try answer(GPT(config, seed: 3), x, y, 4, 8, 40, 1e-2)
    guard losses.count == 40 else { return "return one loss per step: got \(losses.count) for 40 steps" }
    guard abs(losses[0] - log(13)) < 0.3 else { return "the first loss should be near ln(13), got \(losses[0])" }
    return losses[39] < 0.3 ? nil : "after 40 steps the loss is \(losses[39]); it should fall below 0.3 on one batch"
  }

  /// Three real runs of a small model, differing only in learning rate.
  static let runs: [(lr: Float, verdict: RunVerdict, losses: [Float])] = {
    let settings: [(Float, RunVerdict)] = [(3.0, .diverged), (1e-7, .tooSlow), (3e-3, .healthy)]
    return settings.map { lr, verdict in
      var options = TrainingOptions(steps: 40, batchSize: 4)
      options.learningRate = lr
      options.warmupSteps = 1
      options.evalBatches = 1
      let trainer = Trainer(
        model: GPT(config, seed: 4), train: stream, validation: Array(stream.suffix(400)), options: options)
      let losses = (0..<40).map { _ in (try? trainer.trainStep().loss) ?? .nan }
      return (lr, verdict, losses)
    }
  }()

  static func classify(_ answer: ([Float]) throws -> RunVerdict) throws -> String? {
    for run in runs {
      let got = try answer(run.losses)
      if got != run.verdict {
        return
          "the run at lr \(run.lr) (losses \(run.losses.first!) -> \(run.losses.last!)) is \(run.verdict), not \(got)"
      }
    }
    return nil
  }

  static func overfittingStart(_ answer: ([Float], [Float]) throws -> Int?) throws -> String? {
    let train: [Float] = [6, 5, 4, 3.5, 3, 2.6, 2.2, 1.9, 1.6]
    let cases: [([Float], Int?)] = [
      ([6.1, 5.2, 4.4, 4.0, 3.9, 3.95, 4.1, 4.3, 4.6], 4),  // best at 4, then worse
      ([6.1, 5.2, 4.4, 4.0, 3.9, 3.8, 3.7, 3.65, 3.6], nil),  // still improving
      ([6.1, 5.2, 4.0, 4.1, 3.9, 4.0, 4.2, 4.4, 4.5], 4),  // a wobble is not the turn
    ]
    for (validation, want) in cases {
      let got = try answer(train, validation)
      if got != want {
        return "validation \(validation): got \(String(describing: got)), want \(String(describing: want))"
      }
    }
    return nil
  }

  static func cosine(_ answer: (GPT, Int, Int) throws -> Float) throws -> String? {
    let model = GPT(config, seed: 5)
    let wte = model.parameters.tensor("transformer.wte.weight")
    for (a, b) in [(0, 1), (3, 3), (7, 12)] {
      let (ra, rb) = ((0..<16).map { wte[a, $0] }, (0..<16).map { wte[b, $0] })
      let dot = zip(ra, rb).reduce(0) { $0 + $1.0 * $1.1 }
      let want = dot / (ra.reduce(0) { $0 + $1 * $1 } * rb.reduce(0) { $0 + $1 * $1 }).squareRoot()
      let got = try answer(model, a, b)
      if !(abs(got - want) < 1e-5) { return "tokens \(a), \(b): got \(got), want \(want)" }
    }
    return nil
  }
}

@Suite("06 exercises")
struct Chapter06Exercises {
  @Test("6.1 the starting line", .enabled(if: Gradebook.attempted("6.1"), "not attempted yet"))
  func starting() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter06Grader.initialLoss { try expectedInitialLoss(vocabularySize: $0) } }
    }
    Gradebook.record("6.1", result)
  }

  @Test("6.2 overfit on purpose", .enabled(if: Gradebook.attempted("6.2"), "not attempted yet"))
  func overfitOnPurpose() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report {
        try Chapter06Grader.overfit { try overfit($0, x: $1, y: $2, B: $3, T: $4, steps: $5, lr: $6) }
      }
    }
    Gradebook.record("6.2", result)
  }

  @Test("6.3 feel the learning rate", .enabled(if: Gradebook.attempted("6.3"), "not attempted yet"))
  func learningRate() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter06Grader.classify { try classify(losses: $0) } }
    }
    Gradebook.record("6.3", result)
  }

  @Test("6.4 the judge", .enabled(if: Gradebook.attempted("6.4"), "not attempted yet"))
  func judge() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter06Grader.overfittingStart { try overfittingStart(train: $0, validation: $1) } }
    }
    Gradebook.record("6.4", result)
  }

  @Test("6.5 embedding cosine", .enabled(if: Gradebook.attempted("6.5"), "not attempted yet"))
  func cosine() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter06Grader.cosine { try embeddingCosine($0, $1, $2) } }
    }
    Gradebook.record("6.5", result)
  }
}

@Suite("06 graders accept the solutions and reject wrong answers")
struct Chapter06Graders {
  @Test func starting() throws {
    #expect(try Chapter06Grader.initialLoss(Chapter06.expectedInitialLoss) == nil)
    #expect(try Chapter06Grader.initialLoss { log2(Float($0)) } != nil)  // wrong: bits, not nats
  }

  @Test func overfitOnPurpose() throws {
    #expect(try Chapter06Grader.overfit(Chapter06.overfit) == nil)
    // Wrong: computes gradients but never updates the weights.
    #expect(
      try Chapter06Grader.overfit { model, x, y, B, T, steps, _ in
        (0..<steps).map { _ in
          model.zeroGradients()
          let loss = model.forward(inputs: x, targets: y, B: B, T: T)!
          model.backward()
          return loss
        }
      } != nil)
  }

  @Test func learningRate() throws {
    let failure = try Chapter06Grader.classify(Chapter06.classify)
    #expect(failure == nil, "\(failure ?? "")")
    #expect(try Chapter06Grader.classify { _ in .healthy } != nil)  // wrong: optimism
  }

  @Test func judge() throws {
    #expect(try Chapter06Grader.overfittingStart(Chapter06.overfittingStart) == nil)
    // Wrong: the first time validation goes up, even a one-step wobble.
    #expect(
      try Chapter06Grader.overfittingStart { _, v in v.indices.dropLast().first { v[$0 + 1] > v[$0] } } != nil)
  }

  @Test func cosine() throws {
    #expect(try Chapter06Grader.cosine(Chapter06.embeddingCosine) == nil)
    // Wrong: the raw dot product.
    #expect(
      try Chapter06Grader.cosine { model, a, b in
        let wte = model.parameters.tensor("transformer.wte.weight")
        return (0..<16).reduce(0) { $0 + wte[a, $1] * wte[b, $1] }
      } != nil)
  }
}
