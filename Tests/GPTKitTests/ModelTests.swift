import Foundation
import Testing

@testable import GPTKit

/// Attention written the obvious way, one head at a time with explicit loops.
func referenceAttention(_ qkv: Tensor, B: Int, T: Int, C: Int, NH: Int) -> Tensor {
  let HS = C / NH
  var out = Tensor(shape: [B, T, C])
  for b in 0..<B {
    for h in 0..<NH {
      for i in 0..<T {
        var scores = [Float](repeating: -.infinity, count: T)
        for j in 0...i {
          var dot: Float = 0
          for d in 0..<HS { dot += qkv[b, i, h * HS + d] * qkv[b, j, C + h * HS + d] }
          scores[j] = dot / Float(HS).squareRoot()
        }
        let m = scores.max()!
        let e = scores.map { exp($0 - m) }
        let sum = e.reduce(0, +)
        for d in 0..<HS {
          var acc: Float = 0
          for j in 0...i { acc += e[j] / sum * qkv[b, j, 2 * C + h * HS + d] }
          out[b, i, h * HS + d] = acc
        }
      }
    }
  }
  return out
}

func attentionForward(_ qkv: Tensor, B: Int, T: Int, C: Int, NH: Int) -> (out: Tensor, att: Tensor) {
  var out = Tensor(shape: [B, T, C])
  var att = Tensor(shape: [B, NH, T, T])
  out.withMutablePointer { o in
    att.withMutablePointer { a in
      qkv.withPointer { Attention.forward(out: o, att: a, qkv: $0, B: B, T: T, C: C, NH: NH) }
    }
  }
  return (out, att)
}

