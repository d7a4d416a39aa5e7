// Chapter 07 introduces this file: half the bytes per weight, for generation.

/// A 16-bit "brain float": the top half of a `Float`'s bits.
///
/// ```
/// Float     sign 1 | exponent 8 | fraction 23
/// BFloat16  sign 1 | exponent 8 | fraction 7     (the same first 16 bits)
/// ```
/// It keeps the exponent, so it covers every magnitude a `Float` does, and gives up 16 bits of
/// fraction: about 3 significant digits (relative rounding error at most 2⁻⁹ ≈ 0.2%).
/// Widening back is exact, a 16-bit shift; narrowing rounds to the nearest value, ties to
/// even. Generating one token reads every weight once, so a model stored this way streams
/// half the bytes from memory per token.
public struct BFloat16: Sendable, Hashable {
  public var bitPattern: UInt16

  public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

  // ANCHOR: bfloat16-round
  /// The nearest `BFloat16` to `x` (ties to an even last bit); NaN stays NaN.
  public init(_ x: Float) {
    let bits = x.bitPattern
    if x.isNaN {
      bitPattern = UInt16(bits >> 16) | 0x40  // keep it a (quiet) NaN whatever the low bits were
      return
    }
    // Adding just under half of the dropped part's range rounds up exactly when the dropped
    // 16 bits are above the halfway point, or at it with an odd last kept bit. A carry may
    // ripple into the exponent: that is rounding up to the next power of two (or to infinity).
    let roundingBias = 0x7FFF + ((bits >> 16) & 1)
    bitPattern = UInt16((bits &+ roundingBias) >> 16)
  }

  /// The exact `Float` with the same value.
  public var float: Float { Float(bitPattern: UInt32(bitPattern) << 16) }
  // ANCHOR_END: bfloat16-round
}

extension SIMD16 where Scalar == Float {
  /// Sixteen `BFloat16` from `p`, widened to floats (exact).
  @inline(__always)
  init(loading p: UnsafePointer<BFloat16>) {
    // A lane loop, not `SIMD16<UInt32>(truncatingIfNeeded:)`: that generic initialiser stays
    // an out-of-line call, while this loop becomes one widening load (`vpmovzxwd` on x86).
    let halves = UnsafeRawPointer(p).assumingMemoryBound(to: UInt16.self)
    var words = SIMD16<UInt32>()
    for l in 0..<16 { words[l] = UInt32(halves[l]) }
    self = unsafeBitCast(words &<< 16, to: SIMD16<Float>.self)
  }
}
