// Chapter 00 introduces this file: the fast matrix multiply behind `Matmul.gemm`.

import Foundation

/// Where the operands of one product live (see `Matmul.gemm` for the contract).
struct GemmOperands {
  var a: UnsafePointer<Float>
  var lda: Int
  var transposeA: Bool
  var b: UnsafePointer<Float>
  var ldb: Int
  var transposeB: Bool
  var c: UnsafeMutablePointer<Float>
  var ldc: Int
  var triangle: Matmul.Triangle = .none
  /// Added to every row of `C` once the product is complete (a linear layer's bias).
  var bias: UnsafePointer<Float>? = nil
  /// Where this (part of a) product starts in the whole one, for `triangle`.
  var firstRow = 0
  var firstColumn = 0

  /// The same product restricted to columns `j0...` of `op(B)` and `C`.
  func columns(from j0: Int) -> GemmOperands {
    var o = self
    o.b = transposeB ? b + j0 * ldb : b + j0
    o.c = c + j0
    o.bias = bias.map { $0 + j0 }
    o.firstColumn += j0
    return o
  }

  /// The steps `kFrom..<kTo` of the block `k0..<k0+kc` that rows `i0..<i0+rows` need
  /// (relative to `k0`; empty when the triangle makes the whole block zero).
  func steps(rows i0: Int, _ rows: Int, block k0: Int, _ kc: Int) -> (kFrom: Int, kTo: Int) {
    let i = firstRow + i0
    switch triangle {
    case .lowerA: return (0, min(kc, max(0, i + rows - k0)))
    case .upperA: return (min(kc, max(0, i - k0)), kc)
    case .none, .lowerC: return (0, kc)
    }
  }

  /// Whether the tile at rows `i0..<i0+rows`, columns `j0...` lies wholly above the diagonal
  /// of a `.lowerC` product, so it need not be computed.
  func skips(rows i0: Int, _ rows: Int, column j0: Int) -> Bool {
    triangle == .lowerC && firstColumn + j0 > firstRow + i0 + rows - 1
  }
}

/// A packed, cache-blocked matrix multiply in the style of BLIS and GotoBLAS.
///
/// The whole speed comes from one small function, the micro-kernel, which keeps an
/// `MR x NR` tile of `C` in vector registers and, for every `k`, multiplies `MR` numbers of
/// `A` by `NR` numbers of `B`. The tile is fitted to the registers of the machine the package
/// is built on (`GemmKernel.swift`): 12 x 32 in 24 AVX-512 registers, 6 x 16 in 12 AVX2 ones
/// (24 NEON ones on ARM). Everything else exists to feed it from fast memory:
///
/// ```
/// for each block of KC rows of op(B) and NC of its columns:   pack it, panels of NR columns
///   for each MR rows of op(A):                                in place, or packed (fits L1)
///     for each NR-column panel of the packed B block:         stream it from L2
///       micro-kernel: C[MR x NR] += Apanel[MR x KC] · Bpanel[KC x NR]
/// ```
///
/// Packing copies an operand into the exact order the micro-kernel reads it, so the
/// transposed forms differ only in how they pack; edge tiles are zero-padded. Whole panels
/// of a row-major A need no copy: the kernel broadcasts from the `MR` rows where they are.
/// Nor do a transposed A's when at most two column panels read each (see `rowPanel`).
/// Threads split `C` into bands of rows (`shared`, where they also share each packed block
/// of B) or of columns: no two threads write the same element and every element is summed
/// in the same order, so results do not depend on the thread count. Nor do they depend on
/// the tile: each element is one chain of fused multiply-adds over `k`, cut into the same
/// `KC` blocks whatever the tile, so every machine computes the same bits.
enum GemmEngine {
  // MR and NR, the tile's rows and columns, are set with the micro-kernel (GemmKernel.swift).
  static let KC = 384
  /// The widest column block of `op(B)` packed at once: `KC x NC` floats, 768 KB, stay in a
  /// core's L2 (1 MB on Zen 4 and 5, 2 MB on recent Xeons) beside the A rows and `C` tiles
  /// streaming past. Twice as wide, the block spilt on this Xeon: 5-9% slower on one thread.
  static let NC = 512

