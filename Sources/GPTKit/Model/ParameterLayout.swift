// Chapter 05 introduces this file: every weight of the GPT in one buffer, by GPT-2's names.

import Foundation

/// Where each named parameter lives in one flat `Float` buffer.
///
/// Names are Hugging Face's GPT-2 checkpoint names (`transformer.h.0.attn.c_attn.weight`,
/// ...) and linear weights use its `Conv1D` layout `(in, out)`, so a checkpoint maps onto the
/// buffer name by name. The same layout serves the weights, their gradients and the
/// optimizer's moments, so "AdamW over every parameter" is one loop over one buffer.
public struct ParameterLayout: Sendable {
  public struct Entry: Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
  }

  public private(set) var entries: [Entry] = []
  public private(set) var count = 0
  private var index: [String: Int] = [:]

  /// GPT-2's parameters for `config`, in checkpoint order, by the names of `GPTNames`.
  public init(_ config: GPTConfig) {
    let (V, T, C) = (config.vocabularySize, config.contextLength, config.channels)
    add(GPTNames.wte, [V, C])
    if config.positions == .learned { add(GPTNames.wpe, [T, C]) }
    for l in 0..<config.layerCount {
      let name = GPTNames.block(l)
      addLayerNorm(name.ln1, C)
      addLinear(name.attnQKV, C, 3 * C)
      addLinear(name.attnProj, C, C)
      addLayerNorm(name.ln2, C)
      addLinear(name.fc, C, 4 * C)
      addLinear(name.fcProj, 4 * C, C)
    }
    addLayerNorm(GPTNames.lnF, C)
  }

  /// A layout of the given `(name, shape)` tensors, one after another: for parameters that
  /// are not a GPT's own, such as chapter 09's adapters.
  public init(_ tensors: [(name: String, shape: [Int])]) {
    for (name, shape) in tensors {
      precondition(index[name] == nil, "two parameters named \(name)")
      add(name, shape)
    }
  }

  private mutating func add(_ name: String, _ shape: [Int]) {
    index[name] = entries.count
    entries.append(Entry(name: name, shape: shape, offset: count))
    count += shape.reduce(1, *)
  }

  private mutating func addLinear(_ name: String, _ inFeatures: Int, _ outFeatures: Int) {
    add(name + ".weight", [inFeatures, outFeatures])
    add(name + ".bias", [outFeatures])
  }

  private mutating func addLayerNorm(_ name: String, _ C: Int) {
    add(name + ".weight", [C])
    add(name + ".bias", [C])
  }

  /// Whether the layout has a parameter of that name.
  public func contains(_ name: String) -> Bool { index[name] != nil }

  public func entry(_ name: String) -> Entry {
    guard let i = index[name] else { preconditionFailure("no parameter named \(name)") }
    return entries[i]
  }
}

/// A flat, stable buffer with the layout's named views: weights, gradients or moments.
public final class ParameterBuffer: @unchecked Sendable {
  public let layout: ParameterLayout
  public let base: UnsafeMutablePointer<Float>

  public init(_ layout: ParameterLayout) {
    self.layout = layout
    base = .allocateAligned(capacity: max(layout.count, 1))
    base.initialize(repeating: 0, count: max(layout.count, 1))
  }

  deinit { base.deallocate() }

  /// The first element of the named parameter.
  public subscript(_ name: String) -> UnsafeMutablePointer<Float> { base + layout.entry(name).offset }

  /// A copy of the named parameter as a tensor.
  public func tensor(_ name: String) -> Tensor {
    let e = layout.entry(name)
    return Tensor(shape: e.shape, storage: Array(UnsafeBufferPointer(start: base + e.offset, count: e.count)))
  }

  /// Overwrites the named parameter.
  public func set(_ name: String, _ tensor: Tensor) {
    let e = layout.entry(name)
    precondition(tensor.shape == e.shape, "\(name) is \(e.shape), got \(tensor.shape)")
    tensor.withPointer { (base + e.offset).update(from: $0, count: e.count) }
  }

  public func zero() { Elementwise.zero(base, count: layout.count) }
}
