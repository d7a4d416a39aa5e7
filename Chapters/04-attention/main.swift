// Chapter 04: attention. Read book/04-attention.md alongside.
//
// Built the way it is understood, one stage at a time: one head without a mask, scaled
// scores, the causal mask, the softmax, weighted values, several heads, and finally the fused
// multi-head layer the GPT uses, checked against the staged version.

import Exercises
import Foundation
import GPTKit
import Solutions

/// What this chapter can be told, read once and checked before any work (see chapter 06).
struct Options {
  static let text = Setting(
    "text", "the sentence to attend over (2 to 256 tokens)", default: "To be, or not to be: that is the question.")
  static let all: [Option] = [text.option]

  var text: String

  init(_ args: Arguments) { text = args[Self.text] }
}

let args = Arguments.parseOrExit(
  "ch04-attention",
  summary: "Chapter 04: causal self-attention, stage by stage, then fused and checked.",
  options: Options.all + [Pieces.flag.option])
let options = Options(args)
let report = ChapterReport("04 attention")
/// `--mine`: your exercises 4.1-4.3 (Sources/Exercises) in the stages below, 4.4 in section 6.
let mine = Pieces.chosen(args, solutions: Pieces.solutions)
mine?.announceAttention(report)
var rng = SplitMix64(seed: 4)

// The input: a real sentence through BPE-512 embeddings (random weights: no training yet).
let bpe: TextTokenizer
do { bpe = try TrainingText.load(Corpus.shakespeare).tokenizer } catch { fail("\(error)") }
let ids = (try? bpe.encodeText(options.text)) ?? []
guard ids.count >= 2 && ids.count <= 256 else {
  fail("--text must be 2 to 256 tokens long, it is \(ids.count)", code: 2)
}
let labels = ids.map { bpe.decode([$0]) }
let (T, C, HS) = (ids.count, 64, 16)
let wte = Tensor.randn([512, C], rng: &rng)
let wpe = Tensor.randn([T, C], std: 0.5, rng: &rng)
var x = Tensor(shape: [T, C])  // (T, C)
for t in 0..<T { for c in 0..<C { x[t, c] = wte[ids[t], c] + wpe[t, c] } }
report.info("\"\(options.text)\" -> \(T) tokens: \(labels.map { "[\($0)]" }.joined())")

// MARK: 1. One head
report.section("1. one head: queries, keys, values")
let (Wq, Wk, Wv) = (
  Tensor.randn([C, HS], std: 0.125, rng: &rng), Tensor.randn([C, HS], std: 0.125, rng: &rng),
  Tensor.randn([C, HS], std: 0.125, rng: &rng)
)
let (q, k, v) = (matmul(x, Wq), matmul(x, Wk), matmul(x, Wv))  // (T, C) x (C, HS) -> (T, HS)
let raw = matmul(q, k, transposeB: true)  // (T, HS) x (HS, T) -> (T, T)
report.check(
  "Q, K, V are (T, HS) = (\(T), \(HS)); scores Q·Kᵀ are (T, T) = \(raw.shape)",
  q.shape == [T, HS] && raw.shape == [T, T])

// MARK: 2. Scaling
report.section("2. scale by 1/√HS so the softmax does not saturate")
var probe = SplitMix64(seed: 44)
let (qs, ks) = (Tensor.randn([256, 64], rng: &probe), Tensor.randn([256, 64], rng: &probe))
func variance(_ t: Tensor) -> Float {
  let m = t.mean(); return t.storage.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Float(t.count)
}
let unscaled = variance(matmul(qs, ks, transposeB: true))
let scaled = variance((1 / Float(8)) * matmul(qs, ks, transposeB: true))
report.check(
  "for unit-variance q, k with HS = 64, q·k has variance \(unscaled.formatted(decimals: 1)) (≈ 64); "
    + "divided by √64 it is \(scaled.formatted(decimals: 2)) (≈ 1)",
  abs(unscaled - 64) < 6 && abs(scaled - 1) < 0.1)

// MARK: 3. The causal mask and the softmax
report.section("3. the causal mask: position t sees only 0...t")
var scores = (1 / Float(HS).squareRoot()) * raw
for i in 0..<T { for j in (i + 1)..<T { scores[i, j] = -.infinity } }  // the future is hidden
if let yours = mine?.mask((1 / Float(HS).squareRoot()) * raw) { scores = yours }
let weights = Softmax.forward(scores)
let maskTag = mine?.tag(["4.1": mine?.causalMask != nil]) ?? ""
report.check(
  "after the softmax the upper triangle is exactly 0" + maskTag,
  (0..<T).allSatisfy { i in ((i + 1)..<T).allSatisfy { weights[i, $0] == 0 } })
