// Chapter 08 introduces this file: what a model costs, in parameters and floating-point operations.

extension GPTConfig {
  /// The parameters outside the embeddings: the `L` blocks and the final LayerNorm,
  /// `L·(12·C² + 13·C) + 2·C`. Kaplan et al. (2020) found their scaling laws cleanest in this
  /// count, because the token and position tables are lookups, not computation.
  public var nonEmbeddingParameterCount: Int {
    let (C, L) = (channels, layerCount)
    return L * (12 * C * C + 13 * C) + 2 * C
  }

  // ANCHOR: flops-per-token
  /// Floating-point operations to train on one token with sequences of length `T`
  /// (forward and backward; a multiply-add counts as 2):
  ///
  ///     6·(L·12·C² + V·C)  +  6·L·C·(T + 1)
  ///
  /// The first term is the matrix products with weights: per token, forward does one
  /// multiply-add per weight (2 FLOPs), backward two (the input's gradient and the weight's),
  /// so 6 per weight. The weights multiplied are the four matrices of each block (12·C²) and the
  /// output layer (V·C, tied to `wte`); the position table and the embedding lookup multiply
  /// nothing, and biases and LayerNorms are a rounding error. The second is attention: token `t`
  /// scores `t + 1` keys and mixes `t + 1` values (C multiply-adds each), (T + 1)/2 keys on
  /// average because our causal kernels skip the masked half; forward and backward make it
  /// 3·2·2·C·(T + 1)/2. nanoGPT's MFU counts the full square, 12·L·C·T; Kaplan et al.'s
  /// 6·L·C·T is ours to within one key.
  public func trainingFLOPsPerToken(sequenceLength T: Int? = nil) -> Double {
    let (V, C, L) = (Double(vocabularySize), Double(channels), Double(layerCount))
    let T = Double(T ?? contextLength)
    return 6 * (L * 12 * C * C + V * C) + 6 * L * C * (T + 1)
  }
  // ANCHOR_END: flops-per-token
}

/// Compute accounting in the units the scaling literature uses.
public enum Compute {
  /// Kaplan's and Chinchilla's approximation of a training run's cost: `C ≈ 6·N·D` FLOPs for `N`
  /// parameters and `D` tokens (the attention term and the output layer left out).
  public static func approximateTrainingFLOPs(parameters N: Double, tokens D: Double) -> Double { 6 * N * D }

  /// Model FLOPs utilisation: the fraction of the machine's peak a run turns into useful work,
  /// `tokens/s · FLOPs per token / peak`. `peakGFLOPs` is `PeakFlops.measure()`'s figure.
  public static func utilisation(tokensPerSecond: Double, flopsPerToken: Double, peakGFLOPs: Double) -> Double {
    tokensPerSecond * flopsPerToken / (peakGFLOPs * 1e9)
  }

  /// The multiply-adds one training step on `B` sequences of `T` tokens performs in the
  /// model's matrix products, counted product by product from the model's own weight shapes
  /// and the attention kernels' triangles, not from a formula. Chapter 08 and its tests hold
  /// `trainingFLOPsPerToken` to twice this count per token.
  public static func countedMultiplyAdds(_ layout: ParameterLayout, headCount NH: Int, B: Int, T: Int) -> Int {
    var forward = 0
    for entry in layout.entries where entry.shape.count == 2 && entry.name != "transformer.wpe.weight" {
      forward += B * T * entry.shape[0] * entry.shape[1]  // (B·T, rows) x (rows, columns); wte: the output layer
    }
    let blocks = layout.entries.filter { $0.name.hasSuffix("attn.c_proj.weight") }
    for block in blocks {
      let C = block.shape[0]
      let HS = C / NH
      var perHead = 0
      for t in 0..<T { perHead += (t + 1) * HS * 2 }  // row t of Q·Kᵀ and of att·V: keys 0...t
      forward += B * NH * perHead
    }
    return 3 * forward  // backward: each product's two gradients cost what the product did
  }
}
