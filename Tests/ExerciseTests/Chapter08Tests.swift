import Exercises
import Foundation
import GPTKit
import Solutions
import Testing

/// Graders for chapter 08 (see Chapter00Tests.swift for how graders are run).
enum Chapter08Grader {
  static let configs = [
    GPTConfig(vocabularySize: 512, contextLength: 128, layerCount: 4, headCount: 6, channels: 192),
    GPTConfig(vocabularySize: 65, contextLength: 64, layerCount: 1, headCount: 4, channels: 128),
    .gpt2Small,
  ]

  static func nonEmbedding(_ answer: (GPTConfig) throws -> Int) throws -> String? {
    for c in configs {
      let got = try answer(c)
      let want = c.parameterCount - c.vocabularySize * c.channels - c.contextLength * c.channels
      if got != want { return "L \(c.layerCount), C \(c.channels): got \(got), want \(want)" }
    }
    return nil
  }

  static func flops(_ answer: (GPTConfig) throws -> Double) throws -> String? {
    for c in configs {
      let (got, want) = (try answer(c), c.trainingFLOPsPerToken())
      if !(abs(got / want - 1) < 1e-9) {
        return "L \(c.layerCount), C \(c.channels), T \(c.contextLength): got \(got), want \(want) FLOPs per token"
      }
    }
    return nil
  }

  /// Points on `y = 2.5 · x^-0.3` times a small wobble, so only a fit in log space lands on it.
  static let curve: [(x: Double, y: Double)] = [1.0, 10, 100, 1e3, 1e4, 1e5].enumerated().map { k, x in
    (x, 2.5 * pow(x, -0.3) * (k % 2 == 0 ? 1.01 : 1 / 1.01))
  }

  static func powerLaw(_ answer: ([(x: Double, y: Double)]) throws -> (coefficient: Double, exponent: Double)) throws
    -> String?
  {
    let want = LeastSquares.powerLaw(curve)!
    let got = try answer(curve)
    guard abs(got.exponent - want.exponent) < 1e-6, abs(got.coefficient / want.coefficient - 1) < 1e-6 else {
      return "got \(got.coefficient) x^\(got.exponent), want \(want.coefficient) x^\(want.exponent)"
    }
    return nil
  }

  /// A law with α ≠ β, so the best split is not a fixed number of tokens per parameter.
  static let law = LossLaw(E: 1.5, A: 200, alpha: 0.3, B: 600, beta: 0.4)

  static func optimum(_ answer: (Double, LossLaw) throws -> (parameters: Double, tokens: Double)) throws -> String? {
    for budget in [1e15, 1e19, 1e23] {
      let want = law.computeOptimal(budget: budget, flopsPerToken: { 6 * $0 })
      let got = try answer(budget, law)
      guard abs(log(got.parameters / want.parameters)) < 0.01, abs(6 * got.parameters * got.tokens / budget - 1) < 0.01
      else {
        return "C \(budget): got N \(got.parameters), D \(got.tokens); want N \(want.parameters), D \(want.tokens)"
      }
    }
    return nil
  }

  static func utilisation(_ answer: (Double, Int, Double, Double) throws -> Double) throws -> String? {
    let cases: [(Double, Int, Double, Double, Double)] = [(0.5, 4096, 1e7, 200, 0.4096), (2, 1024, 8e8, 512, 0.8)]
    for (seconds, tokens, flops, peak, want) in cases {
      let got = try answer(seconds, tokens, flops, peak)
      if !(abs(got - want) < 1e-9) {
        return "\(tokens) tokens in \(seconds) s at \(flops) FLOPs each, peak \(peak) GFLOP/s: got \(got), want \(want)"
      }
    }
    return nil
  }
}

@Suite("08 exercises")
struct Chapter08Exercises {
  @Test("8.1 non-embedding parameters", .enabled(if: Gradebook.attempted("8.1"), "not attempted yet"))
  func nonEmbedding() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter08Grader.nonEmbedding { try nonEmbeddingParameters($0) } }
    }
    Gradebook.record("8.1", result)
  }

  @Test("8.2 FLOPs per token", .enabled(if: Gradebook.attempted("8.2"), "not attempted yet"))
  func flops() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter08Grader.flops { try flopsPerToken($0) } }
    }
    Gradebook.record("8.2", result)
  }

  @Test("8.3 a power law by least squares", .enabled(if: Gradebook.attempted("8.3"), "not attempted yet"))
  func powerLaw() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter08Grader.powerLaw { try fitPowerLaw($0) } }
    }
    Gradebook.record("8.3", result)
  }

  @Test("8.4 the compute-optimal split", .enabled(if: Gradebook.attempted("8.4"), "not attempted yet"))
  func optimum() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter08Grader.optimum { try computeOptimal(budget: $0, law: $1) } }
    }
    Gradebook.record("8.4", result)
  }

  @Test("8.5 MFU from a step time", .enabled(if: Gradebook.attempted("8.5"), "not attempted yet"))
  func mfu() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report {
        try Chapter08Grader.utilisation {
          try utilisation(stepSeconds: $0, tokensPerStep: $1, flopsPerToken: $2, peakGFLOPs: $3)
        }
      }
    }
    Gradebook.record("8.5", result)
  }
}

@Suite("08 graders accept the solutions and reject wrong answers")
struct Chapter08Graders {
  @Test func nonEmbedding() throws {
    #expect(try Chapter08Grader.nonEmbedding(Chapter08.nonEmbeddingParameters) == nil)
    // Wrong: 12·L·C², the usual approximation, without biases and LayerNorms.
    #expect(try Chapter08Grader.nonEmbedding { 12 * $0.layerCount * $0.channels * $0.channels } != nil)
  }

  @Test func flops() throws {
    #expect(try Chapter08Grader.flops(Chapter08.flopsPerToken) == nil)
    #expect(try Chapter08Grader.flops { 6 * Double($0.parameterCount) } != nil)  // wrong: 6N alone
  }

  @Test func powerLaw() throws {
    #expect(try Chapter08Grader.powerLaw(Chapter08.fitPowerLaw) == nil)
    // Wrong: the line through the first and last points only, not the least-squares one.
    #expect(
      try Chapter08Grader.powerLaw { p in
        let b = log(p.last!.y / p.first!.y) / log(p.last!.x / p.first!.x)
        return (p.first!.y / pow(p.first!.x, b), b)
      } != nil)
  }

  @Test func optimum() throws {
    #expect(try Chapter08Grader.optimum(Chapter08.computeOptimal) == nil)
    // Wrong: Chinchilla's 20 tokens per parameter, whatever the law says.
    #expect(try Chapter08Grader.optimum { C, _ in ((C / 120).squareRoot(), 20 * (C / 120).squareRoot()) } != nil)
  }

  @Test func mfu() throws {
    #expect(try Chapter08Grader.utilisation(Chapter08.utilisation) == nil)
    // Wrong: the step's FLOPs per second against a peak read as FLOP/s instead of GFLOP/s.
    #expect(try Chapter08Grader.utilisation { s, n, f, p in Double(n) / s * f / p } != nil)
  }
}