  static func run(M: Int, N: Int, K: Int, _ o: GemmOperands, accumulate: Bool, threads: Int) {
    guard M > 0 && N > 0 else { return }
    guard K > 0 else {  // an empty sum: C = 0 (+ C) (+ bias)
      for i in 0..<M {
        let row = o.c + i * o.ldc
        if !accumulate { row.update(repeating: 0, count: N) }
        if let bias = o.bias { for j in 0..<N { row[j] += bias[j] } }
      }
      return
    }
    if M == 1 {  // one row (generating a token): stream the weights, no packing
      vectorTimesMatrix(N: N, K: K, o, accumulate: accumulate, threads: threads)
      if let bias = o.bias { for j in 0..<N { o.c[j] += bias[j] } }
      return
    }
    let rowPanels = (M + MR - 1) / MR
    let columnPanels = (N + NR - 1) / NR
    let pieces = 2 * M * N * K < 1 << 21 ? 1 : min(threads, max(rowPanels, columnPanels))
    if pieces <= 1 {
      single(M: M, N: N, K: K, o, accumulate: accumulate)
    } else if rowPanels >= columnPanels {
      shared(M: M, N: N, K: K, o, accumulate: accumulate, threads: pieces)
    } else {
      Parallel.forEachChunk(columnPanels, chunks: pieces) { _, panels in
        let j0 = panels.lowerBound * NR
        let columns = min(N, panels.upperBound * NR) - j0
        single(M: M, N: columns, K: K, o.columns(from: j0), accumulate: accumulate)
      }
    }
  }

  /// The length of the blocks a sum over `K` terms is cut into: at most `KC`, and as even as
  /// possible (K = 1000 gives 334 + 334 + 332). Each block's partial sum is added to the
  /// total in turn, so every kernel that must give gemm's bits (the one-row products, the
  /// panels of generation, and so the KV cache) cuts its sums here.
  static func kBlockLength(_ K: Int) -> Int {
    let kBlocks = (K + KC - 1) / KC
    return (K + kBlocks - 1) / kBlocks
  }

  /// The width of the column blocks `N` is cut into: at most `NC`, in whole panels, and only
  /// as narrow as the fewest blocks allow. N = 1152 gives 384 + 384 + 384, not 512 + 512 +
  /// 128, whose last block would stream all of A again for a quarter of a block's work; the
  /// last block may still be short (50257 = 98 x 512 + 81). Unlike `kBlockLength`, this
  /// changes no bits: every element's sum runs over the same K blocks whatever the columns.
  static func nBlockLength(_ N: Int) -> Int {
    let nBlocks = (N + NC - 1) / NC
    return ((N + nBlocks - 1) / nBlocks + NR - 1) / NR * NR
  }

  /// One thread's share: the blocked loops around the micro-kernel.
  static func single(M: Int, N: Int, K: Int, _ o: GemmOperands, accumulate: Bool) {
    let (kcMax, ncMax) = (kBlockLength(K), nBlockLength(N))
    let buffer = PackingBuffers.shared.take()
    defer { PackingBuffers.shared.giveBack(buffer) }
    let (packedA, packedB) = (buffer, buffer + PackingBuffers.aCapacity)
    assert(MR * kcMax <= PackingBuffers.aCapacity && kcMax * ncMax <= KC * NC)
    if o.transposeA && o.triangle == .none && N > 2 * NR {
      singleWithWholeA(M: M, N: N, K: K, o, accumulate: accumulate, packedB: packedB)
      return
    }
    for jc in stride(from: 0, to: N, by: ncMax) {
      for pc in stride(from: 0, to: K, by: kcMax) {
        let block = Block(o, j0: jc, nc: min(ncMax, N - jc), k0: pc, kc: min(kcMax, K - pc), K: K, accumulate)
        packB(o, k0: pc, kc: block.kc, j0: jc, nc: block.nc, into: packedB)
        for ic in stride(from: 0, to: M, by: MR) {
          rowPanel(o, i0: ic, mr: min(MR, M - ic), block, packedB: packedB, packedA: packedA)
        }
      }
    }
  }

