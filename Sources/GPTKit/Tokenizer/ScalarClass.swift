// Chapter 01 introduces this file: the character classes the split patterns are made of.

/// The Unicode classes that GPT split patterns test, computed once per scalar as bit flags.
///
/// Regex engines read `\p{L}` as "general category Letter", `\p{N}` as "Number" and `\s` as
/// the Unicode `White_Space` property; we use exactly those definitions, so the pieces we cut
/// match tiktoken's. ASCII scalars are looked up in a table; the rest ask the stdlib's
/// Unicode properties.
struct ScalarClass: OptionSet {
  let rawValue: UInt8
  static let letter = ScalarClass(rawValue: 1)  // \p{L}
  static let number = ScalarClass(rawValue: 2)  // \p{N}
  static let space = ScalarClass(rawValue: 4)  // \s
  static let newline = ScalarClass(rawValue: 8)  // \r or \n
  static let upperish = ScalarClass(rawValue: 16)  // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] (o200k)
  static let lowerish = ScalarClass(rawValue: 32)  // [\p{Ll}\p{Lm}\p{Lo}\p{M}] (o200k)
  static let mark = ScalarClass(rawValue: 64)  // \p{M}

  static let ascii: [ScalarClass] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

  @inline(__always)
  static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
    scalar.value < 128 ? ascii[Int(scalar.value)] : classify(scalar)
  }

  static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
    var c: ScalarClass = []
    if scalar.properties.isWhitespace { c.insert(.space) }
    if scalar == "\r" || scalar == "\n" { c.insert(.newline) }
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .titlecaseLetter: c.formUnion([.letter, .upperish])
    case .lowercaseLetter: c.formUnion([.letter, .lowerish])
    case .modifierLetter, .otherLetter: c.formUnion([.letter, .upperish, .lowerish])
    case .nonspacingMark, .spacingMark, .enclosingMark: c.formUnion([.mark, .upperish, .lowerish])
    case .decimalNumber, .letterNumber, .otherNumber: c.insert(.number)
    default: break
    }
    return c
  }
}
