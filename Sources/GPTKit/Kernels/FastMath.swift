// Chapter 00 introduces this file (its GELU and softmax call it): exp and tanh sixteen at a time.

/// Vectorised `exp` and `tanh` on `SIMD16<Float>`.
///
/// The C library computes one `expf` at a time; a GPT's softmaxes and GELUs need hundreds of
/// millions per step. These compute sixteen at once with only multiplies and adds, to within
/// about 2 ulp (relative error < 3e-7), and give the same bits on every machine.
public enum FastMath {
  public typealias Vector = SIMD16<Float>

  /// `e^x`: write `x = n·ln2 + r` with |r| ≤ ln2/2, then `e^x = 2^n · e^r`, with `e^r` from a
  /// degree-6 polynomial and `2^n` built directly in the float's exponent bits.
  ///
  /// Only multiplies, adds, comparisons and bit casts, so every line is one vector instruction:
  /// rounding `x/ln2` to the nearest integer uses the "magic number" 1.5·2²³, whose addition
  /// leaves the integer in the low bits of the float.
  ///
  /// `exp` and `tanh` must be pasted into the loops that call them. Swift 6.3's `@inline(always)`
  /// guarantees it; `@inline(__always)` is only a hint, and the compiler declined it in GELU's
  /// backward, where each call then passed its sixteen floats in four pieces: 3-4 times slower.
  #if compiler(>=6.3)
    @inline(always)
  #else
    @inline(__always)
  #endif
  public static func exp(_ x: Vector) -> Vector {
    let clamped = x.replacing(with: 88.7, where: x .> 88.7).replacing(with: -87.3, where: x .< -87.3)
    let magic = Vector(repeating: 12_582_912)  // 1.5 · 2^23
    let shifted = clamped * 1.442_695_04 + magic  // n in the low mantissa bits
    let n = shifted - magic  // n = round(x / ln2), as a float
    // r = x - n·ln2, with ln2 split in two so the subtraction stays exact
    var r = clamped - n * 0.693_145_751_953_125
    r = r - n * 1.428_606_765_330_187e-06
    var p = Vector(repeating: 1.0 / 720)
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let bits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000  // n as an integer
    let scale = unsafeBitCast((bits &+ 127) &<< 23, to: Vector.self)  // 2^n
    return (p * scale).replacing(with: 0, where: x .< -87.3)  // underflow (and -inf) give exactly 0
  }

  /// `tanh(x) = 1 - 2 / (e^{2x} + 1)`, odd-symmetric; exactly ±1 beyond |x| = 9.
  #if compiler(>=6.3)
    @inline(always)
  #else
    @inline(__always)
  #endif
  public static func tanh(_ x: Vector) -> Vector {
    let a = x.replacing(with: -x, where: x .< 0)  // |x|
    let e = exp(2 * a.replacing(with: 9, where: a .> 9))
    let t = 1 - 2 / (e + 1)
    return t.replacing(with: -t, where: x .< 0)
  }

}

/// LLVM's square root of four floats, which Swift has no name for: `@_silgen_name` makes
/// this declaration a call to the intrinsic (as `llvmPrefetch` in GemmKernel.swift), one
/// instruction on x86-64 (`vsqrtps`) and on ARM (`fsqrt`). Four is the widest Swift passes
/// the way the intrinsic takes it: declared for eight or sixteen, the compiler stops with
/// "Intrinsic has incorrect return type".
@_silgen_name("llvm.sqrt.v4f32")
private func llvmSquareRoot(_ x: SIMD4<Float>) -> SIMD4<Float>

extension FastMath {
  /// The square root of every lane, in four vector instructions. Square roots are correctly
  /// rounded, so these are the bits of `Float.squareRoot()` lane by lane. The standard
  /// library's `Vector.squareRoot()` compiled to sixteen scalar square roots instead (Linux,
  /// x86-64), each behind a test that sends negative numbers to the C library's `sqrtf`: in
  /// AdamW's update that took twice the time of everything else.
  @inline(__always)
  public static func squareRoot(_ x: Vector) -> Vector {
    let (low, high) = (x.lowHalf, x.highHalf)
    return Vector(
      lowHalf: SIMD8(lowHalf: llvmSquareRoot(low.lowHalf), highHalf: llvmSquareRoot(low.highHalf)),
      highHalf: SIMD8(lowHalf: llvmSquareRoot(high.lowHalf), highHalf: llvmSquareRoot(high.highHalf)))
  }
}

extension SIMD16 where Scalar == Float {
  /// Loads sixteen floats from `p`.
  @inline(__always)
  init(loading p: UnsafePointer<Float>) {
    self = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
  }

  /// Stores all sixteen floats to `p`.
  @inline(__always)
  func store(to p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD16<Float>.self)
  }

  /// Loads `lanes` floats from `p` (the rest zero).
  @inline(__always)
  init(loading p: UnsafePointer<Float>, lanes: Int) {
    if lanes == 16 {
      self = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    } else {
      self.init()
      for l in 0..<lanes { self[l] = p[l] }
    }
  }

  /// Stores the first `lanes` floats to `p`.
  @inline(__always)
  func store(to p: UnsafeMutablePointer<Float>, lanes: Int) {
    if lanes == 16 {
      UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD16<Float>.self)
    } else {
      for l in 0..<lanes { p[l] = self[l] }
    }
  }
}
