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

@Suite("07 exercises")
struct Chapter07Exercises {
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
