// Chapter 09 introduces this file: a trained GPT grows new token ids for the chat tokens.

extension GPT {
  // ANCHOR: grow-vocabulary
  /// A copy of this model with `k` more token ids, `V -> V + k`: every weight copied, and the
  /// new rows of `wte` `(V + k, C)` set at the mean of the old ones. The output layer is `wte`
  /// itself, so it grows with it.
  ///
  /// ```
  /// wte[v] = (1/V) · Σ_{i<V} wte[i]  (+ spread · σ ⊙ z_v)      for V ≤ v < V + k
  /// logit[v] = h · wte[v] = (1/V) · Σ_{i<V} logit[i]           (spread 0)
  /// ```
  /// What stays exactly as it was: the embedding of every old token and every block, so for
  /// inputs made of old tokens the hidden states and the logits of the old ids are the old
  /// model's. Each new token's logit is the mean of the old logits: a typical token, neither
  /// a sure thing nor impossible, so the first fine-tuning steps are not spent undoing a
  /// wild start (Hewitt, "Initializing new word embeddings", 2021). Over the old ids the
  /// probabilities only shrink by the share the new ids take: `p'(i) = p(i) · (1 - p'(new))`.
  ///
  /// With `spread > 0` each new row also gets `spread` times the old rows' per-channel standard
  /// deviation `σ` times a normal draw `z`: rows that differ. Full fine-tuning separates
  /// identical rows by itself; a frozen base (LoRA) never can, because a frozen `wte` makes
  /// the four chat tokens one and the same input and one and the same output.
  public func growingVocabulary(by k: Int, spread: Float = 0, seed: UInt64 = 7) -> GPT {
    precondition(k >= 0, "a vocabulary can only grow")
    let (V, C) = (config.vocabularySize, config.channels)
    var grownConfig = config
    grownConfig.vocabularySize = V + k
    let grown = GPT(grownConfig)
    for e in layout.entries where e.name != GPTNames.wte {
      grown.parameters[e.name].update(from: parameters[e.name], count: e.count)
    }
    let (old, new) = (weights.wte, grown.weights.wte)  // (V, C), (V + k, C)
    new.update(from: old, count: V * C)
    var (mean, variance) = ([Double](repeating: 0, count: C), [Double](repeating: 0, count: C))
    for v in 0..<V {
      for c in 0..<C { mean[c] += Double(old[v * C + c]) / Double(V) }
    }
    for v in 0..<V {
      for c in 0..<C { variance[c] += pow2(Double(old[v * C + c]) - mean[c]) / Double(V) }
    }
    var rng = SplitMix64(seed: seed)
    for v in V..<(V + k) {
      for c in 0..<C {
        let jitter = spread == 0 ? 0 : Double(spread) * variance[c].squareRoot() * Double(rng.nextNormal())
        new[v * C + c] = Float(mean[c] + jitter)
      }
    }
    grown.rng = self.rng  // the dropout generator goes on where it was
    return grown
  }
  // ANCHOR_END: grow-vocabulary
}

private func pow2(_ x: Double) -> Double { x * x }
