// Chapter 09 introduces this file (chapter 05's model leaves room for it): adapters.

/// Something learned on the side of a linear layer and added to its output, such as
/// chapter 09's LoRA: `out = inp · W + b + adapter(inp)`.
///
/// The model calls `forward` right after the layer's own forward and `backward` right after
/// the layer's own backward, with the same `inp` `(N, in)`; `out`, `dOut` and `dInp` have
/// the layer's shapes. An adapter keeps whatever its backward needs between the two calls,
/// and adds its own gradients into buffers of its own.
public protocol LinearAdapter: AnyObject {
  /// `out += adapter(inp)` for `N` rows.
  func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int)
  /// Adds the gradient of the last `forward` into the adapter's own gradients and into `dInp`.
  func backward(dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, N: Int)
}

/// The adapters of one block's four linear layers; `nil` where a layer has none.
public struct BlockAdapters {
  public var attnQKV: LinearAdapter?
  public var attnProj: LinearAdapter?
  public var fc: LinearAdapter?
  public var fcProj: LinearAdapter?

  public init(
    attnQKV: LinearAdapter? = nil, attnProj: LinearAdapter? = nil, fc: LinearAdapter? = nil,
    fcProj: LinearAdapter? = nil
  ) {
    (self.attnQKV, self.attnProj, self.fc, self.fcProj) = (attnQKV, attnProj, fc, fcProj)
  }
}