@Suite("04 attention")
struct AttentionTests {
  @Test(arguments: [(2, 5, 8, 2), (1, 40, 12, 3), (2, 70, 16, 4)])
  func matchesTheReference(shape: (Int, Int, Int, Int)) {
    let (B, T, C, NH) = shape
    var rng = SplitMix64(seed: 3)
    let qkv = Tensor.randn([B, T, 3 * C], rng: &rng)
    let (out, att) = attentionForward(qkv, B: B, T: T, C: C, NH: NH)
    #expect(out.maxAbsDifference(referenceAttention(qkv, B: B, T: T, C: C, NH: NH)) < 1e-5)
    for bh in 0..<(B * NH) {
      for i in 0..<T {
        #expect(
          ((i + 1)..<T).allSatisfy { att.storage[(bh * T + i) * T + $0] == 0 }, "upper triangle must be exactly 0")
      }
    }
  }

  @Test func isCausal() {
    let (B, T, C, NH) = (1, 40, 8, 2)
    var rng = SplitMix64(seed: 4)
    let qkv = Tensor.randn([B, T, 3 * C], rng: &rng)
    var changed = qkv
    for c in 0..<(3 * C) { changed[0, 20, c] += 1 }  // change position 20 only
    let (a, _) = attentionForward(qkv, B: B, T: T, C: C, NH: NH)
    let (b, _) = attentionForward(changed, B: B, T: T, C: C, NH: NH)
    #expect(Array(a.storage[0..<(20 * C)]) == Array(b.storage[0..<(20 * C)]), "outputs 0...19 bit-identical")
    #expect(Array(a.storage[(20 * C)...]) != Array(b.storage[(20 * C)...]))
  }

  @Test func backwardPassesTheGradientCheck() {
    let (B, T, C, NH) = (2, 6, 8, 2)
    var rng = SplitMix64(seed: 5)
    let qkv = Tensor.randn([B, T, 3 * C], rng: &rng)
    let report = GradientCheck.check(
      qkv, maxElements: 96, forward: { attentionForward($0, B: B, T: T, C: C, NH: NH).out }
    ) { dOut in
      let att = attentionForward(qkv, B: B, T: T, C: C, NH: NH).att
      var dqkv = Tensor(shape: qkv.shape)
      dqkv.withMutablePointer { d in
        dOut.withPointer { dy in
          qkv.withPointer { q in
            att.withPointer { Attention.backward(dqkv: d, dOut: dy, qkv: q, att: $0, B: B, T: T, C: C, NH: NH) }
          }
        }
      }
      return dqkv
    }
    #expect(report.passes(), "\(report)")
  }

  /// The GPT keeps no probabilities (`att: nil`): its backward remakes them. Both halves must
  /// give the stored form's bits, or training would change when memory was saved.
  @Test(arguments: [(2, 5, 8, 2), (1, 70, 16, 4)])
  func recomputingTheProbabilitiesChangesNoBit(shape: (Int, Int, Int, Int)) {
    let (B, T, C, NH) = shape
    var rng = SplitMix64(seed: 8)
    let (qkv, dOut) = (Tensor.randn([B, T, 3 * C], rng: &rng), Tensor.randn([B, T, C], rng: &rng))
    let (stored, att) = attentionForward(qkv, B: B, T: T, C: C, NH: NH)
    var (remadeOut, fromStored, remade) = (
      Tensor(shape: [B, T, C]), Tensor(shape: qkv.shape), Tensor(shape: qkv.shape)
    )
    qkv.withPointer { q in
      dOut.withPointer { dy in
        remadeOut.withMutablePointer { Attention.forward(out: $0, att: nil, qkv: q, B: B, T: T, C: C, NH: NH) }
        att.withPointer { a in
          fromStored.withMutablePointer {
            Attention.backward(dqkv: $0, dOut: dy, qkv: q, att: a, B: B, T: T, C: C, NH: NH)
          }
        }
        remade.withMutablePointer { Attention.backward(dqkv: $0, dOut: dy, qkv: q, att: nil, B: B, T: T, C: C, NH: NH) }
      }
    }
    #expect(remadeOut.storage == stored.storage)
    #expect(remade.storage == fromStored.storage)
    #expect(remade.storage.contains { $0 != 0 })
  }

  /// The softmax backward sums four rows side by side; each row's sum must still run in its
  /// own order, so every bit equals the one-row-at-a-time loop's, for T below, at and past 4.
  @Test(arguments: [1, 3, 4, 5, 8, 11, 66])
  func softmaxBackwardKeepsEachRowsOrder(T: Int) {
    var rng = SplitMix64(seed: 13)
    let a = (0..<(T * T)).map { _ in rng.nextFloat() }
    let dAtt = (0..<(T * T)).map { _ in 10 * rng.nextNormal() }
    var want = dAtt
    for i in 0..<T {  // the loop it replaced
      var dot: Float = 0
      for j in 0...i { dot += a[i * T + j] * want[i * T + j] }
      for j in 0...i { want[i * T + j] = a[i * T + j] * (want[i * T + j] - dot) * 0.25 }
      for j in (i + 1)..<T { want[i * T + j] = 0 }
    }
    var got = dAtt
    a.withUnsafeBufferPointer { ap in
      got.withUnsafeMutableBufferPointer {
        Attention.softmaxBackward(ap.baseAddress!, $0.baseAddress!, T: T, scale: 0.25)
      }
    }
    #expect(zip(got, want).allSatisfy { $0.bitPattern == $1.bitPattern })
  }
}

