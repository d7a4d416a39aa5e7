import Foundation
import Testing

@testable import GPTKit

/// Plain `Double` definitions of each forward, the references the kernels are tested against.
enum Reference {
  static func gelu(_ x: Double) -> Double {
    0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
  }

  static func softmax(_ row: [Double]) -> [Double] {
    let m = row.max()!
    let e = row.map { exp($0 - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
  }

  static func layerNorm(_ row: [Double], _ w: [Double], _ b: [Double]) -> [Double] {
    let mean = row.reduce(0, +) / Double(row.count)
    let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(row.count)
    return row.indices.map { (row[$0] - mean) / (variance + 1e-5).squareRoot() * w[$0] + b[$0] }
  }
}

func rows(_ t: Tensor) -> [[Double]] {
  (0..<t.rowCount).map { r in (0..<t.rowWidth).map { Double(t.storage[r * t.rowWidth + $0]) } }
}

/// Softmax of one row one number at a time where it can be (the maximum, the lanes of the
/// ragged end), with the library's sixteen-lane exponential and sum: the bits `Softmax.row`
/// must give.
private func scalarSoftmaxRow(_ x: [Float]) -> [Float] {
  var maxValue = -Float.infinity
  for v in x { maxValue = max(maxValue, v) }
  var e = [Float](repeating: 0, count: x.count)
  var sums = FastMath.Vector()
  for j in stride(from: 0, to: x.count, by: 16) {
    let lanes = min(16, x.count - j)
    var v = FastMath.Vector()
    for l in 0..<lanes { v[l] = x[j + l] }
    var out = FastMath.exp(v - maxValue)
    if lanes < 16 { for l in lanes..<16 { out[l] = 0 } }
    sums += out
    for l in 0..<lanes { e[j + l] = out[l] }
  }
  let inverse = 1 / sums.sum()
  return e.map { $0 * inverse }
}

@Suite("00 tensors: kernels agree with their definitions")
struct KernelTests {
  var rng = SplitMix64(seed: 11)

  @Test mutating func geluMatchesFormula() {
    let x = Tensor.randn([3, 50], std: 3, rng: &rng)
    let y = GELU.forward(x)
    for i in x.storage.indices {
      #expect(abs(Double(y.storage[i]) - Reference.gelu(Double(x.storage[i]))) < 1e-5)
    }
  }

  /// `FastMath.squareRoot` gives each lane the bits of `Float.squareRoot()`, in the right lane:
  /// sixteen different numbers (zero, a subnormal, huge ones, infinity) and a negative one,
  /// whose root is NaN in both.
  @Test func vectorSquareRootGivesEachLaneTheScalarBits() {
    let lanes: [Float] = [
      0, 1e-40, 1e-20, 0.25, 1, 2, 3, 10, 123.456, 1e10, 3.4e38, .infinity, 7e-3, 0.999, 65_537, 5,
    ]
    for negative in [false, true] {
      var x = FastMath.Vector(lanes)
      if negative { x[5] = -4 }
      let root = FastMath.squareRoot(x)
      for i in 0..<16 {
        let want = x[i].squareRoot()
        #expect(root[i].bitPattern == want.bitPattern || root[i].isNaN && want.isNaN, "lane \(i): \(x[i])")
      }
    }
  }

  /// `Elementwise.zero` clears exactly `count` floats, every thread its share: sizes below and
  /// above its parallel threshold, none of the neighbours touched.
  @Test(arguments: [0, 1, 17, 1 << 16, (1 << 17) + 3, 3 << 18])
  func zeroClearsExactlyItsFloats(count: Int) {
    var x = [Float](repeating: 7, count: count + 2)
    x.withUnsafeMutableBufferPointer { Elementwise.zero($0.baseAddress! + 1, count: count) }
    #expect(x.first == 7 && x.last == 7)
    #expect(x.dropFirst().dropLast().allSatisfy { $0 == 0 && $0.sign == .plus })
  }

  @Test mutating func softmaxMatchesFormulaAndSumsToOne() {
    let x = Tensor.randn([4, 9], std: 5, rng: &rng)
    let y = Softmax.forward(x)
    for (got, row) in zip(rows(y), rows(x)) {
      let want = Reference.softmax(row)
      #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-6 })
      #expect(abs(got.reduce(0, +) - 1) < 1e-5)
    }
  }

  /// `Softmax.row` finds the maximum sixteen lanes at a time; the one-at-a-time loop it
  /// replaced is the reference, bit for bit, across widths around a vector's 16, with ties
  /// between +0 and -0, rows of -infinity and a NaN (skipped by both).
  @Test func softmaxRowGivesTheScalarMaximumsBits() {
    var rng = SplitMix64(seed: 31)
    var rows: [[Float]] = [15, 16, 17, 33, 1].map { n in (0..<n).map { _ in 3 * rng.nextNormal() } }
    rows.append([-0.0, 0.0, -1, -2] + Array(repeating: -0.0, count: 14))
    rows.append([0.0] + Array(repeating: -0.0, count: 20))
    rows.append(Array(repeating: -.infinity, count: 18))
    rows.append([1, .nan, 2] + Array(repeating: 0.5, count: 16))
    // the largest in each lane in turn: the sixteen lanes are folded in halves to find it
    rows += (0..<16).map { lane in (0..<16).map { $0 == lane ? 9 : -Float($0) } }
    for x in rows {
      var y = [Float](repeating: 0, count: x.count)
      x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { Softmax.row($0.baseAddress!, xp.baseAddress!, x.count) }
      }
      let want = scalarSoftmaxRow(x)
      #expect(zip(y, want).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }, "\(x)")
    }
  }

  /// Attention's rows go through `Softmax.row(…, scale:, zeroingTo: T)`, which scales as it
  /// reads and takes the last partial vector whole where the row's `T` numbers allow; three
  /// loops (scale, the scalar softmax, zero the masked end) are the reference, bit for bit.
  /// The masked numbers start as NaN, infinities and huge values, which must not leak into the
  /// row; rows with a NaN or +inf score must still end in zeros; and the 16 numbers after the
  /// row are sentinels that nothing may touch.
  @Test(arguments: [1, 5, 16, 17, 31, 40])
  func scaledMaskedRowGivesTheThreeLoopsBits(T: Int) {
    var rng = SplitMix64(seed: 32)
    let junk: [Float] = [.nan, .infinity, -.infinity, 1e30, -1e30, 88]
    let sentinels = [Float](repeating: -7, count: 16)
    for width in 1...T {
      for kept: Float? in [nil, .nan, .infinity] {  // a NaN or +inf among the kept scores
        var scores = (0..<T).map { $0 < width ? 20 * rng.nextNormal() : junk[$0 % junk.count] }
        if let kept { scores[width / 2] = kept }
        let want = scalarSoftmaxRow(scores.prefix(width).map { $0 * 0.125 }) + [Float](repeating: 0, count: T - width)
        var got = scores + sentinels
        got.withUnsafeMutableBufferPointer {
          Softmax.row($0.baseAddress!, $0.baseAddress!, width, scale: 0.125, zeroingTo: T)
        }
        let same = zip(got, want + sentinels).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
        #expect(same, "T \(T), width \(width), kept \(String(describing: kept))")
      }
    }
  }

  @Test func softmaxSurvivesHugeLogits() {
    let y = Softmax.forward(Tensor(shape: [1, 3], storage: [1000, 1000, -1000]))
    #expect(y.storage == [0.5, 0.5, 0])
  }

  @Test mutating func layerNormMatchesFormula() {
    let x = Tensor.randn([5, 16], mean: 2, std: 3, rng: &rng)
    let w = Tensor.randn([16], rng: &rng)
    let b = Tensor.randn([16], rng: &rng)
    let (y, mean, rstd) = LayerNorm.forward(x, weight: w, bias: b)
    let (wd, bd) = (w.storage.map(Double.init), b.storage.map(Double.init))
    for (r, (got, row)) in zip(rows(y), rows(x)).enumerated() {
      let want = Reference.layerNorm(row, wd, bd)
      #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-4 })
      #expect(abs(Double(mean.storage[r]) - row.reduce(0, +) / 16) < 1e-4)
      #expect(rstd.storage[r] > 0)
    }
  }

  @Test mutating func crossEntropyIsMinusLogProbabilityOfTarget() {
    let logits = Tensor.randn([4, 7], rng: &rng)
    let targets: [Int32] = [3, 0, CrossEntropy.ignore, 6]
    let (loss, probs, counted) = CrossEntropy.forward(logits, targets: targets)
    var want = 0.0
    for (r, row) in rows(logits).enumerated() where targets[r] >= 0 {
      want -= log(Reference.softmax(row)[Int(targets[r])])
    }
    #expect(counted == 3)
    #expect(abs(Double(loss) - want / 3) < 1e-5)
    #expect(abs(probs.sum() - 4) < 1e-5)
  }

  @Test func uniformLogitsGiveLogV() {
    let (loss, _, _) = CrossEntropy.forward(Tensor(shape: [2, 65]), targets: [1, 64])
    #expect(abs(loss - log(65)) < 1e-5)
  }

  @Test mutating func linearAddsTheBias() {
    let x = Tensor.randn([3, 4], rng: &rng)
    let w = Tensor.randn([4, 5], rng: &rng)
    let b = Tensor.randn([5], rng: &rng)
    var out = Tensor(shape: [3, 5])
    out.withMutablePointer { o in
      x.withPointer { xp in
        w.withPointer { wp in b.withPointer { Linear.forward(out: o, inp: xp, weight: wp, bias: $0, N: 3, C: 4, OC: 5) }
        }
      }
    }
    let product = matmul(x, w)
    for n in 0..<3 {
      for o in 0..<5 { #expect(abs(out[n, o] - product[n, o] - b[o]) < 1e-5) }
    }
  }

  /// The thread count is passed in, not set globally: other suites run kernels meanwhile.
  @Test mutating func reductionsAreDeterministicAcrossThreadCounts() {
    let x = Tensor.randn([10_000], rng: &rng)
    x.withPointer { p in
      let (s1, d1) = (Elementwise.sum(p, count: 10_000, threads: 1), Elementwise.dot(p, p, count: 10_000, threads: 1))
      for threads in [2, 3, 16] {
        #expect(Elementwise.sum(p, count: 10_000, threads: threads) == s1)
        #expect(Elementwise.dot(p, p, count: 10_000, threads: threads) == d1)
      }
      #expect(x.sum() == s1 && x.dot(x) == d1)
    }
    #expect(abs(Double(x.sum()) - x.storage.reduce(0.0) { $0 + Double($1) }) < 1e-3)
  }
}

@Suite("05 block: vectorised exp and tanh")
struct FastMathTests {
  @Test func expAndTanhMatchTheLibrary() {
    var worstExp: Double = 0
    var worstTanh: Double = 0
    var x: Float = -30
    while x < 30 {
      var v = SIMD16<Float>()
      for l in 0..<16 { v[l] = x + Float(l) * 0.0037 }
      let (e, t) = (FastMath.exp(v), FastMath.tanh(v))
      for l in 0..<16 {
        let xd = Double(v[l])
        worstExp = max(worstExp, abs(Double(e[l]) - Foundation.exp(xd)) / Foundation.exp(xd))
        worstTanh = max(worstTanh, abs(Double(t[l]) - Foundation.tanh(xd)))
      }
      x += 0.0591
    }
    #expect(worstExp < 5e-7, "exp relative error \(worstExp)")
    #expect(worstTanh < 5e-7, "tanh absolute error \(worstTanh)")
    #expect(FastMath.exp(SIMD16(repeating: -200))[0] == 0 || FastMath.exp(SIMD16(repeating: -200))[0] < 1e-37)
    #expect(FastMath.exp(SIMD16(repeating: 0))[0] == 1)
  }
}
