import Exercises
import Foundation
import GPTKit
import Solutions
import Testing

/// Graders for chapter 00. Each returns `nil` when an answer is right, or says what is wrong.
/// Every grader is run three ways: on the learner's answer (skipped until attempted), on the
/// reference solution (must pass) and on a deliberately wrong answer (must fail).
enum Chapter00Grader {
  static func rowMajorOffset(_ answer: ([Int], [Int]) throws -> Int) throws -> String? {
    for shape in [[5], [2, 3, 4], [3, 1, 2, 5]] {
      let probe = Tensor(shape: shape)
      var index = shape.map { $0 - 1 }
      index[0] = shape[0] / 2
      let got = try answer(index, shape)
      if got != probe.offset(index) {
        return "offset of \(index) in shape \(shape): got \(got), want \(probe.offset(index))"
      }
    }
    return nil
  }

  static func naiveMatmul(_ answer: (Tensor, Tensor) throws -> Tensor) throws -> String? {
    var rng = SplitMix64(seed: 5)
    for (M, K, N) in [(1, 1, 1), (3, 5, 2), (7, 4, 9)] {
      let a = Tensor.randn([M, K], rng: &rng)
      let b = Tensor.randn([K, N], rng: &rng)
      let got = try answer(a, b)
      guard got.shape == [M, N] else { return "(\(M), \(K)) x (\(K), \(N)) should be (\(M), \(N)), got \(got.shape)" }
      let error = got.maxAbsDifference(matmul(a, b))
      if error > 1e-4 {
        return "(\(M), \(K)) x (\(K), \(N)): max |yours - matmul| = \(error) > 0.0001 allowed (out[i, j] sums over k)"
      }
    }
    return nil
  }

  static func softmaxRows(_ answer: (Tensor) throws -> Tensor) throws -> String? {
    var rng = SplitMix64(seed: 6)
    let cases = [Tensor.randn([3, 7], rng: &rng), Tensor(shape: [2, 3], storage: [1000, 999, -1000, 0, 0, 0])]
    for x in cases {
      let got = try answer(x)
      guard got.shape == x.shape else { return "shape \(got.shape), want \(x.shape)" }
      if got.storage.contains(where: { !$0.isFinite }) {
        return "nan or inf for logits \(x.storage.prefix(3)): subtract the row maximum first"
      }
      let error = got.maxAbsDifference(Softmax.forward(x))
      if error > 1e-5 {
        return "rows of \(x.shape): max |yours - Softmax.forward| = \(error) > 0.00001 allowed (each row sums to 1)"
      }
    }
    return nil
  }

  /// Inputs across [-3, 3], where each of GELU's terms matters (the x³ term most near ±1.5).
  static func geluBackward(_ answer: (Tensor, Tensor) throws -> Tensor) throws -> String? {
    let x = Tensor(shape: [4, 8], storage: (0..<32).map { -3 + 6 * Float($0) / 31 })
    let s = (2 / Double.pi).squareRoot()
    let gelu = { (v: Double) in 0.5 * v * (1 + tanh(s * (v + 0.044715 * v * v * v))) }
    return try gradeBackward(x, forward: { $0.map(gelu) }) { try answer(x, $0) }
  }
}

@Suite("00 exercises")
struct Chapter00Exercises {
  @Test("0.1 row-major offset", .enabled(if: Gradebook.attempted("0.1"), "not attempted yet"))
  func offset() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter00Grader.rowMajorOffset(Exercises.rowMajorOffset) }
    }
    Gradebook.record("0.1", result)
  }

  @Test("0.2 naive matmul", .enabled(if: Gradebook.attempted("0.2"), "not attempted yet"))
  func matmul() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter00Grader.naiveMatmul(Exercises.naiveMatmul) }
    }
    Gradebook.record("0.2", result)
  }

  @Test("0.3 stable softmax", .enabled(if: Gradebook.attempted("0.3"), "not attempted yet"))
  func softmax() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter00Grader.softmaxRows(Exercises.softmaxRows) }
    }
    Gradebook.record("0.3", result)
  }

  @Test("0.4 GELU backward", .enabled(if: Gradebook.attempted("0.4"), "not attempted yet"))
  func gelu() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter00Grader.geluBackward { try Exercises.geluBackward(x: $0, dOut: $1) } }
    }
    Gradebook.record("0.4", result)
  }
}

