// Chapter 09 introduces this file: LoRA, a low-rank update trained beside a frozen linear layer.

/// LoRA (Hu et al., 2021) on one linear layer `(in, out)`: the layer's weight `W` stays
/// frozen and a product of two thin matrices is learned beside it.
///
/// ```
/// out = inp · W + b  +  (α/r) · (inp · Aᵀ) · Bᵀ      (N, in) -> (N, r) -> (N, out)
/// ```
/// `A` is stored `(r, in)` and `B` `(out, r)`, as PEFT stores `lora_A.weight` and
/// `lora_B.weight` (they are torch `nn.Linear` weights, `(out, in)`): the buffer is the file.
///
/// `B` starts at zero, so training starts exactly at the base model; `A` starts like PEFT's
/// (and torch's `nn.Linear`): uniform in `±1/√in`, so every component of `inp · Aᵀ` has about
/// the size of one input component whatever `in` is. If both started at zero, `dA` and `dB`
/// would both be zero and nothing would ever move.
///
/// The adapter does not own its matrices: they are views into one buffer for all adapters of
/// a model (`LoRAAdapters`), so one optimizer trains them all.
public final class LoRA: LinearAdapter {
  public let inFeatures: Int
  public let outFeatures: Int
  public let rank: Int
  /// `α/r`: the update's scale, so a change of rank does not change its size.
  public let scale: Float
  public let A: UnsafeMutablePointer<Float>  // (r, in)
  public let B: UnsafeMutablePointer<Float>  // (out, r)
  public let dA: UnsafeMutablePointer<Float>  // (r, in)
  public let dB: UnsafeMutablePointer<Float>  // (out, r)
  /// `(α/r) · inp · Aᵀ` of the last forward, `(N, r)`, kept for the backward; and its
  /// gradient. Both are sized for the largest `N` seen.
  private var hidden: UnsafeMutablePointer<Float>
  private var dHidden: UnsafeMutablePointer<Float>
  private var capacity = 0
  private var lastN = 0

  /// An adapter over the matrices at `A`/`B` (and their gradients at `dA`/`dB`), which the
  /// caller keeps alive.
  public init(
    inFeatures: Int, outFeatures: Int, rank: Int, alpha: Float, A: UnsafeMutablePointer<Float>,
    B: UnsafeMutablePointer<Float>, dA: UnsafeMutablePointer<Float>, dB: UnsafeMutablePointer<Float>
  ) {
    precondition(rank > 0, "a LoRA rank must be positive")
    (self.inFeatures, self.outFeatures, self.rank, scale) = (inFeatures, outFeatures, rank, alpha / Float(rank))
    (self.A, self.B, self.dA, self.dB) = (A, B, dA, dB)
    (hidden, dHidden) = (.allocate(capacity: 1), .allocate(capacity: 1))
  }

  deinit {
    hidden.deallocate()
    dHidden.deallocate()
  }

  /// PEFT's start: `A` uniform in `±1/√in` (Kaiming-uniform with `a = √5`), `B` zero.
  public func initialise(rng: inout SplitMix64) {
    let bound = 1 / Float(inFeatures).squareRoot()
    for i in 0..<(rank * inFeatures) { A[i] = bound * (2 * rng.nextFloat() - 1) }
    B.update(repeating: 0, count: outFeatures * rank)
  }

  private func reserve(_ N: Int) {
    guard N * rank > capacity else { return }
    hidden.deallocate()
    dHidden.deallocate()
    capacity = N * rank
    (hidden, dHidden) = (.allocate(capacity: capacity), .allocate(capacity: capacity))
  }

  // ANCHOR: lora-forward-backward
  /// `out += (α/r) · (inp · Aᵀ) · Bᵀ` for `inp` `(N, in)` and `out` `(N, out)`.
  public func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
    let (C, OC, r) = (inFeatures, outFeatures, rank)
    reserve(N)
    lastN = N
    // hidden = (α/r) · inp · Aᵀ: (N, in) x (in, r) -> (N, r)
    Matmul.gemm(M: N, N: r, K: C, a: inp, b: A, transposeB: true, c: hidden)
    for i in 0..<(N * r) { hidden[i] *= scale }
    // out += hidden · Bᵀ: (N, r) x (r, out) -> (N, out)
    Matmul.gemm(M: N, N: OC, K: r, a: hidden, b: B, transposeB: true, c: out, accumulate: true)
  }

  /// Adds the last forward's gradients into `dA`, `dB` and `dInp` `(N, in)`, from `dOut`
  /// `(N, out)` and the same `inp`:
  /// ```
  /// dB   += (α/r) · dOutᵀ · (inp · Aᵀ)     (out, N) x (N, r)  -> (out, r)
  /// dA   += (α/r) · (dOut · B)ᵀ · inp      (r, N)   x (N, in) -> (r, in)
  /// dInp += (α/r) · (dOut · B) · A         (N, r)   x (r, in) -> (N, in)
  /// ```
  public func backward(
    dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, N: Int
  ) {
    precondition(N == lastN, "a LoRA backward must follow the forward of the same batch")
    let (C, OC, r) = (inFeatures, outFeatures, rank)
    // out += hidden · Bᵀ: dB += dOutᵀ · hidden, dHidden = dOut · B
    Matmul.gemm(M: OC, N: r, K: N, a: dOut, transposeA: true, b: hidden, c: dB, accumulate: true)
    Matmul.gemm(M: N, N: r, K: OC, a: dOut, b: B, c: dHidden)
    // hidden = (α/r) · inp · Aᵀ: dA += (α/r) · dHiddenᵀ · inp, dInp += (α/r) · dHidden · A
    for i in 0..<(N * r) { dHidden[i] *= scale }
    Matmul.gemm(M: r, N: C, K: N, a: dHidden, transposeA: true, b: inp, c: dA, accumulate: true)
    Matmul.gemm(M: N, N: C, K: r, a: dHidden, b: A, c: dInp, accumulate: true)
  }
  // ANCHOR_END: lora-forward-backward

  // ANCHOR: lora-merge
  /// Folds the update into the layer's own weight, `(in, out)`:
  /// ```
  /// W += (α/r) · Aᵀ · Bᵀ      (in, r) x (r, out) -> (in, out)
  /// ```
  /// after which `inp · W` alone gives what `inp · W + adapter(inp)` gave.
  public func merge(into layer: LinearWeights) {
    precondition((layer.inFeatures, layer.outFeatures) == (inFeatures, outFeatures), "merging into another shape")
    let scaledA = UnsafeMutablePointer<Float>.allocate(capacity: rank * inFeatures)  // (r, in)
    defer { scaledA.deallocate() }
    for i in 0..<(rank * inFeatures) { scaledA[i] = scale * A[i] }
    Matmul.gemm(
      M: inFeatures, N: outFeatures, K: rank, a: scaledA, transposeA: true, b: B, transposeB: true, c: layer.weight,
      accumulate: true)
  }
  // ANCHOR_END: lora-merge
}
