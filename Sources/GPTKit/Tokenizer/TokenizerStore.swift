// Chapter 01 introduces this file: where the trained tokenizer is kept for later chapters.

import Foundation

/// The tokenizer chapter 01 trains, saved under `runs/tokenizers/` so later chapters load it
/// instead of training again; any chapter rebuilds it if it is missing or stale.
public enum TokenizerStore {
  public static let folder = "runs/tokenizers"

  /// The rank-file path of a BPE of `vocabularySize` trained on the corpus at `corpusPath`.
  /// The name carries a fingerprint of the corpus, so a changed corpus gets a new tokenizer.
  public static func path(corpus corpusText: String, corpusPath: String, vocabularySize: Int) -> String {
    let name = URL(fileURLWithPath: corpusPath).deletingPathExtension().lastPathComponent
    return "\(folder)/\(name)-\(fingerprint(corpusText))-bpe\(vocabularySize).tiktoken"
  }

  /// Loads the saved tokenizer, or trains and saves it. Returns it and whether it was trained.
  public static func bpe(
    corpus text: String, corpusPath: String, vocabularySize: Int = 512
  ) throws -> (tokenizer: BPETokenizer, trained: Bool) {
    let file = path(corpus: text, corpusPath: corpusPath, vocabularySize: vocabularySize)
    if FileManager.default.fileExists(atPath: file), let saved = try? RankFile.load(file),
      saved.vocabularySize == vocabularySize
    {
      return (saved, false)
    }
    let trained = try BPETrainer.train(text, vocabularySize: vocabularySize)
    do { try RankFile.save(trained, to: file) } catch {  // no half-saved pair left behind
      for saved in [file, RankFile.sidecarURL(file).path] { try? FileManager.default.removeItem(atPath: saved) }
      throw FileWriteError(file, error)
    }
    return (trained, true)
  }

  /// FNV-1a over the UTF-8 bytes, as 8 hex digits: a cheap "has the text changed?" check.
  public static func fingerprint(_ text: String) -> String {
    var hash: UInt32 = 2_166_136_261
    for byte in text.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
    return String(format: "%08x", hash)
  }
}
