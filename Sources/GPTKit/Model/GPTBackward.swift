// Chapter 05 introduces this file: the GPT's backward pass, the forward read in reverse.

extension GPT {
  // ANCHOR: gpt-backward
  /// Adds the gradient of the last `forward`'s mean loss to `gradients`.
  public func backward() {
    guard let a = activations, !targets.isEmpty else { preconditionFailure("backward needs a forward with targets") }
    let (B, T) = (a.B, a.T)
    let (C, L, NH, V) = (config.channels, config.layerCount, config.headCount, config.vocabularySize)
    let N = B * T
    if scratch == nil { scratch = BackwardScratch(config, N: N) }
    let s = scratch!
    let (p, g) = (parameters, gradients)
    let dropout = training && config.dropout > 0

    // loss = crossEntropy(logits): dLogits = (probs - onehot) / counted
    s.dlogits.update(repeating: 0, count: N * V)
    targets.withUnsafeBufferPointer {
      CrossEntropy.backward(
        dLogits: s.dlogits, probs: a.logits, targets: $0.baseAddress!, rows: N, V: V, counted: counted)
    }
    // logits = lnF · wteᵀ: dLnF = dLogits · wte, dWte += dLogitsᵀ · lnF
    Matmul.gemm(M: N, N: C, K: V, a: s.dlogits, b: p["transformer.wte.weight"], c: s.dln)
    Matmul.gemm(
      M: V, N: C, K: N, a: s.dlogits, transposeA: true, b: a.lnf, c: g["transformer.wte.weight"], accumulate: true)
    // lnF = LayerNorm(x): the gradient enters the residual stream
    s.dresidual.update(repeating: 0, count: N * C)
    let last = L == 0 ? a.encoded : a.residual3[L - 1]
    LayerNorm.backward(
      dInp: s.dresidual, dWeight: g["transformer.ln_f.weight"], dBias: g["transformer.ln_f.bias"], dOut: s.dln,
      inp: last, weight: p["transformer.ln_f.weight"], mean: a.lnfMean, rstd: a.lnfRstd, rows: N, C: C)
    for l in stride(from: L - 1, through: 0, by: -1) {
      let (w, dw) = (Block(p, l), Block(g, l))
      let residual = l == 0 ? a.encoded : a.residual3[l - 1]
      // x = x + fcProj(gelu(fc(ln2(x)))): the branch gets dResidual, the stream keeps it
      s.dbranch.update(from: s.dresidual, count: N * C)
      if dropout { Dropout.backward(s.dbranch, mask: a.dropoutMasks[2 + 2 * l], count: N * C) }
      s.dfchGelu.update(repeating: 0, count: N * 4 * C)
      Linear.backward(
        dInp: s.dfchGelu, dWeight: dw.fcProjw, dBias: dw.fcProjb, dOut: s.dbranch, inp: a.fchGelu[l], weight: w.fcProjw,
        N: N, C: 4 * C, OC: C)
      s.dfch.update(repeating: 0, count: N * 4 * C)
      GELU.backward(dInp: s.dfch, inp: a.fch[l], dOut: s.dfchGelu, count: N * 4 * C)
      s.dln.update(repeating: 0, count: N * C)
      Linear.backward(
        dInp: s.dln, dWeight: dw.fcw, dBias: dw.fcb, dOut: s.dfch, inp: a.ln2[l], weight: w.fcw, N: N, C: C, OC: 4 * C)
      LayerNorm.backward(
        dInp: s.dresidual, dWeight: dw.ln2w, dBias: dw.ln2b, dOut: s.dln, inp: a.residual2[l], weight: w.ln2w,
        mean: a.ln2Mean[l], rstd: a.ln2Rstd[l], rows: N, C: C)
      // x = x + proj(attention(qkv(ln1(x))))
      s.dbranch.update(from: s.dresidual, count: N * C)
      if dropout { Dropout.backward(s.dbranch, mask: a.dropoutMasks[1 + 2 * l], count: N * C) }
      s.datty.update(repeating: 0, count: N * C)
      Linear.backward(
        dInp: s.datty, dWeight: dw.projw, dBias: dw.projb, dOut: s.dbranch, inp: a.atty[l], weight: w.projw, N: N, C: C,
        OC: C)
      s.dqkv.update(repeating: 0, count: N * 3 * C)
      Attention.backward(dqkv: s.dqkv, dOut: s.datty, qkv: a.qkv[l], att: a.att[l], B: B, T: T, C: C, NH: NH)
      s.dln.update(repeating: 0, count: N * C)
      Linear.backward(
        dInp: s.dln, dWeight: dw.qkvw, dBias: dw.qkvb, dOut: s.dqkv, inp: a.ln1[l], weight: w.qkvw, N: N, C: C,
        OC: 3 * C)
      LayerNorm.backward(
        dInp: s.dresidual, dWeight: dw.ln1w, dBias: dw.ln1b, dOut: s.dln, inp: residual, weight: w.ln1w,
        mean: a.ln1Mean[l], rstd: a.ln1Rstd[l], rows: N, C: C)
    }
    // x = wte[tokens] + positions
    if dropout { Dropout.backward(s.dresidual, mask: a.dropoutMasks[0], count: N * C) }
    inputs.withUnsafeBufferPointer {
      Embedding.backward(
        dWte: g["transformer.wte.weight"], dPositions: fixedPositions == nil ? g["transformer.wpe.weight"] : nil,
        dOut: s.dresidual, tokens: $0.baseAddress!, B: B, T: T, C: C)
    }
  }
  // ANCHOR_END: gpt-backward
}
