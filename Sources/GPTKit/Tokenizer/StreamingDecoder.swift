// Chapter 07 introduces this file: printing generated text as it comes, without breaking characters.

/// Turns bytes that arrive in pieces (one token's bytes at a time) into text, holding back a
/// character whose bytes have not all arrived yet.
///
/// A byte-level token can end in the middle of a character: `·` is the two bytes `C2 B7`,
/// and they may come as two tokens. Decoding each token alone prints U+FFFD twice; this
/// decoder prints nothing for the first token and `·` for the second. Bytes that can never
/// become a character (a stray continuation byte, an impossible lead byte, a sequence cut
/// short by another character) become one U+FFFD as soon as that is certain, exactly as
/// `String(decoding:as: UTF8.self)` would have replaced them in the whole text.
///
/// ```
/// var decoder = StreamingDecoder()
/// decoder.append([0x61, 0xC2])   // "a"   (0xC2 is held back)
/// decoder.append([0xB7])         // "·"
/// decoder.finish()               // ""    (an incomplete tail would give "\u{FFFD}")
/// ```
public struct StreamingDecoder: Sendable {
  /// Bytes of a character that has started but not finished.
  public private(set) var pending: [UInt8] = []

  public init() {}

  /// Adds `bytes` and returns the text that is now certain.
  public mutating func append(_ bytes: some Sequence<UInt8>) -> String {
    pending += bytes
    var out = String.UnicodeScalarView()
    var i = 0
    while i < pending.count {
      switch Self.sequence(at: i, in: pending) {
      case .scalar(let scalar, let width):
        out.append(scalar)
        i += width
      case .invalid(let width):
        out.append("\u{FFFD}")
        i += width
      case .incomplete:
        pending.removeFirst(i)
        return String(out)
      }
    }
    pending.removeAll()
    return String(out)
  }

  /// Ends the stream: an unfinished character left over becomes U+FFFD.
  public mutating func finish() -> String {
    defer { pending.removeAll() }
    return pending.isEmpty ? "" : "\u{FFFD}"
  }

  enum Step {
    case scalar(Unicode.Scalar, width: Int)
    /// `width` bytes that cannot start a character (the "maximal subpart" Unicode replaces by one U+FFFD).
    case invalid(width: Int)
    /// Valid so far, but more bytes are needed.
    case incomplete
  }

  /// The UTF-8 sequence starting at `bytes[i]`.
  ///
  /// ```
  /// lead 00-7F: 1 byte    C2-DF: 2 bytes    E0-EF: 3 bytes    F0-F4: 4 bytes
  /// continuation bytes are 80-BF, except right after E0 (A0-BF), ED (80-9F), F0 (90-BF), F4 (80-8F)
  /// ```
  static func sequence(at i: Int, in bytes: [UInt8]) -> Step {
    let lead = bytes[i]
    if lead < 0x80 { return .scalar(Unicode.Scalar(lead), width: 1) }
    let width: Int
    var second: ClosedRange<UInt8> = 0x80...0xBF
    switch lead {
    case 0xC2...0xDF: width = 2
    case 0xE0...0xEF:
      width = 3
      if lead == 0xE0 { second = 0xA0...0xBF }  // no overlong forms
      if lead == 0xED { second = 0x80...0x9F }  // no surrogates
    case 0xF0...0xF4:
      width = 4
      if lead == 0xF0 { second = 0x90...0xBF }  // no overlong forms
      if lead == 0xF4 { second = 0x80...0x8F }  // nothing above U+10FFFF
    default: return .invalid(width: 1)  // a continuation byte, C0, C1 or F5-FF
    }
    var value = UInt32(lead) & (0xFF >> (width + 1))
    for k in 1..<width {
      guard i + k < bytes.count else { return .incomplete }
      let byte = bytes[i + k]
      guard (k == 1 ? second : 0x80...0xBF).contains(byte) else { return .invalid(width: k) }
      value = value << 6 | UInt32(byte & 0x3F)
    }
    return .scalar(Unicode.Scalar(value)!, width: width)
  }
}

extension TextTokenizer {
  /// The bytes token `id` stands for: a BPE token's bytes (possibly part of a character),
  /// or the UTF-8 of a character tokenizer's character.
  public func tokenBytes(_ id: Int) -> [UInt8] {
    if let bpe = self as? BPETokenizer { return bpe.bytes(of: id) }
    return Array(decode([id]).utf8)
  }
}
