// Chapter 00 introduces this file: the micro-kernel at the centre of `Matmul.gemm`.

extension GemmEngine {
  // The tile is fitted to the vector registers of the machine the package is built on, as
  // `-march=native` fits the instructions (`Package.swift` defines AVX512 where the build
  // machine has it). A tile row is two vectors, and the tile leaves a few registers free
  // for the two vectors of B and the broadcast number of A that each step loads.
  #if AVX512
    /// One AVX-512 register: 16 floats. Of the 32 registers, a 12 x 32 tile takes 24.
    typealias TileVector = SIMD16<Float>
    static let MR = 12, NR = 32
  #else
    /// One AVX2 register (8 floats; 16 registers), or two NEON ones (4 floats; 32 registers):
    /// a 6 x 16 tile takes 12 AVX2 registers or 24 NEON ones. A 12 x 32 tile of 16-float
    /// vectors would need 48 AVX2 registers, and the compiler would keep most of it in memory:
    /// on a Zen 3 core it ran the GPT's shapes at 29-30 GFLOP/s, where this tile runs at
    /// 82-92, of a peak of 101-102.
    typealias TileVector = SIMD8<Float>
    static let MR = 6, NR = 16
  #endif

  /// Sixteen floats: the width of the packing and one-row loops (`packB`, `transpose16`,
  /// `vectorTimesMatrix`), whatever the tile's vectors.
  typealias Vector = SIMD16<Float>

