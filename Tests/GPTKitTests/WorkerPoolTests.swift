import Dispatch
import Foundation
import Testing

@testable import GPTKit

/// Counts, per slot, how often each piece ran; pieces of one job write disjoint slots.
private final class Tally: @unchecked Sendable {
  let slots: UnsafeMutablePointer<Int>
  let n: Int
  init(_ n: Int) {
    (slots, self.n) = (UnsafeMutablePointer<Int>.allocate(capacity: n), n)
    slots.initialize(repeating: 0, count: n)
  }
  deinit { slots.deallocate() }
  var counts: [Int] { Array(UnsafeBufferPointer(start: slots, count: n)) }
}

@Suite("00 tensors: the worker pool behind Parallel")
struct WorkerPoolTests {
  @Test func everyPieceRunsExactlyOnceInEveryJob() throws {
    guard #available(macOS 15.0, *) else { return }
    let pool = WorkerPool(workers: 3)
    let tally = Tally(64)
    for job in 0..<3_000 {  // back to back, so workers are caught spinning, joining and sleeping
      let pieces = 1 + job % 17
      pool.run(pieces) { piece in tally.slots[piece] += 1 }
      if job % 500 == 499 { Thread.sleep(forTimeInterval: 0.002) }  // let the workers fall asleep
    }
    let expected = (0..<64).map { piece in (0..<3_000).filter { piece < 1 + $0 % 17 }.count }
    #expect(tally.counts == expected)
  }

  @Test func aLoopInsideAPieceRunsOnTheSameThread() throws {
    guard #available(macOS 15.0, *) else { return }
    let pool = WorkerPool(workers: 1)
    let tally = Tally(8 * 8)
    pool.run(8) { outer in
      pool.run(8) { inner in tally.slots[outer * 8 + inner] += 1 }  // the pool is busy: inline
    }
    #expect(tally.counts == Array(repeating: 1, count: 64))
  }

  @Test func loopsFromSeveralThreadsAtOnceAllFinish() throws {
    guard #available(macOS 15.0, *) else { return }
    let pool = WorkerPool(workers: 1)
    let tallies = (0..<4).map { _ in Tally(10) }
    DispatchQueue.concurrentPerform(iterations: 4) { caller in  // one runs on the pool, others inline
      for _ in 0..<500 { pool.run(10) { piece in tallies[caller].slots[piece] += 1 } }
    }
    for tally in tallies { #expect(tally.counts == Array(repeating: 500, count: 10)) }
  }

  @Test func aWrongTallyIsNoticed() throws {
    // The check above is not vacuous: a piece run twice shows up in the counts.
    guard #available(macOS 15.0, *) else { return }
    let pool = WorkerPool(workers: 1)
    let tally = Tally(4)
    pool.run(4) { piece in tally.slots[piece == 3 ? 2 : piece] += 1 }
    #expect(tally.counts != Array(repeating: 1, count: 4))
  }
}

@Suite("00 tensors: the vectorised element-wise loops")
struct ElementwiseLoopTests {
  @Test(arguments: [1, 15, 16, 37, 100_003])
  func addAndAccumulateMatchTheScalarLoops(count: Int) {
    var rng = SplitMix64(seed: 5)
    let a = (0..<count).map { _ in rng.nextNormal() }
    let b = (0..<count).map { _ in rng.nextNormal() }
    var sum = [Float](repeating: 0, count: count)
    var inPlace = a  // out may be one of the inputs
    var axpy = a
    sum.withUnsafeMutableBufferPointer { Elementwise.add(out: $0.baseAddress!, a, b, count: count) }
    inPlace.withUnsafeMutableBufferPointer { Elementwise.add(out: $0.baseAddress!, $0.baseAddress!, b, count: count) }
    axpy.withUnsafeMutableBufferPointer { Elementwise.accumulate($0.baseAddress!, b, count: count, scale: 0.5) }
    let want = zip(a, b).map { $0 + $1 }
    #expect(sum == want && inPlace == want)
    #expect(axpy == zip(a, b).map { $0 + 0.5 * $1 })
    #expect(sum != zip(a, b).map { $0 - $1 })  // and the comparison can fail
  }
}
