// Chapter 00 introduces this file: measuring how fast this CPU can multiply-add at best.

import Dispatch

/// The machine's practical arithmetic ceiling: a loop of independent fused multiply-adds on
/// the matrix multiply's vectors (`GemmEngine.TileVector`), with no memory traffic at all. No real kernel beats it, so
/// "GFLOP/s as a fraction of this peak" tells how well a kernel uses the CPU on any machine.
public enum PeakFlops {
  /// Measured GFLOP/s of the FMA loop on `threads` threads (each counts 2 flops per lane).
  public static func measure(threads: Int = Parallel.threadCount, seconds: Double = 0.2) -> Double {
    let iterations = 4_000_000
    let start = monotonicSeconds()
    var rounds = 0
    var sink: Float = 0
    repeat {
      var partial = [Float](repeating: 0, count: threads)
      partial.withUnsafeMutableBufferPointer { out in
        let out = out
        Parallel.forEachChunk(threads, chunks: threads) { _, slots in
          for slot in slots { out[slot] = fmaLoop(iterations, seed: Float(slot)) }
        }
      }
      sink += partial.reduce(0, +)
      rounds += 1
    } while monotonicSeconds() - start < seconds
    let elapsed = monotonicSeconds() - start
    let lanes = GemmEngine.TileVector.scalarCount
    let flops = Double(rounds) * Double(threads) * Double(iterations) * 12 * Double(lanes) * 2
    return sink.isNaN ? 0 : flops / elapsed / 1e9
  }

  /// GFLOP/s of the matrix multiply's micro-kernel alone, on `threads` threads together:
  /// each makes `calls` tiles of `KC` steps, from one packed panel of A and `bPanels` packed
  /// panels of B in turn, into one tile of C. Only the calls are timed, after one pass to
  /// warm the caches, and the slowest thread's time counts.
  ///
  /// One panel of B is a tile's whole working set read again and again: 33 KB with the
  /// 6 x 16 tile, about the size of L1. Panels adding up to about 240 KB make B stream from
  /// L2, as in a real product. Beside the peak, the two tell how much of a product's speed
  /// the kernel itself loses and how much feeding it does.
  public static func microKernelAlone(bPanels: Int, calls: Int, threads: Int = Parallel.threadCount) -> Double {
    typealias E = GemmEngine
    let (kc, panel) = (E.KC, E.KC * E.NR)
    var seconds = [Double](repeating: 0, count: threads)
    seconds.withUnsafeMutableBufferPointer { seconds in
      let seconds = seconds
      Parallel.forEachChunk(threads, chunks: threads) { _, slots in
        for slot in slots {
          func floats(_ count: Int) -> UnsafeMutablePointer<Float> {  // 64-byte aligned, as packed panels are
            let raw = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
            return raw.bindMemory(to: Float.self, capacity: count)
          }
          let (a, b, c) = (floats(E.MR * kc), floats(panel * bPanels), floats(E.MR * E.NR))
          defer {
            a.deallocate()
            b.deallocate()
            c.deallocate()
          }
          for i in 0..<(E.MR * kc) { a[i] = Float(i % 7) / 64 }
          for i in 0..<(panel * bPanels) { b[i] = Float(i % 5) / 64 }
          c.initialize(repeating: 0, count: E.MR * E.NR)
          func run(_ calls: Int) {
            for call in 0..<calls {
              E.microKernel(
                kc: kc, a, b + (call % bPanels) * panel, c: c, ldc: E.NR, rows: E.MR, columns: E.NR,
                overwrite: false)
            }
          }
          run(bPanels)
          let start = monotonicSeconds()
          run(calls)
          seconds[slot] = monotonicSeconds() - start
        }
      }
    }
    return 2 * Double(threads * calls * E.MR * E.NR * kc) / seconds.max()! / 1e9
  }

  /// How many panels of B `microKernelAlone` needs to stream them from L2: as many as fit
  /// in 256 KB (ten with the 6 x 16 tile, five with the 12 x 32 one: 240 KB).
  public static var panelsFromL2: Int { (1 << 16) / (GemmEngine.KC * GemmEngine.NR) }

  /// The steps (`k`) of each tile `microKernelAlone` makes: one K block.
  public static var kernelSteps: Int { GemmEngine.KC }

  /// Twelve independent accumulators: enough to hide the FMA latency on current cores, and
  /// few enough to stay in registers (12 of AVX2's 16, where twelve of 16 floats would need 24).
  @inline(never)
  static func fmaLoop(_ n: Int, seed: Float) -> Float {
    typealias V = GemmEngine.TileVector
    let x = V(repeating: 0.999_999), y = V(repeating: 1e-7)
    var (a0, a1, a2, a3, a4, a5) = (V(repeating: seed), V(), V(), V(), V(), V())
    var (a6, a7, a8, a9, a10, a11) = (V(), V(), V(), V(), V(), V())
    for _ in 0..<n {
      a0.addProduct(a0, x); a1.addProduct(a1, x); a2.addProduct(a2, x); a3.addProduct(a3, x)
      a4.addProduct(a4, x); a5.addProduct(a5, x); a6.addProduct(a6, x); a7.addProduct(a7, x)
      a8.addProduct(a8, x); a9.addProduct(a9, x); a10.addProduct(a10, x); a11.addProduct(a11, y)
    }
    let total = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11
    return total.sum()
  }
}
