// Chapter 06 introduces this file (chapter 07 loads GPT-2 with it): reading a model folder,
// ours or one that Hugging Face's `save_pretrained` wrote.

import Foundation

extension Checkpoint {
  /// What a model folder's `config.json` says, checked: the model's shape, whether its output
  /// layer is tied to `wte`, and the folder it was read from (`folder`, or `folder.old`).
  struct FolderConfig {
    var config: GPTConfig
    var tied: Bool
    var dir: String
  }

  /// The model's configuration stored in a checkpoint or a Hugging Face GPT-2 folder.
  public static func config(_ folder: String) throws -> GPTConfig { try folderConfig(folder).config }

  /// Loads the weights of a checkpoint, or of a Hugging Face GPT-2 folder, into a new model.
  ///
  /// GPT-2's names are found with or without `GPT2LMHeadModel`'s `transformer.` in front; the
  /// attention-mask buffers old checkpoints carry (`attn.bias`, `attn.masked_bias`) are
  /// skipped; F16 and BF16 are widened to `Float`; an `lm_head.weight` that differs from
  /// `wte` becomes the model's own output layer. Every shape is checked against `config.json`
  /// before any memory is allocated.
  public static func loadModel(_ folder: String) throws -> GPT {
    let saved = try folderConfig(folder)
    let path = "\(saved.dir)/model.safetensors"
    let file = try SafeTensors.File(path)
    let layout = ParameterLayout(saved.config)
    let prefix = file.entries[GPTNames.wte] == nil && file.entries["wte.weight"] != nil ? "" : "transformer."
    func fileName(_ name: String) -> String { prefix + name.dropFirst("transformer.".count) }
    let describe = "config.json (\(Checkpoint.describe(saved.config)))"
    for e in layout.entries {
      guard let t = file.entries[fileName(e.name)] else {
        throw Error(
          description: "\(path) has no tensor \(fileName(e.name)), which \(describe) needs: "
            + "the weights and config.json are from different models")
      }
      guard t.shape == e.shape else {
        throw Error(
          description: "\(path): \(fileName(e.name)) is \(t.shape) but \(describe) makes it \(e.shape): "
            + "the weights and config.json are from different models")
      }
    }
    let known = Set(layout.entries.map { fileName($0.name) })
    let head = file.entries["lm_head.weight"]
    for name in file.entries.keys.sorted() where !known.contains(name) && name != "lm_head.weight" {
      guard name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias") else {
        throw Error(
          description: "\(path) holds \(name), which a GPT-2 of \(describe) does not have: "
            + "the weights and config.json are from different models")
      }
    }
    let wteShape = [saved.config.vocabularySize, saved.config.channels]
    if let head, head.shape != wteShape {
      throw Error(
        description: "\(path): lm_head.weight is \(head.shape), not \(wteShape) like wte: "
          + "the output layer does not match the vocabulary")
    }
    if !saved.tied && head == nil {
      throw Error(
        description: "\(saved.dir)/config.json says tie_word_embeddings false but \(path) has no "
          + "lm_head.weight: save the model again with its output layer")
    }
    let model = GPT(zeroed: saved.config)
    for e in layout.entries { try file.read(fileName(e.name), into: model.parameters.base + e.offset) }
    if head != nil {
      let values = try file.values("lm_head.weight")
      let same = values.withUnsafeBufferPointer { memcmp($0.baseAddress!, model.weights.wte, 4 * $0.count) == 0 }
      if !same { values.withUnsafeBufferPointer { model.untie(head: $0.baseAddress!) } }
    }
    return model
  }

  /// Loads the tokenizer saved with a checkpoint, refusing one with more ids than the model
  /// has rows in `wte` (its ids would index past the table).
  public static func loadTokenizer(_ folder: String) throws -> TextTokenizer {
    let tokenizer = try loadTokenizerFile(folder)
    let V = try config(folder).vocabularySize
    guard tokenizer.vocabularySize <= V else {
      throw Error(
        description: "\(folder) holds a tokenizer of \(tokenizer.vocabularySize) tokens for a model of \(V): "
          + "the checkpoint is inconsistent, train again")
    }
    return tokenizer
  }

  /// The tokenizer files a folder may hold, in the order they are tried: the workbook's own,
  /// then Hugging Face's `tokenizer.json`, then GPT-2's original `vocab.json` + `merges.txt`.
  static func loadTokenizerFile(_ folder: String) throws -> TextTokenizer {
    guard let dir = readable(folder) else { throw Error(description: "no checkpoint in \(folder)") }
    let fm = FileManager.default
    // `tokenizer.tiktoken` (with our sidecar as `tokenizer.json`): checkpoints from before
    // `tokenizer.json` became Hugging Face's.
    for name in ["bpe", "tokenizer"] where fm.fileExists(atPath: "\(dir)/\(name).tiktoken") {
      return try RankFile.load("\(dir)/\(name).tiktoken")
    }
    if fm.fileExists(atPath: "\(dir)/tokenizer-chars.json") {
      guard let data = regularFileContents("\(dir)/tokenizer-chars.json"),
        let values = try? JSONDecoder().decode([UInt32].self, from: data)
      else {
        throw Error(description: "\(dir)/tokenizer-chars.json is damaged: the checkpoint is corrupt, train again")
      }
      return CharTokenizer(corpus: String(String.UnicodeScalarView(values.compactMap(Unicode.Scalar.init))))
    }
    if fm.fileExists(atPath: "\(dir)/tokenizer.json") {
      return try HuggingFaceTokenizer.load(tokenizerJSON: "\(dir)/tokenizer.json")
    }
    if fm.fileExists(atPath: "\(dir)/vocab.json") && fm.fileExists(atPath: "\(dir)/merges.txt") {
      return try HuggingFaceTokenizer.load(vocabulary: "\(dir)/vocab.json", merges: "\(dir)/merges.txt")
    }
    throw Error(
      description: "\(dir) has no tokenizer (bpe.tiktoken, tokenizer.json, or vocab.json with merges.txt): "
        + "copy the model's tokenizer files into it")
  }

  /// Reads and checks `config.json`: Hugging Face's GPT-2 keys, which every folder has, and
  /// the workbook's own `workbook` key, which ours add (sinusoidal positions, dropout) and
  /// which must agree with them.
  static func folderConfig(_ folder: String) throws -> FolderConfig {
    guard let dir = readable(folder) else {
      if FileManager.default.fileExists(atPath: "\(folder)/pytorch_model.bin") {
        throw Error(
          description: "\(folder) holds pytorch_model.bin but no model.safetensors: save it again with "
            + "model.save_pretrained(folder) (safetensors is its default) and load that")
      }
      if FileManager.default.fileExists(atPath: "\(folder)/model.safetensors.index.json") {
        throw Error(
          description: "\(folder) holds its weights in shards (model.safetensors.index.json): save them as one "
            + "file with model.save_pretrained(folder, max_shard_size=\"100GB\")")
      }
      throw Error(description: "no checkpoint in \(folder): train one first (ch06-training)")
    }
    let path = "\(dir)/config.json"
    guard let data = regularFileContents(path) else {
      throw Error(
        description: "\(path) is missing (or not a regular file): copy the model's config.json beside its weights")
    }
    guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      throw Error(description: "\(path) is not a JSON object: the file is damaged, save the model again")
    }
    let keys = HuggingFaceKeys(json: json, path: path)
    var config = try keys.gpt2Config()
    let tied = try keys.bool("tie_word_embeddings") ?? true
    if let ours = json["workbook"] {
      let workbook: GPTConfig
      do {
        workbook = try JSONDecoder().decode(GPTConfig.self, from: JSONSerialization.data(withJSONObject: ours))
      } catch {
        throw Error(description: "\(path): the workbook key is damaged (\(reason(error))): the checkpoint is corrupt")
      }
      let pairs = [
        ("vocabularySize", workbook.vocabularySize, "vocab_size", config.vocabularySize),
        ("contextLength", workbook.contextLength, "n_positions", config.contextLength),
        ("layerCount", workbook.layerCount, "n_layer", config.layerCount),
        ("headCount", workbook.headCount, "n_head", config.headCount),
        ("channels", workbook.channels, "n_embd", config.channels),
      ]
      for (ourKey, ourValue, theirKey, theirValue) in pairs where ourValue != theirValue {
        throw Error(
          description: "\(path): workbook.\(ourKey) \(ourValue) contradicts \(theirKey) \(theirValue): "
            + "the file was edited, make them agree or save the model again")
      }
      config = workbook
    }
    return FolderConfig(config: config, tied: tied, dir: dir)
  }

  /// A decoding error's own words, in one line.
  static func reason(_ error: Swift.Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let context): context.debugDescription
    case DecodingError.keyNotFound(let key, _): "no \(key.stringValue)"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
      "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
    default: "\(error)"
    }
  }
}

