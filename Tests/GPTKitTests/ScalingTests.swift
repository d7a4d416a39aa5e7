import Foundation
import Testing

@testable import GPTKit

@Suite("08 scaling")
struct ScalingTests {
  /// The multiply-adds of one training token, counted here from the block's layer shapes and a
  /// loop over the causal triangle, independently of `trainingFLOPsPerToken` and of `Compute`.
  static func multiplyAddsPerToken(_ c: GPTConfig) -> Double {
    let (V, T, C, L) = (c.vocabularySize, c.contextLength, c.channels, c.layerCount)
    let layers = [(C, 3 * C), (C, C), (C, 4 * C), (4 * C, C)]  // qkv, attention projection, MLP up, MLP down
    var forward = L * layers.reduce(0) { $0 + $1.0 * $1.1 } + C * V  // + the tied output layer
    var triangle = 0
    for i in 0..<T {
      for _ in 0...i { triangle += 1 }  // row i of the score matrix sees keys 0...i
    }
    forward += L * 2 * triangle * C / T  // Q·Kᵀ and att·V over every head: C multiply-adds per entry
    return 3 * Double(forward)  // backward: input and weight gradients
  }

  @Test(arguments: [
    GPTConfig(vocabularySize: 512, contextLength: 128, layerCount: 4, headCount: 6, channels: 192),
    GPTConfig(vocabularySize: 65, contextLength: 64, layerCount: 4, headCount: 4, channels: 128),
    GPTConfig(vocabularySize: 50257, contextLength: 1024, layerCount: 12, headCount: 12, channels: 768),
    GPTConfig(vocabularySize: 7, contextLength: 5, layerCount: 3, headCount: 2, channels: 8),
  ])
  func flopsFormulaIsTwiceTheCountedMultiplyAdds(_ config: GPTConfig) {
    let formula = config.trainingFLOPsPerToken()
    #expect(formula == 2 * Self.multiplyAddsPerToken(config))
    let counted = Compute.countedMultiplyAdds(
      ParameterLayout(config), headCount: config.headCount, B: 2, T: config.contextLength)
    #expect(formula * Double(2 * config.contextLength) == 2 * Double(counted))
  }

  @Test func parameterCountsOfTheGPT2Family() {
    let published = [124_439_808, 354_823_168, 774_030_080, 1_557_611_200]  // Hugging Face's counts
    #expect(GPTConfig.gpt2Family.map(\.config.parameterCount) == published)
    let c = GPTConfig.gpt2Small
    #expect(c.nonEmbeddingParameterCount == c.parameterCount - 50257 * 768 - 1024 * 768)
    #expect(GPTConfig.benchmarkB.parameterCount == GPT(.benchmarkB).parameterCount)
  }

  @Test func utilisation() {
    // 1,000 tokens/s at 1 GFLOP per token on a 4,000 GFLOP/s machine: a quarter of the peak.
    #expect(Compute.utilisation(tokensPerSecond: 1000, flopsPerToken: 1e9, peakGFLOPs: 4000) == 0.25)
  }

  @Test func powerLawIsALineOnLogLogAxes() throws {
    let points = [1.0, 10, 100, 1000].map { x in (x: x, y: 3 * pow(x, 0.7)) }
    let fit = try #require(LeastSquares.powerLaw(points))
    #expect(abs(fit.coefficient - 3) < 1e-9 && abs(fit.exponent - 0.7) < 1e-12)
    #expect(LeastSquares.solve([[1, 2], [2, 4], [3, 6]], [1, 2, 3]) == nil)  // dependent columns
  }

  /// A sweep drawn from a known law, with optional seeded noise of standard deviation `noise`.
  static func synthetic(_ law: LossLaw, noise: Double = 0) -> [SweepPoint] {
    var rng = SplitMix64(seed: 8)
    return [1e15, 1e16, 1e17].flatMap { budget in
      (0..<7).map { k in
        let N = 1e5 * pow(2.5, Double(k)) * pow(budget / 1e15, 0.5)
        let D = budget / (6 * N)
        return SweepPoint(
          budget: budget, parameters: N, tokens: D,
          loss: law.loss(parameters: N, tokens: D) + noise * Double(rng.nextNormal()))
      }
    }
  }

  @Test func approach3RecoversAKnownLaw() throws {
    let truth = LossLaw(E: 1.8, A: 300, alpha: 0.4, B: 500, beta: 0.3)
    let exact = try #require(Approach3.fit(Self.synthetic(truth)))
    #expect(abs(exact.law.alpha - 0.4) < 1e-3 && abs(exact.law.beta - 0.3) < 1e-3)
    #expect(abs(exact.law.E - 1.8) < 1e-2 && exact.rmsResidual < 1e-5)
    let noisy = try #require(Approach3.fit(Self.synthetic(truth, noise: 0.005)))
    #expect(abs(noisy.law.alpha - 0.4) < 0.1 && abs(noisy.law.beta - 0.3) < 0.1)
    #expect(noisy.rmsResidual < 0.01)
    // What matters downstream is the law's loss where the points are: within the noise.
    for p in Self.synthetic(truth) {
      #expect(abs(noisy.law.loss(parameters: p.parameters, tokens: p.tokens) - p.loss) < 0.02)
    }
  }

