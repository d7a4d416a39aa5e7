// Chapter 07 introduces this file: the one-row matrix multiply that generation runs on.

extension GemmEngine {
  /// `c = a · op(B)` for a single row `a` `(K)`: the shape of every product when generating one
  /// token at a time. Packing would copy every weight for one use, so this streams the
  /// weights once instead, sixteen output columns at a time.
  ///
  /// It adds the terms in exactly the order the micro-kernel does (the same K blocks, one
  /// fused multiply-add per `k`, block sums added to `C`), so a row computed here is
  /// bit-identical to the same row computed inside a larger product. That is what lets the
  /// KV cache reproduce full recomputation exactly.
  static func vectorTimesMatrix(N: Int, K: Int, _ o: GemmOperands, accumulate: Bool, threads: Int) {
    let kBlocks = (K + KC - 1) / KC
    let kc = (K + kBlocks - 1) / kBlocks
    let a = o.transposeA ? { (k: Int) in o.a[k * o.lda] } : { (k: Int) in o.a[k] }
    let pieces = N * K < 1 << 16 ? 1 : threads
    Parallel.forEachChunk((N + 15) / 16, chunks: pieces) { _, blocks in
      for block in blocks {
        let j0 = block * 16
        let lanes = min(16, N - j0)
        var total = Vector()
        for k0 in stride(from: 0, to: K, by: kc) {
          var acc = Vector()
          for k in k0..<min(K, k0 + kc) {
            var row = Vector()
            if o.transposeB {  // op(B)[k, j] = b[j*ldb + k]
              for l in 0..<lanes { row[l] = o.b[(j0 + l) * o.ldb + k] }
            } else {
              row = Vector(loading: o.b + k * o.ldb + j0, lanes: lanes)
            }
            acc.addProduct(Vector(repeating: a(k)), row)
          }
          total = k0 == 0 && !accumulate ? acc : (k0 == 0 ? Vector(loading: o.c + j0, lanes: lanes) + acc : total + acc)
        }
        total.store(to: o.c + j0, lanes: lanes)
      }
    }
  }
}