  /// `single` for a transposed A that many column panels read (a weight gradient `Xᵀ·dY`):
  /// all of a K block's row panels of A are packed at once, reading each of its `kc` rows
  /// from start to end, and then serve every column block. Packed one panel at a time,
  /// each panel read `MR` numbers from each of `kc` rows far apart, once per column block.
  /// The K blocks are the outer loop here, but each element still sums them in order.
  static func singleWithWholeA(
    M: Int, N: Int, K: Int, _ o: GemmOperands, accumulate: Bool, packedB: UnsafeMutablePointer<Float>
  ) {
    let (kcMax, ncMax) = (kBlockLength(K), nBlockLength(N))
    let rowPanels = (M + MR - 1) / MR
    let wholeA = UnsafeMutablePointer<Float>.allocate(capacity: rowPanels * MR * kcMax)
    defer { wholeA.deallocate() }
    for pc in stride(from: 0, to: K, by: kcMax) {
      let kc = min(kcMax, K - pc)
      packPanels(o, M: M, k0: pc, kc: kc, into: wholeA)
      for jc in stride(from: 0, to: N, by: ncMax) {
        let block = Block(o, j0: jc, nc: min(ncMax, N - jc), k0: pc, kc: kc, K: K, accumulate)
        packB(o, k0: pc, kc: kc, j0: jc, nc: block.nc, into: packedB)
        for panel in 0..<rowPanels {
          let ic = panel * MR
          rowPanel(
            o, i0: ic, mr: min(MR, M - ic), block, packedB: packedB, packedA: wholeA + panel * MR * kc,
            prepacked: true)
        }
      }
    }
  }

  /// Every row panel of a transposed `op(A)` for steps `k0..<k0+kc`, panel after panel, each
  /// as `packA` writes it: row `k` of the stored A gives each panel its `MR` numbers in turn.
  /// `steps` (all `kc` by default) packs only those steps, so that threads can share the work.
  static func packPanels(
    _ o: GemmOperands, M: Int, k0: Int, kc: Int, steps: Range<Int>? = nil, into dst: UnsafeMutablePointer<Float>
  ) {
    let (whole, rest) = (M / MR, M % MR)
    for k in steps ?? 0..<kc {
      let row = o.a + (k0 + k) &* o.lda
      for p in 0..<whole { copyRow(row + p &* MR, dst + (p &* kc &+ k) &* MR) }
      if rest > 0 {  // the last panel's missing rows are zeros, as in packA
        let to = dst + (whole &* kc &+ k) &* MR
        for i in 0..<MR { to[i] = i < rest ? row[whole &* MR &+ i] : 0 }
      }
    }
  }

  /// `single`'s loops on several threads, which share each packed block of B and take its
  /// row panels in bands, as many bands as eight per thread, each band to whichever thread
  /// is free. The cores of a shared machine do not always run at the same speed (on the
  /// Xeon, one ran 35% behind the other for seconds at a time); with one band per thread,
  /// the faster one would wait for the slower one at the end of every product.
  ///
  /// A transposed A that many column panels read (a weight gradient split by rows, such as
  /// `Xᵀ·dY` for the MLP's down projection) is packed whole for each block,
  /// as in `singleWithWholeA`, each thread copying a share of its stored rows from start to
  /// end. Each band packing its own panels read `MR` numbers from each of `kc` rows 1.5-6 KB
  /// apart, a pattern the hardware's prefetchers do not follow: 6-11% slower on a Zen 5.
  ///
  /// Every element is still summed by one micro-kernel call per K block, in block order:
  /// the bits are `single`'s. `threads` sets the number of bands (eight per thread) and of
  /// packing pieces; the pool's threads, however many, take them.
  static func shared(M: Int, N: Int, K: Int, _ o: GemmOperands, accumulate: Bool, threads: Int) {
    let (kcMax, ncMax) = (kBlockLength(K), nBlockLength(N))
    let buffer = PackingBuffers.shared.take()
    defer { PackingBuffers.shared.giveBack(buffer) }
    let packedB = buffer + PackingBuffers.aCapacity
    let rowPanels = (M + MR - 1) / MR
    let packsA = o.transposeA && o.triangle == .none && min(ncMax, N) > 2 * NR
    let wholeA = packsA ? UnsafeMutablePointer<Float>.allocate(capacity: rowPanels * MR * kcMax) : nil
    defer { wholeA?.deallocate() }
    for jc in stride(from: 0, to: N, by: ncMax) {
      for pc in stride(from: 0, to: K, by: kcMax) {
        let block = Block(o, j0: jc, nc: min(ncMax, N - jc), k0: pc, kc: min(kcMax, K - pc), K: K, accumulate)
        let columnPanels = (block.nc + NR - 1) / NR
        let wholeAHere = block.nc > 2 * NR ? wholeA : nil  // as `rowPanel` would pack A
        Parallel.forEachChunk(columnPanels, chunks: min(columnPanels, threads)) { _, panels in  // pack B
          let j0 = panels.lowerBound * NR
          packB(
            o, k0: pc, kc: block.kc, j0: jc + j0, nc: min(block.nc, panels.upperBound * NR) - j0,
            into: packedB + j0 * block.kc)
        }
        if let wholeAHere {  // and A's panels, a share of the steps each
          Parallel.forEachChunk(block.kc, chunks: threads) { _, steps in
            packPanels(o, M: M, k0: pc, kc: block.kc, steps: steps, into: wholeAHere)
          }
        }
        Parallel.forEachChunk(rowPanels, chunks: min(rowPanels, 8 * threads)) { _, panels in  // then use it
          let own = PackingBuffers.shared.take()  // for this band's packed A panels
          defer { PackingBuffers.shared.giveBack(own) }
          for panel in panels {
            rowPanel(
              o, i0: panel * MR, mr: min(MR, M - panel * MR), block, packedB: packedB,
              packedA: wholeAHere.map { $0 + panel * MR * block.kc } ?? own, prepacked: wholeAHere != nil)
          }
        }
      }
    }
  }

