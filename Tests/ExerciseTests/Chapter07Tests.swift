import Exercises
import Foundation
import GPTKit
import Solutions
import Testing

/// Graders for chapter 07 (see Chapter00Tests.swift for how graders are run).
enum Chapter07Grader {
  static func greedy(_ answer: ([Float]) throws -> Int) throws -> String? {
    for (logits, want) in [([0.1, 2, -1, 1.9], 1), ([5, 5, 1], 0), ([-3, -1, -2], 1), ([7], 0)] as [([Float], Int)] {
      let got = try answer(logits)
      if got != want { return "logits \(logits): got \(got), want \(want)" }
    }
    return nil
  }

  static func temperature(_ answer: ([Float], Float) throws -> [Float]) throws -> String? {
    // The last case overflows exp unless the maximum is subtracted first.
    for (logits, t) in [
      ([2, 1, 0.5, -1, 1], 0.5), ([2, 1, 0.5, -1, 1], 1), ([2, 1, 0.5, -1, 1], 2), ([100, 99, 50], 0.5),
    ]
      as [([Float], Float)]
    {
      let want = Sampler.distribution(logits, previous: [], options: SamplingOptions(temperature: t))
      let got = try answer(logits, t)
      guard got.count == want.count, zip(got, want).allSatisfy({ abs($0 - $1) < 1e-5 }) else {
        return "logits \(logits) at temperature \(t): got \(got), want \(want) (each within 0.00001; "
          + "nan means exp overflowed: subtract the maximum)"
      }
    }
    return nil
  }

  static func nucleus(_ answer: ([Float], Float) throws -> [Float]) throws -> String? {
    let p: [Float] = [0.05, 0.4, 0.3, 0.15, 0.1]
    for (top, keep) in [(0.5, [1, 2]), (0.7, [1, 2]), (0.71, [1, 2, 3]), (1.0, [0, 1, 2, 3, 4])] as [(Float, [Int])] {
      let got = try answer(p, top)
      let kept = got.indices.filter { got[$0] > 0 }
      guard kept == keep else { return "p = \(top): kept tokens \(kept), want \(keep) (the smallest set reaching p)" }
      guard abs(got.reduce(0, +) - 1) < 1e-5 else { return "p = \(top): the result sums to \(got.reduce(0, +)), not 1" }
    }
    return nil
  }

  static func bfloat16(_ answer: (Float) throws -> UInt16) throws -> String? {
    var rng = SplitMix64(seed: 74)
    let ties: [UInt32] = [0x3F80_8000, 0x3F81_8000, 0xC2C7_8000, 0x3F80_8001, 0x3F80_7FFF, 0x7F7F_FFFF, 0x0000_8000]
    let random = (0..<2_000).map { _ in UInt32(truncatingIfNeeded: rng.next()) & 0xBFFF_FFFF }  // finite
    for bits in ties + random {
      let x = Float(bitPattern: bits)
      let (got, want) = (try answer(x), BFloat16(x).bitPattern)
      if got != want {
        return "x = \(x) (bits 0x\(String(bits, radix: 16))): "
          + "got 0x\(String(got, radix: 16)), want 0x\(String(want, radix: 16))"
      }
    }
    return nil
  }
}

extension Chapter07Grader {
  typealias Store = (inout [Float], inout [Float], [Float], Int, Int, Int) throws -> Void

  /// Fills a cache of T 5 for 2 heads of 3 position by position, against `KVCache`'s layout.
  static func store(_ answer: Store) throws -> String? {
    var (k, v) = ([Float](repeating: 0, count: 6), [Float](repeating: 0, count: 6))
    try answer(&k, &v, [1, 2, 3, 4, 5, 6], 1, 3, 1)
    guard k == [0, 3, 0, 0, 4, 0], v == [0, 0, 5, 6, 0, 0] else {
      return "the worked example: got keysT \(k), values \(v); want [0, 3, 0, 0, 4, 0] and [0, 0, 5, 6, 0, 0]"
    }
    let (T, NH, HS) = (5, 2, 3)
    let C = NH * HS
    var (keysT, values) = ([Float](repeating: 0, count: C * T), [Float](repeating: 0, count: C * T))
    for p in 0..<T {
      let qkv = (0..<(3 * C)).map { Float(100 * p + $0) }  // position p's q, k, v
      try answer(&keysT, &values, qkv, p, T, NH)
      guard keysT.count == C * T, values.count == C * T else { return "keysT and values must keep C·T = \(C * T)" }
      for i in 0..<C where keysT[i * T + p] != qkv[C + i] {
        return "position \(p): keysT[\(i) * T + \(p)] is \(keysT[i * T + p]), want key element \(i) = \(qkv[C + i]) "
          + "(keys are stored transposed, (C, T))"
      }
      for h in 0..<NH {
        for d in 0..<HS where values[(h * T + p) * HS + d] != qkv[2 * C + h * HS + d] {
          return "position \(p), head \(h): values[(\(h) * T + \(p)) * HS + \(d)] is "
            + "\(values[(h * T + p) * HS + d]), want \(qkv[2 * C + h * HS + d]) ((NH, T, HS): one block per head)"
        }
      }
    }
    return nil
  }
}

