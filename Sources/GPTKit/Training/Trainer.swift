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

/// A loss (or gradient norm, or weight) that is not a number: training must stop before the
/// update that would write it into the weights.
public struct NonFiniteLoss: Error, CustomStringConvertible {
  /// The step, counted as the progress line counts them: the first step is 1.
  public var step: Int
  public var loss: Float
  /// What became non-finite: "loss", "gradient norm", "weights".
  public var quantity = "loss"

  public init(step: Int, loss: Float, of quantity: String = "loss") {
    (self.step, self.loss, self.quantity) = (step, loss, quantity)
  }

  public var description: String {
    "the \(quantity) became \(loss) at step \(step): the run diverged (the learning rate is too high for this model)"
  }
}

/// Where training batches come from: chapter 02's `DataLoader`, or chapter 09's padded
/// conversations whose prompts have masked targets. `state` is everything that decides the
/// next batches, so a checkpoint can save it and resume exactly.
public protocol BatchSource {
  mutating func nextBatch() -> Batch
  var state: DataLoader.State { get set }
}

extension DataLoader: BatchSource {}

/// The parameters an optimizer updates and clips, with the gradients the backward pass adds
/// into: a whole model's by default, only its adapters' in chapter 09.
public struct TrainableParameters {
  public let weights: ParameterBuffer
  public let gradients: ParameterBuffer

  public init(weights: ParameterBuffer, gradients: ParameterBuffer) {
    precondition(weights.layout.count == gradients.layout.count, "weights and gradients must share a layout")
    (self.weights, self.gradients) = (weights, gradients)
  }
}

extension GPT {
  /// Every parameter of the model.
  public var allParameters: TrainableParameters { TrainableParameters(weights: parameters, gradients: gradients) }
}

/// Trains a GPT on a token stream: AdamW, warmup + cosine schedule, gradient clipping and
/// accumulation, and periodic losses on fixed train and validation batches.
public final class Trainer {
  public let model: GPT
  public let trainable: TrainableParameters
  public let optimizer: AdamW
  public let options: TrainingOptions
  public let schedule: LearningRateSchedule
  public var batches: any BatchSource
  public private(set) var step = 0
  public var history: [TrainingRecord] = []
  public var bestValidationLoss = Float.infinity
  /// The learning rate at a step from someone else's code instead of `schedule`: chapter 06's
  /// `--mine` puts the learner's exercise here.
  public var scheduleOverride: ((_ step: Int) -> Float)?
  let trainProbe: [Batch]
  let validationProbe: [Batch]

  /// Trains `trainable` (by default every parameter of `model`) on `batches`, and measures
  /// progress on the fixed probe batches.
  public init(
    model: GPT, batches: some BatchSource, trainProbe: [Batch], validationProbe: [Batch], options: TrainingOptions,
    trainable: TrainableParameters? = nil
  ) {
    self.model = model
    self.trainable = trainable ?? model.allParameters
    self.options = options
    self.batches = batches
    (self.trainProbe, self.validationProbe) = (trainProbe, validationProbe)
    optimizer = AdamW(self.trainable.weights.layout, weightDecay: options.weightDecay)
    schedule = LearningRateSchedule(
      maxLR: options.learningRate, minLR: options.minLearningRate, warmupSteps: options.warmupSteps,
      totalSteps: options.steps)
  }

  /// Trains every parameter of `model` on shuffled windows of `train` (chapter 06).
  public convenience init(model: GPT, train: [Int32], validation: [Int32], options: TrainingOptions) {
    let T = model.config.contextLength
    let windows = { (tokens: [Int32]) in TokenWindows(tokens, contextLength: T, stride: T) }
    // The same batches at every evaluation, so the curves compare like with like.
    var probe = DataLoader(windows(validation), batchSize: options.batchSize, shuffle: false)
    let validationProbe = (0..<min(options.evalBatches, probe.batchesPerEpoch)).map { _ in probe.nextBatch() }
    var trainSample = DataLoader(windows(train), batchSize: options.batchSize, seed: options.seed ^ 0xABCD)
    let trainProbe = (0..<options.evalBatches).map { _ in trainSample.nextBatch() }
    self.init(
      model: model, batches: DataLoader(windows(train), batchSize: options.batchSize, seed: options.seed),
      trainProbe: trainProbe, validationProbe: validationProbe, options: options)
  }

