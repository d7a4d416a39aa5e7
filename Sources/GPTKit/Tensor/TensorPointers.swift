// Chapter 00 introduces this file: how tensor-level calls reach the pointer-level kernels.

import Foundation

extension Tensor {
  /// Calls `body` with a pointer to the first element (read-only).
  @inlinable
  public func withPointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
    try storage.withUnsafeBufferPointer { try body($0.baseAddress ?? UnsafePointer(bitPattern: 64)!) }
  }

  /// Calls `body` with a mutable pointer to the first element.
  @inlinable
  public mutating func withMutablePointer<R>(
    _ body: (UnsafeMutablePointer<Float>) throws -> R
  ) rethrows -> R {
    try storage.withUnsafeMutableBufferPointer {
      try body($0.baseAddress ?? UnsafeMutablePointer(bitPattern: 64)!)
    }
  }

  /// The number of rows when the last dimension is read as the row: `(B, T, C) -> B*T`.
  public var rowCount: Int { shape.dropLast().reduce(1, *) }
  /// The extent of the last dimension (`C` for `(B, T, C)`).
  public var rowWidth: Int { shape.last ?? 1 }
}

extension UnsafeMutableRawPointer {
  /// `byteCount` bytes aligned to 2 MiB. On Linux the kernel is asked to back them with
  /// 2 MiB pages (transparent huge pages, where enabled), so that streaming through many
  /// megabytes needs few address translations; elsewhere they are ordinary memory.
  static func allocateLargePages(byteCount: Int) -> UnsafeMutableRawPointer {
    let pointer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, byteCount), alignment: 1 << 21)
    #if os(Linux)
      _ = madvise(pointer, byteCount, 14)  // MADV_HUGEPAGE: a hint, harmless if refused
    #endif
    return pointer
  }
}

extension UnsafeMutablePointer where Pointee == Float {
  /// `capacity` floats starting on a 64-byte boundary, a cache line: rows whose width is a
  /// multiple of 16 floats then start on one too, and no sixteen-float load straddles two lines.
  static func allocateAligned(capacity: Int) -> UnsafeMutablePointer<Float> {
    let bytes = capacity * MemoryLayout<Float>.stride
    let raw =
      bytes >= 4 << 20
      ? UnsafeMutableRawPointer.allocateLargePages(byteCount: bytes)
      : UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    return raw.bindMemory(to: Float.self, capacity: capacity)
  }
}
