// Chapter 06 introduces this file: saving a training run so it can be resumed or shared.

import Foundation

/// A checkpoint is a folder:
///
/// | file | holds |
/// |---|---|
/// | `model.safetensors` | every parameter, by Hugging Face GPT-2 name (loads in PyTorch) |
/// | `config.json` | the shape, in Hugging Face's GPT-2 keys and ours |
/// | `optimizer.safetensors` | AdamW's moments `m.<name>`, `v.<name>` |
/// | `state.json` | step, AdamW step, generators, data-loader position, loss history |
/// | `bpe.tiktoken` + `bpe.json`, or `tokenizer-chars.json` | the tokenizer, as the workbook reads it |
/// | `tokenizer.json` + `tokenizer_config.json` | the same tokenizer, as Hugging Face reads it |
///
/// So `GPT2LMHeadModel.from_pretrained(folder)` and `AutoTokenizer.from_pretrained(folder)`
/// load it in Python.
///
/// It is written into `<folder>.tmp` and then swapped in with renames, so a kill at any
/// moment leaves either the old checkpoint or the new one complete, never half of one.
public enum Checkpoint {
  public struct Error: Swift.Error, CustomStringConvertible {
    public var description: String
  }

  /// What, besides weights and moments, a run needs to continue exactly where it stopped.
  public struct State: Codable, Sendable {
    public var step: Int
    public var optimizerStep: Int
    public var dropoutRNG: SplitMix64
    public var loader: DataLoader.State
    public var schedule: LearningRateSchedule
    public var bestValidationLoss: Float
    public var history: [TrainingRecord]
    public var options: TrainingOptions
    public var corpusFingerprint: String
  }

  struct HuggingFaceConfig: Codable {
    var model_type = "gpt2"
    var architectures = ["GPT2LMHeadModel"]
    var vocab_size: Int
    var n_positions: Int
    var n_ctx: Int
    var n_embd: Int
    var n_layer: Int
    var n_head: Int
    var resid_pdrop: Float
    var embd_pdrop: Float
    var attn_pdrop: Float
    var layer_norm_epsilon: Float = 1e-5
    var activation_function = "gelu_new"
    var tie_word_embeddings = true
    /// `<|endoftext|>`'s id, or `null` for a tokenizer without it: a missing key would make
    /// Hugging Face assume GPT-2's 50256, outside a small vocabulary.
    @ExplicitNull var bos_token_id: Int?
    @ExplicitNull var eos_token_id: Int?
    var workbook: GPTConfig
  }

  /// Saves model, optimizer, state and tokenizer into `folder`, atomically.
  ///
  /// Refuses (with ``NonFiniteLoss``) weights, moments or losses that are not numbers: a
  /// diverged run must not replace a good checkpoint with NaN. A write that fails (a full disk,
  /// a folder that cannot be written) throws one line and leaves no `.tmp` behind.
  public static func save(
    model: GPT, optimizer: AdamW, state: State, tokenizer: TextTokenizer, to folder: String
  ) throws {
    for (buffer, what) in [(model.parameters, "weights"), (optimizer.m, "moments"), (optimizer.v, "moments")]
    where !buffer.allFinite {
      throw NonFiniteLoss(step: state.step, loss: .nan, of: what)
    }
    if let bad = state.history.first(where: { !$0.trainLoss.isFinite || !$0.validationLoss.isFinite }) {
      throw NonFiniteLoss(step: bad.step, loss: bad.trainLoss.isFinite ? bad.validationLoss : bad.trainLoss)
    }
    let temporary = folder + ".tmp"
    do {
      try write(model: model, optimizer: optimizer, state: state, tokenizer: tokenizer, to: temporary)
    } catch {
      try? FileManager.default.removeItem(atPath: temporary)
      throw Error(description: "could not save \(folder): \(fileErrorReason(error))")
    }
    do { try swap(temporary, into: folder) } catch {
      throw Error(description: "could not move \(temporary) to \(folder): \(fileErrorReason(error))")
    }
  }

  /// Writes every file of a checkpoint into a new folder `temporary`.
  static func write(model: GPT, optimizer: AdamW, state: State, tokenizer: TextTokenizer, to temporary: String) throws {
    let fm = FileManager.default
    try? fm.removeItem(atPath: temporary)
    try fm.createDirectory(atPath: temporary, withIntermediateDirectories: true)
    let entries = model.layout.entries
    try SafeTensors.write(
      entries.map { ($0.name, $0.shape, UnsafePointer(model.parameters.base + $0.offset)) }, metadata: ["format": "pt"],
      to: "\(temporary)/model.safetensors")
    try SafeTensors.write(
      entries.map { ("m.\($0.name)", $0.shape, UnsafePointer(optimizer.m.base + $0.offset)) }
        + entries.map { ("v.\($0.name)", $0.shape, UnsafePointer(optimizer.v.base + $0.offset)) },
      to: "\(temporary)/optimizer.safetensors")
    let c = model.config
    let endOfText = (tokenizer as? BPETokenizer)?.specialTokens["<|endoftext|>"]
    let hf = HuggingFaceConfig(
      vocab_size: c.vocabularySize, n_positions: c.contextLength, n_ctx: c.contextLength, n_embd: c.channels,
      n_layer: c.layerCount, n_head: c.headCount, resid_pdrop: c.dropout, embd_pdrop: c.dropout, attn_pdrop: 0,
      bos_token_id: endOfText, eos_token_id: endOfText, workbook: c)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    try encoder.encode(hf).write(to: URL(fileURLWithPath: "\(temporary)/config.json"))
    try encoder.encode(state).write(to: URL(fileURLWithPath: "\(temporary)/state.json"))
    if let bpe = tokenizer as? BPETokenizer {
      try RankFile.save(bpe, to: "\(temporary)/bpe.tiktoken")
    } else if let chars = tokenizer as? CharTokenizer {
      try encoder.encode(chars.scalars.map(\.value)).write(
        to: URL(fileURLWithPath: "\(temporary)/tokenizer-chars.json"))
    }
    for (name, data) in try HuggingFaceTokenizer.files(for: tokenizer, contextLength: c.contextLength) {
      try data.write(to: URL(fileURLWithPath: "\(temporary)/\(name)"))
    }
  }