/// `config.json` as `GPT2Config.save_pretrained` writes it, read key by key so that every
/// refusal names the key.
struct HuggingFaceKeys {
  let json: [String: Any]
  let path: String

  func fail(_ problem: String) -> Checkpoint.Error { Checkpoint.Error(description: "\(path): \(problem)") }

  func int(_ key: String) throws -> Int? {
    guard let value = json[key], !(value is NSNull) else { return nil }
    guard let number = value as? NSNumber, let int = Int(exactly: number.doubleValue) else {
      throw fail("\(key) is \(value), not a whole number: fix the file or save the model again")
    }
    return int
  }

  func required(_ key: String) throws -> Int {
    guard let value = try int(key) else { throw fail("has no \(key): it is not a GPT-2 config, save the model again") }
    return value
  }

  func string(_ key: String) throws -> String? {
    guard let value = json[key], !(value is NSNull) else { return nil }
    guard let string = value as? String else { throw fail("\(key) is \(value), not a string: fix the file") }
    return string
  }

  func bool(_ key: String) throws -> Bool? {
    guard let value = json[key], !(value is NSNull) else { return nil }
    guard let bool = value as? Bool else { throw fail("\(key) is \(value), not true or false: fix the file") }
    return bool
  }

  /// The shape, and a refusal for each GPT-2 variant this workbook does not compute.
  func gpt2Config() throws -> GPTConfig {
    if let type = try string("model_type"), type != "gpt2" {
      throw fail("model_type is \(type); the workbook runs GPT-2 (model_type gpt2) only")
    }
    let activation = try string("activation_function") ?? "gelu_new"
    guard ["gelu_new", "gelu_pytorch_tanh"].contains(activation) else {
      throw fail("activation_function is \(activation); the workbook computes GPT-2's tanh GELU (gelu_new) only")
    }
    if let epsilon = json["layer_norm_epsilon"] as? Double, abs(epsilon - Double(LayerNorm.epsilon)) > 1e-9 {
      throw fail("layer_norm_epsilon is \(epsilon); the workbook's LayerNorm uses 1e-05 only")
    }
    let unsupported: [(String, Bool)] = [
      ("scale_attn_weights", true), ("scale_attn_by_inverse_layer_idx", false), ("add_cross_attention", false),
    ]
    for (key, expected) in unsupported where try bool(key) ?? expected != expected {
      throw fail("\(key) is \(!expected); the workbook computes GPT-2 with \(key) \(expected) only")
    }
    let C = try required("n_embd")
    if let inner = try int("n_inner"), inner != 4 * C {
      throw fail("n_inner is \(inner); the workbook's MLP is 4 * n_embd (\(4 * C)) wide only")
    }
    let shape = [
      ("vocab_size", try required("vocab_size")), ("n_positions", try int("n_positions") ?? required("n_ctx")),
      ("n_layer", try required("n_layer")), ("n_head", try required("n_head")), ("n_embd", C),
    ]
    let limits = [1 << 22, 1 << 20, 4096, 1 << 16, 1 << 16]
    for ((key, value), limit) in zip(shape, limits) where value < 1 || value > limit {
      throw fail("\(key) is \(value), outside 1...\(limit): fix the file or save the model again")
    }
    let (V, T, L, NH) = (shape[0].1, shape[1].1, shape[2].1, shape[3].1)
    guard C % NH == 0 else {
      throw fail("n_embd \(C) does not divide into n_head \(NH) heads: fix the file or save the model again")
    }
    let config = GPTConfig(vocabularySize: V, contextLength: T, layerCount: L, headCount: NH, channels: C)
    if let problem = config.problem { throw fail("\(problem): fix the file or save the model again") }
    return config
  }
}

/// The bytes of the regular file at `path`, or nil: a FIFO, a device or a folder is never read
/// (reading a FIFO would wait forever for a writer).
func regularFileContents(_ path: String) -> Data? {
  guard (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular else {
    return nil
  }
  return FileManager.default.contents(atPath: path)
}
