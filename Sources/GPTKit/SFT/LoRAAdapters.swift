// Chapter 09 introduces this file: LoRA on a whole GPT, its parameters in one buffer by PEFT's names.

/// Which of a block's four linear layers get a LoRA adapter.
public struct LoRATargets: OptionSet, Sendable, Hashable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }

  public static let attnQKV = LoRATargets(rawValue: 1)
  public static let attnProj = LoRATargets(rawValue: 2)
  public static let fc = LoRATargets(rawValue: 4)
  public static let fcProj = LoRATargets(rawValue: 8)
  /// PEFT's default for GPT-2 (`c_attn`), and the seed's example.
  public static let attention: LoRATargets = [.attnQKV, .attnProj]
  /// Every linear layer of every block: the default here. QLoRA (Dettmers et al., 2023)
  /// found adapters on all linear layers were needed to match full fine-tuning; at this
  /// scale they still train under 10% of the parameters.
  public static let all: LoRATargets = [.attnQKV, .attnProj, .fc, .fcProj]

  /// Each target with its block-relative module name in GPT-2 (PEFT's `target_modules`: a
  /// name matches a module whose full name ends with it, so `attn.c_proj` is not `mlp.c_proj`).
  public static let modules: [(target: LoRATargets, module: String)] = [
    (.attnQKV, "attn.c_attn"), (.attnProj, "attn.c_proj"), (.fc, "mlp.c_fc"), (.fcProj, "mlp.c_proj"),
  ]

  /// The targeted layers' `(in, out)` in a model of `C` channels, in `modules` order.
  func shapes(C: Int) -> [(target: LoRATargets, module: String, inFeatures: Int, outFeatures: Int)] {
    let sizes: [LoRATargets: (Int, Int)] = [
      .attnQKV: (C, 3 * C), .attnProj: (C, C), .fc: (C, 4 * C), .fcProj: (4 * C, C),
    ]
    return Self.modules.filter { contains($0.target) }.map { t in
      let (inFeatures, outFeatures) = sizes[t.target]!
      return (t.target, t.module, inFeatures, outFeatures)
    }
  }
}

/// LoRA adapters of rank `r` on the `targets` of every block of a GPT, with all their `A`
/// and `B` in one `ParameterBuffer` whose names and shapes are PEFT's for GPT-2:
///
/// | tensor | name | shape |
/// |---|---|---|
/// | `A` of block `l`'s QKV | `base_model.model.transformer.h.l.attn.c_attn.lora_A.weight` | `(r, C)` |
/// | `B` of block `l`'s QKV | `base_model.model.transformer.h.l.attn.c_attn.lora_B.weight` | `(3*C, r)` |
///
/// and likewise for `attn.c_proj`, `mlp.c_fc` and `mlp.c_proj`. So the buffer is
/// `adapter_model.safetensors` as it is, and `trainable` is all the `Trainer` needs. (AdamW
/// decays only names that begin `transformer.h.`, so these get no weight decay.)
/// ```
/// let lora = LoRAAdapters(for: model, rank: 8, alpha: 16)
/// lora.install(on: model)     // model.adapters = ..., model.weightsFrozen = true
/// Trainer(model: model, ..., trainable: lora.trainable)
/// lora.merge(into: model)     // W += (α/r)·Aᵀ·Bᵀ, adapters removed: a plain GPT again
/// ```
public final class LoRAAdapters {
  public let rank: Int
  public let alpha: Float
  public let targets: LoRATargets
  public let layout: ParameterLayout
  public let weights: ParameterBuffer
  public let gradients: ParameterBuffer
  /// Per block, its adapters as the model calls them.
  public let blocks: [BlockAdapters]
  /// Every adapter with the block and the target it sits on.
  public let adapters: [(layer: Int, target: LoRATargets, lora: LoRA)]

  /// PEFT's name for a tensor of the adapter on `module` of block `l` (`part` is `lora_A` or `lora_B`).
  public static func name(layer l: Int, module: String, _ part: String) -> String {
    "base_model.model.transformer.h.\(l).\(module).\(part).weight"
  }

