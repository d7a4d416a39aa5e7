import Foundation
import Testing

@testable import GPTKit

/// A linear adapter for the tests: `out += inp · A`, `A` `(in, out)` in a buffer of its own.
final class MatrixAdapter: LinearAdapter {
  let A: ParameterBuffer
  let dA: ParameterBuffer
  let (inFeatures, outFeatures): (Int, Int)

  init(_ inFeatures: Int, _ outFeatures: Int, seed: UInt64) {
    let layout = ParameterLayout([("A", [inFeatures, outFeatures])])
    (A, dA, self.inFeatures, self.outFeatures) = (
      ParameterBuffer(layout), ParameterBuffer(layout), inFeatures, outFeatures
    )
    var rng = SplitMix64(seed: seed)
    for i in 0..<layout.count { A.base[i] = 0.05 * rng.nextNormal() }
  }

  func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
    Matmul.gemm(M: N, N: outFeatures, K: inFeatures, a: inp, b: A.base, c: out, accumulate: true)
  }

  func backward(dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
    Matmul.gemm(M: N, N: inFeatures, K: outFeatures, a: dOut, b: A.base, transposeB: true, c: dInp, accumulate: true)
    Matmul.gemm(M: inFeatures, N: outFeatures, K: N, a: inp, transposeA: true, b: dOut, c: dA.base, accumulate: true)
  }
}

/// A source that hands out the same batches in turn.
struct FixedBatches: BatchSource {
  let list: [Batch]
  var state = DataLoader.State(epoch: 0, order: [], next: 0, rng: SplitMix64(seed: 0))
  mutating func nextBatch() -> Batch {
    defer { state.next += 1 }
    return list[state.next % list.count]
  }
}

