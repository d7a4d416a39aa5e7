// Chapter 07 introduces this file: the autoregressive loop.

/// Generates text token by token: predict, pick, append, repeat.
///
/// When the text outgrows the context, the window slides by half a context: the oldest half is
/// dropped and the rest is fed again (positions are absolute, so cached keys cannot simply be
/// shifted). `useCache: false` recomputes the whole window for every token instead; both see
/// exactly the same windows, so both give exactly the same text.
public struct Generator {
  public let model: GPT
  public init(_ model: GPT) { self.model = model }

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
    let cache = KVCache(model)
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
      let p = Sampler.distribution(logits, previous: tokens, options: options)
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
