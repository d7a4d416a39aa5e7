import Exercises
import GPTKit
import Solutions
import Testing

/// Graders for chapter 05 (see Chapter00Tests.swift for how graders are run).
enum Chapter05Grader {
  static func count(_ answer: (Int, Int, Int, Int, Bool) throws -> Int) throws -> String? {
    for (V, T, C, L) in [(50257, 1024, 768, 12), (65, 64, 128, 4), (512, 256, 384, 6), (11, 5, 16, 2)] {
      let tied = GPTConfig(vocabularySize: V, contextLength: T, layerCount: L, headCount: 1, channels: C).parameterCount
      for (isTied, want) in [(true, tied), (false, tied + V * C)] {
        let got = try answer(V, T, C, L, isTied)
        if got != want { return "V \(V), T \(T), C \(C), L \(L), tied \(isTied): got \(got), want \(want)" }
      }
    }
    return nil
  }

  static func forward(_ answer: (Tensor, Tensor, Tensor) throws -> Tensor) throws -> String? {
    var rng = SplitMix64(seed: 51)
    let x = Tensor.randn([5, 12], mean: 2, std: 3, rng: &rng)
    let (w, b) = (Tensor.randn([12], rng: &rng), Tensor.randn([12], rng: &rng))
    let got = try answer(x, w, b)
    guard got.shape == x.shape else { return "shape \(got.shape), want the input's \(x.shape)" }
    let error = got.maxAbsDifference(LayerNorm.forward(x, weight: w, bias: b).out)
    return error < 1e-4
      ? nil : "max |yours - LayerNorm.forward| = \(error) > 0.0001 allowed (each row: mean 0, variance 1, then w, b)"
  }

  static func backward(_ answer: (Tensor, Tensor, Tensor) throws -> Tensor) throws -> String? {
    var rng = SplitMix64(seed: 52)
    let x = Tensor.randn([3, 8], rng: &rng)
    let (w, b) = (Tensor.randn([8], rng: &rng), Tensor.randn([8], rng: &rng))
    let forward = { (v: [Double]) in  // LayerNorm in double precision, row by row
      stride(from: 0, to: v.count, by: 8).flatMap { start -> [Double] in
        let row = v[start..<(start + 8)]
        let mean = row.reduce(0, +) / 8
        let rstd = 1 / (row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 8 + 1e-5).squareRoot()
        return row.enumerated().map { c, value in (value - mean) * rstd * Double(w[c]) + Double(b[c]) }
      }
    }
    return try gradeBackward(x, forward: forward) { try answer(x, w, $0) }
  }
}

@Suite("05 exercises")
struct Chapter05Exercises {
  @Test("5.1 parameter count", .enabled(if: Gradebook.attempted("5.1"), "not attempted yet"))
  func count() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter05Grader.count { try parameterCount(V: $0, T: $1, C: $2, L: $3, tied: $4) } }
    }
    Gradebook.record("5.1", result)
  }

  @Test("5.2 LayerNorm forward", .enabled(if: Gradebook.attempted("5.2"), "not attempted yet"))
  func forward() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter05Grader.forward { try layerNormForward($0, weight: $1, bias: $2) } }
    }
    Gradebook.record("5.2", result)
  }

  @Test("5.3 LayerNorm backward", .enabled(if: Gradebook.attempted("5.3"), "not attempted yet"))
  func backward() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter05Grader.backward { try layerNormBackward($0, weight: $1, dOut: $2) } }
    }
    Gradebook.record("5.3", result)
  }
}

@Suite("05 graders accept the solutions and reject wrong answers")
struct Chapter05Graders {
  @Test func count() throws {
    #expect(try Chapter05Grader.count(Chapter05.parameterCount) == nil)
    // Wrong: forgets the biases (llm.c-style reference models have none; GPT-2 does).
    #expect(
      try Chapter05Grader.count { V, T, C, L, tied in V * C + T * C + L * 12 * C * C + (tied ? 0 : V * C) } != nil)
  }

  @Test func forward() throws {
    #expect(try Chapter05Grader.forward { Chapter05.layerNormForward($0, weight: $1, bias: $2) } == nil)
    // Wrong: divides by the standard deviation of the whole tensor, not each row's.
    #expect(
      try Chapter05Grader.forward { x, w, b in
        let mean = x.mean()
        let std = (x.storage.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(x.count)).squareRoot()
        var out = x
        for n in 0..<x.shape[0] { for c in 0..<x.shape[1] { out[n, c] = (x[n, c] - mean) / std * w[c] + b[c] } }
        return out
      } != nil)
  }

  @Test func backward() throws {
    #expect(try Chapter05Grader.backward { Chapter05.layerNormBackward($0, weight: $1, dOut: $2) } == nil)
    // Wrong: treats mean and variance as constants, dX = dOut · weight · rstd.
    #expect(
      try Chapter05Grader.backward { x, w, dOut in
        var dX = x
        for n in 0..<x.shape[0] {
          let row = x.storage[(n * x.shape[1])..<((n + 1) * x.shape[1])]
          let mean = row.reduce(0, +) / Float(row.count)
          let rstd = 1 / (row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(row.count) + 1e-5).squareRoot()
          for c in 0..<x.shape[1] { dX[n, c] = dOut[n, c] * w[c] * rstd }
        }
        return dX
      } != nil)
    // Wrong: the mean of dNorm subtracted, but the term through the variance forgotten.
    let noVarianceTerm = try Chapter05Grader.backward { x, w, dOut in
      let C = x.shape[1]
      var dX = x
      for n in 0..<x.shape[0] {
        let row = x.storage[(n * C)..<((n + 1) * C)]
        let mean = row.reduce(0, +) / Float(C)
        let rstd = 1 / (row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(C) + 1e-5).squareRoot()
        let dNorm = (0..<C).map { dOut[n, $0] * w[$0] }
        let meanDNorm = dNorm.reduce(0, +) / Float(C)
        for c in 0..<C { dX[n, c] = (dNorm[c] - meanDNorm) * rstd }
      }
      return dX
    }
    #expect(noVarianceTerm?.hasPrefix("rel err") == true, "\(noVarianceTerm ?? "accepted")")
  }
}
