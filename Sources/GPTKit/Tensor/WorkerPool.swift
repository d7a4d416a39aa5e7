// Chapter 00 introduces this file: the threads `Parallel` hands its pieces to.

import Dispatch
import Foundation
import Synchronization

/// A few threads that stay alive between parallel loops and wait for the next one by
/// spinning for a moment, then sleeping.
///
/// A training step of a small model runs a few hundred parallel loops of a few tens of
/// microseconds each, and generating one token runs two dozen. Waking a sleeping thread for
/// every loop (what `DispatchQueue.concurrentPerform` does when its threads have gone idle)
/// costs about as long as the loop itself. The pool's threads check for new work for about
/// 50 microseconds after each loop before they go to sleep, so back-to-back loops find them
/// awake.
///
/// The caller publishes a job, takes pieces itself, and returns once every piece is done and
/// every worker has left the job. Pieces are claimed in any order by any thread, which does
/// not change results: each piece writes its own part of the output.
///
/// One job runs at a time. A loop started while another runs (from a second thread, or from
/// inside a piece) runs its pieces on the calling thread instead, one after another.
@available(macOS 15.0, *)
final class WorkerPool: @unchecked Sendable {
  /// Threads besides the caller's.
  let workers: Int

  /// The job sequence number times 2 (odd while the caller writes a new job) in the high
  /// bits, and the number of workers inside the current job in the low 16.
  private let state = Atomic<Int>(0)
  private let nextPiece = Atomic<Int>(0)
  private let piecesDone = Atomic<Int>(0)
  private let running = Atomic<Bool>(false)
  private let sleepers = Atomic<Int>(0)
  private let wakeUp = DispatchSemaphore(value: 0)
  // The current job: written only while `state` is odd and no worker is inside.
  private nonisolated(unsafe) var body: ((Int) -> Void)?
  private nonisolated(unsafe) var pieces = 0

  init(workers: Int) {
    self.workers = workers
    for _ in 0..<workers {
      let thread = Thread { [self] in work() }
      thread.stackSize = 1 << 20
      thread.start()
    }
  }

  /// Runs `body(piece)` for every piece in `0..<pieces`, on this thread and the workers.
  func run(_ pieces: Int, _ body: (Int) -> Void) {
    guard running.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged
    else {
      for piece in 0..<pieces { body(piece) }  // a job is already running: do this one here
      return
    }
    defer { running.store(false, ordering: .sequentiallyConsistent) }
    withoutActuallyEscaping(body) { body in
      // Close the previous job (no worker inside it), write this one, then publish it.
      var sequence = state.load(ordering: .sequentiallyConsistent) >> 16
      while !state.compareExchange(
        expected: sequence << 16, desired: (sequence + 1) << 16, ordering: .sequentiallyConsistent
      ).exchanged {
        sequence = state.load(ordering: .sequentiallyConsistent) >> 16
      }
      self.body = body
      self.pieces = pieces
      nextPiece.store(0, ordering: .sequentiallyConsistent)
      piecesDone.store(0, ordering: .sequentiallyConsistent)
      state.store((sequence + 2) << 16, ordering: .sequentiallyConsistent)
      for _ in 0..<min(workers, sleepers.load(ordering: .sequentiallyConsistent)) { wakeUp.signal() }
      takePieces()
      // Wait for the pieces other threads took, and for every worker to leave the job.
      while piecesDone.load(ordering: .sequentiallyConsistent) < pieces
        || state.load(ordering: .sequentiallyConsistent) & 0xFFFF != 0
      {}
      self.body = nil
    }
  }

  /// Claims and runs pieces of the current job until none is left.
  private func takePieces() {
    while true {
      let piece = nextPiece.wrappingAdd(1, ordering: .sequentiallyConsistent).oldValue
      guard piece < pieces else { return }
      body!(piece)
      piecesDone.wrappingAdd(1, ordering: .sequentiallyConsistent)
    }
  }

  /// A worker's life: wait for a job it has not seen, join it, take pieces, leave.
  private func work() {
    var seen = 0
    while true {
      var spins = 0
      while true {
        let s = state.load(ordering: .sequentiallyConsistent)
        let sequence = s >> 16
        if sequence % 2 == 0 && sequence != seen {
          // Join only if the job is still the published one (the caller cannot replace it
          // while a worker is counted in).
          if state.compareExchange(expected: s, desired: s + 1, ordering: .sequentiallyConsistent).exchanged {
            seen = sequence
            break
          }
          continue
        }
        spins += 1
        if spins > 20_000 {  // about 50 µs of checking: go to sleep until the next job
          sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
          let now = state.load(ordering: .sequentiallyConsistent) >> 16
          if now % 2 == 1 || now == seen { wakeUp.wait() }
          sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
          spins = 0
        }
      }
      takePieces()
      state.wrappingSubtract(1, ordering: .sequentiallyConsistent)  // leave the job
    }
  }
}
