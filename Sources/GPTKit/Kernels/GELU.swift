// Chapter 00 introduces this file (chapter 05 uses it in the MLP): the GELU activation.

/// GELU with GPT-2's tanh approximation, applied element by element:
///
/// ```
/// gelu(x)  = 0.5 · x · (1 + tanh(u)),    u = √(2/π) · (x + 0.044715 · x³)
/// gelu'(x) = 0.5 · (1 + tanh(u)) + 0.5 · x · (1 - tanh²(u)) · √(2/π) · (1 + 3 · 0.044715 · x²)
/// ```
public enum GELU {
  static let scale: Float = (2 / Float.pi).squareRoot()
  static let cubic: Float = 0.044715

  // ANCHOR: gelu-forward
  /// `out[i] = gelu(inp[i])` for `count` elements, sixteen at a time.
  public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    Parallel.forEachChunk(count / 16 + 1, minimumPerChunk: 1 << 10) { _, blocks in
      for block in blocks where block * 16 < count {
        let lanes = min(16, count - block * 16)
        let x = FastMath.Vector(loading: inp + block * 16, lanes: lanes)
        let u = scale * (x + cubic * x * x * x)
        (0.5 * x * (1 + FastMath.tanh(u))).store(to: out + block * 16, lanes: lanes)
      }
    }
  }
  // ANCHOR_END: gelu-forward

  // ANCHOR: gelu-backward
  /// `dInp[i] += gelu'(inp[i]) · dOut[i]`: the chain rule, one element (lane) at a time.
  public static func backward(
    dInp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
    count: Int
  ) {
    Parallel.forEachChunk(count / 16 + 1, minimumPerChunk: 1 << 10) { _, blocks in
      for block in blocks where block * 16 < count {
        let (i, lanes) = (block * 16, min(16, count - block * 16))
        let x = FastMath.Vector(loading: inp + i, lanes: lanes)
        let u = scale * (x + cubic * x * x * x)
        let t = FastMath.tanh(u)
        // out = 0.5 · x · (1 + t): product rule, with dt/dx = (1 - t²) · du/dx
        let du = scale * (1 + 3 * cubic * x * x)
        let local = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
        let d =
          FastMath.Vector(loading: dInp + i, lanes: lanes) + local * FastMath.Vector(loading: dOut + i, lanes: lanes)
        d.store(to: dInp + i, lanes: lanes)
      }
    }
  }
  // ANCHOR_END: gelu-backward

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
