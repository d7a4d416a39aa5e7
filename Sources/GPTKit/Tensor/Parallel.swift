// Chapter 00 introduces this file: deterministic multithreading for the kernels.

import Dispatch
import Foundation

/// Splits loops across CPU cores (a `WorkerPool` of waiting threads), deterministically.
///
/// Work is always cut into the same pieces for the same sizes, whatever thread ends up
/// running a piece, and reductions add the per-piece results in piece order. So a seeded run
/// gives bit-identical numbers whether it runs on 1 thread or 8.
public enum Parallel {
  /// How many threads the kernels use. Set it once at start-up (the bench sets 2).
  public nonisolated(unsafe) static var threadCount: Int = max(1, ProcessInfo.cores)

  /// One pool per thread count used so far (usually just one), behind `poolLock`.
  private nonisolated(unsafe) static var pools: [Int: AnyObject] = [:]
  private static let poolLock = NSLock()

  /// How many pieces a loop is cut into unless it says: four per thread, which threads take
  /// as they come free. The cores of a shared machine do not always run at the same speed
  /// (on the Xeon, one ran 35% behind the other for seconds at a time); with one piece per
  /// thread, every loop would end when the slower core finished its half.
  public static var piecesPerLoop: Int { threadCount == 1 ? 1 : 4 * threadCount }

  /// Runs `body(chunk, range)` for `chunks` contiguous, nearly equal pieces of `0..<count`,
  /// in parallel when there are at least `minimumPerChunk` items per piece.
  public static func forEachChunk(
    _ count: Int, chunks: Int = piecesPerLoop, minimumPerChunk: Int = 1,
    _ body: (_ chunk: Int, _ range: Range<Int>) -> Void
  ) {
    let pieces = max(1, min(chunks, count / max(1, minimumPerChunk)))
    if pieces == 1 {
      body(0, 0..<count)
      return
    }
    if #available(macOS 15.0, *) {
      pool().run(pieces) { chunk in body(chunk, range(of: chunk, in: pieces, total: count)) }
      return
    }
    // Before macOS 15 (no `Atomic` for the pool): Dispatch. It wants a `@Sendable` closure;
    // the kernels' closures capture raw pointers, which is safe here because every chunk
    // writes a disjoint part of the output.
    withoutActuallyEscaping(body) { body in
      let work = UncheckedSendable(body)
      DispatchQueue.concurrentPerform(iterations: pieces) { chunk in
        work.value(chunk, range(of: chunk, in: pieces, total: count))
      }
    }
  }

  /// The worker pool for the current `threadCount` (made on first use).
  @available(macOS 15.0, *)
  static func pool() -> WorkerPool {
    let threads = threadCount
    poolLock.lock()
    defer { poolLock.unlock() }
    if let pool = pools[threads] as? WorkerPool { return pool }
    let pool = WorkerPool(workers: threads - 1)
    pools[threads] = pool
    return pool
  }

  /// The `chunk`-th of `pieces` contiguous ranges covering `0..<total`.
  public static func range(of chunk: Int, in pieces: Int, total: Int) -> Range<Int> {
    let base = total / pieces
    let extra = total % pieces
    let start = chunk * base + min(chunk, extra)
    return start..<(start + base + (chunk < extra ? 1 : 0))
  }

  /// A sum over `0..<count` computed as per-chunk partial sums added in chunk order:
  /// the same chunking for the same `count`, so the same bits on any machine and for any
  /// number of `threads`.
  public static func sum(
    _ count: Int, chunks: Int = 16, threads: Int = threadCount, _ term: (Range<Int>) -> Double
  ) -> Double {
    var partials = [Double](repeating: 0, count: chunks)
    partials.withUnsafeMutableBufferPointer { out in
      let out = out
      forEachChunk(chunks, chunks: min(chunks, threads)) { _, slots in
        for slot in slots { out[slot] = term(range(of: slot, in: chunks, total: count)) }
      }
    }
    return partials.reduce(0, +)
  }
}

extension ProcessInfo {
  /// The number of cores the process may use.
  static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// Carries a value into a `@Sendable` closure when the caller guarantees the threads that
/// share it never write the same memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

extension Parallel {
  /// The fixed number of pieces row-wise reductions use, whatever the thread count, so that
  /// gradient sums (e.g. a bias gradient summed over all positions) are bit-reproducible.
  public static let reductionChunks = 8

  /// Runs `body(rows, partial)` over fixed pieces of `0..<rows`, each with its own zeroed
  /// `partial` buffer of `width` floats, then adds the partials into `destination` in piece
  /// order: a deterministic parallel `destination += Σ_rows ...`.
  public static func accumulateRows(
    _ rows: Int, width: Int, into destination: UnsafeMutablePointer<Float>,
    _ body: (_ rows: Range<Int>, _ partial: UnsafeMutablePointer<Float>) -> Void
  ) {
    let pieces = max(1, min(reductionChunks, rows))
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: pieces * width)
    partials.initialize(repeating: 0, count: pieces * width)
    defer { partials.deallocate() }
    forEachChunk(pieces, chunks: threadCount == 1 ? 1 : pieces) { _, slots in  // taken as threads come free
      for slot in slots { body(range(of: slot, in: pieces, total: rows), partials + slot * width) }
    }
    for slot in 0..<pieces {
      for i in 0..<width { destination[i] += partials[slot * width + i] }
    }
  }
}
