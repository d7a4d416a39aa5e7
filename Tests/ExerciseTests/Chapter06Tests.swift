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

extension Chapter06Grader {
  typealias Update = (inout [Float], [Float], inout [Float], inout [Float], Int, Float, Float, Float, Float, Float)
    throws
    -> Void

  /// Five steps on a tensor of 40, with and without weight decay, against `AdamW.update`.
  static func adamW(_ answer: Update) throws -> String? {
    var (p, m, v) = ([Float(1)], [Float(0)], [Float(0)])
    try answer(&p, [0.5], &m, &v, 1, 0.1, 0, 0.9, 0.95, 1e-8)
    guard abs(p[0] - 0.9) < 1e-6, abs(m[0] - 0.05) < 1e-7, abs(v[0] - 0.0125) < 1e-7 else {
      return "the worked example: got p \(p), m \(m), v \(v); want p [0.9], m [0.05], v [0.0125]"
    }
    let layout = ParameterLayout([
      ("transformer.h.0.mlp.c_fc.weight", [5, 4]), ("transformer.h.0.mlp.c_fc.bias", [20]),
    ])
    let optimizer = AdamW(layout, weightDecay: 0.1)
    let (weights, gradients) = (ParameterBuffer(layout), ParameterBuffer(layout))
    var rng = SplitMix64(seed: 61)
    for i in 0..<40 { weights.base[i] = rng.nextNormal() }
    func slice(_ buffer: ParameterBuffer, _ e: Int) -> [Float] {  // tensor e of the two, (20) each
      Array(UnsafeBufferPointer(start: buffer.base + 20 * e, count: 20))
    }
    let zeros = [Float](repeating: 0, count: 20)
    var mine = (0..<2).map { e in (p: slice(weights, e), m: zeros, v: zeros) }
    for t in 1...5 {
      for i in 0..<40 { gradients.base[i] = rng.nextNormal() }
      optimizer.update(weights, gradients: gradients, lr: 0.01)
      for e in 0..<2 {
        var (p, m, v) = mine[e]
        try answer(&p, slice(gradients, e), &m, &v, t, 0.01, e == 0 ? 0.1 : 0, 0.9, 0.95, 1e-8)
        mine[e] = (p, m, v)
      }
      let got = mine[0].p + mine[1].p
      let want = Array(UnsafeBufferPointer(start: weights.base, count: 40))
      let worst = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
      guard got.count == 40, worst < 1e-6 else {
        return "step \(t) of a (5, 4) weight (λ 0.1) and a (20) bias (λ 0): max |yours - AdamW.update| = "
          + "\(worst) > 1e-6 allowed (bias correction uses β^t; decay multiplies p by 1 - lr·λ after the step)"
      }
    }
    return nil
  }

  static func schedule(_ answer: (Int, Float, Float, Int, Int) throws -> Float) throws -> String? {
    for (maxLR, minLR, warmup, total) in [
      (Float(1e-3), Float(1e-4), 10, 110), (3e-3, 3e-4, 100, 1500), (1e-2, 0, 1, 5),
    ] {
      let reference = LearningRateSchedule(maxLR: maxLR, minLR: minLR, warmupSteps: warmup, totalSteps: total)
      for step in 0...(total + 2) {
        let (got, want) = (try answer(step, maxLR, minLR, warmup, total), reference.rate(at: step))
        if !(abs(got - want) <= 1e-6 * maxLR) {
          return "max \(maxLR), min \(minLR), \(warmup) warmup steps of \(total): step \(step) gives \(got), want "
            + "\(want) (within 1e-6 of the maximum)"
        }
      }
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

  @Test("6.6 the AdamW update", .enabled(if: Gradebook.attempted("6.6"), "not attempted yet"))
  func adamW() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report {
        try Chapter06Grader.adamW {
          try adamWUpdate(
            &$0, gradient: $1, m: &$2, v: &$3, step: $4, lr: $5, weightDecay: $6, beta1: $7, beta2: $8, epsilon: $9)
        }
      }
    }
    Gradebook.record("6.6", result)
  }

  @Test("6.7 warmup, then cosine", .enabled(if: Gradebook.attempted("6.7"), "not attempted yet"))
  func schedule() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report {
        try Chapter06Grader.schedule {
          try Exercises.learningRate(step: $0, maxLR: $1, minLR: $2, warmupSteps: $3, totalSteps: $4)
        }
      }
    }
    Gradebook.record("6.7", result)
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
  @Test func adamW() throws {
    #expect(try Chapter06Grader.adamW(Chapter06.adamWUpdate) == nil)
    // Wrong: no bias correction, so the first steps are a tenth of their size.
    let uncorrected = try Chapter06Grader.adamW { p, g, m, v, _, lr, decay, b1, b2, eps in
      Chapter06.adamWUpdate(
        &p, gradient: g, m: &m, v: &v, step: 10_000, lr: lr, weightDecay: decay, beta1: b1,
        beta2: b2, epsilon: eps)
    }
    #expect(uncorrected?.hasPrefix("the worked example") == true, "\(uncorrected ?? "accepted")")
    // Wrong: weight decay on every tensor, the bias included (λ ignored).
    let decayEverything = try Chapter06Grader.adamW { p, g, m, v, t, lr, _, b1, b2, eps in
      Chapter06.adamWUpdate(
        &p, gradient: g, m: &m, v: &v, step: t, lr: lr, weightDecay: 0.1, beta1: b1,
        beta2: b2, epsilon: eps)
    }
    #expect(decayEverything?.hasPrefix("the worked example") == true, "\(decayEverything ?? "accepted")")
    // Wrong: decay mixed into the gradient (Adam's L2), not decoupled.
    let coupled = try Chapter06Grader.adamW { p, g, m, v, t, lr, decay, b1, b2, eps in
      let mixed = zip(g, p).map { $0 + decay * $1 }
      Chapter06.adamWUpdate(
        &p, gradient: mixed, m: &m, v: &v, step: t, lr: lr, weightDecay: 0, beta1: b1,
        beta2: b2, epsilon: eps)
    }
    #expect(coupled?.hasPrefix("step 1") == true, "\(coupled ?? "accepted")")
  }

  @Test func schedule() throws {
    #expect(try Chapter06Grader.schedule(Chapter06.learningRate) == nil)
    // Wrong: the warmup starts at step 0 with a rate of 0, one step behind.
    let late = try Chapter06Grader.schedule { step, maxLR, minLR, warmup, total in
      step < warmup
        ? maxLR * Float(step) / Float(warmup)
        : Chapter06.learningRate(step: step, maxLR: maxLR, minLR: minLR, warmupSteps: warmup, totalSteps: total)
    }
    #expect(late?.contains("step 0 gives 0.0") == true, "\(late ?? "accepted")")
    // Wrong: the cosine decays to 0 instead of to the floor.
    let toZero = try Chapter06Grader.schedule { step, maxLR, _, warmup, total in
      Chapter06.learningRate(step: step, maxLR: maxLR, minLR: 0, warmupSteps: warmup, totalSteps: total)
    }
    #expect(toZero != nil)
  }

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