@Suite("05 layernorm backward")
struct LayerNormBackwardTests {
  /// The backward sums sixteen rows' means side by side and takes sixteen columns at a time;
  /// every bit must still be the one-row, one-column loop's. 45 and 59 rows make pieces of
  /// five to eight rows (one short group each), 1,000 rows pieces of 125 (seven groups of
  /// sixteen and a rest of 13); widths 7 and 37 leave ragged columns, 48 none.
  @Test(arguments: [(1, 7), (5, 37), (45, 7), (45, 37), (59, 37), (1000, 37), (1000, 48)])
  func layerNormBackwardKeepsEachRowsOrder(rows: Int, C: Int) {
    var rng = SplitMix64(seed: 14)
    let (x, dy) = ((0..<(rows * C)).map { _ in rng.nextNormal() }, (0..<(rows * C)).map { _ in rng.nextNormal() })
    let weight = (0..<C).map { _ in 1 + 0.3 * rng.nextNormal() }
    let mean = (0..<rows).map { _ in 0.1 * rng.nextNormal() }
    let rstd = (0..<rows).map { _ in 1 + 0.2 * rng.nextFloat() }
    let start = (0..<(rows * C)).map { _ in rng.nextNormal() }  // the backward accumulates into dInp
    var (want, wantW, wantB) = (start, [Float](repeating: 0.5, count: C), [Float](repeating: -0.5, count: C))
    var both = [Float](repeating: 0, count: 2 * C)
    let wantPointer = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * C)  // the threads share it
    defer { wantPointer.deallocate() }
    _ = wantPointer.initialize(from: want)
    both.withUnsafeMutableBufferPointer { bp in
      Parallel.accumulateRows(rows, width: 2 * C, into: bp.baseAddress!) { range, partial in
        for n in range {  // the loop it replaced
          let (m, s) = (mean[n], rstd[n])
          var (dNormMean, dNormNormMean): (Float, Float) = (0, 0)
          for i in 0..<C {
            let dNorm = dy[n * C + i] * weight[i]
            dNormMean += dNorm
            dNormNormMean += dNorm * (x[n * C + i] - m) * s
          }
          (dNormMean, dNormNormMean) = (dNormMean / Float(C), dNormNormMean / Float(C))
          for i in 0..<C {
            let norm = (x[n * C + i] - m) * s
            let dNorm = dy[n * C + i] * weight[i]
            partial[C + i] += dy[n * C + i]
            partial[i] += dy[n * C + i] * norm
            wantPointer[n * C + i] += (dNorm - dNormMean - norm * dNormNormMean) * s
          }
        }
      }
    }
    want = Array(wantPointer)
    for i in 0..<C { (wantW[i], wantB[i]) = (wantW[i] + both[i], wantB[i] + both[C + i]) }
    var (got, gotW, gotB) = (start, [Float](repeating: 0.5, count: C), [Float](repeating: -0.5, count: C))
    LayerNorm.backward(
      dInp: &got, dWeight: &gotW, dBias: &gotB, dOut: dy, inp: x, weight: weight, mean: mean, rstd: rstd, rows: rows,
      C: C)
    func differing(_ a: [Float], _ b: [Float]) -> Int { zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count }
    #expect(differing(got, want) == 0)
    #expect(differing(gotW, wantW) == 0 && differing(gotB, wantB) == 0)
    #expect(got != start && wantW.contains { $0 != 0.5 })
  }

  /// The forward's statistics are summed for sixteen rows at once too, with every bit the
  /// one-row loop's: short groups (1, 5, 6 rows), whole groups and a rest (45 = 16 + 16 + 13;
  /// 2,403 rows of 7 make two pieces, of 1,202 and 1,201), and ragged widths (7, 37; 48 is
  /// three whole blocks of 16 columns).
  @Test(arguments: [(1, 7), (5, 37), (6, 37), (45, 37), (59, 37), (2403, 7), (40, 48)])
  func layerNormForwardKeepsEachRowsOrder(rows: Int, C: Int) {
    var rng = SplitMix64(seed: 15)
    let x = (0..<(rows * C)).map { _ in 0.5 + rng.nextNormal() }
    let (weight, bias) = ((0..<C).map { _ in 1 + 0.3 * rng.nextNormal() }, (0..<C).map { _ in rng.nextNormal() })
    var (want, wantMean, wantRstd) = ([Float](repeating: 0, count: rows * C), [Float](), [Float]())
    for n in 0..<rows {  // the loop it replaced
      var sum: Float = 0
      for i in 0..<C { sum += x[n * C + i] }
      let m = sum / Float(C)
      var squares: Float = 0
      for i in 0..<C { squares += (x[n * C + i] - m) * (x[n * C + i] - m) }
      let s = 1 / (squares / Float(C) + LayerNorm.epsilon).squareRoot()
      for i in 0..<C { want[n * C + i] = (x[n * C + i] - m) * s * weight[i] + bias[i] }
      (wantMean, wantRstd) = (wantMean + [m], wantRstd + [s])
    }
    var (got, mean, rstd) = (
      [Float](repeating: 0, count: rows * C), [Float](repeating: 0, count: rows),
      [Float](
        repeating: 0, count: rows)
    )
    LayerNorm.forward(out: &got, mean: &mean, rstd: &rstd, inp: x, weight: weight, bias: bias, rows: rows, C: C)
    func differing(_ a: [Float], _ b: [Float]) -> Int { zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count }
    #expect(differing(got, want) == 0)
    #expect(differing(mean, wantMean) == 0 && differing(rstd, wantRstd) == 0)
  }
}

