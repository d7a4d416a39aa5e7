// Chapter 05 introduces this file: typed views of the GPT's weights, found by name once.

/// One linear layer's tensors inside a `ParameterBuffer`: `out = inp · weight + bias`.
///
/// The weight is stored `(inFeatures, outFeatures)`, GPT-2's `Conv1D` layout. The same view
/// type serves weights and gradients: `LinearWeights(model.gradients, ...)` points at the
/// gradients of the same layer.
public struct LinearWeights: @unchecked Sendable {
  public let weight: UnsafeMutablePointer<Float>  // (inFeatures, outFeatures)
  public let bias: UnsafeMutablePointer<Float>?  // (outFeatures), nil for a layer without bias
  public let inFeatures: Int
  public let outFeatures: Int

  public init(
    weight: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>?, inFeatures: Int, outFeatures: Int
  ) {
    (self.weight, self.bias, self.inFeatures, self.outFeatures) = (weight, bias, inFeatures, outFeatures)
  }

  /// The layer stored as `name.weight` `(in, out)` and `name.bias` `(out)` in `buffer`.
  public init(_ buffer: ParameterBuffer, _ name: String) {
    let shape = buffer.layout.entry(name + ".weight").shape
    self.init(
      weight: buffer[name + ".weight"], bias: buffer.layout.contains(name + ".bias") ? buffer[name + ".bias"] : nil,
      inFeatures: shape[0], outFeatures: shape[1])
  }
}

/// A LayerNorm's gain and shift inside a `ParameterBuffer`.
public struct LayerNormWeights: @unchecked Sendable {
  public let weight: UnsafeMutablePointer<Float>  // (C), the gain, initialised to 1
  public let bias: UnsafeMutablePointer<Float>  // (C), the shift, initialised to 0
  public let channels: Int

  /// The LayerNorm stored as `name.weight` and `name.bias` in `buffer`.
  public init(_ buffer: ParameterBuffer, _ name: String) {
    (weight, bias) = (buffer[name + ".weight"], buffer[name + ".bias"])
    channels = buffer.layout.entry(name + ".weight").count
  }
}

/// The six layers of one transformer block, in the order the forward uses them.
public struct BlockWeights: @unchecked Sendable {
  public let ln1: LayerNormWeights  // (C)
  public let attnQKV: LinearWeights  // (C, 3*C): queries, keys and values side by side
  public let attnProj: LinearWeights  // (C, C)
  public let ln2: LayerNormWeights  // (C)
  public let fc: LinearWeights  // (C, 4*C)
  public let fcProj: LinearWeights  // (4*C, C)

  /// Block `l` of `buffer`, by the names of `GPTNames`.
  public init(_ buffer: ParameterBuffer, layer l: Int) {
    let name = GPTNames.block(l)
    ln1 = LayerNormWeights(buffer, name.ln1)
    attnQKV = LinearWeights(buffer, name.attnQKV)
    attnProj = LinearWeights(buffer, name.attnProj)
    ln2 = LayerNormWeights(buffer, name.ln2)
    fc = LinearWeights(buffer, name.fc)
    fcProj = LinearWeights(buffer, name.fcProj)
  }

  /// The four matrices, in the order of `GenerationWeights.blocks`: qkv, proj, fc, fcProj.
  public var linears: [LinearWeights] { [attnQKV, attnProj, fc, fcProj] }
}

/// Every weight of a GPT (or every gradient), as typed views into one `ParameterBuffer`.
public struct GPTWeights: @unchecked Sendable {
  public let wte: UnsafeMutablePointer<Float>  // (V, C): token embeddings, and the output layer
  public let wpe: UnsafeMutablePointer<Float>?  // (T, C): learned positions; nil for sinusoidal ones
  public let blocks: [BlockWeights]  // L of them
  public let lnF: LayerNormWeights  // (C)

  public init(_ buffer: ParameterBuffer, layers L: Int) {
    wte = buffer[GPTNames.wte]
    wpe = buffer.layout.contains(GPTNames.wpe) ? buffer[GPTNames.wpe] : nil
    blocks = (0..<L).map { BlockWeights(buffer, layer: $0) }
    lnF = LayerNormWeights(buffer, GPTNames.lnF)
  }
}

/// The checkpoint mapping: GPT-2's Hugging Face names for every layer, in one table.
///
/// | our view | name | shape |
/// |---|---|---|
/// | `wte` | `transformer.wte.weight` | `(V, C)` |
/// | `wpe` | `transformer.wpe.weight` | `(T, C)` |
/// | `blocks[l].ln1` | `transformer.h.l.ln_1` | `(C)` |
/// | `blocks[l].attnQKV` | `transformer.h.l.attn.c_attn` | `(C, 3*C)` |
/// | `blocks[l].attnProj` | `transformer.h.l.attn.c_proj` | `(C, C)` |
/// | `blocks[l].ln2` | `transformer.h.l.ln_2` | `(C)` |
/// | `blocks[l].fc` | `transformer.h.l.mlp.c_fc` | `(C, 4*C)` |
/// | `blocks[l].fcProj` | `transformer.h.l.mlp.c_proj` | `(4*C, C)` |
/// | `lnF` | `transformer.ln_f` | `(C)` |
///
/// A layer name gets `.weight` and `.bias` appended for its two tensors.
public enum GPTNames {
  public static let wte = "transformer.wte.weight"
  public static let wpe = "transformer.wpe.weight"
  public static let lnF = "transformer.ln_f"

  /// The layer names of block `l`.
  public static func block(_ l: Int) -> (
    ln1: String, attnQKV: String, attnProj: String, ln2: String, fc: String, fcProj: String
  ) {
    let h = "transformer.h.\(l)."
    return (h + "ln_1", h + "attn.c_attn", h + "attn.c_proj", h + "ln_2", h + "mlp.c_fc", h + "mlp.c_proj")
  }
}
