// Chapter 07 introduces this file: the one-row matrix multiply the KV cache runs on, one new token at a time.

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
    if o.transposeB {
      vectorTimesTransposed(N: N, K: K, o, accumulate: accumulate, threads: threads)
      return
    }
    let kc = kBlockLength(K)
    let pieces = N * K < 1 << 17 ? 1 : threads  // small products: a second thread costs more than it saves
    Parallel.forEachChunk((N + 15) / 16, chunks: pieces) { _, blocks in
      let (j0, j1) = (blocks.lowerBound * 16, min(N, blocks.upperBound * 16))
      let width = j1 - j0
      withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { partial in
        let sum = partial.baseAddress!
        for k0 in stride(from: 0, to: K, by: kc) {
          sum.update(repeating: 0, count: width)
          let kEnd = min(K, k0 + kc)
          var k = k0
          while k < kEnd {  // up to eight rows of B per pass over the partial sums
            let rows = min(8, kEnd - k)
            addRows(rows, from: k, into: sum, width: width, column: j0, o)
            k += rows
          }
          let c = o.c + j0
          if k0 == 0 && !accumulate {
            c.update(from: sum, count: width)
          } else {
            for j in 0..<width { c[j] += sum[j] }
          }
        }
      }
    }
  }

  /// `sum[j] += a[k]·B[k, j0+j]` for `rows` (at most 8) consecutive `k`, in increasing `k`
  /// for each `j` (the micro-kernel's order), reading each row of `B` contiguously.
  @inline(__always)
  static func addRows(
    _ rows: Int, from k: Int, into sum: UnsafeMutablePointer<Float>, width: Int, column j0: Int, _ o: GemmOperands
  ) {
    func a(_ r: Int) -> Float { o.transposeA ? o.a[(k + r) * o.lda] : o.a[k + r] }
    func b(_ r: Int) -> UnsafePointer<Float> { o.b + (k + r) * o.ldb + j0 }
    var j = 0
    if rows == 8 {  // the common case: eight named rows, no loop over rows inside
      let (a0, a1, a2, a3) = (
        Vector(repeating: a(0)), Vector(repeating: a(1)), Vector(repeating: a(2)), Vector(repeating: a(3))
      )
      let (a4, a5, a6, a7) = (
        Vector(repeating: a(4)), Vector(repeating: a(5)), Vector(repeating: a(6)), Vector(repeating: a(7))
      )
      let (b0, b1, b2, b3, b4, b5, b6, b7) = (b(0), b(1), b(2), b(3), b(4), b(5), b(6), b(7))
      while j + 16 <= width {
        var v = Vector(loading: sum + j)
        v.addProduct(a0, Vector(loading: b0 + j))
        v.addProduct(a1, Vector(loading: b1 + j))
        v.addProduct(a2, Vector(loading: b2 + j))
        v.addProduct(a3, Vector(loading: b3 + j))
        v.addProduct(a4, Vector(loading: b4 + j))
        v.addProduct(a5, Vector(loading: b5 + j))
        v.addProduct(a6, Vector(loading: b6 + j))
        v.addProduct(a7, Vector(loading: b7 + j))
        v.store(to: sum + j)
        j += 16
      }
    }
    while j + 16 <= width {  // fewer rows, at the end of a K block
      var v = Vector(loading: sum + j)
      for r in 0..<rows { v.addProduct(Vector(repeating: a(r)), Vector(loading: b(r) + j)) }
      v.store(to: sum + j)
      j += 16
    }
    while j < width {  // the ragged end, one column at a time, same order
      var s = sum[j]
      for r in 0..<rows { s = s.addingProduct(a(r), b(r)[j]) }
      sum[j] = s
      j += 1
    }
  }
}

extension GemmEngine {
  /// The `A·Bᵀ` form (`B` stored `(N, K)`: attention scores, the tied output layer): sixteen
  /// rows of `B` at a time, each read along its contiguous `k`, sixteen sums side by side.
  static func vectorTimesTransposed(N: Int, K: Int, _ o: GemmOperands, accumulate: Bool, threads: Int) {
    let kc = kBlockLength(K)
    let pieces = N * K < 1 << 16 ? 1 : threads
    Parallel.forEachChunk((N + 15) / 16, chunks: pieces) { _, blocks in
      for block in blocks {
        let j0 = block * 16
        let lanes = min(16, N - j0)
        var total = Vector()
        for k0 in stride(from: 0, to: K, by: kc) {
          var acc = Vector()
          for k in k0..<min(K, k0 + kc) {
            var column = Vector()
            for l in 0..<lanes { column[l] = o.b[(j0 + l) * o.ldb + k] }
            acc.addProduct(Vector(repeating: o.transposeA ? o.a[k * o.lda] : o.a[k]), column)
          }
          total = k0 > 0 ? total + acc : accumulate ? Vector(loading: o.c + j0, lanes: lanes) + acc : acc
        }
        total.store(to: o.c + j0, lanes: lanes)
      }
    }
  }
}