  /// One block of a product: columns `j0..<j0+nc` of `op(B)` and `C`, steps `k0..<k0+kc`.
  struct Block {
    let j0: Int, nc: Int, k0: Int, kc: Int
    /// The first block of a product that overwrites `C` writes it instead of adding to it.
    let overwrite: Bool
    /// Added as the last block's sums are stored: the sums are complete then.
    let bias: UnsafePointer<Float>?

    init(_ o: GemmOperands, j0: Int, nc: Int, k0: Int, kc: Int, K: Int, _ accumulate: Bool) {
      (self.j0, self.nc, self.k0, self.kc) = (j0, nc, k0, kc)
      overwrite = k0 == 0 && !accumulate
      bias = k0 + kc == K ? o.bias.map { $0 + j0 } : nil
    }
  }

  /// Rows `i0..<i0+mr` of `C` (one row panel, `mr ≤ MR`) for one block, from the block's
  /// packed B; `packedA` is room for the panel of A when it must be packed.
  @inline(__always)
  static func rowPanel(
    _ o: GemmOperands, i0 ic: Int, mr: Int, _ block: Block, packedB: UnsafeMutablePointer<Float>,
    packedA: UnsafeMutablePointer<Float>, prepacked: Bool = false
  ) {
    let (jc, nc, pc, kc) = (block.j0, block.nc, block.k0, block.kc)
    let (kFrom, kTo) = o.steps(rows: ic, mr, block: pc, kc)
    if kFrom >= kTo && !block.overwrite { return }  // nothing to add (overwriting stores zeros)
    let steps = max(0, kTo - kFrom)
    // Whole panels of a row-major A are read in place: packing them would transpose
    // MR rows through memory, and the kernel can broadcast from the rows directly. A
    // transposed A's panel (MR neighbours in each of kc rows) is packed when many
    // column panels read it, as in a weight gradient (in place, those ran 10-30% slower
    // on the Xeon), and read in place when at most two do, as in attention's dV and dK
    // with 32-column panels (a head of 64 is four 16-column panels, and is packed).
    let inPlace = !prepacked && mr == MR && (!o.transposeA || nc <= 2 * NR)
    if !inPlace && !prepacked {  // only the steps the rows need (under a triangle, half on average)
      packA(o, i0: ic, mr: mr, k0: pc + kFrom, kc: steps, into: packedA + kFrom * MR)
    }
    let (first, rowStride, kStride) =
      o.transposeA ? ((pc + kFrom) * o.lda + ic, 1, o.lda) : (ic * o.lda + pc + kFrom, o.lda, 1)
    for jr in stride(from: 0, to: nc, by: NR) where !o.skips(rows: ic, mr, column: jc + jr) {
      let (b, c) = (packedB + jr * kc + kFrom * NR, o.c + ic * o.ldc + jc + jr)
      let bias = block.bias.map { $0 + jr }
      if inPlace {
        microKernel(
          kc: steps, o.a + first, rowStride: rowStride, kStride: kStride, b, c: c, ldc: o.ldc, rows: mr,
          columns: min(NR, nc - jr), overwrite: block.overwrite, bias: bias)
      } else {
        microKernel(
          kc: steps, packedA + kFrom * MR, b, c: c, ldc: o.ldc, rows: mr, columns: min(NR, nc - jr),
          overwrite: block.overwrite, bias: bias)
      }
    }
  }

