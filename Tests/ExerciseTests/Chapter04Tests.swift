import Exercises
import GPTKit
import Solutions
import Testing

/// Graders for chapter 04 (see Chapter00Tests.swift for how graders are run).
enum Chapter04Grader {
  static func mask(_ answer: (Tensor) throws -> Tensor) throws -> String? {
    var rng = SplitMix64(seed: 41)
    for T in [1, 3, 9] {
      let scores = Tensor.randn([T, T], rng: &rng)
      let got = try answer(scores)
      for i in 0..<T {
        for j in 0..<T {
          let want = j > i ? -Float.infinity : scores[i, j]
          if got[i, j] != want { return "T = \(T): entry (\(i), \(j)) is \(got[i, j]), want \(want)" }
        }
      }
    }
    return nil
  }

  static func attention(_ answer: (Tensor, Tensor, Tensor) throws -> Tensor) throws -> String? {
    var rng = SplitMix64(seed: 42)
    for (T, HS) in [(1, 4), (6, 8), (20, 16)] {
      let qkv = Tensor.randn([1, T, 3 * HS], rng: &rng)
      var out = Tensor(shape: [1, T, HS])
      var att = Tensor(shape: [1, 1, T, T])
      out.withMutablePointer { o in
        att.withMutablePointer { a in
          qkv.withPointer { Attention.forward(out: o, att: a, qkv: $0, B: 1, T: T, C: HS, NH: 1) }
        }
      }
      let split = (0..<3).map { part in
        Tensor(shape: [T, HS], storage: (0..<T).flatMap { t in (0..<HS).map { qkv[0, t, part * HS + $0] } })
      }
      let got = try answer(split[0], split[1], split[2])
      guard got.shape == [T, HS] else { return "T = \(T): shape \(got.shape), want [\(T), \(HS)]" }
      let error = got.maxAbsDifference(out.reshaped([T, HS]))
      if error > 1e-5 {
        return "T = \(T), HS = \(HS): max |yours - Attention.forward| = \(error) > 0.00001 allowed "
          + "(scaled by 1/√HS? masked?)"
      }
    }
    return nil
  }

  static func keys(_ answer: (Tensor, Int, Int) throws -> Tensor) throws -> String? {
    let (T, C, NH) = (3, 8, 4)
    let qkv = Tensor(shape: [T, 3 * C], storage: (0..<(T * 3 * C)).map(Float.init))
    for h in 0..<NH {
      let got = try answer(qkv, h, NH)
      let want = Chapter04Reference.keys(qkv, h, NH)
      if got != want { return "head \(h): got \(got.storage.prefix(4))..., want \(want.storage.prefix(4))..." }
    }
    return nil
  }
}

extension Chapter04Grader {
  typealias HeadBackward = (Tensor, Tensor, Tensor, Tensor) throws -> (dQ: Tensor, dK: Tensor, dV: Tensor)

  /// One head through the fused kernel: `q`, `k`, `v` `(T, HS)` side by side as `(1, T, 3*HS)`.
  static func head(_ q: Tensor, _ k: Tensor, _ v: Tensor) -> Tensor {
    let (T, HS) = (q.shape[0], q.shape[1])
    let rows = (0..<T).flatMap { t in (0..<HS).map { q[t, $0] } + (0..<HS).map { k[t, $0] } + (0..<HS).map { v[t, $0] }
    }
    return Attention.forward(Tensor(shape: [1, T, 3 * HS], storage: rows), heads: 1).out.reshaped([T, HS])
  }

  /// The worked example, then a gradient check of each of dQ, dK, dV on (T, HS) = (6, 4).
  static func headBackward(_ answer: HeadBackward) throws -> String? {
    let one = Tensor(shape: [1, 2], storage: [0.5, -1])
    let single = try answer(one, one, one, one)
    guard single.dV == one, single.dQ.maxAbsDifference(Tensor(shape: [1, 2])) < 1e-7,
      single.dK.maxAbsDifference(Tensor(shape: [1, 2])) < 1e-7
    else {
      return "T = 1: the weight is 1, so dV must be dOut and dQ, dK zero; got dQ \(single.dQ.storage), "
        + "dK \(single.dK.storage), dV \(single.dV.storage)"
    }
    var rng = SplitMix64(seed: 43)
    let (q, k, v) = (
      Tensor.randn([6, 4], rng: &rng), Tensor.randn([6, 4], rng: &rng), Tensor.randn([6, 4], rng: &rng)
    )
    let checks: [(String, Tensor, (Tensor) -> Tensor, KeyPath<(dQ: Tensor, dK: Tensor, dV: Tensor), Tensor>)] = [
      ("dQ", q, { head($0, k, v) }, \.dQ), ("dK", k, { head(q, $0, v) }, \.dK), ("dV", v, { head(q, k, $0) }, \.dV),
    ]
    for (name, x, forward, gradient) in checks {
      let shapes = try answer(x, q, k, v)[keyPath: gradient].shape
      guard shapes == [6, 4] else { return "\(name) has shape \(shapes); it must be (T, HS) = [6, 4]" }
      if let failure = try gradeBackward(x, forward: forward, answer: { try answer($0, q, k, v)[keyPath: gradient] }) {
        return "\(name): \(failure)"
      }
    }
    return nil
  }
}