@Suite("05 recomputed activations")
struct RecomputeTests {
  /// The backward remakes each LayerNorm's output from its input and saved statistics instead
  /// of keeping it: the remade rows must be the forward's, bit for bit.
  @Test func layerNormNormalizeRemakesTheForwardsBits() {
    let model = GPT(GPTConfig(vocabularySize: 11, contextLength: 8, layerCount: 1, headCount: 2, channels: 24))
    let w = model.weights.blocks[0].ln1
    var rng = SplitMix64(seed: 12)
    for i in 0..<24 { (w.weight[i], w.bias[i]) = (1 + 0.3 * rng.nextNormal(), 0.1 * rng.nextNormal()) }
    let rows = 37
    let x = Tensor.randn([rows, 24], rng: &rng)
    var (out, stats, remade) = (Tensor(shape: [rows, 24]), Tensor(shape: [2 * rows]), Tensor(shape: [rows, 24]))
    x.withPointer { xp in
      out.withMutablePointer { o in
        stats.withMutablePointer { LayerNorm.forward(out: o, stats: $0, inp: xp, w, rows: rows) }
      }
      stats.withPointer { st in
        remade.withMutablePointer { LayerNorm.normalize(out: $0, inp: xp, stats: st, w, rows: rows) }
      }
    }
    #expect(remade.storage == out.storage)
    #expect(out.storage.contains { $0 != 0 })
  }

  /// The backward remakes the GELU output with its slopes in one pass, then takes the chain
  /// rule from the slopes: both must give the bits of `GELU.forward` and of `GELU.backward`
  /// into a zeroed gradient, the ragged tail (37 = 2·16 + 5) and in-place use included.
  @Test func geluRemakeGivesTheForwardAndBackwardBits() {
    var rng = SplitMix64(seed: 13)
    let count = 37
    var x = Tensor.randn([count], rng: &rng)
    (x[0], x[1], x[2], x[3]) = (0, -12, 12, 1e-30)  // zero, both tanh saturations, a tiny one
    let dOut = Tensor.randn([count], rng: &rng)
    var (forward, old) = (Tensor(shape: [count]), Tensor(shape: [count]))
    var (remade, slope) = (Tensor(shape: [count]), Tensor(shape: [count]))
    x.withPointer { xp in
      dOut.withPointer { dp in
        forward.withMutablePointer { GELU.forward(out: $0, inp: xp, count: count) }
        old.withMutablePointer { GELU.backward(dInp: $0, inp: xp, dOut: dp, count: count) }
        remade.withMutablePointer { r in
          slope.withMutablePointer { GELU.remake(out: r, slope: $0, inp: xp, count: count) }
        }
        slope.withMutablePointer { GELU.backward(dInp: $0, slope: $0, dOut: dp, count: count) }  // in place
      }
    }
    #expect(remade.storage.map(\.bitPattern) == forward.storage.map(\.bitPattern))
    #expect(slope.storage == old.storage)  // == : the old way's 0 + (-0) is +0
    #expect(old.storage.filter { $0 != 0 }.count > count - 2)
  }
}

@Suite("03 embeddings")
struct EmbeddingTests {
  @Test func lookupIsAOneHotMatmul() {
    var rng = SplitMix64(seed: 6)
    let (V, C, T) = (7, 5, 4)
    let wte = Tensor.randn([V, C], rng: &rng)
    let tokens: [Int32] = [3, 0, 6, 3]
    var out = Tensor(shape: [1, T, C])
    let zeros = Tensor(shape: [T, C])
    out.withMutablePointer { o in
      tokens.withUnsafeBufferPointer { t in
        wte.withPointer { w in
          zeros.withPointer {
            Embedding.forward(out: o, tokens: t.baseAddress!, wte: w, positions: $0, B: 1, T: T, C: C)
          }
        }
      }
    }
    var onehot = Tensor(shape: [T, V])
    for (t, id) in tokens.enumerated() { onehot[t, Int(id)] = 1 }
    #expect(out.reshaped([T, C]).maxAbsDifference(matmul(onehot, wte)) == 0)
  }

