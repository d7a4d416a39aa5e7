// Chapter 00: tensors and gradients. Read book/00-tensors.md alongside.
//
// Four stops: how a tensor sits in memory; matrix multiplication and how fast this CPU does
// it; what a backward pass computes; and how a finite-difference gradient check proves a
// backward right, op by op. It ends by training a tiny softmax classifier with those pieces.

import Exercises
import Foundation
import GPTKit
import Solutions

/// What this chapter can be told, read once and checked before any work. Each option's line
/// holds its default, its `--quick` value and its range; `--help` is printed from them.
struct Options {
  static let size = Setting(
    "size", "square matrix size for the speed measurement", default: 1024, quick: 128, in: 16...8192)
  static let threads = Setting("threads", "threads for the fast matmul", default: Parallel.threadCount, in: 1...256)
  static let all: [Option] = [size.option, threads.option]

  var size: Int
  var threads: Int

  init(_ args: Arguments) {
    (size, threads) = (args[Self.size], args[Self.threads])
  }
}

let args = Arguments.parseOrExit(
  "ch00-tensors",
  summary: "Chapter 00: tensors, matrix multiplication speed, backward passes and gradient checks.",
  options: Options.all + [Pieces.flag.option])
let options = Options(args)
let size = options.size
Parallel.threadCount = options.threads
let report = ChapterReport("00 tensors")
/// `--mine`: your exercises 0.2 (the three loops) and 0.4 (GELU's backward) in the checks below.
let mine = Pieces.chosen(args, solutions: Pieces.solutions)
mine?.announceTensors(report)
var rng = SplitMix64(seed: 1337)

// MARK: 1. Layout
report.section("1. a tensor is a shape and one row-major buffer")
var x = Tensor(shape: [2, 3, 4])
for i in x.storage.indices { x.storage[i] = Float(i) }
report.info("x has shape (B, T, C) = \(x.shape), strides \(x.strides)")
report.check("x[1, 2, 3] sits at (1*3 + 2)*4 + 3 = 23 and holds \(Int(x[1, 2, 3]))", x[1, 2, 3] == 23)
report.check("reshaping (2, 3, 4) -> (6, 4) moves no data", x.reshaped([6, 4]).storage == x.storage)

// MARK: 2. Matrix multiplication
report.section("2. matmul, the heart of a GPT")
let (M, K, N) = (97, 61, 45)  // odd sizes on purpose: every edge case of the fast kernel
let a = Tensor.randn([M, K], rng: &rng)
let b = Tensor.randn([K, N], rng: &rng)
var slow = Tensor(shape: [M, N])
Matmul.naive(M: M, N: N, K: K, a: a.storage, b: b.storage, c: &slow.storage)  // the kernel reads the buffers
if let yours = mine?.product(a, b) { slow = yours }  // --mine: your three loops (exercise 0.2) are the reference
let fast = matmul(a, b)
let difference = fast.maxAbsDifference(slow)
report.check(
  "fast and naive matmul agree on (97, 61) x (61, 45): max diff \(difference.formatted(significant: 1))"
    + (mine?.tag(["0.2": mine?.naiveMatmul != nil]) ?? ""),
  difference < 1e-4)
// The same product from operands stored transposed, as the backward pass reads them.
let viaTransposes = matmul(a.transposed(), b.transposed(), transposeA: true, transposeB: true)
report.check(
  "A·B read from Aᵀ and Bᵀ storage (the transposed forms) gives the same matrix",
  viaTransposes.maxAbsDifference(fast) < 1e-4)

/// GFLOP/s of one `n x n` product: `2 n³` flops (a multiply and an add per term).
/// It draws from its own generator so that the checks print the same numbers at every size.
func gflops(_ n: Int, naive: Bool) -> Double {
  var timingRNG = SplitMix64(seed: 99)
  let p = Tensor.randn([n, n], rng: &timingRNG)
  var out = Tensor(shape: [n, n])
  let start = monotonicSeconds()
  var runs = 0
  repeat {
    if naive {
      Matmul.naive(M: n, N: n, K: n, a: p.storage, b: p.storage, c: &out.storage)
    } else {
      Matmul.gemm(M: n, N: n, K: n, a: p.storage, b: p.storage, c: &out.storage)
    }
    runs += 1
  } while monotonicSeconds() - start < 0.3
  return 2 * pow(Double(n), 3) * Double(runs) / (monotonicSeconds() - start) / 1e9
}
let naiveSize = min(size, 512)
let naiveSpeed = gflops(naiveSize, naive: true)
let fastSpeed = gflops(size, naive: false)
let peak = PeakFlops.measure(threads: Parallel.threadCount)
let tile = Matmul.tile
report.info(
  "the micro-kernel's tile on this machine: \(tile.rows) x \(tile.columns) numbers of C, "
    + "in \(2 * tile.rows) vectors of \(tile.columns / 2) floats")
report.info("naive matmul \(naiveSize)x\(naiveSize): \(naiveSpeed.formatted(decimals: 1)) GFLOP/s (1 thread)")
let threads = counted(Parallel.threadCount, "thread")
report.info("fast matmul \(size)x\(size): \(fastSpeed.formatted(decimals: 1)) GFLOP/s on \(threads)")
let ofPeak = Int(100 * fastSpeed / peak)
let overNaive = Int((fastSpeed / naiveSpeed).rounded())
report.info(
  "this CPU's FMA peak: \(peak.formatted(decimals: 1)) GFLOP/s on \(threads): "
    + "the fast kernel reaches \(ofPeak)%, \(overNaive)x the naive loop")