report.check(
  "every row sums to 1: a weighted average over the past" + maskTag,
  (0..<T).allSatisfy { i in abs((0..<T).reduce(0) { $0 + weights[i, $1] } - 1) < 1e-5 })
report.check("the first token can only attend to itself: weight \(weights[0, 0])" + maskTag, weights[0, 0] == 1)

// MARK: 4. Weighted values
report.section("4. the output: each position's weighted average of values")
let head = matmul(weights, v)  // (T, T) x (T, HS) -> (T, HS)
report.check("one head's output is (T, HS) = \(head.shape)", head.shape == [T, HS])

// MARK: 5. Several heads, then the fused layer
report.section("5. several heads side by side, then one fused layer")
/// Multi-head attention the long way: split the fused qkv into heads, attend, concatenate.
@MainActor func stepByStep(_ qkv: Tensor, NH: Int, T: Int, C: Int) -> Tensor {
  let HS = C / NH
  var out = Tensor(shape: [T, C])
  for h in 0..<NH {
    var (qh, kh, vh) = (Tensor(shape: [T, HS]), Tensor(shape: [T, HS]), Tensor(shape: [T, HS]))
    for t in 0..<T {
      for d in 0..<HS {
        (qh[t, d], kh[t, d], vh[t, d]) = (qkv[t, h * HS + d], qkv[t, C + h * HS + d], qkv[t, 2 * C + h * HS + d])
      }
    }
    kh = mine?.keys(qkv, head: h, heads: NH) ?? kh
    var s = (1 / Float(HS).squareRoot()) * matmul(qh, kh, transposeB: true)
    for i in 0..<T { for j in (i + 1)..<T { s[i, j] = -.infinity } }
    let y = mine?.attention(qh, kh, vh) ?? matmul(Softmax.forward(s), vh)
    for t in 0..<T { for d in 0..<HS { out[t, h * HS + d] = y[t, d] } }  // heads side by side
  }
  return out
}
let Wqkv = Tensor.randn([C, 3 * C], std: 0.125, rng: &rng)
let qkv = matmul(x, Wqkv)  // (T, C) x (C, 3C) -> (T, 3C)
var shapes: [String] = []
var worstDiff: Float = 0
for NH in [1, 2, 4, 8] {
  let staged = stepByStep(qkv, NH: NH, T: T, C: C)
  let (out, _) = Attention.forward(qkv.reshaped([1, T, 3 * C]), heads: NH)  // (1, T, 3C) -> (1, T, C)
  shapes.append("\(counted(NH, "head")) of \(C / NH) -> \(out.shape)")
  worstDiff = max(worstDiff, out.reshaped([T, C]).maxAbsDifference(staged))
}
report.check(
  "output shape is (1, T, C) for any head count: \(shapes.joined(separator: ", "))",
  shapes.allSatisfy { $0.hasSuffix("[1, \(T), \(C)]") })
report.check(
  "the fused layer equals the step-by-step heads: max diff \(worstDiff.formatted(significant: 1))"
    + (mine?.tag(["4.2": mine?.singleHeadAttention != nil, "4.3": mine?.keys != nil]) ?? ""),
  worstDiff < 1e-5)

// MARK: 6. Causality and the backward
report.section("6. causality, and the backward pass")
let t0 = min(T / 2, T - 2)  // the middle token, and one after it (T = 2: tokens 0 and 1)
var changed = qkv
for c in 0..<(3 * C) { changed[t0 + 1, c] += 1 }  // change token t0 + 1 only
let (before, _) = Attention.forward(qkv.reshaped([1, T, 3 * C]), heads: 4)
let (after, _) = Attention.forward(changed.reshaped([1, T, 3 * C]), heads: 4)
report.check(
  "changing token \(t0 + 1) leaves outputs 0...\(t0) bit-identical and changes the rest",
  Array(before.storage[..<((t0 + 1) * C)]) == Array(after.storage[..<((t0 + 1) * C)]) && before != after)
let small = Tensor.randn([2, 7, 3 * 16], rng: &rng)
let gradient = GradientCheck.check(small, maxElements: 96, forward: { Attention.forward($0, heads: 4).out }) { dOut in
  Attention.backward(dOut, qkv: small, att: Attention.forward(small, heads: 4).att, heads: 4)  // (2, 7, 3*16)
}
report.check(
  "attention backward passes the gradient check: rel err \(gradient.relativeError.formatted(significant: 1))",
  gradient.passes())
mine?.checkAttentionBackward(report)

if args.isTheBookRun("book/04-attention.md") {
  try? SVG.write(
    SVG.heatmap(
      weights, title: "One head's attention weights (random weights, causal)", rowLabels: labels, columnLabels: labels,
      cellSize: 22),
    to: "book/figures/04-attention-weights.svg")
  report.info("wrote book/figures/04-attention-weights.svg")
}
report.finish()
