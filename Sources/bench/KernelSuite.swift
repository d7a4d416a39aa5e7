// The `kernels` suite: where one layer's time goes, op by op, at config B's shapes.

import GPTKit

enum KernelSuite {
  static func run(peak: Double) -> [BenchResult] {
    let (B, T, C, NH) = (64, 256, 384, 6)  // config B: 16,384 tokens of width 384
    let N = B * T
    var rng = SplitMix64(seed: 1)
    let x = Tensor.randn([N * 4 * C], rng: &rng)
    let w = Tensor.randn([C * 4 * C + 4 * C], rng: &rng)
    let qkv = Tensor.randn([N * 3 * C], rng: &rng)
    var out = Tensor(shape: [N * 10 * C + 4 * C * C + 4 * C])
    var scratch = Tensor(shape: [N * 4 * C])
    var results: [BenchResult] = []
    func time(_ name: String, _ body: () -> Void) {
      let ms = bestTime(repeats: 2, minimum: 0.2, body) * 1000
      results.append(
        BenchResult(suite: "kernels", name: name, value: ms, unit: "ms", reference: nil, basis: "config B shapes"))
    }
    x.withPointer { xp in
      w.withPointer { wp in
        qkv.withPointer { qp in
          out.withMutablePointer { op in
            scratch.withMutablePointer { sp in
              time("linear C -> 4C forward (N 16384)") {
                Linear.forward(out: op, inp: xp, weight: wp, bias: wp, N: N, C: C, OC: 4 * C)
              }
              time("linear C -> 4C backward") {
                Linear.backward(
                  dInp: sp, dWeight: op, dBias: op + 4 * C * C, dOut: xp, inp: qp, weight: wp, N: N, C: C, OC: 4 * C)
              }
              time("attention forward (64 x 6 heads, T 256)") {  // as the GPT runs it: no probabilities kept
                Attention.forward(out: sp, att: nil, qkv: qp, B: B, T: T, C: C, NH: NH)
              }
              time("attention backward, probabilities remade") {
                Attention.backward(dqkv: sp, dOut: xp, qkv: qp, att: nil, B: B, T: T, C: C, NH: NH)
              }
              time("GELU forward (N x 4C)") { GELU.forward(out: op, inp: xp, count: N * 4 * C) }
              // the backward's way: remake the output with the slopes, then the chain rule from them
              time("GELU remade with its slopes") { GELU.remake(out: op, slope: sp, inp: xp, count: N * 4 * C) }
              time("GELU backward from the slopes") { GELU.backward(dInp: op, slope: sp, dOut: xp, count: N * 4 * C) }
              time("LayerNorm forward") {
                LayerNorm.forward(out: op, mean: sp, rstd: sp + N, inp: xp, weight: wp, bias: wp, rows: N, C: C)
              }
              time("LayerNorm backward") {
                LayerNorm.backward(
                  dInp: op, dWeight: sp, dBias: sp + C, dOut: xp, inp: xp, weight: wp, mean: qp, rstd: qp, rows: N,
                  C: C)
              }
              time("residual add") { Elementwise.add(out: op, xp, xp, count: N * C) }
              time("one layer's gradient buffers cleared (N x 10C)") { Elementwise.zero(op, count: N * 10 * C) }
            }
          }
        }
      }
    }
    return results
  }
}