  @Test func backwardScatterAddsAndPassesTheGradientCheck() {
    var rng = SplitMix64(seed: 7)
    let (V, C, B, T) = (6, 4, 2, 3)
    let tokens: [Int32] = [1, 4, 1, 0, 1, 5]  // token 1 three times: its row collects all three
    let wte = Tensor.randn([V, C], rng: &rng)
    let wpe = Tensor.randn([T, C], rng: &rng)
    func forward(_ wte: Tensor, _ wpe: Tensor) -> Tensor {
      var out = Tensor(shape: [B, T, C])
      out.withMutablePointer { o in
        tokens.withUnsafeBufferPointer { t in
          wte.withPointer { w in
            wpe.withPointer {
              Embedding.forward(out: o, tokens: t.baseAddress!, wte: w, positions: $0, B: B, T: T, C: C)
            }
          }
        }
      }
      return out
    }
    func grads(_ dOut: Tensor) -> (Tensor, Tensor) {
      var (dWte, dWpe) = (Tensor(shape: [V, C]), Tensor(shape: [T, C]))
      dWte.withMutablePointer { dw in
        dWpe.withMutablePointer { dp in
          dOut.withPointer { d in
            tokens.withUnsafeBufferPointer {
              Embedding.backward(dWte: dw, dPositions: dp, dOut: d, tokens: $0.baseAddress!, B: B, T: T, C: C)
            }
          }
        }
      }
      return (dWte, dWpe)
    }
    #expect(GradientCheck.check(wte, forward: { forward($0, wpe) }) { grads($0).0 }.passes())
    #expect(GradientCheck.check(wpe, forward: { forward(wte, $0) }) { grads($0).1 }.passes())
  }

  @Test func sinusoidalTableFollowsTheFormula() {
    let table = Embedding.sinusoidal(T: 50, C: 16)
    for (t, i) in [(0, 0), (7, 3), (49, 7)] {
      let angle = Double(t) / pow(10_000, Double(2 * i) / 16)
      #expect(abs(Double(table[t, 2 * i]) - sin(angle)) < 1e-6 && abs(Double(table[t, 2 * i + 1]) - cos(angle)) < 1e-6)
    }
  }
}

/// A whole-model check, llm.c style: every parameter tensor's analytic gradient against
/// central differences of the loss, a few elements per tensor.
func wholeModelGradientCheck(_ config: GPTConfig, halve corrupted: String? = nil) -> [(
  name: String, relativeError: Double
)] {
  var rng = SplitMix64(seed: 12)
  let (B, T) = (2, config.contextLength)
  let inputs = (0..<(B * T)).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) }
  var targets = (0..<(B * T)).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) }
  targets[3] = CrossEntropy.ignore
  return GradientCheck.wholeModel(GPT(config, seed: 11), inputs: inputs, targets: targets, B: B, T: T) { model in
    guard let corrupted else { return }  // a deliberately wrong gradient, to show the check catches it
    let e = model.layout.entry(corrupted)
    for i in 0..<e.count { model.gradients.base[e.offset + i] *= 0.5 }
  }
}

@Suite("05 block: the whole GPT")
struct GPTTests {
  let tiny = GPTConfig(vocabularySize: 11, contextLength: 5, layerCount: 2, headCount: 2, channels: 16)

  @Test func parameterCountMatchesTheFormula() {
    for config in [tiny, GPTConfig(vocabularySize: 65, contextLength: 64, layerCount: 4, headCount: 4, channels: 128)] {
      #expect(GPT(config).parameterCount == config.parameterCount)
    }
    #expect(GPTConfig.gpt2Small.parameterCount == 124_439_808)  // GPT-2 small, tied
  }

  @Test func reusedActivationMemoryGivesTheSameLogits() {
    // One model runs prefixes of growing, then shrinking, length in the same memory; a fresh
    // model for each length must give the same bits.
    let config = GPTConfig(vocabularySize: 11, contextLength: 16, layerCount: 2, headCount: 2, channels: 16)
    let reused = GPT(config)
    let tokens: [Int32] = (0..<16).map { Int32(($0 * 7) % 11) }
    for T in [1, 2, 3, 5, 9, 16, 4, 1, 16] {
      let input = Array(tokens.prefix(T))
      let fresh = GPT(config)
      #expect(reused.nextTokenLogits(input) == fresh.nextTokenLogits(input), "T \(T)")
    }
    #expect(reused.nextTokenLogits(Array(tokens.prefix(3))) != reused.nextTokenLogits(Array(tokens.prefix(4))))
  }

