import Foundation
import Testing

@testable import GPTKit

/// Chapter 09's model grows four chat tokens and keeps what it knew.
@Suite("09 LoRA: vocabulary growth and export")
struct LoRAExportTests {
  static let config = GPTConfig(vocabularySize: 11, contextLength: 8, layerCount: 2, headCount: 2, channels: 16)
  static let x = LoRATests.tokens(16, seed: 11)

  @Test func aGrownModelKeepsTheOldLogitsAndGivesNewTokensTheMeanLogit() {
    let base = GPT(Self.config, seed: 10)
    let grown = base.growingVocabulary(by: 4)
    #expect(grown.config.vocabularySize == 15 && grown.parameterCount == base.parameterCount + 4 * 16)
    let (old, new) = (LoRATests.logits(base, Self.x, B: 2, T: 8), LoRATests.logits(grown, Self.x, B: 2, T: 8))
    for row in 0..<16 {
      let (o, n) = (Array(old[(row * 11)..<(row * 11 + 11)]), Array(new[(row * 15)..<(row * 15 + 15)]))
      #expect(Array(n[..<11]) == o, "the old ids' logits are the old model's, bit for bit")
      let mean = o.reduce(0, +) / 11
      #expect(n[11...].allSatisfy { abs($0 - mean) < 1e-5 }, "a new token's logit is the mean logit")
      // Over the old ids, the probabilities are the old ones, renormalised.
      let (po, pn) = (softmax(o), softmax(n))
      let oldShare = pn[..<11].reduce(0, +)
      #expect(zip(po, pn[..<11]).allSatisfy { abs($0 * oldShare - $1) < 1e-6 })
    }
  }

  @Test func aSpreadGivesTheNewRowsDifferentValuesAndLeavesTheOldRows() {
    let base = GPT(Self.config, seed: 10)
    let (plain, spread) = (base.growingVocabulary(by: 4), base.growingVocabulary(by: 4, spread: 1))
    let C = 16
    func row(_ model: GPT, _ v: Int) -> [Float] {
      Array(UnsafeBufferPointer(start: model.weights.wte + v * C, count: C))
    }
    #expect(row(plain, 11) == row(plain, 14), "at the mean, the new rows are one and the same")
    #expect(Set((11..<15).map { row(spread, $0) }).count == 4)
    #expect((0..<11).allSatisfy { row(spread, $0) == row(base, $0) })
  }

}

private func softmax(_ logits: [Float]) -> [Float] {
  let top = logits.max()!
  let e = logits.map { exp(Double($0 - top)) }
  let sum = e.reduce(0, +)
  return e.map { Float($0 / sum) }
}
