// Reference solutions for chapter 01's exercises. Try the exercises first!

import Exercises
import GPTKit

public enum Chapter01 {
  public static func characterVocabulary(_ text: String) -> [Unicode.Scalar] {
    Set(text.unicodeScalars).sorted { $0.value < $1.value }
  }

  public static func pairCounts(_ ids: [Int]) -> [TokenPair: Int] {
    var counts: [TokenPair: Int] = [:]
    for (a, b) in zip(ids, ids.dropFirst()) { counts[TokenPair(a, b), default: 0] += 1 }
    return counts
  }

  public static func merge(_ ids: [Int], pair: TokenPair, newID: Int) -> [Int] {
    var out: [Int] = []
    var i = 0
    while i < ids.count {
      if i + 1 < ids.count && ids[i] == pair.first && ids[i + 1] == pair.second {
        out.append(newID)
        i += 2
      } else {
        out.append(ids[i])
        i += 1
      }
    }
    return out
  }

  public static func trainMerges(_ text: String, count: Int) -> [TokenPair] {
    var ids = text.utf8.map(Int.init)
    var merges: [TokenPair] = []
    for step in 0..<count {
      let counts = pairCounts(ids)
      guard
        let best = counts.max(by: { a, b in
          a.value != b.value ? a.value < b.value : (a.key.first, a.key.second) > (b.key.first, b.key.second)
        })
      else { break }
      ids = merge(ids, pair: best.key, newID: 256 + step)
      merges.append(best.key)
    }
    return merges
  }
}