  /// `C[0..<rows, 0..<columns] (+)= Apanel · Bpanel` for one `MR x NR` tile.
  ///
  /// `packedB` holds `kc` rows of `NR` values. The A panel's value for row `i` and step `k`
  /// is `a[i·rowStride + k·kStride]`: packed (`kc` groups of `MR` values: strides 1 and `MR`),
  /// or read in place from `MR` rows of a row-major A (strides `lda` and 1).
  /// Per `k`: two vector loads of B, then for each row one broadcast of A and two fused
  /// multiply-adds, into accumulators that stay in registers for the whole loop
  /// (`SixRows`). A 12-row tile is two sets of six rows reading the same two vectors of B.
  @inline(__always)
  static func microKernel(
    kc: Int, _ packedA: UnsafePointer<Float>, rowStride: Int = 1, kStride: Int = MR, _ packedB: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, overwrite: Bool,
    bias: UnsafePointer<Float>? = nil
  ) {
    // The tile of C is read (or written) only after the loop, thousands of cycles away: ask
    // for its lines now, so that they arrive meanwhile instead of stalling the stores. On a
    // Zen 5 this took 5-7% off the products that accumulate into C or stride it widely
    // (mlp down, qkv dX, 1024 x 1024); the others did not change.
    if rows == MR && columns == NR {
      for r in 0..<MR {  // a row of 32 floats spans two or three cache lines, of 16 one or two
        let row = UnsafeRawPointer(c + r &* ldc)
        prefetchForWriting(row)
        if NR == 32 { prefetchForWriting(row + 64) }
        prefetchForWriting(row + (4 * NR - 4))  // the row's last float
      }
    }
    var (top, bottom) = (SixRows(), SixRows())  // `bottom` is used only by a 12-row tile
    var a = packedA
    var b = UnsafeRawPointer(packedB).assumingMemoryBound(to: TileVector.self)
    for _ in 0..<kc {
      let (b0, b1) = (b[0], b[1])
      top.addProducts(a, rowStride, b0, b1)
      if MR == 12 { bottom.addProducts(a + 6 &* rowStride, rowStride, b0, b1) }
      a += kStride
      b += 2
    }
    if rows == MR && columns == NR {  // bias (the last K block only) is added as each row is stored
      top.store(to: c, ldc: ldc, overwrite: overwrite, bias: bias)
      if MR == 12 { bottom.store(to: c + 6 * ldc, ldc: ldc, overwrite: overwrite, bias: bias) }
    } else {
      withUnsafeTemporaryAllocation(of: Float.self, capacity: MR * NR) { tile in
        let t = tile.baseAddress!
        top.store(to: t, ldc: NR, overwrite: true)
        if MR == 12 { bottom.store(to: t + 6 * NR, ldc: NR, overwrite: true) }
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

  /// Six rows of a tile: twelve accumulators, two registers per row.
  ///
  /// They are named, not an array, so that the compiler keeps every one in a register for the
  /// whole loop: an array (or a loop over rows) is memory, and every step would load and store
  /// each accumulator.
  struct SixRows {
    var c0a = TileVector(), c0b = TileVector(), c1a = TileVector(), c1b = TileVector()
    var c2a = TileVector(), c2b = TileVector(), c3a = TileVector(), c3b = TileVector()
    var c4a = TileVector(), c4b = TileVector(), c5a = TileVector(), c5b = TileVector()

    /// One step: row `r` adds `a[r·rowStride]` times the row `(b0, b1)` of B.
    @inline(__always)
    mutating func addProducts(_ a: UnsafePointer<Float>, _ rowStride: Int, _ b0: TileVector, _ b1: TileVector) {
      let a0 = TileVector(repeating: a[0]); c0a.addProduct(a0, b0); c0b.addProduct(a0, b1)
      let a1 = TileVector(repeating: a[rowStride]); c1a.addProduct(a1, b0); c1b.addProduct(a1, b1)
      let a2 = TileVector(repeating: a[2 &* rowStride]); c2a.addProduct(a2, b0); c2b.addProduct(a2, b1)
      let a3 = TileVector(repeating: a[3 &* rowStride]); c3a.addProduct(a3, b0); c3b.addProduct(a3, b1)
      let a4 = TileVector(repeating: a[4 &* rowStride]); c4a.addProduct(a4, b0); c4b.addProduct(a4, b1)
      let a5 = TileVector(repeating: a[5 &* rowStride]); c5a.addProduct(a5, b0); c5b.addProduct(a5, b1)
    }

    /// Writes (or adds) the six rows to `c`, `ldc` apart, then adds `bias` if there is one.
    @inline(__always)
    func store(to c: UnsafeMutablePointer<Float>, ldc: Int, overwrite: Bool, bias: UnsafePointer<Float>? = nil) {
      storeRow(c0a, c0b, to: c, overwrite: overwrite, bias: bias)
      storeRow(c1a, c1b, to: c + ldc, overwrite: overwrite, bias: bias)
      storeRow(c2a, c2b, to: c + 2 * ldc, overwrite: overwrite, bias: bias)
      storeRow(c3a, c3b, to: c + 3 * ldc, overwrite: overwrite, bias: bias)
      storeRow(c4a, c4b, to: c + 4 * ldc, overwrite: overwrite, bias: bias)
      storeRow(c5a, c5b, to: c + 5 * ldc, overwrite: overwrite, bias: bias)
    }
  }

  /// Writes (or adds) one `NR`-wide row of the tile, then adds `bias` if there is one. Rows of
  /// `C` need not be aligned, so this uses unaligned loads and stores (the packed panels are
  /// 64-byte aligned and need not).
  @inline(__always)
  static func storeRow(
    _ left: TileVector, _ right: TileVector, to row: UnsafeMutablePointer<Float>, overwrite: Bool,
    bias: UnsafePointer<Float>? = nil
  ) {
    let raw = UnsafeMutableRawPointer(row)
    let size = MemoryLayout<TileVector>.size
    var (l, r) = (left, right)
    if !overwrite {
      l = raw.loadUnaligned(as: TileVector.self) + l
      r = raw.loadUnaligned(fromByteOffset: size, as: TileVector.self) + r
    }
    if let bias {
      let raw = UnsafeRawPointer(bias)
      l = l + raw.loadUnaligned(as: TileVector.self)
      r = r + raw.loadUnaligned(fromByteOffset: size, as: TileVector.self)
    }
    raw.storeBytes(of: l, as: TileVector.self)
    raw.storeBytes(of: r, toByteOffset: size, as: TileVector.self)
  }
}

/// LLVM's prefetch instruction, which Swift has no name for: `@_silgen_name` makes this
/// declaration a call to the intrinsic itself (`prefetchw` on x86-64, `prfm` on ARM). A
/// prefetch never faults and changes no result, only when data arrives. LLVM requires the
/// last three arguments to be constants, so each call passes literals (the library is always
/// compiled optimised, `Package.swift`, which makes them constants in the code it emits).
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32)

/// Asks the processor to start bringing the cache line that holds `address` into its
/// nearest cache, ready to be written, without waiting for it.
@inline(__always)
func prefetchForWriting(_ address: UnsafeRawPointer) {
  llvmPrefetch(address, 1, 3, 1)
}
