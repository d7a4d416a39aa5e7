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
    let logits: [Float] = [2, 1, 0.5, -1, 1000 / 1000]
    for t: Float in [0.5, 1, 2] {
      let want = Sampler.distribution(logits, previous: [], options: SamplingOptions(temperature: t))
      let got = try answer(logits, t)
      guard got.count == want.count, zip(got, want).allSatisfy({ abs($0 - $1) < 1e-5 }) else {
        return "temperature \(t): got \(got), want \(want)"
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
}

@Suite("07 exercises")
struct Chapter07Exercises {
  @Test("7.1 greedy", .enabled(if: isAttempted { _ = try greedyPick([0]) }, "not attempted yet"))
  func greedy() throws {
    let failure = try Chapter07Grader.greedy(Exercises.greedyPick)
    #expect(failure == nil, "\(failure ?? "")")
  }

  @Test(
    "7.2 temperature",
    .enabled(if: isAttempted { _ = try temperatureSoftmax([0], temperature: 1) }, "not attempted yet"))
  func temperature() throws {
    let failure = try Chapter07Grader.temperature { try temperatureSoftmax($0, temperature: $1) }
    #expect(failure == nil, "\(failure ?? "")")
  }

  @Test("7.3 top-p", .enabled(if: isAttempted { _ = try topP([1], p: 1) }, "not attempted yet"))
  func nucleus() throws {
    let failure = try Chapter07Grader.nucleus { try topP($0, p: $1) }
    #expect(failure == nil, "\(failure ?? "")")
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
}