@Suite("05-09 the model's seams")
struct SeamTests {
  static let config = GPTConfig(vocabularySize: 11, contextLength: 8, layerCount: 2, headCount: 2, channels: 16)
  static func tokens(_ count: Int, seed: UInt64) -> [Int32] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in Int32(rng.nextInt(below: 11)) }
  }

  @Test func typedViewsPointAtTheNamedTensors() {
    let model = GPT(Self.config)
    let block = model.weights.blocks[1]
    #expect(block.fc.weight == model.parameters["transformer.h.1.mlp.c_fc.weight"])
    #expect(block.fc.bias == model.parameters["transformer.h.1.mlp.c_fc.bias"])
    #expect((block.fc.inFeatures, block.fc.outFeatures) == (16, 64))
    #expect((block.fcProj.inFeatures, block.fcProj.outFeatures) == (64, 16))
    #expect(block.ln2.weight == model.parameters["transformer.h.1.ln_2.weight"] && block.ln2.channels == 16)
    #expect(model.weightGradients.lnF.bias == model.gradients["transformer.ln_f.bias"])
    #expect(model.weights.wpe != nil)
    var fixed = Self.config
    fixed.positions = .sinusoidal
    #expect(GPT(fixed).weights.wpe == nil)
  }

  @Test func aLayoutFromEntriesPlacesThemInOrder() {
    let layout = ParameterLayout([("a", [2, 3]), ("b", [4])])
    #expect(layout.count == 10 && layout.entry("b").offset == 6 && layout.contains("a") && !layout.contains("c"))
  }

  /// Micro-batches that count different numbers of targets must add up to the gradient of
  /// one batch holding both: each weighs by its share of the targets, not by 1/2.
  @Test func accumulationWeighsMicroBatchesByTheirCountedTargets() throws {
    let (x1, x2) = (Self.tokens(8, seed: 1), Self.tokens(8, seed: 2))
    var (y1, y2) = (Self.tokens(8, seed: 3), Self.tokens(8, seed: 4))
    for t in 0..<6 { y1[t] = CrossEntropy.ignore }  // 2 targets counted here, 7 in the other
    y2[0] = CrossEntropy.ignore
    let whole = GPT(Self.config, seed: 5)
    whole.forward(inputs: x1 + x2, targets: y1 + y2, B: 2, T: 8)
    whole.backward()
    let expected = Array(UnsafeBufferPointer(start: whole.gradients.base, count: whole.parameterCount))

    func gradient(_ weights: (Float, Float)) -> [Float] {
      let model = GPT(Self.config, seed: 5)
      model.forward(inputs: x1, targets: y1, B: 1, T: 8)
      model.backward(lossWeight: weights.0)
      model.forward(inputs: x2, targets: y2, B: 1, T: 8)
      model.backward(lossWeight: weights.1)
      return Array(UnsafeBufferPointer(start: model.gradients.base, count: model.parameterCount))
    }
    func worst(_ g: [Float]) -> Float { zip(g, expected).map { abs($0 - $1) }.max()! }
    let scale = expected.map(abs).max()!
    #expect(worst(gradient((2 / 9, 7 / 9))) < 1e-5 * scale)
    #expect(worst(gradient((0.5, 0.5))) > 1e-2 * scale, "the mean of means should differ")

    // The trainer does the same: one step on the two micro-batches equals one on both.
    var options = TrainingOptions(steps: 1, batchSize: 1)
    options.warmupSteps = 1
    let b1 = Batch(x: x1, y: y1, B: 1, T: 8)
    let b2 = Batch(x: x2, y: y2, B: 1, T: 8)
    let both = Batch(x: x1 + x2, y: y1 + y2, B: 2, T: 8)
    options.accumulation = 2
    let split = Trainer(
      model: GPT(Self.config, seed: 5), batches: FixedBatches(list: [b1, b2]), trainProbe: [], validationProbe: [],
      options: options)
    options.accumulation = 1
    let joined = Trainer(
      model: GPT(Self.config, seed: 5), batches: FixedBatches(list: [both]), trainProbe: [], validationProbe: [],
      options: options)
    let (lossSplit, lossJoined) = (try split.trainStep().loss, try joined.trainStep().loss)
    #expect(abs(lossSplit - lossJoined) < 1e-5)
    let moved = (0..<split.model.parameterCount).map {
      abs(split.model.parameters.base[$0] - joined.model.parameters.base[$0])
    }
    #expect(moved.max()! < 1e-5)
  }

  @Test func aMicroBatchWithEveryTargetMaskedAddsNothing() throws {
    let x = Self.tokens(8, seed: 6)
    let masked = Batch(x: x, y: Array(repeating: CrossEntropy.ignore, count: 8), B: 1, T: 8)
    let real = Batch(x: x, y: Self.tokens(8, seed: 7), B: 1, T: 8)
    let model = GPT(Self.config)
    #expect(model.forward(inputs: masked.x, targets: masked.y, B: 1, T: 8) == 0)
    model.backward()
    #expect((0..<model.parameterCount).allSatisfy { model.gradients.base[$0] == 0 })

    var options = TrainingOptions(steps: 2, batchSize: 1)
    options.accumulation = 2
    let mixed = Trainer(
      model: GPT(Self.config, seed: 8), batches: FixedBatches(list: [masked, real]), trainProbe: [],
      validationProbe: [], options: options)
    options.accumulation = 1
    let alone = Trainer(
      model: GPT(Self.config, seed: 8), batches: FixedBatches(list: [real]), trainProbe: [], validationProbe: [],
      options: options)
    #expect(try mixed.trainStep().loss == alone.trainStep().loss)
    #expect(mixed.model.parameters.base[100] == alone.model.parameters.base[100])
    let nothing = Trainer(
      model: GPT(Self.config, seed: 8), batches: FixedBatches(list: [masked]), trainProbe: [], validationProbe: [],
      options: options)
    let step = try nothing.trainStep()
    #expect(step.loss == 0 && step.gradientNorm == 0)
    let untouched = GPT(Self.config, seed: 8)
    #expect(
      (0..<untouched.parameterCount).allSatisfy { nothing.model.parameters.base[$0] == untouched.parameters.base[$0] })
  }

  @Test func aFrozenLinearSkipsItsWeightProductsButNotTheInputGradient() {
    var rng = SplitMix64(seed: 9)
    let (x, weight, dOut) = (
      Tensor.randn([5, 4], rng: &rng), Tensor.randn([4, 3], rng: &rng), Tensor.randn([5, 3], rng: &rng)
    )
    let full = Linear.backward(dOut, input: x, weight: weight)
    var dX = Tensor(shape: [5, 4])
    Linear.backward(
      dInp: &dX.storage, dWeight: nil, dBias: nil, dOut: dOut.storage, inp: x.storage, weight: weight.storage, N: 5,
      C: 4, OC: 3)
    #expect(dX == full.dX)
  }

  /// An adapter on every linear layer of a frozen model: the model's own gradients stay 0,
  /// and the adapters' pass a finite-difference check through the whole model.
  @Test func adaptersOnAFrozenModelGetTheirGradientsAndTheModelNone() {
    let model = GPT(Self.config, seed: 10)
    let C = Self.config.channels
    let adapters = (0..<Self.config.layerCount).map { l in
      (
        MatrixAdapter(C, 3 * C, seed: 20 + UInt64(l)), MatrixAdapter(C, C, seed: 30 + UInt64(l)),
        MatrixAdapter(C, 4 * C, seed: 40 + UInt64(l)), MatrixAdapter(4 * C, C, seed: 50 + UInt64(l))
      )
    }
    model.adapters = adapters.map { BlockAdapters(attnQKV: $0.0, attnProj: $0.1, fc: $0.2, fcProj: $0.3) }
    model.weightsFrozen = true
    let (x, y) = (Self.tokens(16, seed: 11), Self.tokens(16, seed: 12))
    func loss() -> Double { Double(model.forward(inputs: x, targets: y, B: 2, T: 8)!) }
    _ = loss()
    model.backward()
    #expect((0..<model.parameterCount).allSatisfy { model.gradients.base[$0] == 0 })
    for adapter in adapters.flatMap({ [$0.0, $0.1, $0.2, $0.3] }) {
      let errors = GradientCheck.parameters(adapter.A, gradients: adapter.dA, loss: loss)
      #expect(errors.allSatisfy { $0.relativeError < 0.05 }, "adapter \(adapter.inFeatures)x\(adapter.outFeatures)")
    }
  }

  /// The tensor forms chapters 03 and 04 use give the pointer kernels' results.
  @Test func tensorFormsMatchTheirReferences() {
    var rng = SplitMix64(seed: 13)
    let qkv = Tensor.randn([2, 5, 24], rng: &rng)
    let (out, att) = Attention.forward(qkv, heads: 2)
    #expect(out.maxAbsDifference(referenceAttention(qkv, B: 2, T: 5, C: 8, NH: 2)) < 1e-5 && att.shape == [2, 2, 5, 5])
    let dqkv = Attention.backward(Tensor(shape: [2, 5, 8], repeating: 1), qkv: qkv, att: att, heads: 2)
    #expect(dqkv.shape == qkv.shape && dqkv.storage.contains { $0 != 0 })

    let (x, w, b) = (Tensor.randn([3, 4], rng: &rng), Tensor.randn([4, 2], rng: &rng), Tensor.randn([2], rng: &rng))
    let y = Linear.forward(x, weight: w, bias: b)
    #expect((0..<3).allSatisfy { n in (0..<2).allSatisfy { abs(y[n, $0] - matmul(x, w)[n, $0] - b[$0]) < 1e-5 } })
    let (dX, dW, dB) = Linear.backward(Tensor(shape: [3, 2], repeating: 1), input: x, weight: w)
    #expect(dB == Tensor(shape: [2], repeating: 3) && dW.shape == [4, 2] && dX.shape == [3, 4])

    let wte = Tensor.randn([5, 3], rng: &rng)
    let looked = Embedding.forward(wte, tokens: [4, 0, 4], B: 1, T: 3, positions: Tensor(shape: [3, 3], repeating: 1))
    #expect(looked[0, 2, 1] == wte[4, 1] + 1)
    let (dWte, dPositions) = Embedding.backward(
      Tensor(shape: [1, 3, 3], repeating: 1), tokens: [4, 0, 4], vocabularySize: 5)
    #expect(dWte[4, 0] == 2 && dWte[0, 0] == 1 && dWte[1, 0] == 0 && dPositions == Tensor(shape: [3, 3], repeating: 1))
  }
}
