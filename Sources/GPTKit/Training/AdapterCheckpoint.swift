// Chapter 09 introduces this file: LoRA adapters saved as PEFT saves them, and a model exported to share.

import Foundation

/// LoRA adapters as a PEFT folder, which `PeftModel.from_pretrained(base, folder)` loads onto
/// the base model they were trained on:
///
/// | file | holds |
/// |---|---|
/// | `adapter_model.safetensors` | every `lora_A`/`lora_B`, by PEFT's names and in its `(r, in)`/`(out, r)` shapes |
/// | `adapter_config.json` | `peft_type` LORA, `r`, `lora_alpha`, `target_modules`, `fan_in_fan_out`... |
///
/// GPT-2's linear layers are `Conv1D`s whose weight is `(in, out)`, the transpose of torch's
/// `nn.Linear`. PEFT's `lora_A`/`lora_B` are `nn.Linear`s either way; `fan_in_fan_out: true`
/// tells it to transpose `B·A` when it merges into such a layer. Our buffer already holds
/// PEFT's shapes, so the file is the buffer, written as it is.
public enum AdapterCheckpoint {
  /// The keys of `adapter_config.json` this workbook writes and reads.
  struct Config: Codable {
    var peft_type = "LORA"
    var task_type = "CAUSAL_LM"
    var r: Int
    var lora_alpha: Float
    var lora_dropout: Float = 0
    var target_modules: [String]
    var fan_in_fan_out = true
    var bias = "none"
    var base_model_name_or_path: String
    var inference_mode = true
    var init_lora_weights = true
    var use_rslora = false
  }

  /// Writes `lora` into `folder`; `baseModel` is the folder (or Hub name) of the model it adapts.
  public static func save(_ lora: LoRAAdapters, baseModel: String, to folder: String) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try SafeTensors.write(
      lora.layout.entries.map { ($0.name, $0.shape, UnsafePointer(lora.weights.base + $0.offset)) },
      metadata: ["format": "pt"], to: "\(folder)/adapter_model.safetensors")
    let config = Config(
      r: lora.rank, lora_alpha: lora.alpha, target_modules: lora.targetModules, base_model_name_or_path: baseModel)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try encoder.encode(config).write(to: URL(fileURLWithPath: "\(folder)/adapter_config.json"))
  }

  /// Reads a PEFT folder's adapters into `lora`, which must have the same rank, alpha and targets.
  public static func load(_ folder: String, into lora: LoRAAdapters) throws {
    guard let data = FileManager.default.contents(atPath: "\(folder)/adapter_config.json"),
      let config = try? JSONDecoder().decode(Config.self, from: data)
    else { throw Checkpoint.Error(description: "\(folder)/adapter_config.json is missing or not a LoRA config") }
    guard config.r == lora.rank, config.lora_alpha == lora.alpha, Set(config.target_modules) == Set(lora.targetModules)
    else {
      throw Checkpoint.Error(
        description: "\(folder) holds LoRA r \(config.r), alpha \(config.lora_alpha) on \(config.target_modules): "
          + "build the adapters with those")
    }
    try Checkpoint.fill(lora.weights, from: "\(folder)/adapter_model.safetensors", prefix: "")
  }
}

extension Checkpoint {
  /// Saves a finished model to share (for example a merged fine-tune): weights, config and
  /// tokenizer as `save` writes them, with an optimizer that has not started. So Hugging Face
  /// loads it as any GPT-2, and resuming from it starts a new run from these weights.
  public static func export(model: GPT, tokenizer: TextTokenizer, to folder: String) throws {
    let state = State(
      step: 0, optimizerStep: 0, dropoutRNG: model.rng,
      loader: DataLoader.State(epoch: 0, order: [], next: 0, rng: SplitMix64(seed: 0)),
      schedule: LearningRateSchedule(maxLR: 0, warmupSteps: 0, totalSteps: 0), bestValidationLoss: .infinity,
      history: [], options: TrainingOptions(steps: 0, batchSize: 0), corpusFingerprint: "")
    try save(model: model, optimizer: AdamW(model.layout), state: state, tokenizer: tokenizer, to: folder)
  }
}
