// Chapter 01 introduces this file: looking up a token's rank by its bytes, fast.

import Foundation

/// A hash table from byte strings to token ranks (ids), and back.
///
/// All token byte strings live in one flat buffer; the table hashes a byte string, probes
/// open-addressed slots and compares bytes on a hit. Encoding asks it "is this byte string a
/// token, and what is its rank?" for every candidate merge, so it must not allocate.
struct TokenTable: Sendable {
  private(set) var bytes: [UInt8] = []
  private(set) var starts: [Int] = [0]  // token r is bytes[starts[r]..<starts[r + 1]]
  private var slots: [Int32]
  private let mask: Int

  /// `tokens[r]` is the byte string of rank `r`; an empty array leaves rank `r` unused.
  init(tokens: [[UInt8]]) {
    var capacity = 16
    while capacity < tokens.count * 2 { capacity <<= 1 }
    slots = [Int32](repeating: -1, count: capacity)
    mask = capacity - 1
    for token in tokens {
      bytes += token
      starts.append(bytes.count)
    }
    for (rank, token) in tokens.enumerated() where !token.isEmpty {
      var slot = token.withUnsafeBufferPointer { Self.hash($0.baseAddress!, $0.count) } & mask
      while slots[slot] >= 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(rank)
    }
  }

  var count: Int { starts.count - 1 }

  /// The bytes of rank `r`.
  func token(_ r: Int) -> ArraySlice<UInt8> { bytes[starts[r]..<starts[r + 1]] }

  /// The rank of the byte string `p[0..<n]`, or `-1` if it is not a token.
  @inline(__always)
  func rank(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    var slot = Self.hash(p, n) & mask
    return bytes.withUnsafeBufferPointer { all in
      while true {
        let r = slots[slot]
        if r < 0 { return -1 }
        let (s, e) = (starts[Int(r)], starts[Int(r) + 1])
        if e - s == n && memcmp(all.baseAddress! + s, p, n) == 0 { return r }
        slot = (slot + 1) & mask
      }
    }
  }

  /// A fast 64-bit hash of a short byte string, 8 bytes at a time.
  @inline(__always)
  static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
    var i = 0
    while i + 8 <= n {
      h = (h ^ UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
      h ^= h >> 32
      i += 8
    }
    var tail: UInt64 = 0
    while i < n {
      tail = tail << 8 | UInt64(p[i])
      i += 1
    }
    h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
    return Int(truncatingIfNeeded: h ^ (h >> 29))
  }
}
