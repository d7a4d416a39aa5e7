// Chapter 00 introduces this file: the one tensor type every later chapter uses.

/// An n-dimensional array of `Float`: a shape plus one contiguous, row-major buffer.
///
/// The layout, written once for the whole workbook: the last index moves fastest.
/// For a tensor of shape `(B, T, C)` the element `x[b, t, c]` lives at
///
/// ```
/// (b*T + t)*C + c
/// ```
///
/// and in general the offset is the sum of `index[d] * strides[d]`, where the stride of a
/// dimension is the product of all the extents after it. A matrix `(M, K)` is therefore
/// M rows of K contiguous floats, exactly as C, NumPy and PyTorch lay it out by default.
///
/// `Tensor` is a value type: copying one is cheap (the buffer is shared) and writing to a
/// copy leaves the original untouched (copy-on-write, inherited from `Array`).
public struct Tensor: Equatable, Sendable {
  /// The extent of each dimension, outermost first, e.g. `[B, T, C]`.
  public private(set) var shape: [Int]
  /// The elements in row-major order; `storage.count == shape.reduce(1, *)`.
  public var storage: [Float]

  /// A tensor of the given shape with every element set to `value`.
  public init(shape: [Int], repeating value: Float = 0) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
    self.shape = shape
    self.storage = [Float](repeating: value, count: shape.reduce(1, *))
  }

  /// A tensor that takes ownership of `storage`, read in row-major order.
  public init(shape: [Int], storage: [Float]) {
    precondition(
      storage.count == shape.reduce(1, *),
      "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(storage.count)")
    self.shape = shape
    self.storage = storage
  }

  /// A tensor with elements drawn from N(mean, std²) by the project's seeded generator.
  public static func randn(
    _ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout SplitMix64
  ) -> Tensor {
    var t = Tensor(shape: shape)
    for i in t.storage.indices { t.storage[i] = mean + std * rng.nextNormal() }
    return t
  }

  /// A tensor with elements drawn uniformly from `[low, high)`.
  public static func uniform(
    _ shape: [Int], low: Float = -1, high: Float = 1, rng: inout SplitMix64
  ) -> Tensor {
    var t = Tensor(shape: shape)
    for i in t.storage.indices { t.storage[i] = low + (high - low) * rng.nextFloat() }
    return t
  }

  /// The number of dimensions.
  public var rank: Int { shape.count }
  /// The number of elements.
  public var count: Int { storage.count }

  /// How far apart, in elements, neighbours along each dimension are.
  /// For shape `(B, T, C)` the strides are `(T*C, C, 1)`.
  public var strides: [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) {
      strides[d] = strides[d + 1] * shape[d + 1]
    }
    return strides
  }

  /// The flat position of a multi-dimensional index: `sum(index[d] * strides[d])`.
  public func offset(_ index: [Int]) -> Int {
    precondition(index.count == shape.count, "index \(index) does not fit shape \(shape)")
    var offset = 0
    for (d, i) in index.enumerated() {
      precondition(i >= 0 && i < shape[d], "index \(index) out of range for shape \(shape)")
      offset = offset * shape[d] + i
    }
    return offset
  }

  /// Reads or writes one element, e.g. `x[b, t, c]`.
  public subscript(_ index: Int...) -> Float {
    get { storage[offset(index)] }
    set { storage[offset(index)] = newValue }
  }

  /// The same elements viewed with another shape of equal element count.
  public func reshaped(_ newShape: [Int]) -> Tensor {
    Tensor(shape: newShape, storage: storage)
  }

  /// A matrix `(M, N)` transposed to `(N, M)` (a copy: rows become columns).
  public func transposed() -> Tensor {
    precondition(rank == 2, "transposed() needs a matrix, got shape \(shape)")
    let (M, N) = (shape[0], shape[1])
    var out = Tensor(shape: [N, M])
    for i in 0..<M {
      for j in 0..<N { out.storage[j * M + i] = storage[i * N + j] }
    }
    return out
  }

  /// The largest absolute difference between two tensors of the same shape.
  public func maxAbsDifference(_ other: Tensor) -> Float {
    precondition(shape == other.shape, "shapes differ: \(shape) vs \(other.shape)")
    var worst: Float = 0
    for i in storage.indices { worst = Swift.max(worst, abs(storage[i] - other.storage[i])) }
    return worst
  }
}
