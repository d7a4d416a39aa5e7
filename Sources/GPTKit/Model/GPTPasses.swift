// Chapter 05 introduces this file: the GPT's forward pass, its table of contents, and the
// backward pass, the same table read in reverse.

extension GPT {
  // ANCHOR: gpt-forward
  /// Runs the model on `inputs` `(B, T)`. With `targets` `(B, T)` (a negative target is
  /// ignored) it returns the mean cross-entropy and prepares `backward`; without, the
  /// logits are left in `logits` for sampling.
  @discardableResult
  public func forward(
    inputs: [Int32], targets: [Int32]? = nil, B: Int, T: Int, training: Bool = false
  ) -> Float? {
    let a = prepare(inputs: inputs, targets: targets, B: B, T: T, training: training)
    let (C, NH, V) = (config.channels, config.headCount, config.vocabularySize)
    let (N, p, wte, wpe) = (B * T, dropoutRate, weights.wte, positions)  // wpe: learned or sinusoidal
    Embedding.forward(out: a.encoded, tokens: inputs, wte: wte, positions: wpe, B: B, T: T, C: C)
    Dropout.forward(a.encoded, mask: a.encodedMask, count: N * C, p: p, rng: &rng)
    for (l, w) in weights.blocks.enumerated() {
      let (x, adapter) = (a.blockInput(l), adapters[l])  // x: (B, T, C)
      LayerNorm.forward(out: a.ln, stats: a.ln1Stats[l], inp: x, w.ln1, rows: N)
      Linear.forward(out: a.qkv[l], inp: a.ln, w.attnQKV, rows: N)  // (B, T, C) -> (B, T, 3*C)
      adapter.attnQKV?.forward(out: a.qkv[l], inp: a.ln, N: N)
      Attention.forward(out: a.atty[l], att: nil, qkv: a.qkv[l], B: B, T: T, C: C, NH: NH)  // att: see backward
      Linear.forward(out: a.residual2[l], inp: a.atty[l], w.attnProj, rows: N)
      adapter.attnProj?.forward(out: a.residual2[l], inp: a.atty[l], N: N)
      Dropout.forward(a.residual2[l], mask: a.attnMask[l], count: N * C, p: p, rng: &rng)
      Elementwise.add(out: a.residual2[l], x, a.residual2[l], count: N * C)  // x + attention
      LayerNorm.forward(out: a.ln, stats: a.ln2Stats[l], inp: a.residual2[l], w.ln2, rows: N)
      Linear.forward(out: a.fch[l], inp: a.ln, w.fc, rows: N)  // (B, T, C) -> (B, T, 4*C)
      adapter.fc?.forward(out: a.fch[l], inp: a.ln, N: N)
      GELU.forward(out: a.fchGelu, inp: a.fch[l], count: N * 4 * C)
      Linear.forward(out: a.residual3[l], inp: a.fchGelu, w.fcProj, rows: N)  // -> (B, T, C)
      adapter.fcProj?.forward(out: a.residual3[l], inp: a.fchGelu, N: N)
      Dropout.forward(a.residual3[l], mask: a.mlpMask[l], count: N * C, p: p, rng: &rng)
      Elementwise.add(out: a.residual3[l], a.residual2[l], a.residual3[l], count: N * C)  // x + MLP
    }
    let x = a.blockInput(config.layerCount)
    LayerNorm.forward(out: a.lnF, stats: a.lnFStats, inp: x, weights.lnF, rows: N)
    // the output layer (wte, tied), logits = lnF(x) · headᵀ: (B, T, C) x (C, V) -> (B, T, V)
    Matmul.gemm(M: N, N: V, K: C, a: a.lnF, b: head, transposeB: true, c: a.logits)
    guard let targets else { return nil }
    let loss: Float
    (loss, counted) = CrossEntropy.forward(
      losses: a.losses, probs: a.logits, logits: a.logits, targets: targets, rows: N, V: V)
    return loss
  }
  // ANCHOR_END: gpt-forward

