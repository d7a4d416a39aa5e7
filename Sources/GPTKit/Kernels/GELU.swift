// Chapter 00 introduces this file (chapter 05 uses it in the MLP): the GELU activation.

/// GELU with GPT-2's tanh approximation, applied element by element:
///
/// ```
/// gelu(x)  = 0.5 · x · (1 + tanh(u)),    u = √(2/π) · (x + 0.044715 · x³)
/// gelu'(x) = 0.5 · (1 + tanh(u)) + 0.5 · x · (1 - tanh²(u)) · √(2/π) · (1 + 3 · 0.044715 · x²)
/// ```
public enum GELU {
  typealias Vector = FastMath.Vector
  static let scale: Float = 0.797_884_560_802_865_4  // √(2/π), a literal so it costs nothing to read
  static let cubic: Float = 0.044715

  // ANCHOR: gelu-forward
  /// `gelu` of sixteen numbers at once.
  @inline(__always)
  static func gelu(_ x: Vector) -> Vector {
    let u = scale * (x + cubic * x * x * x)
    return 0.5 * x * (1 + FastMath.tanh(u))
  }

  /// `out[i] = gelu(inp[i])` for `count` elements, sixteen at a time.
  public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    Parallel.forEachChunk((count + 15) / 16, minimumPerChunk: 1 << 10) { _, blocks in
      let (start, end) = (blocks.lowerBound * 16, min(count, blocks.upperBound * 16))
      var i = start
      while i + 16 <= end {  // whole vectors: the loop the compiler turns into straight vector code
        gelu(Vector(loading: inp + i)).store(to: out + i)
        i += 16
      }
      if i < end { gelu(Vector(loading: inp + i, lanes: end - i)).store(to: out + i, lanes: end - i) }
    }
  }
  // ANCHOR_END: gelu-forward

  // ANCHOR: gelu-backward
  /// `gelu'(x)` of sixteen numbers at once.
  @inline(__always)
  static func slope(_ x: Vector) -> Vector {
    let t = FastMath.tanh(scale * (x + cubic * x * x * x))
    // gelu = 0.5 · x · (1 + t): product rule, with dt/dx = (1 - t²) · du/dx
    let du = scale * (1 + 3 * cubic * x * x)
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
  }

  /// `dInp[i] += gelu'(inp[i]) · dOut[i]`: the chain rule, one element (lane) at a time.
  public static func backward(
    dInp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
    count: Int
  ) {
    Parallel.forEachChunk((count + 15) / 16, minimumPerChunk: 1 << 10) { _, blocks in
      let (start, end) = (blocks.lowerBound * 16, min(count, blocks.upperBound * 16))
      var i = start
      while i + 16 <= end {
        let d = Vector(loading: dInp + i) + slope(Vector(loading: inp + i)) * Vector(loading: dOut + i)
        d.store(to: dInp + i)
        i += 16
      }
      if i < end {
        let lanes = end - i
        let d =
          Vector(loading: dInp + i, lanes: lanes) + slope(Vector(loading: inp + i, lanes: lanes))
          * Vector(loading: dOut + i, lanes: lanes)
        d.store(to: dInp + i, lanes: lanes)
      }
    }
  }
  // ANCHOR_END: gelu-backward

  // ANCHOR: gelu-remake
  /// `gelu(x)` and `gelu'(x)` of sixteen numbers at once, from one tanh: the lines of `gelu`
  /// and `slope`, so the bits are theirs.
  @inline(__always)
  static func geluAndSlope(_ x: Vector) -> (gelu: Vector, slope: Vector) {
    let t = FastMath.tanh(scale * (x + cubic * x * x * x))
    let du = scale * (1 + 3 * cubic * x * x)
    return (0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
  }

  /// The GPT's backward keeps no GELU outputs: it remakes them, `out = gelu(inp)`, from the
  /// hidden layer `inp`. The same pass keeps `slope = gelu'(inp)` for `backward(dInp:slope:)`,
  /// so each element's tanh is computed once for both instead of once for each.
  public static func remake(
    out: UnsafeMutablePointer<Float>, slope: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int
  ) {
    Parallel.forEachChunk((count + 15) / 16, minimumPerChunk: 1 << 10) { _, blocks in
      let (start, end) = (blocks.lowerBound * 16, min(count, blocks.upperBound * 16))
      var i = start
      while i + 16 <= end {
        let (g, d) = geluAndSlope(Vector(loading: inp + i))
        g.store(to: out + i)
        d.store(to: slope + i)
        i += 16
      }
      if i < end {
        let (g, d) = geluAndSlope(Vector(loading: inp + i, lanes: end - i))
        g.store(to: out + i, lanes: end - i)
        d.store(to: slope + i, lanes: end - i)
      }
    }
  }
  // ANCHOR_END: gelu-remake

  /// `dInp[i] = slope[i] · dOut[i]`, from the slopes `remake` kept (`dInp` may be `slope`):
  /// the chain rule through GELU, into a `dInp` that nothing else adds to.
  public static func backward(
    dInp: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>, dOut: UnsafePointer<Float>, count: Int
  ) {
    Parallel.forEachChunk((count + 15) / 16, minimumPerChunk: 1 << 10) { _, blocks in
      let (start, end) = (blocks.lowerBound * 16, min(count, blocks.upperBound * 16))
      var i = start
      while i + 16 <= end {
        (Vector(loading: slope + i) * Vector(loading: dOut + i)).store(to: dInp + i)
        i += 16
      }
      if i < end {
        let lanes = end - i
        (Vector(loading: slope + i, lanes: lanes) * Vector(loading: dOut + i, lanes: lanes)).store(
          to: dInp + i, lanes: lanes)
      }
    }
  }

  /// `gelu` applied to every element of `x`.
  public static func forward(_ x: Tensor) -> Tensor {
    var out = Tensor(shape: x.shape)
    out.withMutablePointer { o in x.withPointer { forward(out: o, inp: $0, count: x.count) } }
    return out
  }

  /// `dX += gelu'(x) · dOut`.
  public static func backward(_ dOut: Tensor, input x: Tensor, into dX: inout Tensor) {
    precondition(dOut.shape == x.shape && dX.shape == x.shape, "GELU.backward: shapes differ")
    dX.withMutablePointer { d in
      x.withPointer { xp in dOut.withPointer { backward(dInp: d, inp: xp, dOut: $0, count: x.count) } }
    }
  }
}