@Suite("00 graders accept the solutions and reject wrong answers")
struct Chapter00Graders {
  @Test func offset() throws {
    #expect(try Chapter00Grader.rowMajorOffset(Chapter00.rowMajorOffset) == nil)
    // Wrong: column-major order (the first index moves fastest).
    let columnMajor: ([Int], [Int]) -> Int = { index, shape in
      zip(index, shape).reversed().reduce(0) { $0 * $1.1 + $1.0 }
    }
    #expect(try Chapter00Grader.rowMajorOffset(columnMajor) != nil)
  }

  @Test func matmul() throws {
    #expect(try Chapter00Grader.naiveMatmul(Chapter00.naiveMatmul) == nil)
    // Wrong: overwrites instead of summing, so only the last k survives.
    let lastTermOnly: (Tensor, Tensor) -> Tensor = { a, b in
      var out = Tensor(shape: [a.shape[0], b.shape[1]])
      for i in 0..<a.shape[0] { for j in 0..<b.shape[1] { for k in 0..<a.shape[1] { out[i, j] = a[i, k] * b[k, j] } } }
      return out
    }
    #expect(try Chapter00Grader.naiveMatmul(lastTermOnly) != nil)
  }

  @Test func softmax() throws {
    #expect(try Chapter00Grader.softmaxRows(Chapter00.softmaxRows) == nil)
    // Wrong: the textbook formula without the maximum overflows at logit 1000.
    let unstable: (Tensor) -> Tensor = { x in
      var out = x
      for r in 0..<x.rowCount {
        let row = (0..<x.rowWidth).map { exp(x.storage[r * x.rowWidth + $0]) }
        let sum = row.reduce(0, +)
        for j in row.indices { out.storage[r * x.rowWidth + j] = row[j] / sum }
      }
      return out
    }
    #expect(try Chapter00Grader.softmaxRows(unstable) != nil)
  }

  @Test func gelu() throws {
    #expect(try Chapter00Grader.geluBackward(Chapter00.geluBackward) == nil)
    // Wrong: the derivative of 0.5·x·(1 + tanh(u)) without the product rule's second term.
    let firstTermOnly: (Tensor, Tensor) -> Tensor = { x, dOut in
      let s = (2 / Float.pi).squareRoot()
      var dX = x
      for i in x.storage.indices {
        let v = x.storage[i]
        dX.storage[i] = 0.5 * (1 + tanh(s * (v + 0.044715 * v * v * v))) * dOut.storage[i]
      }
      return dX
    }
    #expect(try Chapter00Grader.geluBackward(firstTermOnly) != nil)
    // Wrong: d(x³)/dx written as x², the 3 forgotten: off by 3% where the x³ term matters.
    let missingThree: (Tensor, Tensor) -> Tensor = { x, dOut in
      let s = (2 / Float.pi).squareRoot()
      var dX = x
      for i in x.storage.indices {
        let v = x.storage[i]
        let t = tanh(s * (v + 0.044715 * v * v * v))
        let local = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * s * (1 + 0.044715 * v * v)
        dX.storage[i] = local * dOut.storage[i]
      }
      return dX
    }
    let failure = try Chapter00Grader.geluBackward(missingThree)
    #expect(failure?.hasPrefix("rel err") == true, "\(failure ?? "accepted")")
    let relative = failure.flatMap { Double($0.dropFirst(8).prefix { $0 != " " }) } ?? 0
    #expect(relative > 100 * 1e-4, "caught by a wide margin, not just over the line: \(failure ?? "")")
  }

  @Test func unattemptedExercisesAreDetected() {
    #expect(isAttempted { _ = Chapter00.rowMajorOffset([0], shape: [1]) })
    #expect(!isAttempted { throw Exercise.notAttempted })
  }
}
