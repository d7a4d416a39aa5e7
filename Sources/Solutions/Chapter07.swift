// Reference solutions for chapter 07's exercises. Try the exercises first!

import Foundation

public enum Chapter07 {
  public static func greedyPick(_ logits: [Float]) -> Int {
    var best = 0
    for i in logits.indices where logits[i] > logits[best] { best = i }
    return best
  }

  public static func temperatureSoftmax(_ logits: [Float], temperature: Float) -> [Float] {
    let scaled = logits.map { $0 / temperature }
    let m = scaled.max()!
    let e = scaled.map { exp($0 - m) }
    let sum = e.reduce(0, +)
    return e.map { $0 / sum }
  }

  public static func topP(_ probabilities: [Float], p: Float) -> [Float] {
    var kept = [Float](repeating: 0, count: probabilities.count)
    var mass: Float = 0
    for i in probabilities.indices.sorted(by: { probabilities[$0] > probabilities[$1] }) where mass < p {
      kept[i] = probabilities[i]
      mass += probabilities[i]
    }
    return kept.map { $0 / mass }
  }

  public static func bfloat16Bits(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    let (kept, dropped) = (bits >> 16, bits & 0xFFFF)
    let roundUp = dropped > 0x8000 || (dropped == 0x8000 && kept & 1 == 1)
    return UInt16(truncatingIfNeeded: roundUp ? kept + 1 : kept)
  }

  public static func storeKeyValue(
    keysT: inout [Float], values: inout [Float], qkv: [Float], position: Int, T: Int, heads NH: Int
  ) {
    let C = qkv.count / 3
    let HS = C / NH
    for i in 0..<C { keysT[i * T + position] = qkv[C + i] }  // the key, as column `position`
    for h in 0..<NH {
      for d in 0..<HS { values[(h * T + position) * HS + d] = qkv[2 * C + h * HS + d] }  // head h's row
    }
  }
}
