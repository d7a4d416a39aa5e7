// Exercises for chapter 01 (book/01-tokenization.md, "Exercises").

import Foundation
import GPTKit

/// Two adjacent token ids, the unit BPE counts and merges.
public struct TokenPair: Hashable, Sendable {
  public let first: Int
  public let second: Int
  public init(_ first: Int, _ second: Int) {
    (self.first, self.second) = (first, second)
  }
}

/// Exercise 1.1: the character vocabulary.
///
/// Return the distinct Unicode scalars of `text`, sorted by code point: the vocabulary of
/// a character-level tokenizer. `"hello"` gives `["e", "h", "l", "o"]`.
public func characterVocabulary(_ text: String) throws -> [Unicode.Scalar] {
  throw Exercise.notAttempted
}

/// Exercise 1.2: count adjacent pairs.
///
/// Return how often each adjacent pair occurs in `ids`:
/// `[1, 2, 3, 1, 2]` gives `[(1, 2): 2, (2, 3): 1, (3, 1): 1]`.
public func pairCounts(_ ids: [Int]) throws -> [TokenPair: Int] {
  throw Exercise.notAttempted
}

/// Exercise 1.3: merge one pair.
///
/// Replace every occurrence of `pair` in `ids` with `newID`, scanning left to right without
/// overlaps: `merge([1, 1, 1], pair: (1, 1), newID: 9)` gives `[9, 1]`.
public func merge(_ ids: [Int], pair: TokenPair, newID: Int) throws -> [Int] {
  throw Exercise.notAttempted
}

/// Exercise 1.4: train BPE by hand.
///
/// Starting from the UTF-8 bytes of `text`, make `count` merges: each time, find the most
/// frequent pair (ties go to the smaller pair, comparing `first`, then `second`), merge it
/// into the next id (256, 257, ...), and record it. Return the merged pairs in order.
/// (The grader uses texts without spaces or punctuation, so no pre-splitting is needed.)
public func trainMerges(_ text: String, count: Int) throws -> [TokenPair] {
  throw Exercise.notAttempted
}
