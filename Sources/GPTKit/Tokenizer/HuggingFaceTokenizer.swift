// Chapter 06 introduces this file: a checkpoint's tokenizer in Hugging Face's format.

import Foundation

/// Writes a tokenizer as the two files Hugging Face reads from a model folder:
/// `tokenizer.json` (the `tokenizers` library's format) and `tokenizer_config.json`. With
/// them, `AutoTokenizer.from_pretrained(folder)` gives the ids this workbook gives.
///
/// A byte-level BPE becomes Hugging Face's BPE model:
/// - the split pattern is a `Split` pre-tokenizer with the same regular expression;
/// - bytes become characters by GPT-2's table (printable bytes stand for themselves, the
///   rest are moved to U+0100 and up), so every token is a string;
/// - the merges are listed in rank order, each as the two tokens that make it;
/// - `ignore_merges` is on: a piece that is itself a token is taken whole, as tiktoken does.
///
/// The character tokenizer becomes a word-level model whose words are single characters.
public enum HuggingFaceTokenizer {
  /// The files' contents, by file name.
  public static func files(for tokenizer: TextTokenizer, contextLength: Int) throws(TokenizerError) -> [String: Data] {
    var config: [String: Any] = [
      "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": contextLength,
      "clean_up_tokenization_spaces": false,  // else decoding rewrites " ." as "."
    ]
    let json: [String: Any]
    switch tokenizer {
    case let bpe as BPETokenizer:
      json = try bytePairs(bpe)
      if bpe.specialTokens["<|endoftext|>"] != nil {
        (config["bos_token"], config["eos_token"]) = ("<|endoftext|>", "<|endoftext|>")
      }
      // Chapter 09's chat tokens (any special token besides <|endoftext|>), and its template.
      let added = bpe.specialTokens.filter { $0.key != "<|endoftext|>" }.sorted { $0.value < $1.value }.map(\.key)
      if !added.isEmpty { config["additional_special_tokens"] = added }
      if HuggingFaceChatTemplate.fits(bpe) { config["chat_template"] = HuggingFaceChatTemplate.jinja }
    case let chars as CharTokenizer:
      json = characters(chars)
    default:
      preconditionFailure("no Hugging Face form for \(type(of: tokenizer))")
    }
    return ["tokenizer.json": serialise(json), "tokenizer_config.json": serialise(config)]
  }

  /// GPT-2's byte-to-character table: bytes that print as themselves keep their code point,
  /// the other 68 get 256, 257, ... in byte order.
  static let byteCharacters: [Character] = {
    let printable = Array(33...126) + Array(161...172) + Array(174...255)
    var table = [Character](repeating: " ", count: 256)
    var next = 256
    for byte in 0..<256 {
      if printable.contains(byte) {
        table[byte] = Character(Unicode.Scalar(UInt8(byte)))
      } else {
        table[byte] = Character(Unicode.Scalar(UInt32(next))!)
        next += 1
      }
    }
    return table
  }()

  static func string(_ bytes: [UInt8]) -> String { String(bytes.map { byteCharacters[Int($0)] }) }

  static func bytePairs(_ bpe: BPETokenizer) throws(TokenizerError) -> [String: Any] {
    var vocabulary: [String: Int] = [:]
    var merges: [String] = []
    for rank in 0..<bpe.rankCount {
      let bytes = bpe.bytes(of: rank)
      if bytes.isEmpty { continue }  // a gap in the ranks (a special token's id)
      vocabulary[string(bytes)] = rank
      if bytes.count > 1 {
        let (left, right) = try pair(making: rank, in: bpe)
        merges.append(string(left) + " " + string(right))
      }
    }
    return [
      "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "normalizer": NSNull(),
      "post_processor": NSNull(),
      "added_tokens": bpe.specialTokens.sorted { $0.value < $1.value }.map { text, id in
        [
          "id": id, "content": text, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false,
          "special": true,
        ] as [String: Any]
      },
      "pre_tokenizer": [
        "type": "Sequence",
        "pretokenizers": [
          ["type": "Split", "pattern": ["Regex": bpe.pattern.regex], "behavior": "Isolated", "invert": false],
          ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false],
        ],
      ] as [String: Any],
      "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
      "model": [
        "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
        "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": true,
        "vocab": vocabulary, "merges": merges,
      ] as [String: Any],
    ]
  }

  /// The two tokens whose merge makes token `rank`: merge its bytes, lowest rank first, with
  /// only ranks below `rank` allowed, and two parts remain.
  static func pair(making rank: Int, in bpe: BPETokenizer) throws(TokenizerError) -> ([UInt8], [UInt8]) {
    var parts = bpe.bytes(of: rank).map { [$0] }
    while parts.count > 2 {
      var best: (rank: Int, at: Int)?
      for i in 0..<(parts.count - 1) {
        let joined = parts[i] + parts[i + 1]
        let r = joined.withUnsafeBufferPointer { Int(bpe.table.rank($0.baseAddress!, $0.count)) }
        if r >= 0 && r < rank && r < (best?.rank ?? .max) { best = (r, i) }
      }
      guard let (_, at) = best else { throw .unreachableToken(rank: rank) }
      parts[at] += parts.remove(at: at + 1)
    }
    guard parts.count == 2 else { throw .unreachableToken(rank: rank) }
    return (parts[0], parts[1])
  }

  static func characters(_ chars: CharTokenizer) -> [String: Any] {
    [
      "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "normalizer": NSNull(),
      "post_processor": NSNull(), "added_tokens": [Any](),
      // Every scalar on its own: `[\s\S]` matches any one, newlines included.
      "pre_tokenizer": ["type": "Split", "pattern": ["Regex": "[\\s\\S]"], "behavior": "Isolated", "invert": false],
      "decoder": ["type": "Fuse"],
      "model": [
        "type": "WordLevel", "unk_token": "",
        "vocab": Dictionary(uniqueKeysWithValues: chars.scalars.enumerated().map { (String($1), $0) }),
      ] as [String: Any],
    ]
  }

  static func serialise(_ object: [String: Any]) -> Data {
    // Sorted keys: the same tokenizer always gives the same bytes.
    (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
  }
}