  /// Copies `op(A)[i0..<i0+mr, k0..<k0+kc]` as `kc` groups of `MR` values (k-major),
  /// padding missing rows with zeros.
  static func packA(
    _ o: GemmOperands, i0: Int, mr: Int, k0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>
  ) {
    if mr < MR { dst.update(repeating: 0, count: MR * kc) }
    if o.transposeA {  // op(A)[i, k] = a[k*lda + i]: each k is a contiguous run of rows
      for k in 0..<kc {
        let (from, to) = (o.a + ((k0 + k) &* o.lda &+ i0), dst + k &* MR)
        if mr == MR {  // 12 floats as 8 + 4, or 6 as 4 + 2: no call to memmove for so few
          copyRow(from, to)
        } else {
          to.update(from: from, count: mr)
        }
      }
    } else {  // op(A)[i, k] = a[i*lda + k]: each row is a contiguous run of k
      for i in 0..<mr {
        let src = o.a + ((i0 + i) &* o.lda &+ k0)
        for k in 0..<kc { dst[k &* MR &+ i] = src[k] }
      }
    }
  }

  /// Copies the `MR` floats at `from` to `to` in two vector moves (a loop of `MR` single
  /// floats compiles to six or twelve scalar moves).
  @inline(__always)
  static func copyRow(_ from: UnsafePointer<Float>, _ to: UnsafeMutablePointer<Float>) {
    func move<V: SIMD>(_: V.Type, at offset: Int) where V.Scalar == Float {
      UnsafeMutableRawPointer(to + offset).storeBytes(
        of: UnsafeRawPointer(from + offset).loadUnaligned(as: V.self), as: V.self)
    }
    if MR == 12 {
      move(SIMD8<Float>.self, at: 0)
      move(SIMD4<Float>.self, at: 8)
    } else {
      move(SIMD4<Float>.self, at: 0)
      move(SIMD2<Float>.self, at: 4)
    }
  }

  /// Copies `op(B)[k0..<k0+kc, j0..<j0+nc]` as panels of `NR` columns, each `kc` rows of
  /// `NR` values, padding missing columns with zeros.
  static func packB(
    _ o: GemmOperands, k0: Int, kc: Int, j0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>
  ) {
    assert(NR % 16 == 0 && NR == 2 * TileVector.scalarCount)  // whole 16-float moves; two vectors a row
    for jr in stride(from: 0, to: nc, by: NR) {
      let nr = min(NR, nc - jr)
      let panel = dst + jr * kc
      if nr < NR { panel.update(repeating: 0, count: NR * kc) }
      if o.transposeB {  // op(B)[k, j] = b[j*ldb + k]: each column is a contiguous run of k
        packTransposed(o.b + ((j0 + jr) &* o.ldb &+ k0), ldb: o.ldb, rows: nr, kc: kc, into: panel)
      } else {  // op(B)[k, j] = b[k*ldb + j]: each k is a contiguous run of columns
        for k in 0..<kc {
          let (from, to) = (o.b + ((k0 + k) &* o.ldb &+ j0 &+ jr), panel + k &* NR)
          if nr == NR {  // one or two vectors: no call to memmove for so few
            for j in stride(from: 0, to: NR, by: 16) { Vector(loading: from + j).store(to: to + j) }
          } else {
            to.update(from: from, count: nr)
          }
        }
      }
    }
  }
}

