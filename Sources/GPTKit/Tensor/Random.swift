// Chapter 00 introduces this file: the workbook's own seeded random number generator.

import Foundation

/// SplitMix64: a tiny, fast generator with good statistical quality (it passes BigCrush).
///
/// The workbook never uses the system's random source for anything a learner compares:
/// integer arithmetic on a 64-bit state gives the same sequence on every machine, so a
/// seeded run prints the same numbers on Linux and macOS, x86 and ARM.
///
/// ```
/// var rng = SplitMix64(seed: 42)
/// rng.next()        // 13679457532755275413
/// rng.nextFloat()   // uniform in [0, 1)
/// rng.nextNormal()  // standard normal
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable, Codable {
  /// The whole state: checkpoints save it so a resumed run draws the same numbers.
  public var state: UInt64
  /// A second normal sample left over from the last Box-Muller pair, if any.
  var spareNormal: Float?

  public init(seed: UInt64) {
    self.state = seed
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Jumps over the next `draws` calls of `next()` (and so of `nextFloat()`, one call each;
  /// `nextNormal()` and `nextInt(below:)` may take more). Each call adds the same constant
  /// to the state and mixes a copy, so `draws` calls add `draws` times the constant: one
  /// multiply. A parallel loop gives each piece the generator at its own first draw, and
  /// together they draw exactly the numbers one loop would. A spare normal is kept.
  public mutating func skip(_ draws: Int) {
    precondition(draws >= 0, "skip: \(draws) draws (a generator only goes forward)")
    state &+= UInt64(draws) &* 0x9E37_79B9_7F4A_7C15
  }

  /// Uniform in `[0, 1)`, using the top 24 bits (a `Float` has a 24-bit significand).
  public mutating func nextFloat() -> Float {
    Float(next() >> 40) * 0x1p-24
  }

  /// Uniform in `[0, 1)` with 53 random bits.
  public mutating func nextDouble() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// Uniform integer in `0..<bound`, without modulo bias (Lemire's multiply-and-reject).
  public mutating func nextInt(below bound: Int) -> Int {
    precondition(bound > 0, "nextInt(below:) needs a positive bound")
    let range = UInt64(bound)
    while true {
      let product = next().multipliedFullWidth(by: range)
      if product.low >= (0 &- range) % range { return Int(product.high) }
    }
  }

  /// A standard normal sample (Box-Muller, computed in `Double`, rounded to `Float`).
  ///
  /// `log`, `sin` and `cos` come from the platform's math library, which may differ in the
  /// last bit of a `Double`; rounding to `Float` hides that in all but ~1 sample in 10⁸.
  public mutating func nextNormal() -> Float {
    if let spare = spareNormal {
      spareNormal = nil
      return spare
    }
    let u1 = 1 - nextDouble()  // in (0, 1]: log(u1) stays finite
    let u2 = nextDouble()
    let radius = (-2 * log(u1)).squareRoot()
    let angle = 2 * Double.pi * u2
    spareNormal = Float(radius * sin(angle))
    return Float(radius * cos(angle))
  }

  /// Shuffles `array` in place (Fisher-Yates), the same way on every machine.
  public mutating func shuffle<T>(_ array: inout [T]) {
    guard array.count > 1 else { return }
    for i in stride(from: array.count - 1, to: 0, by: -1) {
      array.swapAt(i, nextInt(below: i + 1))
    }
  }
}