  // ANCHOR: gpt-backward
  /// Adds the gradient of `lossWeight` times the last `forward`'s mean loss to `gradients`
  /// (or, with `weightsFrozen`, only to the adapters' gradients).
  public func backward(lossWeight: Float = 1) {
    guard let a = activations, !targets.isEmpty else {
      preconditionFailure("backward needs a forward with targets")
    }
    let (B, T, N, NC) = (a.B, a.T, a.B * a.T, a.B * a.T * config.channels)
    let (C, NH, V) = (config.channels, config.headCount, config.vocabularySize)
    let (s, p, dModel) = (prepareScratch(N: N), dropoutRate, weightsFrozen ? nil : weightGradients)
    s.clearStream()  // dLogits and dResidual: the kernels below add into them
    // loss = crossEntropy(logits): dLogits = lossWeight · (probs - onehot) / counted
    CrossEntropy.backward(
      dLogits: s.dLogits, probs: a.logits, targets: targets, rows: N, V: V, counted: counted,
      dLoss: lossWeight)
    // logits = lnF · headᵀ: dLnF = dLogits · head, dWte += dLogitsᵀ · lnF (head is wte)
    precondition(isTied || dModel == nil, "a model with an untied head trains adapters only (weightsFrozen)")
    Matmul.gemm(M: N, N: C, K: V, a: s.dLogits, b: head, c: s.dLnF)
    if let dWte = dModel?.wte {
      Matmul.gemm(
        M: V, N: C, K: N, a: s.dLogits, transposeA: true, b: a.lnF, c: dWte, accumulate: true)
    }
    // lnF = LayerNorm(x): the gradient enters the residual stream
    let x = a.blockInput(config.layerCount)
    LayerNorm.backward(
      dInp: s.dResidual, dOut: s.dLnF, inp: x, stats: a.lnFStats, weights.lnF, dModel?.lnF, rows: N)
    for (l, w) in weights.blocks.enumerated().reversed() {
      let (x, adapter, dw) = (a.blockInput(l), adapters[l], dModel?.blocks[l])
      // x = x + MLP: the identity path keeps dResidual as it is (the LayerNorm backward below
      // adds into it), and the branch receives it too, through its dropout mask
      let dMLP = Dropout.backward(s.dResidual, mask: a.mlpMask[l], count: NC, p: p, into: s.dBranch)
      // the GELU output, remade as the forward made it, and its slope, kept in dFch till needed
      GELU.remake(out: a.fchGelu, slope: s.dFch, inp: a.fch[l], count: N * 4 * C)
      Linear.backward(  // the first writer of each layer buffer writes it: none is zeroed
        dInp: s.dFchGelu, dOut: dMLP, inp: a.fchGelu, w.fcProj, dw?.fcProj, rows: N, accumulateInput: false)
      adapter.fcProj?.backward(dInp: s.dFchGelu, dOut: dMLP, inp: a.fchGelu, N: N)
      GELU.backward(dInp: s.dFch, slope: s.dFch, dOut: s.dFchGelu, count: N * 4 * C)
      LayerNorm.normalize(out: a.ln, inp: a.residual2[l], stats: a.ln2Stats[l], w.ln2, rows: N)  // ln2, remade
      Linear.backward(dInp: s.dLn2, dOut: s.dFch, inp: a.ln, w.fc, dw?.fc, rows: N, accumulateInput: false)
      adapter.fc?.backward(dInp: s.dLn2, dOut: s.dFch, inp: a.ln, N: N)
      LayerNorm.backward(
        dInp: s.dResidual, dOut: s.dLn2, inp: a.residual2[l], stats: a.ln2Stats[l], w.ln2, dw?.ln2,
        rows: N)
      // x = x + attention: the same again, the block's input gets dResidual plus the branch's
      let dAttn = Dropout.backward(s.dResidual, mask: a.attnMask[l], count: NC, p: p, into: s.dBranch)
      Linear.backward(
        dInp: s.dAtty, dOut: dAttn, inp: a.atty[l], w.attnProj, dw?.attnProj, rows: N, accumulateInput: false)
      adapter.attnProj?.backward(dInp: s.dAtty, dOut: dAttn, inp: a.atty[l], N: N)
      Attention.backward(  // att: nil, so it remakes the probabilities from qkv
        dqkv: s.dQKV, dOut: s.dAtty, qkv: a.qkv[l], att: nil, B: B, T: T, C: C, NH: NH, accumulate: false)
      LayerNorm.normalize(out: a.ln, inp: x, stats: a.ln1Stats[l], w.ln1, rows: N)  // ln1, remade
      Linear.backward(
        dInp: s.dLn1, dOut: s.dQKV, inp: a.ln, w.attnQKV, dw?.attnQKV, rows: N, accumulateInput: false)
      adapter.attnQKV?.backward(dInp: s.dLn1, dOut: s.dQKV, inp: a.ln, N: N)
      LayerNorm.backward(
        dInp: s.dResidual, dOut: s.dLn1, inp: x, stats: a.ln1Stats[l], w.ln1, dw?.ln1, rows: N)
    }
    // x = wte[tokens] + positions
    guard let dModel else { return }
    let dX = Dropout.backward(s.dResidual, mask: a.encodedMask, count: NC, p: p, into: s.dBranch)
    Embedding.backward(
      dWte: dModel.wte, dPositions: dModel.wpe, dOut: dX, tokens: inputs, B: B, T: T, C: C)
  }
  // ANCHOR_END: gpt-backward
}