extension GemmEngine {
  /// `panel[k*NR + j] = src[j*ldb + k]` for `j < rows`, `k < kc`: rows of `src` become columns
  /// of the panel. Written as one loop of single numbers, this compiles to AVX-512 scatter
  /// stores, which are slow on some processors (Zen 4). So blocks of 16 x 16 are transposed in
  /// vector registers instead, and only the ragged edges are copied number by number.
  static func packTransposed(
    _ src: UnsafePointer<Float>, ldb: Int, rows: Int, kc: Int, into panel: UnsafeMutablePointer<Float>
  ) {
    var j = 0
    while j + 16 <= rows {
      var k = 0
      while k + 16 <= kc {
        transpose16(src + (j &* ldb &+ k), stride: ldb, into: panel + (k &* NR &+ j), stride: NR)
        k += 16
      }
      for kk in k..<kc {
        for jj in j..<(j + 16) { panel[kk &* NR &+ jj] = src[jj &* ldb &+ kk] }
      }
      j += 16
    }
    for jj in j..<rows {
      for k in 0..<kc { panel[k &* NR &+ jj] = src[jj &* ldb &+ k] }
    }
  }

  /// Writes the transpose of the 16 x 16 block at `src` (rows `stride` apart) to `dst`.
  ///
  /// Number `(r, c)` of the block sits in vector `r`, lane `c`: index bits `r3 r2 r1 r0 c3 c2 c1 c0`.
  /// Taking the even and the odd lanes of each pair of vectors `(2p, 2p+1)` into vectors `p`
  /// and `p + 8` rotates those 8 bits right by one; four rotations swap `r` and `c`.
  @inline(__always)
  static func transpose16(
    _ src: UnsafePointer<Float>, stride: Int, into dst: UnsafeMutablePointer<Float>, stride dstStride: Int
  ) {
    transpose16(rows: { src + $0 &* stride }, into: dst, stride: dstStride)
  }

  /// `transpose16` for a block whose row `r` starts at `rows(r)`, wherever that is.
  @inline(__always)
  static func transpose16(
    rows: (Int) -> UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, stride dstStride: Int
  ) {
    // Two buffers of 16 vectors, as floats: 1 KB each, the most `withUnsafeTemporaryAllocation`
    // always puts on the stack. Asked for vectors (64-byte aligned), it calls malloc instead,
    // once for every block.
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { first in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { second in
        var (from, to) = (first.baseAddress!, second.baseAddress!)  // vector r at `16 * r`
        for r in 0..<16 { Vector(loading: rows(r)).store(to: from + 16 &* r) }
        for _ in 0..<4 {
          for p in 0..<8 {
            let pair = SIMD32(
              lowHalf: Vector(loading: from + 32 &* p), highHalf: Vector(loading: from + (32 &* p &+ 16)))
            pair.evenHalf.store(to: to + 16 &* p)
            pair.oddHalf.store(to: to + 16 &* (p &+ 8))
          }
          swap(&from, &to)
        }
        for r in 0..<16 { Vector(loading: from + 16 &* r).store(to: dst + r &* dstStride) }
      }
    }
  }
}

/// Packing space for `GemmEngine.single` and `shared`, reused from call to call.
///
/// Each call needs `MR x KC` floats for A and up to `KC x NC` (768 KB) for B. Allocating that
/// afresh every time asks the operating system for new pages, which it must zero, thousands
/// of times per training step; a small free list of buffers avoids it.
final class PackingBuffers: @unchecked Sendable {
  static let shared = PackingBuffers()
  static let aCapacity = GemmEngine.MR * GemmEngine.KC
  static let capacity = aCapacity + GemmEngine.KC * GemmEngine.NC

  private let lock = NSLock()
  private var free: [UnsafeMutablePointer<Float>] = []  // guarded by `lock`

  /// A buffer of `capacity` floats, 64-byte aligned: a free one, or a new one.
  func take() -> UnsafeMutablePointer<Float> {
    lock.lock()
    let buffer = free.popLast()
    lock.unlock()
    return buffer
      ?? UnsafeMutableRawPointer.allocate(byteCount: Self.capacity * 4, alignment: 64)
      .bindMemory(to: Float.self, capacity: Self.capacity)
  }

  /// Returns a buffer from `take` for the next call.
  func giveBack(_ buffer: UnsafeMutablePointer<Float>) {
    lock.lock()
    free.append(buffer)
    lock.unlock()
  }
}
