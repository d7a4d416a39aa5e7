// Chapter 01 introduces this file: what can go wrong when tokenizing, in one line each.

/// A tokenizer problem, described in one line that names the fix.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
  case unknownCharacter(Unicode.Scalar, offset: Int)
  case vocabularySize(Int, minimum: Int, maximum: Int)
  case corpusTooSmall(merges: Int, wanted: Int)
  case disallowedSpecialToken(String)
  case corruptFile(path: String, line: Int, reason: String)
  case missingFile(String)
  case unreachableToken(rank: Int)
  case unsupportedFile(path: String, reason: String)

  public var description: String {
    switch self {
    case .unknownCharacter(let scalar, let offset):
      let code = String(scalar.value, radix: 16, uppercase: true)
      return
        "character U+\(code) '\(scalar.escaped(asASCII: false))' at scalar offset \(offset) is not in the vocabulary: "
        + "build the vocabulary from text that contains it, or use the byte-level BPE tokenizer"
    case .vocabularySize(let size, let minimum, let maximum):
      return "vocabulary size \(size) is out of range: choose \(minimum)...\(maximum) "
        + "(256 byte tokens, the merges, then the special tokens)"
    case .corpusTooSmall(let merges, let wanted):
      return "the text only has enough repeated pairs for \(merges) merges, not \(wanted): "
        + "use a larger text or a smaller vocabulary"
    case .disallowedSpecialToken(let token):
      return "the text contains the special token \(token): "
        + "allow it (allowedSpecial) or encode it as ordinary text (encodeOrdinary)"
    case .corruptFile(let path, let line, let reason):
      return "\(path) line \(line): \(reason); the tokenizer file is damaged: delete it and train or fetch it again"
    case .missingFile(let path):
      return "\(path) does not exist: check the path"
    case .unreachableToken(let rank):
      return "token \(rank) is not the merge of two earlier tokens, so Hugging Face's BPE cannot express it: "
        + "this rank file was not made by byte-pair merging"
    case .unsupportedFile(let path, let reason):
      return "\(path): \(reason); the workbook reads GPT-2's byte-level BPE only: use a GPT-2 tokenizer"
    }
  }
}
