import Exercises
import GPTKit
import Solutions
import Testing

/// Graders for chapter 01 (see Chapter00Tests.swift for how graders are run).
enum Chapter01Grader {
  static let texts = ["hello", "First Citizen:\nSpeak, speak.", "café 日本 😀 e\u{301}", "", "aaabdaaabac"]

  static func characterVocabulary(_ answer: (String) throws -> [Unicode.Scalar]) throws -> String? {
    for text in texts {
      let want = CharTokenizer(corpus: text).scalars
      let got = try answer(text)
      if got != want {
        return "vocabulary of \(text.debugDescription): got \(got), want \(want) (distinct, sorted by code point)"
      }
    }
    return nil
  }

  static func pairCounts(_ answer: ([Int]) throws -> [TokenPair: Int]) throws -> String? {
    var rng = SplitMix64(seed: 11)
    let cases =
      [[1, 2, 3, 1, 2], [], [7], [5, 5, 5, 5]] + (0..<20).map { _ in (0..<30).map { _ in rng.nextInt(below: 4) } }
    for ids in cases {
      var want: [TokenPair: Int] = [:]
      for i in ids.indices.dropLast() { want[TokenPair(ids[i], ids[i + 1]), default: 0] += 1 }
      let got = try answer(ids)
      if got != want {
        return "pairs of \(ids): got \(got.count) distinct pairs with counts \(got.values.sorted()), "
          + "want \(want.values.sorted())"
      }
    }
    return nil
  }

  static func merge(_ answer: ([Int], TokenPair, Int) throws -> [Int]) throws -> String? {
    let cases: [([Int], TokenPair, [Int])] = [
      ([1, 2, 3, 1, 2], TokenPair(1, 2), [9, 3, 9]),
      ([1, 1, 1], TokenPair(1, 1), [9, 1]),
      ([1, 1, 1, 1], TokenPair(1, 1), [9, 9]),
      ([2, 1], TokenPair(1, 2), [2, 1]),
      ([], TokenPair(1, 2), []),
    ]
    for (ids, pair, want) in cases {
      let got = try answer(ids, pair, 9)
      if got != want { return "merge \(ids) with (\(pair.first), \(pair.second)) -> 9: got \(got), want \(want)" }
    }
    return nil
  }

  static func trainMerges(_ answer: (String, Int) throws -> [TokenPair]) throws -> String? {
    var rng = SplitMix64(seed: 12)
    let letters = Array("abcab")
    let randomTexts = (0..<5).map { _ in String((0..<60).map { _ in letters[rng.nextInt(below: letters.count)] }) }
    for text in ["aaabdaaabac", "abababcabcabcd"] + randomTexts {
      let count = 6
      guard let reference = try? BPETrainer.train(text, vocabularySize: 256 + count, specialTokens: []) else {
        continue
      }
      let got = try answer(text, count)
      guard got.count == count else { return "\(text): \(got.count) merges, want \(count)" }
      var bytes = (0..<256).map { [UInt8($0)] }
      for (i, pair) in got.enumerated() {
        guard pair.first < bytes.count, pair.second < bytes.count else {
          return "\(text): merge \(i) uses an id that does not exist yet"
        }
        bytes.append(bytes[pair.first] + bytes[pair.second])
        if bytes.last! != reference.bytes(of: 256 + i) {
          let made = String(decoding: bytes.last!, as: UTF8.self).debugDescription
          let wanted = String(decoding: reference.bytes(of: 256 + i), as: UTF8.self).debugDescription
          return "\(text): merge \(i) makes \(made), want \(wanted) (most frequent pair; ties to the smaller pair)"
        }
      }
    }
    return nil
  }
}

@Suite("01 exercises")
struct Chapter01Exercises {
  @Test("1.1 character vocabulary", .enabled(if: Gradebook.attempted("1.1"), "not attempted yet"))
  func vocabulary() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter01Grader.characterVocabulary(Exercises.characterVocabulary) }
    }
    Gradebook.record("1.1", result)
  }

  @Test("1.2 pair counts", .enabled(if: Gradebook.attempted("1.2"), "not attempted yet"))
  func counts() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter01Grader.pairCounts(Exercises.pairCounts) }
    }
    Gradebook.record("1.2", result)
  }

  @Test("1.3 merge", .enabled(if: Gradebook.attempted("1.3"), "not attempted yet"))
  func mergePair() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter01Grader.merge { try Exercises.merge($0, pair: $1, newID: $2) } }
    }
    Gradebook.record("1.3", result)
  }

  @Test("1.4 train merges by hand", .enabled(if: Gradebook.attempted("1.4"), "not attempted yet"))
  func training() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter01Grader.trainMerges(Exercises.trainMerges) }
    }
    Gradebook.record("1.4", result)
  }
}

@Suite("01 graders accept the solutions and reject wrong answers")
struct Chapter01Graders {
  @Test func vocabulary() throws {
    #expect(try Chapter01Grader.characterVocabulary(Chapter01.characterVocabulary) == nil)
    // Wrong: order of first appearance instead of code point order.
    let firstSeen: (String) -> [Unicode.Scalar] = { text in
      var seen: [Unicode.Scalar] = []
      for s in text.unicodeScalars where !seen.contains(s) { seen.append(s) }
      return seen
    }
    #expect(try Chapter01Grader.characterVocabulary(firstSeen) != nil)
  }

  @Test func counts() throws {
    #expect(try Chapter01Grader.pairCounts(Chapter01.pairCounts) == nil)
    // Wrong: steps two at a time, missing every other pair.
    let everyOther: ([Int]) -> [TokenPair: Int] = { ids in
      var counts: [TokenPair: Int] = [:]
      for i in stride(from: 0, to: ids.count - 1, by: 2) { counts[TokenPair(ids[i], ids[i + 1]), default: 0] += 1 }
      return counts
    }
    #expect(try Chapter01Grader.pairCounts(everyOther) != nil)
  }

  @Test func mergePair() throws {
    #expect(try Chapter01Grader.merge(Chapter01.merge) == nil)
    // Wrong: replaces overlapping matches, so [1, 1, 1] becomes [9, 9].
    let overlapping: ([Int], TokenPair, Int) -> [Int] = { ids, pair, new in
      guard ids.count > 1 else { return ids }
      var out: [Int] = []
      var i = 0
      while i < ids.count {
        if i + 1 < ids.count && ids[i] == pair.first && ids[i + 1] == pair.second {
          out.append(new)
        } else if i == 0 || !(ids[i - 1] == pair.first && ids[i] == pair.second) {
          out.append(ids[i])
        }
        i += 1
      }
      return out
    }
    #expect(try Chapter01Grader.merge(overlapping) != nil)
  }

  @Test func training() throws {
    #expect(try Chapter01Grader.trainMerges(Chapter01.trainMerges) == nil)
    // Wrong: ties go to the larger pair (the typical mistake `--mine`'s tests also use).
    let largerTies = try #require(Pieces.solutions("mistake:1.4")?.trainMerges)
    #expect(try Chapter01Grader.trainMerges(largerTies) != nil)
  }
}
