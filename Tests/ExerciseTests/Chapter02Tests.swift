import Exercises
import GPTKit
import Solutions
import Testing

/// Graders for chapter 02 (see Chapter00Tests.swift for how graders are run).
enum Chapter02Grader {
  static func windowCount(_ answer: (Int, Int, Int) throws -> Int) throws -> String? {
    for (n, t, s) in [(10, 4, 4), (10, 4, 1), (10, 4, 3), (5, 4, 1), (4, 4, 1), (452_440, 64, 64), (452_440, 256, 128)]
    {
      let want = TokenWindows([Int32](repeating: 0, count: n), contextLength: t, stride: s).count
      let got = try answer(n, t, s)
      if got != want {
        return "\(n) tokens, T = \(t), stride \(s): got \(got), want \(want) (each window needs T + 1 tokens)"
      }
    }
    return nil
  }

  static func window(_ answer: ([Int], Int, Int) throws -> (x: [Int], y: [Int])) throws -> String? {
    let tokens = Array(100..<120)
    for (start, t) in [(0, 4), (5, 8), (15, 4)] {
      let got = try answer(tokens, start, t)
      let (x, y) = TokenWindows(tokens.map(Int32.init), contextLength: t, stride: 1).window(start)
      if got.x != x.map(Int.init) || got.y != y.map(Int.init) {
        return "start \(start), T = \(t): got x \(got.x), y \(got.y)"
      }
    }
    return nil
  }

  static func split(_ answer: ([Int], Double) throws -> (train: [Int], validation: [Int])) throws -> String? {
    for (n, f) in [(10, 0.9), (7, 0.9), (100, 0.5), (3, 1.0)] {
      let tokens = Array(0..<n)
      let (train, validation) = GPTKit.trainValidationSplit(tokens.map(Int32.init), trainFraction: f)
      let got = try answer(tokens, f)
      if got.train != train.map(Int.init) || got.validation != validation.map(Int.init) {
        return "\(n) tokens at \(f): got \(got.train.count) + \(got.validation.count), "
          + "want \(train.count) + \(validation.count)"
      }
    }
    return nil
  }

  static func coverage(_ answer: (Int, Int, Int) throws -> Double) throws -> String? {
    // Draws of a quarter, one and three epochs' worth: no single number fits them all.
    for (n, t, draws) in [(100_000, 64, 100_000 / 64), (100_000, 64, 100_000 / 256), (40_000, 32, 3 * 40_000 / 32)] {
      var measured = 0.0
      for run in 0..<5 {  // the average of five simulations: close to the expectation
        var rng = SplitMix64(seed: UInt64(n + run))
        var covered = [Bool](repeating: false, count: n)
        for _ in 0..<draws {
          let s = rng.nextInt(below: n - t)
          for p in s..<(s + t) { covered[p] = true }
        }
        measured += Double(covered.filter { $0 }.count) / Double(n) / 5
      }
      let got = try answer(n, t, draws)
      if abs(got - measured) > 0.01 {
        return "N = \(n), T = \(t), \(draws) draws: you predict \(got), the mean of five simulations is "
          + "\(measured.formatted(decimals: 4)) (|difference| > 0.01 allowed)"
      }
    }
    return nil
  }
}

@Suite("02 exercises")
struct Chapter02Exercises {
  @Test("2.1 window count", .enabled(if: Gradebook.attempted("2.1"), "not attempted yet"))
  func count() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report {
        try Chapter02Grader.windowCount {
          try Exercises.windowCount(tokens: $0, contextLength: $1, stride: $2)
        }
      }
    }
    Gradebook.record("2.1", result)
  }

  @Test("2.2 one window", .enabled(if: Gradebook.attempted("2.2"), "not attempted yet"))
  func oneWindow() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter02Grader.window { try Exercises.window($0, start: $1, contextLength: $2) } }
    }
    Gradebook.record("2.2", result)
  }

  @Test("2.3 train/validation split", .enabled(if: Gradebook.attempted("2.3"), "not attempted yet"))
  func split() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter02Grader.split { try Exercises.trainValidationSplit($0, trainFraction: $1) } }
    }
    Gradebook.record("2.3", result)
  }

  @Test("2.4 random-offset coverage", .enabled(if: Gradebook.attempted("2.4"), "not attempted yet"))
  func coverage() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report {
        try Chapter02Grader.coverage {
          try Exercises.randomCoverage(tokens: $0, contextLength: $1, draws: $2)
        }
      }
    }
    Gradebook.record("2.4", result)
  }
}

@Suite("02 graders accept the solutions and reject wrong answers")
struct Chapter02Graders {
  @Test func count() throws {
    #expect(try Chapter02Grader.windowCount(Chapter02.windowCount) == nil)
    // Wrong: forgets that the last window needs one extra token for its target.
    #expect(try Chapter02Grader.windowCount { n, t, s in n < t ? 0 : (n - t) / s + 1 } != nil)
  }

  @Test func oneWindow() throws {
    #expect(try Chapter02Grader.window(Chapter02.window) == nil)
    // Wrong: y is x itself, so the model would learn to copy, not to predict.
    #expect(
      try Chapter02Grader.window { tokens, s, t in (Array(tokens[s..<(s + t)]), Array(tokens[s..<(s + t)])) } != nil)
  }

  @Test func split() throws {
    #expect(try Chapter02Grader.split(Chapter02.trainValidationSplit) == nil)
    // Wrong: validation taken from the start of the text.
    #expect(
      try Chapter02Grader.split { tokens, f in
        let cut = tokens.count - Int(Double(tokens.count) * f)
        return (Array(tokens[cut...]), Array(tokens[..<cut]))
      } != nil)
  }

  @Test func coverage() throws {
    let failure = try Chapter02Grader.coverage(Chapter02.randomCoverage)
    #expect(failure == nil, "\(failure ?? "")")
    // Wrong: assumes the windows never overlap, so an epoch's worth covers everything.
    #expect(try Chapter02Grader.coverage { n, t, d in min(1, Double(d * t) / Double(n)) } != nil)
    // Wrong: the famous 1 - 1/e, right only when the draws add up to exactly one epoch.
    #expect(try Chapter02Grader.coverage { _, _, _ in 0.632 } != nil)
  }
}