  /// Adapters for `config`'s blocks, `A` drawn from `seed` (see `LoRA.initialise`), `B` zero.
  public init(_ config: GPTConfig, rank: Int = 8, alpha: Float = 16, targets: LoRATargets = .all, seed: UInt64 = 9) {
    (self.rank, self.alpha, self.targets) = (rank, alpha, targets)
    let shapes = targets.shapes(C: config.channels)
    var tensors: [(name: String, shape: [Int])] = []
    for l in 0..<config.layerCount {
      for s in shapes {
        tensors.append((Self.name(layer: l, module: s.module, "lora_A"), [rank, s.inFeatures]))  // (r, in)
        tensors.append((Self.name(layer: l, module: s.module, "lora_B"), [s.outFeatures, rank]))  // (out, r)
      }
    }
    layout = ParameterLayout(tensors)
    (weights, gradients) = (ParameterBuffer(layout), ParameterBuffer(layout))
    var rng = SplitMix64(seed: seed)
    var adapters: [(layer: Int, target: LoRATargets, lora: LoRA)] = []
    var blocks: [BlockAdapters] = []
    for l in 0..<config.layerCount {
      var block = BlockAdapters()
      for s in shapes {
        let (a, b) = (Self.name(layer: l, module: s.module, "lora_A"), Self.name(layer: l, module: s.module, "lora_B"))
        let lora = LoRA(
          inFeatures: s.inFeatures, outFeatures: s.outFeatures, rank: rank, alpha: alpha, A: weights[a],
          B: weights[b], dA: gradients[a], dB: gradients[b])
        lora.initialise(rng: &rng)
        adapters.append((l, s.target, lora))
        switch s.target {
        case .attnQKV: block.attnQKV = lora
        case .attnProj: block.attnProj = lora
        case .fc: block.fc = lora
        default: block.fcProj = lora
        }
      }
      blocks.append(block)
    }
    (self.adapters, self.blocks) = (adapters, blocks)
  }

  /// Adapters for `model`'s shape.
  public convenience init(
    for model: GPT, rank: Int = 8, alpha: Float = 16, targets: LoRATargets = .all, seed: UInt64 = 9
  ) {
    self.init(model.config, rank: rank, alpha: alpha, targets: targets, seed: seed)
  }

  /// What the optimizer updates: the adapters' buffer and its gradients, nothing of the model.
  public var trainable: TrainableParameters { TrainableParameters(weights: weights, gradients: gradients) }

  /// Puts the adapters on `model` and freezes its own weights.
  public func install(on model: GPT) {
    precondition(model.adapters.count == blocks.count, "these adapters are for a model of \(blocks.count) blocks")
    model.adapters = blocks
    model.weightsFrozen = true
  }

  /// Folds every adapter into `model`'s weights (`W += (α/r)·Aᵀ·Bᵀ`), takes the adapters off
  /// and unfreezes it: a plain GPT that the KV cache and the weight panels use as they are.
  /// The base weights are gone after this: export them first if PEFT should load the adapters.
  public func merge(into model: GPT) {
    for (l, target, lora) in adapters {
      let w = model.weights.blocks[l]
      let layer = [LoRATargets.attnQKV: w.attnQKV, .attnProj: w.attnProj, .fc: w.fc, .fcProj: w.fcProj][target]!
      lora.merge(into: layer)
    }
    model.adapters = Array(repeating: BlockAdapters(), count: model.config.layerCount)
    model.weightsFrozen = false
  }

  /// PEFT's `target_modules` for these adapters.
  public var targetModules: [String] { targets.shapes(C: 1).map(\.module) }
}

/// What training a set of parameters costs beside the model itself: the parameters the
/// optimizer updates, and AdamW's two moments (`m`, `v`) of one `Float` each per parameter.
public struct FineTuningCost: Equatable, Sendable {
  public var trainableParameters: Int
  public var totalParameters: Int

  /// AdamW's moments: `2 · 4` bytes per trained parameter.
  public var optimizerBytes: Int { 2 * 4 * trainableParameters }
  /// Trained share of the model, in percent.
  public var percentTrained: Double { 100 * Double(trainableParameters) / Double(totalParameters) }

  /// Full fine-tuning: every parameter of the model.
  public static func full(_ config: GPTConfig) -> FineTuningCost {
    FineTuningCost(trainableParameters: config.parameterCount, totalParameters: config.parameterCount)
  }

  /// LoRA of rank `r` on `targets`: `r · (in + out)` per adapted layer.
  /// ```
  /// GPT-2 small, r = 8 on c_attn only: 12 · 8 · (768 + 2304) = 294,912 (0.24%)
  /// ```
  public static func lora(_ config: GPTConfig, rank r: Int, targets: LoRATargets) -> FineTuningCost {
    let perBlock = targets.shapes(C: config.channels).reduce(0) { $0 + r * ($1.inFeatures + $1.outFeatures) }
    return FineTuningCost(trainableParameters: config.layerCount * perBlock, totalParameters: config.parameterCount)
  }

  /// `73,728 trainable parameters (3.52% of 2,093,568), AdamW moments 576.0 KB`.
  public var description: String {
    "\(Self.grouped(trainableParameters)) trainable parameters (\(percentTrained.formatted(decimals: 2))% of "
      + "\(Self.grouped(totalParameters))), AdamW moments \(Self.bytes(optimizerBytes))"
  }

  static func grouped(_ n: Int) -> String {
    var digits = String(n)
    var out = ""
    while digits.count > 3 {
      out = "," + digits.suffix(3) + out
      digits.removeLast(3)
    }
    return digits + out
  }

  static func bytes(_ n: Int) -> String {
    n < 1 << 20
      ? "\((Double(n) / 1024).formatted(decimals: 1)) KB" : "\((Double(n) / 1_048_576).formatted(decimals: 1)) MB"
  }
}