/// The grader's own slicing, written independently of the solutions.
enum Chapter04Reference {
  /// Columns `first..<first+width` of every row of a `(T, W)` tensor, as `(T, width)`.
  static func columns(_ x: Tensor, from first: Int, width: Int) -> Tensor {
    var out = Tensor(shape: [x.shape[0], width])
    for t in 0..<x.shape[0] { for d in 0..<width { out[t, d] = x[t, first + d] } }
    return out
  }

  static func keys(_ qkv: Tensor, _ h: Int, _ NH: Int) -> Tensor {
    let C = qkv.shape[1] / 3
    return columns(qkv, from: C + h * (C / NH), width: C / NH)
  }
}

@Suite("04 exercises")
struct Chapter04Exercises {
  @Test("4.4 one head's backward", .enabled(if: Gradebook.attempted("4.4"), "not attempted yet"))
  func headBackward() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter04Grader.headBackward { try singleHeadBackward($0, q: $1, k: $2, v: $3) } }
    }
    Gradebook.record("4.4", result)
  }

  @Test("4.1 causal mask", .enabled(if: Gradebook.attempted("4.1"), "not attempted yet"))
  func mask() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter04Grader.mask(Exercises.causalMask) }
    }
    Gradebook.record("4.1", result)
  }

  @Test("4.2 single-head attention", .enabled(if: Gradebook.attempted("4.2"), "not attempted yet"))
  func attention() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter04Grader.attention { try singleHeadAttention(q: $0, k: $1, v: $2) } }
    }
    Gradebook.record("4.2", result)
  }

  @Test("4.3 a head's keys", .enabled(if: Gradebook.attempted("4.3"), "not attempted yet"))
  func headKeys() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter04Grader.keys { try keys(of: $0, head: $1, heads: $2) } }
    }
    Gradebook.record("4.3", result)
  }
}

@Suite("04 graders accept the solutions and reject wrong answers")
struct Chapter04Graders {
  @Test func mask() throws {
    #expect(try Chapter04Grader.mask(Chapter04.causalMask) == nil)
    // Wrong: masks the diagonal too, so a token cannot see itself.
    #expect(
      try Chapter04Grader.mask { s in
        var m = s
        for i in 0..<s.shape[0] { for j in i..<s.shape[0] { m[i, j] = -.infinity } }
        return m
      } != nil)
  }

  @Test func attention() throws {
    #expect(try Chapter04Grader.attention(Chapter04.singleHeadAttention) == nil)
    // Wrong: forgets the 1/√HS scale.
    #expect(
      try Chapter04Grader.attention { q, k, v in
        matmul(Softmax.forward(Chapter04.causalMask(matmul(q, k, transposeB: true))), v)
      } != nil)
  }

  @Test func headBackward() throws {
    #expect(try Chapter04Grader.headBackward { Chapter04.singleHeadBackward($0, q: $1, k: $2, v: $3) } == nil)
    // Wrong: dV = att · dOut, the weights not transposed (key j must collect from the rows that see it).
    let untransposed = try Chapter04Grader.headBackward { dOut, q, k, v in
      let right = Chapter04.singleHeadBackward(dOut, q: q, k: k, v: v)
      let att = Softmax.forward(
        Chapter04.causalMask((1 / Float(q.shape[1]).squareRoot()) * matmul(q, k, transposeB: true)))
      return (right.dQ, right.dK, matmul(att, dOut))
    }
    #expect(untransposed?.hasPrefix("dV: the gradient check fails") == true, "\(untransposed ?? "accepted")")
    // Wrong: the softmax's backward without subtracting Σ att · dAtt.
    let noSum = try Chapter04Grader.headBackward { dOut, q, k, v in
      let scale = 1 / Float(q.shape[1]).squareRoot()
      let att = Softmax.forward(Chapter04.causalMask(scale * matmul(q, k, transposeB: true)))
      let dAtt = matmul(dOut, v, transposeB: true)
      var dS = Tensor(shape: att.shape)
      for i in 0..<att.shape[0] { for j in 0..<att.shape[1] { dS[i, j] = att[i, j] * dAtt[i, j] } }
      return (scale * matmul(dS, k), scale * matmul(dS.transposed(), q), matmul(att.transposed(), dOut))
    }
    #expect(noSum?.hasPrefix("T = 1") == true, "\(noSum ?? "accepted")")  // a lone weight still gets a gradient
  }

  @Test func headKeys() throws {
    #expect(try Chapter04Grader.keys { Chapter04.keys(of: $0, head: $1, heads: $2) } == nil)
    // Wrong: reads the queries (the first third) instead of the keys.
    #expect(
      try Chapter04Grader.keys { qkv, h, NH in
        let C = qkv.shape[1] / 3
        return Chapter04Reference.columns(qkv, from: h * (C / NH), width: C / NH)
      } != nil)
  }
}
