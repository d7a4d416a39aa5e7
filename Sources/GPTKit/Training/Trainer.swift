// Chapter 06 introduces this file: the training loop.

/// The knobs of a training run.
public struct TrainingOptions: Codable, Equatable, Sendable {
  public var steps: Int
  public var batchSize: Int
  /// Micro-batches per optimizer step (gradient accumulation): the effective batch is
  /// `batchSize * accumulation` windows for the memory of `batchSize`.
  public var accumulation = 1
  public var learningRate: Float = 1e-3
  public var minLearningRate: Float? = nil
  public var warmupSteps = 100
  public var weightDecay: Float = 0.1
  public var gradientClip: Float = 1.0
  public var evalInterval = 100
  public var evalBatches = 8
  public var seed: UInt64 = 1337

  public init(steps: Int, batchSize: Int) {
    (self.steps, self.batchSize) = (steps, batchSize)
  }
}

/// One evaluation: where the losses stood after `step` steps and `tokens` training tokens.
public struct TrainingRecord: Codable, Equatable, Sendable {
  public var step: Int
  public var tokens: Int
  public var trainLoss: Float
  public var validationLoss: Float
}

/// A loss that is not a number: training must stop (the last checkpoint stays intact).
public struct NonFiniteLoss: Error, CustomStringConvertible {
  public var step: Int
  public var loss: Float
  public var description: String {
    "the loss became \(loss) at step \(step): the run diverged. Lower --lr (or raise the warmup); the last saved checkpoint is intact"
  }
}

/// Trains a GPT on a token stream: AdamW, warmup + cosine schedule, gradient clipping and
/// accumulation, and periodic losses on fixed train and validation batches.
public final class Trainer {
  public let model: GPT
  public let optimizer: AdamW
  public let options: TrainingOptions
  public let schedule: LearningRateSchedule
  public var loader: DataLoader
  public private(set) var step = 0
  public var history: [TrainingRecord] = []
  public var bestValidationLoss = Float.infinity
  let trainProbe: [Batch]
  let validationProbe: [Batch]

  public init(model: GPT, train: [Int32], validation: [Int32], options: TrainingOptions) {
    let T = model.config.contextLength
    self.model = model
    self.options = options
    optimizer = AdamW(model.layout, weightDecay: options.weightDecay)
    schedule = LearningRateSchedule(
      maxLR: options.learningRate, minLR: options.minLearningRate, warmupSteps: options.warmupSteps,
      totalSteps: options.steps)
    loader = DataLoader(
      TokenWindows(train, contextLength: T, stride: T), batchSize: options.batchSize, seed: options.seed)
    // The same batches at every evaluation, so the curves compare like with like.
    var probe = DataLoader(
      TokenWindows(validation, contextLength: T, stride: T), batchSize: options.batchSize, shuffle: false)
    validationProbe = (0..<min(options.evalBatches, probe.batchesPerEpoch)).map { _ in probe.nextBatch() }
    var trainSample = DataLoader(
      TokenWindows(train, contextLength: T, stride: T), batchSize: options.batchSize, seed: options.seed ^ 0xABCD)
    trainProbe = (0..<options.evalBatches).map { _ in trainSample.nextBatch() }
  }

  /// Tokens the model has trained on so far.
  public var tokensSeen: Int { step * options.batchSize * options.accumulation * model.config.contextLength }

  // ANCHOR: train-step
  /// One optimizer step; returns the mean training loss, the gradient norm before clipping
  /// and the learning rate used.
  @discardableResult
  public func trainStep() throws -> (loss: Float, gradientNorm: Float, learningRate: Float) {
    model.zeroGradients()
    var loss: Float = 0
    for _ in 0..<options.accumulation {  // gradients add up across micro-batches
      let batch = loader.nextBatch()
      loss += model.forward(inputs: batch.x, targets: batch.y, B: batch.B, T: batch.T, training: true)!
      model.backward()
    }
    loss /= Float(options.accumulation)
    guard loss.isFinite else { throw NonFiniteLoss(step: step, loss: loss) }
    if options.accumulation > 1 {  // each micro-batch's gradient is of its mean: average them
      Elementwise.scale(model.gradients.base, by: 1 / Float(options.accumulation), count: model.parameterCount)
    }
    let norm = clipGradients(model.gradients, maxNorm: options.gradientClip)
    let lr = schedule.rate(at: step)
    optimizer.update(model.parameters, gradients: model.gradients, lr: lr)
    step += 1
    return (loss, norm, lr)
  }
  // ANCHOR_END: train-step

  /// Mean loss over the fixed train and validation probe batches (no dropout, no update).
  public func evaluate() -> (train: Float, validation: Float) {
    func mean(_ batches: [Batch]) -> Float {
      batches.map { model.forward(inputs: $0.x, targets: $0.y, B: $0.B, T: $0.T)! }.reduce(0, +)
        / Float(max(1, batches.count))
    }
    return (mean(trainProbe), mean(validationProbe))
  }

  /// Evaluates and appends to `history`; returns the record and whether validation improved.
  @discardableResult
  public func record() -> (TrainingRecord, improved: Bool) {
    let (train, validation) = evaluate()
    let entry = TrainingRecord(step: step, tokens: tokensSeen, trainLoss: train, validationLoss: validation)
    history.append(entry)
    let improved = validation < bestValidationLoss
    if improved { bestValidationLoss = validation }
    return (entry, improved)
  }

  /// The state a checkpoint needs besides weights and moments.
  public func checkpointState(corpusFingerprint: String) -> Checkpoint.State {
    Checkpoint.State(
      step: step, optimizerStep: optimizer.step, dropoutRNG: model.rng, loader: loader.state, schedule: schedule,
      bestValidationLoss: bestValidationLoss, history: history, options: options, corpusFingerprint: corpusFingerprint)
  }

  /// Continues from a checkpoint (weights and moments are restored into `model`/`optimizer`).
  public func resume(from folder: String) throws -> Checkpoint.State {
    let state = try Checkpoint.restore(folder, model: model, optimizer: optimizer)
    loader.state = state.loader
    (step, history, bestValidationLoss) = (state.step, state.history, state.bestValidationLoss)
    return state
  }
}