@Suite("07 exercises")
struct Chapter07Exercises {
  @Test("7.5 the KV cache's append", .enabled(if: Gradebook.attempted("7.5"), "not attempted yet"))
  func store() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report {
        try Chapter07Grader.store {
          try storeKeyValue(keysT: &$0, values: &$1, qkv: $2, position: $3, T: $4, heads: $5)
        }
      }
    }
    Gradebook.record("7.5", result)
  }

  @Test("7.1 greedy", .enabled(if: Gradebook.attempted("7.1"), "not attempted yet"))
  func greedy() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter07Grader.greedy(Exercises.greedyPick) }
    }
    Gradebook.record("7.1", result)
  }

  @Test("7.2 temperature", .enabled(if: Gradebook.attempted("7.2"), "not attempted yet"))
  func temperature() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter07Grader.temperature { try temperatureSoftmax($0, temperature: $1) } }
    }
    Gradebook.record("7.2", result)
  }

  @Test("7.3 top-p", .enabled(if: Gradebook.attempted("7.3"), "not attempted yet"))
  func nucleus() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter07Grader.nucleus { try topP($0, p: $1) } }
    }
    Gradebook.record("7.3", result)
  }
}

extension Chapter07Exercises {
  @Test("7.4 BFloat16", .enabled(if: Gradebook.attempted("7.4"), "not attempted yet"))
  func bfloat16() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter07Grader.bfloat16(Exercises.bfloat16Bits) }
    }
    Gradebook.record("7.4", result)
  }
}

@Suite("07 graders accept the solutions and reject wrong answers")
struct Chapter07Graders {
  @Test func store() throws {
    #expect(
      try Chapter07Grader.store {
        try Chapter07.storeKeyValue(keysT: &$0, values: &$1, qkv: $2, position: $3, T: $4, heads: $5)
      } == nil)
    // Wrong: the key stored as a row of a (T, C) table, not a column of (C, T).
    let rows = try Chapter07Grader.store { keysT, values, qkv, p, T, NH in
      let C = qkv.count / 3
      Chapter07.storeKeyValue(keysT: &keysT, values: &values, qkv: qkv, position: p, T: T, heads: NH)
      for i in 0..<C { keysT[i * T + p] = 0 }
      for i in 0..<C { keysT[p * C + i] = qkv[C + i] }
    }
    #expect(rows != nil)
    // Wrong: values laid out (T, C) like the fused buffer, not one block per head.
    let interleaved = try Chapter07Grader.store { keysT, values, qkv, p, T, NH in
      let C = qkv.count / 3
      for i in 0..<C { keysT[i * T + p] = qkv[C + i] }
      for i in 0..<C { values[p * C + i] = qkv[2 * C + i] }
    }
    #expect(interleaved?.contains("one block per head") == true, "\(interleaved ?? "accepted")")
  }

  @Test func greedy() throws {
    #expect(try Chapter07Grader.greedy(Chapter07.greedyPick) == nil)
    #expect(try Chapter07Grader.greedy { $0.indices.min { $0 < $1 }! } != nil)  // wrong: the first index, always
  }

  @Test func temperature() throws {
    #expect(try Chapter07Grader.temperature(Chapter07.temperatureSoftmax) == nil)
    // Wrong: multiplies by the temperature, so hot becomes sharp.
    #expect(
      try Chapter07Grader.temperature { l, t in Chapter07.temperatureSoftmax(l.map { $0 * t * t }, temperature: t) }
        != nil)
    // Wrong: the textbook softmax without the maximum, nan at logit 100 / 0.5.
    #expect(
      try Chapter07Grader.temperature { l, t in
        let e = l.map { exp($0 / t) }
        return e.map { $0 / e.reduce(0, +) }
      } != nil)
  }

  @Test func nucleus() throws {
    #expect(try Chapter07Grader.nucleus(Chapter07.topP) == nil)
    // Wrong: stops before the token that crosses p, so the kept mass is below p.
    #expect(
      try Chapter07Grader.nucleus { probs, top in
        var kept = [Float](repeating: 0, count: probs.count)
        var mass: Float = 0
        for i in probs.indices.sorted(by: { probs[$0] > probs[$1] }) where mass + probs[i] <= top {
          kept[i] = probs[i]
          mass += probs[i]
        }
        return kept.map { $0 / max(mass, 1e-9) }
      } != nil)
  }

  @Test func bfloat16() throws {
    #expect(try Chapter07Grader.bfloat16(Chapter07.bfloat16Bits) == nil)
    #expect(try Chapter07Grader.bfloat16 { UInt16($0.bitPattern >> 16) } != nil)  // wrong: truncates
    // Wrong: rounds ties up (away from zero) instead of to even.
    #expect(try Chapter07Grader.bfloat16 { UInt16(truncatingIfNeeded: ($0.bitPattern &+ 0x8000) >> 16) } != nil)
  }
}
