// Chapter 07 introduces this file: reading GPT-2's tokenizer as Hugging Face saves it.

import Foundation

/// Reads a byte-level BPE from a model folder: `tokenizer.json` (the `tokenizers` library's
/// format) or GPT-2's original pair, `vocab.json` + `merges.txt`. It does not read other
/// kinds (WordPiece, SentencePiece's Unigram, BPE without GPT-2's byte table).
///
/// Every token is a string of GPT-2's byte characters (`HuggingFaceTokenizer.byteCharacters`),
/// so `"Ġthe"` is the bytes `" the"`; its id becomes its rank. Hugging Face merges the pair
/// listed first; tiktoken, and `BPETokenizer`, merge the pair whose result has the lowest
/// rank. The two agree when each merge makes a new token with a higher id than the merges
/// before it, as in GPT-2 (merge `i` makes token `256 + i`) and in any tokenizer trained by
/// the `tokenizers` library: this reader checks that and refuses a file where it fails.
/// A token that is neither a byte nor a merge (`<|endoftext|>`) is a special token.
extension HuggingFaceTokenizer {
  /// Reads `tokenizer.json`.
  public static func load(tokenizerJSON path: String) throws(TokenizerError) -> BPETokenizer {
    func fail(_ reason: String) -> TokenizerError { .unsupportedFile(path: path, reason: reason) }
    guard let data = regularFileContents(path) else { throw .missingFile(path) }
    guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
      let model = json["model"] as? [String: Any]
    else { throw .corruptFile(path: path, line: 1, reason: "not a JSON object with a \"model\"") }
    guard model["type"] as? String == "BPE" else {
      throw fail("its model is \(model["type"] ?? "unnamed"), not BPE")
    }
    for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
      if let affix = model[key] as? String, !affix.isEmpty { throw fail("it uses a \(key) (\(affix))") }
    }
    if model["byte_fallback"] as? Bool == true { throw fail("it uses byte_fallback (not byte-level BPE)") }
    if let normalizer = json["normalizer"], !(normalizer is NSNull) { throw fail("it has a normalizer") }
    guard let vocabulary = model["vocab"] as? [String: Int] else {
      throw .corruptFile(path: path, line: 1, reason: "model.vocab is not a map of tokens to ids")
    }
    guard let list = model["merges"] as? [Any] else {
      throw .corruptFile(path: path, line: 1, reason: "model.merges is not a list")
    }
    var merges: [(String, String)] = []
    for item in list {  // "a b" (tokenizers before 0.20) or ["a", "b"]
      if let pair = item as? [String], pair.count == 2 {
        merges.append((pair[0], pair[1]))
      } else if let text = item as? String, let space = text.firstIndex(of: " ") {
        merges.append((String(text[..<space]), String(text[text.index(after: space)...])))
      } else {
        throw .corruptFile(path: path, line: 1, reason: "merge \(item) is not two tokens")
      }
    }
    var special: [String: Int] = [:]
    for case let added as [String: Any] in json["added_tokens"] as? [Any] ?? [] {
      guard let content = added["content"] as? String, let id = added["id"] as? Int else {
        throw .corruptFile(path: path, line: 1, reason: "an added token has no content or id")
      }
      special[content] = id
    }
    let pattern = try splitPattern(json["pre_tokenizer"], path: path)
    return try bytePairs(vocabulary: vocabulary, merges: merges, special: special, pattern: pattern, path: path)
  }

  /// Reads GPT-2's `vocab.json` and `merges.txt` (GPT-2's split pattern, as `GPT2Tokenizer`).
  public static func load(vocabulary vocabularyPath: String, merges mergesPath: String) throws(TokenizerError)
    -> BPETokenizer
  {
    guard let vocabularyData = regularFileContents(vocabularyPath) else {
      throw .missingFile(vocabularyPath)
    }
    guard let mergesData = regularFileContents(mergesPath) else { throw .missingFile(mergesPath) }
    guard let vocabulary = (try? JSONSerialization.jsonObject(with: vocabularyData)) as? [String: Int] else {
      throw .corruptFile(path: vocabularyPath, line: 1, reason: "not a JSON map of tokens to ids")
    }
    var merges: [(String, String)] = []
    let lines = String(decoding: mergesData, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    for (number, line) in lines.enumerated() where !line.isEmpty && !line.hasPrefix("#version") {
      let parts = line.split(separator: " ", omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw .corruptFile(path: mergesPath, line: number + 1, reason: "expected two tokens and one space")
      }
      merges.append((String(parts[0]), String(parts[1])))
    }
    return try bytePairs(vocabulary: vocabulary, merges: merges, special: [:], pattern: .gpt2, path: mergesPath)
  }

  /// The split pattern of a `pre_tokenizer`: GPT-2's `ByteLevel` with its own regex, or the
  /// `Split` + `ByteLevel` sequence this workbook writes, with one of its three patterns.
  static func splitPattern(_ preTokenizer: Any?, path: String) throws(TokenizerError) -> SplitPattern {
    let fail = { (why: String) in TokenizerError.unsupportedFile(path: path, reason: "its pre_tokenizer \(why)") }
    guard let pre = preTokenizer as? [String: Any] else { throw fail("is missing (a byte-level BPE needs one)") }
    if pre["type"] as? String == "ByteLevel" {
      guard pre["add_prefix_space"] as? Bool != true else { throw fail("adds a prefix space") }
      guard pre["use_regex"] as? Bool ?? true else { throw fail("splits nothing") }
      return .gpt2
    }
    guard pre["type"] as? String == "Sequence", let steps = pre["pretokenizers"] as? [[String: Any]], steps.count == 2,
      steps[0]["type"] as? String == "Split", steps[1]["type"] as? String == "ByteLevel",
      steps[1]["use_regex"] as? Bool == false, steps[1]["add_prefix_space"] as? Bool != true,
      let regex = (steps[0]["pattern"] as? [String: Any])?["Regex"] as? String
    else { throw fail("is not GPT-2's ByteLevel nor a Split followed by ByteLevel") }
    guard let pattern = SplitPattern.allCases.first(where: { $0.regex == regex }) else {
      throw fail("splits by a regex that is not gpt2's, cl100k's or o200k's")
    }
    return pattern
  }

  /// The tokenizer of a vocabulary and merge list, checked: every byte is a token, every
  /// merge joins two tokens into a token, and each merge's token has a higher id than the
  /// one before (so merging by rank is merging in list order).
  static func bytePairs(
    vocabulary: [String: Int], merges: [(String, String)], special: [String: Int], pattern: SplitPattern,
    path: String
  ) throws(TokenizerError) -> BPETokenizer {
    let fail = { (why: String) in TokenizerError.unsupportedFile(path: path, reason: why) }
    let byteOf = Dictionary(uniqueKeysWithValues: byteCharacters.enumerated().map { ($1, UInt8($0)) })
    let largest = 1 << 22
    guard vocabulary.values.allSatisfy({ $0 >= 0 && $0 < largest }),
      special.values.allSatisfy({ $0 >= 0 && $0 < largest })
    else { throw .corruptFile(path: path, line: 1, reason: "a token id is negative or above \(largest)") }
    guard Set(vocabulary.values).count == vocabulary.count else {
      throw .corruptFile(path: path, line: 1, reason: "two tokens share an id")
    }
    func bytes(_ token: String) -> [UInt8]? {
      var out: [UInt8] = []
      for character in token {
        guard let byte = byteOf[character] else { return nil }
        out.append(byte)
      }
      return out
    }
    var ranks = [[UInt8]](repeating: [], count: (vocabulary.values.max() ?? -1) + 1)
    for character in byteCharacters {
      guard let id = vocabulary[String(character)] else {
        throw fail("byte \(byteOf[character]!) (\(character)) is not a token, so not every text can be encoded")
      }
      ranks[id] = [byteOf[character]!]
    }
    var previous = -1
    for (number, (left, right)) in merges.enumerated() {
      let joined = left + right
      guard let id = vocabulary[joined], let leftBytes = bytes(left), let rightBytes = bytes(right),
        vocabulary[left] != nil, vocabulary[right] != nil
      else { throw .corruptFile(path: path, line: number + 1, reason: "merge \(left) \(right) is not of tokens") }
      guard id > previous else {
        throw fail("merge \(number + 1) (\(left) \(right)) makes id \(id), below an earlier merge's \(previous)")
      }
      previous = id
      ranks[id] = leftBytes + rightBytes
    }
    while ranks.last?.isEmpty == true { ranks.removeLast() }
    var specialTokens = special
    for (token, id) in vocabulary where (id >= ranks.count || ranks[id].isEmpty) && special[token] == nil {
      specialTokens[token] = id  // neither a byte nor a merge: only ever added, like <|endoftext|>
    }
    for (token, id) in specialTokens where id < ranks.count && !ranks[id].isEmpty {
      throw fail("special token \(token) has id \(id), which is also an ordinary token's")
    }
    return BPETokenizer(ranks: ranks, pattern: pattern, specialTokens: specialTokens)
  }
}
