import Exercises
import GPTKit
import Solutions
import Testing

/// Graders for chapter 03 (see Chapter00Tests.swift for how graders are run).
enum Chapter03Grader {
  static func sinusoidal(_ answer: (Int, Int) throws -> Tensor) throws -> String? {
    for (T, C) in [(1, 2), (16, 8), (64, 64)] {
      let got = try answer(T, C)
      guard got.shape == [T, C] else { return "(\(T), \(C)): shape \(got.shape)" }
      let error = got.maxAbsDifference(Embedding.sinusoidal(T: T, C: C))
      if error > 1e-5 {
        return "(\(T), \(C)): max |yours - Embedding.sinusoidal| = \(error) > 0.00001 allowed (sin on even columns)"
      }
    }
    return nil
  }

  static func backward(_ answer: (Tensor, [Int], Int) throws -> Tensor) throws -> String? {
    var rng = SplitMix64(seed: 31)
    let tokens = [3, 1, 3, 0, 3, 2]
    let dOut = Tensor.randn([6, 4], rng: &rng)
    var want = Tensor(shape: [5, 4])
    want.withMutablePointer { d in
      dOut.withPointer { g in
        tokens.map(Int32.init).withUnsafeBufferPointer {
          Embedding.backward(dWte: d, dPositions: nil, dOut: g, tokens: $0.baseAddress!, B: 6, T: 1, C: 4)
        }
      }
    }
    let got = try answer(dOut, tokens, 5)
    guard got.shape == [5, 4] else { return "shape \(got.shape), want [5, 4]" }
    let error = got.maxAbsDifference(want)
    return error < 1e-5
      ? nil
      : "max |yours - Embedding.backward| = \(error) > 0.00001 allowed; token 3 appears 3 times: its row must be "
        + "the sum of 3 gradients"
  }

  static func cosine(_ answer: ([Float], [Float]) throws -> Float) throws -> String? {
    let cases: [([Float], [Float], Float)] = [
      ([1, 0], [0, 1], 0), ([1, 2], [2, 4], 1), ([1, 1], [-1, -1], -1), ([3, 4], [4, 3], 24.0 / 25),
      ([0, 0], [1, 1], 0),
    ]
    for (a, b, want) in cases {
      let got = try answer(a, b)
      if !(abs(got - want) < 1e-5) { return "cos(\(a), \(b)): got \(got), want \(want)" }
    }
    return nil
  }
}

@Suite("03 exercises")
struct Chapter03Exercises {
  @Test("3.1 sinusoidal encoding", .enabled(if: Gradebook.attempted("3.1"), "not attempted yet"))
  func sinusoidal() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter03Grader.sinusoidal { try sinusoidalEncoding(T: $0, C: $1) } }
    }
    Gradebook.record("3.1", result)
  }

  @Test("3.2 embedding backward", .enabled(if: Gradebook.attempted("3.2"), "not attempted yet"))
  func backward() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter03Grader.backward { try embeddingBackward(dOut: $0, tokens: $1, V: $2) } }
    }
    Gradebook.record("3.2", result)
  }

  @Test("3.3 cosine similarity", .enabled(if: Gradebook.attempted("3.3"), "not attempted yet"))
  func cosine() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter03Grader.cosine(Exercises.cosineSimilarity) }
    }
    Gradebook.record("3.3", result)
  }
}

@Suite("03 graders accept the solutions and reject wrong answers")
struct Chapter03Graders {
  @Test func sinusoidal() throws {
    #expect(try Chapter03Grader.sinusoidal(Chapter03.sinusoidalEncoding) == nil)
    // Wrong: sin and cos swapped.
    #expect(
      try Chapter03Grader.sinusoidal { T, C in
        let right = Chapter03.sinusoidalEncoding(T: T, C: C)
        var swapped = right
        for t in 0..<T {
          for i in 0..<(C / 2) { (swapped[t, 2 * i], swapped[t, 2 * i + 1]) = (right[t, 2 * i + 1], right[t, 2 * i]) }
        }
        return swapped
      } != nil)
  }

  @Test func backward() throws {
    #expect(try Chapter03Grader.backward(Chapter03.embeddingBackward) == nil)
    // Wrong: overwrites the row, so a repeated token keeps only its last gradient.
    #expect(
      try Chapter03Grader.backward { dOut, tokens, V in
        var d = Tensor(shape: [V, dOut.shape[1]])
        for (n, t) in tokens.enumerated() { for c in 0..<dOut.shape[1] { d[t, c] = dOut[n, c] } }
        return d
      } != nil)
  }

  @Test func cosine() throws {
    #expect(try Chapter03Grader.cosine(Chapter03.cosineSimilarity) == nil)
    // Wrong: the dot product without normalising.
    #expect(try Chapter03Grader.cosine { a, b in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } } != nil)
  }
}