  /// Puts the complete folder `temporary` in the place of `folder` with renames, so that at
  /// every moment `folder` or `folder.old` is a complete checkpoint:
  ///
  /// ```
  /// folder -> folder.old,  temporary -> folder,  remove folder.old
  /// ```
  /// After a kill between the two renames only `folder.old` is complete: it is kept until the
  /// new `folder` is in place, never removed first.
  static func swap(_ temporary: String, into folder: String) throws {
    let fm = FileManager.default
    let old = folder + ".old"
    if fm.fileExists(atPath: folder) {  // folder is complete: an older folder.old is not needed
      try? fm.removeItem(atPath: old)
      try fm.moveItem(atPath: folder, toPath: old)
    }
    try fm.moveItem(atPath: temporary, toPath: folder)
    try? fm.removeItem(atPath: old)
  }

  /// Whether `folder` holds a checkpoint (complete or not: loading it says what is wrong).
  public static func exists(_ folder: String) -> Bool { readable(folder) != nil }

  /// The folder to read: `folder`, or `folder.old` if a save was interrupted mid-swap.
  static func readable(_ folder: String) -> String? {
    let fm = FileManager.default
    if fm.fileExists(atPath: "\(folder)/model.safetensors") { return folder }
    if fm.fileExists(atPath: "\(folder).old/model.safetensors") { return folder + ".old" }
    return nil
  }

  /// Restores model, optimizer and state into existing objects of the right shape.
  public static func restore(_ folder: String, model: GPT, optimizer: AdamW) throws -> State {
    let state = try state(folder)  // first: a damaged state.json costs no weight loading
    let saved = try config(folder)
    guard saved == model.config else {
      let (was, now) = (describe(saved), describe(model.config))
      throw Error(
        description:
          "the checkpoint in \(folder) is a \(was) model but this run builds a \(now): resume with the same shape")
    }
    let dir = readable(folder)!
    try fill(model.parameters, from: "\(dir)/model.safetensors", prefix: "")
    try fill(optimizer.m, from: "\(dir)/optimizer.safetensors", prefix: "m.")
    try fill(optimizer.v, from: "\(dir)/optimizer.safetensors", prefix: "v.")
    for (buffer, file) in [(model.parameters, "model"), (optimizer.m, "optimizer"), (optimizer.v, "optimizer")] {
      guard buffer.allFinite else {
        throw Error(description: "\(dir)/\(file).safetensors holds values that are not numbers: train again")
      }
    }
    guard optimizer.v.allNonNegative else {
      throw Error(description: "\(dir)/optimizer.safetensors holds a negative second moment: train again")
    }
    optimizer.step = state.optimizerStep
    model.rng = state.dropoutRNG
    return state
  }

  static func describe(_ c: GPTConfig) -> String {
    "V \(c.vocabularySize), T \(c.contextLength), \(c.layerCount) layers, \(c.headCount) heads, C \(c.channels)"
  }

  /// Reads every tensor of `buffer` (by its name after `prefix`) from the safetensors file at
  /// `path`, each of the shape the layout expects.
  static func fill(_ buffer: ParameterBuffer, from path: String, prefix: String) throws {
    let file = try SafeTensors.File(path)
    for e in buffer.layout.entries {
      guard let t = file.entries[prefix + e.name], t.shape == e.shape else {
        throw Error(
          description: "\(path) has no \(prefix + e.name) of shape \(e.shape): the checkpoint does not match this model"
        )
      }
      try file.read(prefix + e.name, into: buffer.base + e.offset)
    }
  }
}

/// An optional that JSON always writes, as `null` when it is `nil`, and that may be missing
/// when read.
@propertyWrapper
struct ExplicitNull<Value: Codable>: Codable {
  var wrappedValue: Value?

  init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

  init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
  }

  func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
  }
}

extension KeyedDecodingContainer {
  func decode<Value>(_: ExplicitNull<Value>.Type, forKey key: Key) throws -> ExplicitNull<Value> {
    ExplicitNull(wrappedValue: try decodeIfPresent(Value.self, forKey: key))
  }
}
