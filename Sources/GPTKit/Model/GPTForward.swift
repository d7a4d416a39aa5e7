// Chapter 05 introduces this file: the GPT's forward pass, its table of contents.

extension GPT {
  // ANCHOR: gpt-forward
  /// Runs the model on `inputs` `(B, T)`. With `targets` `(B, T)` (a negative target is
  /// ignored) it returns the mean cross-entropy and prepares `backward`; without, the
  /// logits are left in `logits` for sampling.
  @discardableResult
  public func forward(inputs: [Int32], targets: [Int32]? = nil, B: Int, T: Int, training: Bool = false) -> Float? {
    let (C, L, NH, V) = (config.channels, config.layerCount, config.headCount, config.vocabularySize)
    precondition(T <= config.contextLength, "sequence length \(T) exceeds the context length \(config.contextLength)")
    precondition(inputs.count == B * T && (targets?.count ?? B * T) == B * T, "inputs and targets must be (B, T)")
    precondition(inputs.allSatisfy { $0 >= 0 && Int($0) < V }, "token ids must be in 0..<\(V)")
    if activations?.B != B || activations?.T != T {
      activations = Activations(config, B: B, T: T, reusing: activations)
      scratch = nil
    }
    let a = activations!
    let N = B * T
    let p = parameters
    (self.inputs, self.targets, self.training) = (inputs, targets ?? [], training)
    let dropout = training && config.dropout > 0

    inputs.withUnsafeBufferPointer { tokens in  // x = wte[tokens] + positions
      let positions = fixedPositions.map { $0.storage } ?? []
      positions.withUnsafeBufferPointer { table in
        let pos = fixedPositions == nil ? UnsafePointer(p["transformer.wpe.weight"]) : table.baseAddress!
        Embedding.forward(
          out: a.encoded, tokens: tokens.baseAddress!, wte: p["transformer.wte.weight"], positions: pos, B: B, T: T,
          C: C)
      }
    }
    if dropout { Dropout.forward(a.encoded, mask: a.dropoutMasks[0], count: N * C, p: config.dropout, rng: &rng) }
    for l in 0..<L {
      let w = Block(p, l)
      let residual = l == 0 ? a.encoded : a.residual3[l - 1]  // (B, T, C)
      LayerNorm.forward(
        out: a.ln1[l], mean: a.ln1Mean[l], rstd: a.ln1Rstd[l], inp: residual, weight: w.ln1w, bias: w.ln1b, rows: N,
        C: C)
      Linear.forward(out: a.qkv[l], inp: a.ln1[l], weight: w.qkvw, bias: w.qkvb, N: N, C: C, OC: 3 * C)  // (B, T, 3C)
      Attention.forward(out: a.atty[l], att: a.att[l], qkv: a.qkv[l], B: B, T: T, C: C, NH: NH)  // (B, T, C)
      Linear.forward(out: a.residual2[l], inp: a.atty[l], weight: w.projw, bias: w.projb, N: N, C: C, OC: C)
      if dropout {
        Dropout.forward(a.residual2[l], mask: a.dropoutMasks[1 + 2 * l], count: N * C, p: config.dropout, rng: &rng)
      }
      Elementwise.add(out: a.residual2[l], residual, a.residual2[l], count: N * C)  // x + attention
      LayerNorm.forward(
        out: a.ln2[l], mean: a.ln2Mean[l], rstd: a.ln2Rstd[l], inp: a.residual2[l], weight: w.ln2w, bias: w.ln2b,
        rows: N, C: C)
      Linear.forward(out: a.fch[l], inp: a.ln2[l], weight: w.fcw, bias: w.fcb, N: N, C: C, OC: 4 * C)  // (B, T, 4C)
      GELU.forward(out: a.fchGelu[l], inp: a.fch[l], count: N * 4 * C)
      Linear.forward(out: a.residual3[l], inp: a.fchGelu[l], weight: w.fcProjw, bias: w.fcProjb, N: N, C: 4 * C, OC: C)
      if dropout {
        Dropout.forward(a.residual3[l], mask: a.dropoutMasks[2 + 2 * l], count: N * C, p: config.dropout, rng: &rng)
      }
      Elementwise.add(out: a.residual3[l], a.residual2[l], a.residual3[l], count: N * C)  // x + MLP
    }
    let last = L == 0 ? a.encoded : a.residual3[L - 1]
    LayerNorm.forward(
      out: a.lnf, mean: a.lnfMean, rstd: a.lnfRstd, inp: last, weight: p["transformer.ln_f.weight"],
      bias: p["transformer.ln_f.bias"], rows: N, C: C)
    // the tied output layer: logits = lnF(x) · wteᵀ, (B, T, C) x (C, V) -> (B, T, V)
    Matmul.gemm(M: N, N: V, K: C, a: a.lnf, b: p["transformer.wte.weight"], transposeB: true, c: a.logits)
    guard let targets else { return nil }
    let (loss, counted) = targets.withUnsafeBufferPointer {
      CrossEntropy.forward(losses: a.losses, probs: a.logits, logits: a.logits, targets: $0.baseAddress!, rows: N, V: V)
    }
    self.counted = counted
    return loss
  }
  // ANCHOR_END: gpt-forward
}