  @Test func approach2FindsEachBudgetsVertexAndTheirPowerLaws() throws {
    let truth = LossLaw(E: 1.8, A: 300, alpha: 0.4, B: 500, beta: 0.4)  // α = β: N* ∝ C^0.5
    let result = Approach2.fit(Self.synthetic(truth), tokensFor: { $0 / (6 * $1) })
    #expect(result.profiles.count == 3 && result.profiles.allSatisfy(\.hasInteriorMinimum))
    for p in result.profiles {
      let best = truth.computeOptimal(budget: p.budget, flopsPerToken: { 6 * $0 })
      #expect(abs(log(p.optimalParameters / best.parameters)) < 0.1)  // the parabola is nearly the curve
    }
    let exponent = try #require(result.parameterLaw?.exponent)
    #expect(abs(exponent - 0.5) < 0.02)
    let falling = (0..<5).map {
      SweepPoint(budget: 1, parameters: pow(10, Double($0)), tokens: 1, loss: 5 - Double($0))
    }
    #expect(Approach2.profile(falling)?.hasInteriorMinimum == false)  // best size beyond the grid
  }

  /// Under `C = 6ND` the optimum has a closed form: setting dL/dN = 0 along the budget gives
  /// `N* = G·(C/6)^(β/(α+β))` with `G = (αA / βB)^(1/(α+β))`. The search must land on it.
  @Test func computeOptimalMatchesTheClosedForm() {
    let law = LossLaw.chinchilla
    let C = 5.76e23  // Chinchilla's own budget
    let best = law.computeOptimal(budget: C, flopsPerToken: { 6 * $0 })
    let G = pow(law.alpha * law.A / (law.beta * law.B), 1 / (law.alpha + law.beta))
    let N = G * pow(C / 6, law.beta / (law.alpha + law.beta))
    #expect(abs(best.parameters / N - 1) < 1e-6)
    // The published Approach 3 law puts ~32B parameters on ~3T tokens there (~94 tokens per
    // parameter), not Chinchilla's 70B on 1.4T: the "20" comes from Approaches 1 and 2.
    #expect(best.parameters > 3e10 && best.parameters < 3.4e10)
  }

  static let settings = SweepSettings(corpus: "abc", contextLength: 8, batchSize: 2, learningRate: 1e-3, seed: 1)
  static func record(_ budget: Double, loss: Float, settings: SweepSettings = settings) -> SweepRecord {
    SweepRecord(
      settings: settings, budget: budget, size: ModelSize.ladder[0], nonEmbeddingParameters: 10, parameters: 20,
      steps: 3, tokens: 48, flops: budget, validationLoss: loss, trainLoss: loss, seconds: 1)
  }

  @Test func storeResumesAfterAKillMidLine() throws {
    let path = temporaryFolder() + "/sweep.jsonl"
    try SweepStore.append(Self.record(1e9, loss: 4), to: path)
    try SweepStore.append(Self.record(2e9, loss: 3), to: path)
    // A kill while writing the third line leaves half of it, with no newline.
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("{\"budget\":3e9,\"set".utf8))
    try handle.close()
    var (records, notes) = SweepStore.load(path, settings: Self.settings)
    #expect(records.map(\.budget) == [1e9, 2e9])
    #expect(notes == ["\(path) line 3 is not a sweep record (damaged, or another file's): skipped"])
    try SweepStore.append(Self.record(3e9, loss: 2), to: path)  // the resumed run's result
    (records, notes) = SweepStore.load(path, settings: Self.settings)
    #expect(records.map(\.budget) == [1e9, 2e9, 3e9])
    #expect(records[2] == Self.record(3e9, loss: 2))
    #expect(notes.count == 1)
  }

  @Test func storeSkipsForeignAndDamagedLines() throws {
    let path = temporaryFolder() + "/sweep.jsonl"
    var other = Self.settings
    other.learningRate = 3e-3
    try SweepStore.append(Self.record(1e9, loss: 4, settings: other), to: path)
    try SweepStore.append(Self.record(1e9, loss: 5), to: path)
    let text = try String(contentsOfFile: path, encoding: .utf8) + "[1, 2, 3]\nnot json at all\n"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let (records, notes) = SweepStore.load(path, settings: Self.settings)
    #expect(records.map(\.validationLoss) == [5])
    #expect(notes.count == 3)
    #expect(notes.last == "\(path): 1 runs with other settings (text, T, batch, lr, seed) ignored")
    #expect(SweepStore.load(temporaryFolder() + "/none.jsonl", settings: Self.settings).records.isEmpty)
  }

  @Test func gridIsCentredAndEveryRunGetsItsBudget() {
    let plan = SweepPlan(vocabularySize: 512, contextLength: 128, batchSize: 8)
    let sizes = plan.sizes(budget: 1e12, count: 5)
    #expect(sizes.count == 5)
    let names = plan.ladder.map(\.name)
    let first = names.firstIndex(of: sizes[0].name)!
    #expect(sizes.map(\.name) == Array(names[first..<(first + 5)]))  // consecutive rungs
    for size in sizes {
      let flops =
        Double(plan.steps(size, budget: 1e12) * plan.tokensPerStep) * plan.config(size).trainingFLOPsPerToken()
      #expect(abs(flops / 1e12 - 1) < 0.1)  // within rounding to a whole step
    }
    let rung = plan.config(plan.ladder[3])
    let between = plan.flopsPerToken(nonEmbedding: Double(rung.nonEmbeddingParameterCount))
    #expect(abs(between / rung.trainingFLOPsPerToken() - 1) < 1e-12)
  }

  @Test func logAxesPlaceDecadesEvenly() {
    #expect(SVG.logTicks(2, 5) == [100, 1000, 10000, 100_000])
    #expect(SVG.logTicks(0, 1) == [1, 2, 5, 10])
    let svg = SVG.lineChart(
      [SVG.Series("a", [(1, 10), (100, 1000)], style: .points, labels: ["x", "y"])], title: "t", xLabel: "x",
      yLabel: "y", logX: true, logY: true)
    #expect(svg.contains("<circle") && svg.contains(">y</text>"))
  }
}