  /// Tokens the model has trained on so far.
  public var tokensSeen: Int { step * options.batchSize * options.accumulation * model.config.contextLength }

  // ANCHOR: train-step
  /// One optimizer step; returns the mean training loss, the gradient norm before clipping
  /// and the learning rate used.
  @discardableResult
  public func trainStep() throws -> (loss: Float, gradientNorm: Float, learningRate: Float) {
    trainable.gradients.zero()
    let micro = (0..<options.accumulation).map { _ in batches.nextBatch() }
    let counted = micro.reduce(0) { $0 + $1.targetCount }
    guard counted > 0 else {  // nothing to learn: no update, so momentum and decay do not move the weights
      step += 1
      return (0, 0, learningRate(at: step - 1))
    }
    var loss: Float = 0
    for batch in micro {  // gradients add up across micro-batches, each weighted by its share of targets
      let share = Float(batch.targetCount) / Float(counted)
      loss += share * model.forward(inputs: batch.x, targets: batch.y, B: batch.B, T: batch.T, training: true)!
      model.backward(lossWeight: share)
    }
    guard loss.isFinite else { throw NonFiniteLoss(step: step + 1, loss: loss) }
    let norm = clipGradients(trainable.gradients, maxNorm: options.gradientClip)
    guard norm.isFinite else { throw NonFiniteLoss(step: step + 1, loss: norm, of: "gradient norm") }
    let lr = learningRate(at: step)
    optimizer.update(trainable.weights, gradients: trainable.gradients, lr: lr)
    step += 1
    return (loss, norm, lr)
  }
  // ANCHOR_END: train-step

  /// The learning rate of step `step` (from 0): the schedule's, unless overridden.
  public func learningRate(at step: Int) -> Float { scheduleOverride?(step) ?? schedule.rate(at: step) }

  /// Mean loss over the fixed train and validation probe batches (no dropout, no update):
  /// the mean over all their counted targets.
  public func evaluate() -> (train: Float, validation: Float) {
    (meanLoss(trainProbe), meanLoss(validationProbe))
  }

  /// The mean loss of `model` over every counted target of `batches`.
  public func meanLoss(_ batches: [Batch]) -> Float {
    let counted = batches.reduce(0) { $0 + $1.targetCount }
    return batches.reduce(0) { total, b in
      let share = counted == 0 ? 0 : Float(b.targetCount) / Float(counted)
      return total + share * model.forward(inputs: b.x, targets: b.y, B: b.B, T: b.T)!
    }
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
    precondition(
      trainable.weights === model.parameters, "a checkpoint holds the model's own weights: export adapters instead")
    return Checkpoint.State(
      step: step, optimizerStep: optimizer.step, dropoutRNG: model.rng, loader: batches.state, schedule: schedule,
      bestValidationLoss: bestValidationLoss, history: history, options: options, corpusFingerprint: corpusFingerprint)
  }

  /// Continues from a checkpoint (weights and moments are restored into `model`/`optimizer`),
  /// after checking that it is this run's: the same text and tokenizer (when
  /// `corpusFingerprint` is given), the same options but for `steps`, a loader over as many
  /// windows. Every refusal is one line that names what differs.
  public func resume(from folder: String, corpusFingerprint: String? = nil) throws -> Checkpoint.State {
    let saved = try Checkpoint.state(folder)
    if let corpusFingerprint, saved.corpusFingerprint != corpusFingerprint {
      throw Checkpoint.Error(
        description: "\(folder) was trained on another text or tokenizer: "
          + "resume with the same --data/--tokenizer, or use a new --out")
    }
    if let mismatch = saved.mismatch(options) { throw Checkpoint.Error(description: "\(folder) \(mismatch)") }
    guard saved.loader.order.count == batches.state.order.count else {
      throw Checkpoint.Error(
        description: "\(folder) read its text as \(saved.loader.order.count) windows, this run as "
          + "\(batches.state.order.count): resume with the same --data, --context and --batch")
    }
    guard saved.step <= options.steps else {
      throw Checkpoint.Error(
        description: "\(folder) is at step \(saved.step), past --steps \(options.steps): resume with more --steps")
    }
    let state = try Checkpoint.restore(folder, model: model, optimizer: optimizer)
    batches.state = state.loader
    (step, history, bestValidationLoss) = (state.step, state.history, state.bestValidationLoss)
    return state
  }
}
