// Chapter 06 introduces this file: reading a checkpoint's state.json, checked before a run
// continues from it.

import Foundation

extension Checkpoint {
  /// The training state saved in `folder`, checked on its own terms (see
  /// ``State/problem``): a hand-edited or damaged `state.json` is refused in one line
  /// instead of crashing the resumed run.
  public static func state(_ folder: String) throws -> State {
    guard let dir = readable(folder) else {
      throw Error(description: "no checkpoint in \(folder): train one first (ch06-training)")
    }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    guard let data = FileManager.default.contents(atPath: "\(dir)/state.json"),
      let state = try? decoder.decode(State.self, from: data)
    else {
      throw Error(description: "\(dir)/state.json is missing or damaged: the checkpoint cannot be resumed")
    }
    if let problem = state.problem {
      throw Error(description: "\(dir)/state.json is damaged (\(problem)): the checkpoint cannot be resumed")
    }
    return state
  }
}

extension Checkpoint.State {
  /// The most steps a state may count: far beyond any run here, far below an overflow of
  /// `step * B * T`.
  static let maximumStep = 1 << 31

  /// What is wrong with this state on its own, or nil. A saved run never passes its own
  /// `--steps`; AdamW never stepped more often than the run; every loss it recorded is a
  /// number and the best is their minimum; the loader's order is a permutation it is inside.
  public var problem: String? {
    guard (0...Self.maximumStep).contains(options.steps), (0...options.steps).contains(step) else {
      return "step \(step) is not within the run's 0...\(options.steps)"
    }
    guard (0...step).contains(optimizerStep) else { return "optimizerStep \(optimizerStep) at step \(step)" }
    guard options.batchSize >= 1, options.accumulation >= 1, options.evalInterval >= 1 else {
      return "batchSize \(options.batchSize), accumulation \(options.accumulation)"
    }
    for (i, record) in history.enumerated() {
      guard record.trainLoss.isFinite, record.validationLoss.isFinite, (0...step).contains(record.step),
        record.tokens >= 0, i == 0 || history[i - 1].step <= record.step
      else { return "history entry \(i) has a loss that is not a number, or a step out of order" }
    }
    let best = history.map(\.validationLoss).min() ?? .infinity
    guard bestValidationLoss == best else { return "bestValidationLoss \(bestValidationLoss), history says \(best)" }
    guard loader.epoch >= 0, (0...loader.order.count).contains(loader.next) else {
      return "loader at \(loader.next) of \(loader.order.count) in epoch \(loader.epoch)"
    }
    var seen = [Bool](repeating: false, count: loader.order.count)
    for i in loader.order {
      guard seen.indices.contains(i), !seen[i] else { return "loader.order is not a permutation" }
      seen[i] = true
    }
    return nil
  }

  /// The first option this run sets differently from the saved one, as a sentence naming
  /// it, or nil. Only `steps` may change (to train longer or stop sooner; its warmup comes
  /// with it): any other difference would make the resumed run a different run.
  public func mismatch(_ now: TrainingOptions) -> String? {
    let labels: [(TrainingOptions) -> String] = [
      { "--batch \($0.batchSize)" }, { "--accumulation \($0.accumulation)" }, { "--lr \($0.learningRate)" },
      { "--eval-interval \($0.evalInterval)" }, { "--seed \($0.seed)" },
      { "\($0.evalBatches) batches per loss estimate (set by --quick)" },
      { "a learning-rate floor of \($0.minLearningRate.map { "\($0)" } ?? "--lr / 10")" },
      { "weight decay \($0.weightDecay)" }, { "gradient clipping at \($0.gradientClip)" },
    ]
    for label in labels where label(options) != label(now) {
      return "was trained with \(label(options)), this run asks for \(label(now)): "
        + "resume with \(label(options)), or use a new --out"
    }
    return nil
  }
}

extension ParameterBuffer {
  /// Whether every value is a finite number: a checkpoint never holds NaN or infinity.
  public var allFinite: Bool {
    UnsafeBufferPointer(start: base, count: layout.count).allSatisfy(\.isFinite)
  }

  /// Whether no value is negative (AdamW's second moments are averages of squares).
  var allNonNegative: Bool { UnsafeBufferPointer(start: base, count: layout.count).allSatisfy { $0 >= 0 } }
}