// MARK: 3. Backward passes and gradient checks
report.section("3. backward passes, each proven by a gradient check")

/// Runs the gradient check and prints it as a check line.
@MainActor func gradientCheck(
  _ name: String, _ x: Tensor, forward: (Tensor) -> Tensor, backward: (Tensor) -> Tensor
) {
  let result = GradientCheck.check(x, forward: forward, backward: backward)
  let error = result.relativeError.formatted(significant: 1)
  report.check("\(name): rel err \(error) < 1e-2 over \(result.checked) elements", result.passes())
}

let h = Tensor.randn([4, 16], std: 2, rng: &rng)
let geluName = "GELU backward" + (mine?.tag(["0.4": mine?.geluBackward != nil]) ?? "")
gradientCheck(geluName, h, forward: GELU.forward) { dOut in
  if let yours = mine?.geluGradient(h, dOut: dOut) { return yours }  // --mine: exercise 0.4
  var dX = Tensor(shape: h.shape)
  GELU.backward(dOut, input: h, into: &dX)
  return dX
}
gradientCheck("softmax backward", h, forward: Softmax.forward) { dOut in
  var dX = Tensor(shape: h.shape)
  Softmax.backward(dOut, output: Softmax.forward(h), into: &dX)
  return dX
}
let gamma = Tensor.randn([16], mean: 1, std: 0.1, rng: &rng)
let beta = Tensor.randn([16], std: 0.1, rng: &rng)
gradientCheck("layernorm backward (input)", h, forward: { LayerNorm.forward($0, weight: gamma, bias: beta).out }) {
  dOut in
  let saved = LayerNorm.forward(h, weight: gamma, bias: beta)
  var (dX, dW, dB) = (Tensor(shape: h.shape), Tensor(shape: [16]), Tensor(shape: [16]))
  LayerNorm.backward(
    dOut, input: h, weight: gamma, mean: saved.mean, rstd: saved.rstd, dX: &dX, dWeight: &dW, dBias: &dB)
  return dX
}
let targets: [Int32] = [3, 7, CrossEntropy.ignore, 15]
gradientCheck(
  "cross-entropy backward, one position ignored", h,
  forward: {
    Tensor(shape: [1], storage: [CrossEntropy.forward($0, targets: targets).loss])
  }
) { dOut in
  let (_, probs, counted) = CrossEntropy.forward(h, targets: targets)
  var dLogits = Tensor(shape: h.shape)
  CrossEntropy.backward(probs: probs, targets: targets, counted: counted, dLoss: dOut.storage[0], into: &dLogits)
  return dLogits
}
let weight = Tensor.randn([16, 8], std: 0.3, rng: &rng)
gradientCheck("linear backward (weight: inpᵀ · dOut)", weight, forward: { matmul(h, $0) }) { dOut in
  matmul(h, dOut, transposeA: true)  // (16, 4) x (4, 8) -> (16, 8)
}

// A check that cannot fail proves nothing: feed it a backward with a classic bug.
let buggy = GradientCheck.check(h, forward: GELU.forward) { dOut in
  var dX = GELU.forward(h)  // bug: returns gelu(x) instead of gelu'(x) · dOut
  for i in dX.storage.indices { dX.storage[i] *= dOut.storage[i] }
  return dX
}
report.check(
  "the checker rejects a wrong GELU backward: rel err \(buggy.relativeError.formatted(significant: 1))",
  !buggy.passes())

// MARK: 4. Putting it together: a softmax classifier learns
report.section("4. forward, backward, update: a classifier learns")
let (samples, features, classes) = (64, 16, 10)
let inputs = Tensor.randn([samples, features], rng: &rng)
let labels = (0..<samples).map { Int32($0 % classes) }
var w = Tensor(shape: [features, classes])
var losses: [Float] = []
for _ in 0..<100 {
  let logits = matmul(inputs, w)  // (64, 16) x (16, 10) -> (64, 10)
  let (loss, probs, counted) = CrossEntropy.forward(logits, targets: labels)
  var dLogits = Tensor(shape: logits.shape)
  CrossEntropy.backward(probs: probs, targets: labels, counted: counted, into: &dLogits)
  let dW = matmul(inputs, dLogits, transposeA: true)  // (16, 64) x (64, 10) -> (16, 10)
  w = w + (-1.0) * dW  // plain gradient descent, learning rate 1
  losses.append(loss)
}
let lnClasses = log(Float(classes))
report.check(
  "initial loss \(losses[0].formatted(decimals: 4)) equals ln(\(classes)) = \(lnClasses.formatted(decimals: 4))",
  abs(losses[0] - lnClasses) < 1e-4)
report.check(
  "100 gradient steps lower the loss: \(losses[0].formatted(decimals: 3)) -> \(losses[99].formatted(decimals: 3))",
  losses[99] < 0.5 * losses[0])

let figure = SVG.lineChart(
  [SVG.Series("training loss", losses.enumerated().map { (Double($0.offset), Double($0.element)) })],
  title: "A softmax classifier learning (chapter 00)", xLabel: "step", yLabel: "cross-entropy (nats)")
if args.isTheBookRun("book/00-tensors.md") {
  do {
    try SVG.write(figure, to: "book/figures/00-classifier-loss.svg")
    report.info("wrote book/figures/00-classifier-loss.svg")
  } catch {
    report.info("could not write the figure: \(error.localizedDescription)")
  }
}
report.finish()
