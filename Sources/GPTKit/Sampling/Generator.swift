// Chapter 07 introduces this file: the autoregressive loop.

/// Generates text token by token: predict, pick, append, repeat.
///
/// When the text outgrows the context, the window slides by half a context: the oldest half is
/// dropped and the rest is fed again (positions are absolute, so cached keys cannot simply be
/// shifted). `useCache: false` recomputes the whole window for every token instead; both see
/// exactly the same windows, so both give exactly the same text.
///
/// The cache reads the block matrices from a copy laid out in panels (`GenerationWeights`),
/// made when the generator is. With `weights: .bfloat16` the copy is rounded to `BFloat16`,
/// half the bytes per token, and `model` is a copy of the given model with the same rounded
/// values, which recomputation runs, so the two paths still give the same text.
public struct Generator {
  public let model: GPT
  public let weights: GenerationWeights
  /// Top-p done by someone else's code (chapter 07's `--mine` gives the learner's), or nil.
  public var nucleus: Sampler.Nucleus?
  /// The KV cache's store of each new key and value by someone else's code, or nil.
  public var store: KVCache.Store?

  public init(_ model: GPT, weights precision: WeightPrecision = .float32) {
    self.model = precision == .bfloat16 ? model.roundingBlockMatricesToBFloat16() : model
    weights = GenerationWeights(self.model, precision: precision)
  }

  // ANCHOR: generate
  /// Appends up to `count` tokens to `prompt`, stopping early at any of `stop`. Calls `emit`
  /// with each new token as soon as it is chosen (for streaming).
  @discardableResult
  public func generate(
    _ prompt: [Int32], count: Int, options: SamplingOptions, stop: Set<Int32> = [], useCache: Bool = true,
    emit: (Int32) -> Void = { _ in }
  ) -> [Int32] {
    precondition(!prompt.isEmpty, "generation needs at least one prompt token")
    let T = model.config.contextLength
    var rng = SplitMix64(seed: options.seed)
    var tokens = prompt
    var windowStart = max(0, prompt.count - T)  // the first token of the current window
    let cache = KVCache(model, weights: weights)
    cache.store = store
    var produced: [Int32] = []
    while produced.count < count {
      if tokens.count - windowStart > T {  // the window is full: keep its newest half
        windowStart = tokens.count - T / 2
        cache.reset()
      }
      let logits: [Float]
      if useCache {  // feed the cache whatever of the window it has not seen
        while windowStart + cache.count < tokens.count { cache.append(tokens[windowStart + cache.count]) }
        logits = Array(UnsafeBufferPointer(start: cache.logits, count: model.config.vocabularySize))
      } else {
        logits = model.nextTokenLogits(Array(tokens[windowStart...]))
      }
      let p = Sampler.distribution(logits, previous: tokens, options: options, nucleus: nucleus)
      let next = options.temperature == 0 ? Int32(p.indices.max { p[$0] < p[$1] }!) : Int32(Sampler.draw(p, rng: &rng))
      tokens.append(next)
      produced.append(next)
      emit(next)
      if stop.contains(next) { break }
    }
    return produced
  }
  // ANCHOR_END: generate
}
