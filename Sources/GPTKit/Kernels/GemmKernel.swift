// Chapter 00 introduces this file: the 12x32 micro-kernel at the centre of `Matmul.gemm`.

extension GemmEngine {
  typealias Vector = SIMD16<Float>

  /// `C[0..<rows, 0..<columns] (+)= Apanel · Bpanel` for one `MR x NR` tile.
  ///
  /// `packedB` holds `kc` rows of `NR` values. The A panel's value for row `i` and step `k`
  /// is `a[i·rowStride + k·kStride]`: packed (`kc` groups of `MR` values: strides 1 and `MR`),
  /// or read in place from `MR` rows of a row-major A (strides `lda` and 1).
  /// The 24 accumulators are named, not an array, so that the compiler keeps every one in a
  /// register for the whole loop: per `k`, two vector loads of B, twelve broadcasts of A
  /// and 24 fused multiply-adds (`addProduct`).
  @inline(__always)
  static func microKernel(
    kc: Int, _ packedA: UnsafePointer<Float>, rowStride: Int = 1, kStride: Int = MR, _ packedB: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, overwrite: Bool,
    bias: UnsafePointer<Float>? = nil
  ) {
    var c00a = Vector(), c00b = Vector(), c01a = Vector(), c01b = Vector()
    var c02a = Vector(), c02b = Vector(), c03a = Vector(), c03b = Vector()
    var c04a = Vector(), c04b = Vector(), c05a = Vector(), c05b = Vector()
    var c06a = Vector(), c06b = Vector(), c07a = Vector(), c07b = Vector()
    var c08a = Vector(), c08b = Vector(), c09a = Vector(), c09b = Vector()
    var c10a = Vector(), c10b = Vector(), c11a = Vector(), c11b = Vector()
    var a = packedA
    var b = UnsafeRawPointer(packedB).assumingMemoryBound(to: Vector.self)
    for _ in 0..<kc {
      let (b0, b1) = (b[0], b[1])
      let a00 = Vector(repeating: a[0 &* rowStride]); c00a.addProduct(a00, b0); c00b.addProduct(a00, b1)
      let a01 = Vector(repeating: a[1 &* rowStride]); c01a.addProduct(a01, b0); c01b.addProduct(a01, b1)
      let a02 = Vector(repeating: a[2 &* rowStride]); c02a.addProduct(a02, b0); c02b.addProduct(a02, b1)
      let a03 = Vector(repeating: a[3 &* rowStride]); c03a.addProduct(a03, b0); c03b.addProduct(a03, b1)
      let a04 = Vector(repeating: a[4 &* rowStride]); c04a.addProduct(a04, b0); c04b.addProduct(a04, b1)
      let a05 = Vector(repeating: a[5 &* rowStride]); c05a.addProduct(a05, b0); c05b.addProduct(a05, b1)
      let a06 = Vector(repeating: a[6 &* rowStride]); c06a.addProduct(a06, b0); c06b.addProduct(a06, b1)
      let a07 = Vector(repeating: a[7 &* rowStride]); c07a.addProduct(a07, b0); c07b.addProduct(a07, b1)
      let a08 = Vector(repeating: a[8 &* rowStride]); c08a.addProduct(a08, b0); c08b.addProduct(a08, b1)
      let a09 = Vector(repeating: a[9 &* rowStride]); c09a.addProduct(a09, b0); c09b.addProduct(a09, b1)
      let a10 = Vector(repeating: a[10 &* rowStride]); c10a.addProduct(a10, b0); c10b.addProduct(a10, b1)
      let a11 = Vector(repeating: a[11 &* rowStride]); c11a.addProduct(a11, b0); c11b.addProduct(a11, b1)
      a += kStride
      b += 2
    }
    if rows == MR && columns == NR {  // bias (the last K block only) is added as each row is stored
      store(c00a, c00b, to: c + 0 * ldc, overwrite: overwrite, bias: bias)
      store(c01a, c01b, to: c + 1 * ldc, overwrite: overwrite, bias: bias)
      store(c02a, c02b, to: c + 2 * ldc, overwrite: overwrite, bias: bias)
      store(c03a, c03b, to: c + 3 * ldc, overwrite: overwrite, bias: bias)
      store(c04a, c04b, to: c + 4 * ldc, overwrite: overwrite, bias: bias)
      store(c05a, c05b, to: c + 5 * ldc, overwrite: overwrite, bias: bias)
      store(c06a, c06b, to: c + 6 * ldc, overwrite: overwrite, bias: bias)
      store(c07a, c07b, to: c + 7 * ldc, overwrite: overwrite, bias: bias)
      store(c08a, c08b, to: c + 8 * ldc, overwrite: overwrite, bias: bias)
      store(c09a, c09b, to: c + 9 * ldc, overwrite: overwrite, bias: bias)
      store(c10a, c10b, to: c + 10 * ldc, overwrite: overwrite, bias: bias)
      store(c11a, c11b, to: c + 11 * ldc, overwrite: overwrite, bias: bias)
    } else {
      withUnsafeTemporaryAllocation(of: Float.self, capacity: MR * NR) { tile in
        let t = tile.baseAddress!
        store(c00a, c00b, to: t + 0 * NR, overwrite: true)
        store(c01a, c01b, to: t + 1 * NR, overwrite: true)
        store(c02a, c02b, to: t + 2 * NR, overwrite: true)
        store(c03a, c03b, to: t + 3 * NR, overwrite: true)
        store(c04a, c04b, to: t + 4 * NR, overwrite: true)
        store(c05a, c05b, to: t + 5 * NR, overwrite: true)
        store(c06a, c06b, to: t + 6 * NR, overwrite: true)
        store(c07a, c07b, to: t + 7 * NR, overwrite: true)
        store(c08a, c08b, to: t + 8 * NR, overwrite: true)
        store(c09a, c09b, to: t + 9 * NR, overwrite: true)
        store(c10a, c10b, to: t + 10 * NR, overwrite: true)
        store(c11a, c11b, to: t + 11 * NR, overwrite: true)
        for r in 0..<rows {
          for j in 0..<columns {
            let value = t[r * NR + j]
            let sum = overwrite ? value : c[r * ldc + j] + value
            c[r * ldc + j] = bias.map { sum + $0[j] } ?? sum
          }
        }
      }
    }
  }

  /// Writes (or adds) one 32-wide row of the tile, then adds `bias` if there is one. Rows of
  /// `C` need not be aligned, so this uses unaligned loads and stores (the packed panels are
  /// 64-byte aligned and need not).
  @inline(__always)
  static func store(
    _ left: Vector, _ right: Vector, to row: UnsafeMutablePointer<Float>, overwrite: Bool,
    bias: UnsafePointer<Float>? = nil
  ) {
    let raw = UnsafeMutableRawPointer(row)
    let size = MemoryLayout<Vector>.size
    var (l, r) = (left, right)
    if !overwrite {
      l = raw.loadUnaligned(as: Vector.self) + l
      r = raw.loadUnaligned(fromByteOffset: size, as: Vector.self) + r
    }
    if let bias {
      l = l + Vector(loading: bias)
      r = r + Vector(loading: bias + 16)
    }
    raw.storeBytes(of: l, as: Vector.self)
    raw.storeBytes(of: r, toByteOffset: size, as: Vector.self)
  }
}
