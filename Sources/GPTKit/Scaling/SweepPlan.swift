// Chapter 08 introduces this file: the model sizes and compute budgets of an IsoFLOP sweep.

import Foundation

/// One rung of the sweep's ladder of model shapes.
public struct ModelSize: Codable, Equatable, Sendable {
  public var name: String
  public var layerCount: Int
  public var channels: Int
  public var headCount: Int

  public init(name: String, layerCount: Int, channels: Int, headCount: Int) {
    (self.name, self.layerCount, self.channels, self.headCount) = (name, layerCount, channels, headCount)
  }

  public func config(vocabularySize V: Int, contextLength T: Int) -> GPTConfig {
    GPTConfig(vocabularySize: V, contextLength: T, layerCount: layerCount, headCount: headCount, channels: channels)
  }

  /// Twelve shapes from 900 to 3.9M non-embedding parameters, about 2x apart: deeper as they
  /// widen, roughly as nanoGPT's and Chinchilla's families are; heads of 8 to 32 channels.
  /// `s10` is chapter 06's model.
  public static let ladder: [ModelSize] = [
    (1, 8, 1), (1, 16, 2), (1, 24, 3), (1, 32, 2), (2, 32, 2), (2, 48, 3), (2, 64, 4), (3, 80, 5), (3, 112, 7),
    (4, 128, 4),
    (4, 192, 6), (5, 256, 8),
  ].enumerated().map {
    ModelSize(name: "s\($0.offset)", layerCount: $0.element.0, channels: $0.element.1, headCount: $0.element.2)
  }
}

/// The sweep's recipe and grid: which sizes train at which budget, for how many steps.
public struct SweepPlan: Sendable {
  public var vocabularySize: Int
  public var contextLength: Int
  public var batchSize: Int
  public var ladder: [ModelSize]

  public init(vocabularySize: Int, contextLength: Int, batchSize: Int, ladder: [ModelSize] = ModelSize.ladder) {
    (self.vocabularySize, self.contextLength, self.batchSize, self.ladder) =
      (vocabularySize, contextLength, batchSize, ladder)
  }

  public func config(_ size: ModelSize) -> GPTConfig {
    size.config(vocabularySize: vocabularySize, contextLength: contextLength)
  }

  /// Tokens per optimizer step, `B·T`.
  public var tokensPerStep: Int { batchSize * contextLength }

  /// Whole steps that spend `budget` FLOPs on `size` (at least one).
  public func steps(_ size: ModelSize, budget: Double) -> Int {
    max(1, Int((budget / config(size).trainingFLOPsPerToken() / Double(tokensPerStep)).rounded()))
  }

  // ANCHOR: choose-grid
  /// The `count` consecutive rungs trained at `budget`: centred on the rung whose tokens per
  /// non-embedding parameter come nearest `centre`, shifted down if the biggest would get
  /// fewer than `minimumSteps` steps. The default 100, not Chinchilla's 20, is where probe
  /// runs on Shakespeare found the minima (book/08-scaling.md, section 3, "The sweep, and how its grid was chosen").
  public func sizes(budget: Double, count: Int, centre: Double = 100, minimumSteps: Int = 10) -> [ModelSize] {
    let ratio = ladder.map { size in
      Double(steps(size, budget: budget) * tokensPerStep) / Double(config(size).nonEmbeddingParameterCount)
    }
    let nearest = ladder.indices.min { abs(log(ratio[$0] / centre)) < abs(log(ratio[$1] / centre)) }!
    var first = max(0, min(ladder.count - count, nearest - count / 2))
    while first > 0 && steps(ladder[first + count - 1], budget: budget) < minimumSteps { first -= 1 }
    return Array(ladder[first..<min(ladder.count, first + count)])
  }
  // ANCHOR_END: choose-grid

  /// FLOPs per token of a model of `N` non-embedding parameters of this family, between the
  /// ladder's rungs by straight lines on log-log axes (and beyond the ends along the end segments).
  public func flopsPerToken(nonEmbedding N: Double) -> Double {
    let points = ladder.map { size in
      let c = config(size)
      return (log(Double(c.nonEmbeddingParameterCount)), log(c.trainingFLOPsPerToken()))
    }
    let x = log(N)
    let segment = min(points.count - 2, max(0, (points.lastIndex { $0.0 <= x } ?? 0)))
    let (a, b) = (points[segment], points[segment + 1])
    return exp(a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0))
  }

  /// The rung nearest `N` non-embedding parameters on a log scale.
  public func nearestSize(nonEmbedding N: Double) -> ModelSize {
    ladder.min {
      abs(log(Double(config($0).nonEmbeddingParameterCount) / N))
        < abs(log(Double(config($1).nonEmbeddingParameterCount) / N))
    }!
  }

  /// The peak learning rate of `size`: `base` at width 64, inversely proportional to the width
  /// (as muP prescribes for Adam), so narrow models take the bigger steps they tolerate.
  public func learningRate(_ size: ModelSize, base: Float) -> Float { base * 64 / Float(size.channels) }

  // ANCHOR: train-one
  /// Trains `size` from scratch for exactly `budget` FLOPs with chapter 06's trainer: AdamW at
  /// `learningRate(size)`, warmup over a tenth of the steps and the cosine ending on the last one, no
  /// dropout. Returns the run with its final losses on `evalBatches` fixed batches.
  public func train(
    _ size: ModelSize, budget: Double, train: [Int32], validation: [Int32], settings: SweepSettings,
    evalBatches: Int = 16
  ) throws -> SweepRecord {
    let config = config(size)
    var options = TrainingOptions(steps: steps(size, budget: budget), batchSize: batchSize)
    options.learningRate = learningRate(size, base: settings.learningRate)
    options.warmupSteps = max(1, options.steps / 10)
    options.evalBatches = evalBatches
    options.seed = settings.seed
    let started = monotonicSeconds()
    let trainer = Trainer(
      model: GPT(config, seed: settings.seed), train: train, validation: validation, options: options)
    while trainer.step < options.steps { try trainer.trainStep() }
    let seconds = monotonicSeconds() - started
    let (trainLoss, validationLoss) = trainer.evaluate()
    return SweepRecord(
      settings: settings, budget: budget, size: size, nonEmbeddingParameters: config.nonEmbeddingParameterCount,
      parameters: config.parameterCount, steps: options.steps, tokens: trainer.tokensSeen,
      flops: Double(trainer.tokensSeen) * config.trainingFLOPsPerToken(), validationLoss: validationLoss,
      trainLoss: trainLoss, seconds: seconds)
  }
  // ANCHOR_END: train-one
}
