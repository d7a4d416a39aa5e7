// Chapter 06 introduces this file: the simplest way to generate text, for a first look.

extension GPT {
  /// The logits `(V)` for the token after `context`, cropped to the last `contextLength` ids.
  public func nextTokenLogits(_ context: [Int32]) -> [Float] {
    let window = Array(context.suffix(config.contextLength))
    forward(inputs: window, B: 1, T: window.count)
    let V = config.vocabularySize
    return Array(UnsafeBufferPointer(start: logits + (window.count - 1) * V, count: V))
  }

  /// Greedy decoding: append the most likely next token, `count` times. It recomputes the
  /// whole context for every token; chapter 07 adds sampling and a KV cache.
  public func greedy(_ prompt: [Int32], count: Int) -> [Int32] {
    var tokens = prompt
    for _ in 0..<count {
      let logits = nextTokenLogits(tokens)
      tokens.append(Int32(logits.indices.max { logits[$0] < logits[$1] }!))
    }
    return Array(tokens.dropFirst(prompt.count))
  }
}
