import Testing

@testable import GPTKit

@Suite("07 sampling: BFloat16 and weight panels")
struct WeightPanelsTests {
  /// The reference rounding: of the two BFloat16 values around `x`, the nearer one, and on a
  /// tie the one whose last bit is even, decided in Double arithmetic.
  static func nearestEven(_ x: Float) -> UInt16 {
    let down = UInt16(x.bitPattern >> 16)
    let up = down &+ 1
    let (low, high) = (Double(BFloat16(bitPattern: down).float), Double(BFloat16(bitPattern: up).float))
    let (dLow, dHigh) = (abs(Double(x) - low), abs(high - Double(x)))
    if dLow != dHigh { return dLow < dHigh ? down : up }
    return down & 1 == 0 ? down : up
  }

  @Test func roundingIsToNearestWithTiesToEven() {
    let truncate = { (x: Float) in UInt16(x.bitPattern >> 16) }  // a plausible wrong rounding
    // 1 + 2⁻⁸ lies halfway between 1 and the next BFloat16: ties go to the even last bit.
    let cases: [(UInt32, UInt16)] = [
      (0x3F80_8000, 0x3F80), (0x3F81_8000, 0x3F82), (0x3F80_8001, 0x3F81), (0x3F80_7FFF, 0x3F80),
      (0xBF81_8000, 0xBF82), (0x3FFF_FFFF, 0x4000),
    ]
    for (bits, expected) in cases {
      #expect(BFloat16(Float(bitPattern: bits)).bitPattern == expected, "\(String(bits, radix: 16))")
    }
    #expect(cases.contains { truncate(Float(bitPattern: $0.0)) != $0.1 }, "the cases tell rounding from truncation")
    var rng = SplitMix64(seed: 5)
    for _ in 0..<20_000 {
      let x = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0xBFFF_FFFF)  // finite, any size
      #expect(BFloat16(x).bitPattern == Self.nearestEven(x), "\(x)")
    }
  }

  @Test func specialValuesStaySpecial() {
    #expect(BFloat16(Float.greatestFiniteMagnitude).float == .infinity, "rounds up past the largest: infinity")
    #expect(BFloat16(-Float.infinity).float == -.infinity)
    #expect(BFloat16(Float.nan).float.isNaN)
    #expect(BFloat16(Float(bitPattern: 0x7F80_0001)).float.isNaN, "a NaN whose payload is in the low bits")
    #expect(BFloat16(-0.0).bitPattern == 0x8000)
    for x: Float in [0, 1, -2.5, 0.015625, 0x1p127] { #expect(BFloat16(x).float == x, "exact values round-trip") }
  }

  @Test func sixteenAtATimeWidensEachExactly() {
    let values = (0..<16).map { BFloat16(Float($0) * 0.37 - 2.1) }
    let wide = values.withUnsafeBufferPointer { SIMD16<Float>(loading: $0.baseAddress!) }
    for l in 0..<16 { #expect(wide[l] == values[l].float) }
  }

  static func randomMatrix(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in rng.nextNormal() }
  }

  /// `a · W + bias` by `Matmul.gemm` on the floats the panels hold.
  static func gemmOnHeldValues(_ panels: WeightPanels, _ a: [Float], bias: [Float]?) -> [Float] {
    let (K, N) = (panels.rows, panels.columns)
    let held = (0..<(K * N)).map { panels[$0 / N, $0 % N] }
    var c = [Float](repeating: .nan, count: N)
    Matmul.gemm(M: 1, N: N, K: K, a: a, b: held, c: &c, bias: bias)
    return c
  }

  @Test(arguments: [(5, 3), (64, 64), (384, 130), (1000, 200), (1536, 384), (0, 7)])
  func panelsGiveGemmsBitsOnTheValuesTheyHold(K: Int, N: Int) {
    let w = Self.randomMatrix(K * N, seed: UInt64(K * 1000 + N))
    let a = Self.randomMatrix(K, seed: 3)
    let bias = Self.randomMatrix(N, seed: 4)
    for precision in WeightPrecision.allCases {
      let panels = WeightPanels(w, rows: K, columns: N, precision: precision)
      for i in stride(from: 0, to: K * N, by: 97) {
        let (k, j) = (i / N, i % N)
        #expect(panels[k, j] == (precision == .float32 ? w[i] : BFloat16(w[i]).float))
      }
      for threads in [1, 2] {
        for b in [nil, bias] {
          var c = [Float](repeating: .nan, count: N)
          panels.multiply(a, into: &c, bias: b, threads: threads)
          #expect(c == Self.gemmOnHeldValues(panels, a, bias: b), "\(precision), \(threads) threads")
        }
      }
    }
  }

  @Test func panelsAreNotTheUnroundedProductAndReadEveryWeight() {
    let (K, N) = (500, 100)
    var w = Self.randomMatrix(K * N, seed: 1)
    let a = Self.randomMatrix(K, seed: 2)
    var exact = [Float](repeating: 0, count: N)
    Matmul.gemm(M: 1, N: N, K: K, a: a, b: w, c: &exact)
    var half = [Float](repeating: 0, count: N)
    WeightPanels(w, rows: K, columns: N, precision: .bfloat16).multiply(a, into: &half, bias: nil)
    #expect(half != exact, "rounding to BFloat16 changes the sums")
    let worst = zip(half, exact).map { abs($0 - $1) }.max()!
    #expect(worst < 0.2, "but only a little (\(worst); the sums are ~22)")
    var base = [Float](repeating: 0, count: N)
    WeightPanels(w, rows: K, columns: N, precision: .float32).multiply(a, into: &base, bias: nil)
    w[(K - 1) * N + N - 1] += 1  // the last weight of the padded last panel
    var changed = [Float](repeating: 0, count: N)
    WeightPanels(w, rows: K, columns: N, precision: .float32).multiply(a, into: &changed, bias: nil)
    #expect(changed[N - 1] != base[N - 1] && changed[..<(N - 1)] == base[..<(N - 1)])
  }

  /// A model whose MLP down-projection has two K blocks (4C = 512 > 384).
  let model = GPT(
    GPTConfig(vocabularySize: 37, contextLength: 16, layerCount: 2, headCount: 4, channels: 128), seed: 12)

  @Test func cachedLogitsThroughPanelsAreTheModelsBits() {
    let tokens: [Int32] = [3, 30, 7, 7, 12, 0, 36, 5]
    let plain = KVCache(model)
    let panels = KVCache(model, weights: GenerationWeights(model, precision: .float32))
    let rounded = model.roundingBlockMatricesToBFloat16()
    let half = KVCache(rounded, weights: GenerationWeights(rounded, precision: .bfloat16))
    var differs = false
    for (t, token) in tokens.enumerated() {
      for cache in [plain, panels, half] { cache.append(token) }
      let logits = { (c: KVCache) in Array(UnsafeBufferPointer(start: c.logits, count: 37)) }
      #expect(logits(panels) == logits(plain))
      #expect(logits(half) == rounded.nextTokenLogits(Array(tokens[...t])), "BFloat16 panels = the rounded model")
      differs = differs || logits(half) != logits(plain)
    }
    #expect(differs, "the rounded model is a different model")
  }

  @Test(arguments: [SamplingOptions(temperature: 0), SamplingOptions(temperature: 0.9, topK: 10, seed: 6)])
  func halfPrecisionGenerationGivesTheSameTextCachedOrNot(options: SamplingOptions) {
    let generator = Generator(model, weights: .bfloat16)
    let cached = generator.generate([1, 2, 3], count: 40, options: options)  // slides the 16-token window
    #expect(cached == generator.generate([1, 2, 3], count: 40, options: options, useCache: false))
    #expect(cached.count == 40)
  }
}