  /// A layer's gradient buffers are written by the backward, not zeroed and added to: a
  /// backward that follows one on other tokens must give a fresh model's gradients, bit for
  /// bit. T = 400 cuts attention's sums over keys into two blocks, where the first gives some
  /// rows of dV and dK nothing: those must be written as zeros, not left as they were.
  @Test func aSecondBackwardGivesAFreshModelsGradients() {
    let config = GPTConfig(vocabularySize: 11, contextLength: 400, layerCount: 1, headCount: 2, channels: 8)
    var rng = SplitMix64(seed: 21)
    let tokens = (0..<1600).map { _ in Int32(rng.nextInt(below: 11)) }
    let (x1, y1) = (Array(tokens[0..<400]), Array(tokens[400..<800]))
    let (x2, y2) = (Array(tokens[800..<1200]), Array(tokens[1200...]))
    let (used, fresh) = (GPT(config), GPT(config))
    used.forward(inputs: x1, targets: y1, B: 1, T: 400)
    used.backward()
    used.zeroGradients()
    for model in [used, fresh] {
      model.forward(inputs: x2, targets: y2, B: 1, T: 400)
      model.backward()
    }
    let gradients = { (model: GPT) in
      Array(UnsafeBufferPointer(start: model.gradients.base, count: model.parameterCount))
    }
    #expect(zip(gradients(used), gradients(fresh)).filter { $0.bitPattern != $1.bitPattern }.count == 0)
    #expect(gradients(fresh).contains { $0 != 0 })
  }

  @Test func everyParameterTensorPassesTheGradientCheck() {
    let results = wholeModelGradientCheck(tiny)
    #expect(results.count == tiny.layerCount * 12 + 4)
    for (name, error) in results { #expect(error < 2e-2, "\(name): relative error \(error)") }
  }

  @Test func theCheckCatchesAWrongGradient() {
    let results = wholeModelGradientCheck(tiny, halve: "transformer.h.1.attn.c_attn.weight")
    for (name, error) in results {
      if name == "transformer.h.1.attn.c_attn.weight" { #expect(error > 0.3) } else { #expect(error < 2e-2) }
    }
  }

  @Test func sinusoidalModelAlsoPassesTheGradientCheck() {
    var config = tiny
    config.positions = .sinusoidal
    for (name, error) in wholeModelGradientCheck(config) { #expect(error < 2e-2, "\(name): relative error \(error)") }
  }

  @Test func initialLossIsNearLogV() {
    for V in [65, 512] {
      let config = GPTConfig(vocabularySize: V, contextLength: 16, layerCount: 2, headCount: 2, channels: 32)
      let model = GPT(config)
      var rng = SplitMix64(seed: 1)
      let x = (0..<64).map { _ in Int32(rng.nextInt(below: V)) }
      let loss = model.forward(inputs: x, targets: x.reversed(), B: 4, T: 16)!
      #expect(abs(loss - log(Float(V))) < 0.3, "V = \(V): \(loss) vs \(log(Float(V)))")
    }
  }

  /// Dropout's loop is split across threads, each piece starting its own generator at its first
  /// element: the mask, the output and the generator afterwards must be one plain loop's. (With
  /// two or more threads, as in CI, the forward runs as 8 or more pieces and the backward 3.)
  @Test func dropoutDrawsAsOneLoopWould() {
    let (count, p) = (200_003, Float(0.25))
    var (rng, plainRNG) = (SplitMix64(seed: 4), SplitMix64(seed: 4))
    var x = (0..<count).map { Float($0 % 97) - 48 }
    var (plainX, plainMask) = (x, [Float](repeating: 0, count: count))
    for i in 0..<count {
      plainMask[i] = plainRNG.nextFloat() < p ? 0 : 1 / (1 - p)
      plainX[i] *= plainMask[i]
    }
    var mask = [Float](repeating: -1, count: count)
    Dropout.forward(&x, mask: &mask, count: count, p: p, rng: &rng)
    #expect(mask == plainMask && x == plainX && rng == plainRNG)
    let dropped = mask.filter { $0 == 0 }.count
    #expect(abs(Double(dropped) / Double(count) - Double(p)) < 0.01)
    var gradient = [Float](repeating: 0, count: count)
    _ = Dropout.backward(&plainX, mask: mask, count: count, p: p, into: &gradient)
    #expect(gradient == zip(plainX, mask).map { $0 * $1 })
  }

  @Test func dropoutIsOffUnlessTraining() {
    var config = tiny
    config.dropout = 0.5
    let model = GPT(config)
    let x: [Int32] = [1, 2, 3, 4, 5]
    let a = model.forward(inputs: x, targets: x, B: 1, T: 5)
    let b = model.forward(inputs: x, targets: x, B: 1, T: 5)
    let c = model.forward(inputs: x, targets: x, B: 1, T: 5, training: true)
    #expect(a == b && a != c)
  }
}
