// Chapter 09: fine-tuning. Read book/09-finetuning.md alongside.
//
// Chapter 06's Shakespeare GPT continues text; here it learns to answer questions in turns.
// The chat format adds four turn tokens, the loss is masked to what the assistant says, and
// the same conversations train the whole model, then LoRA adapters on a frozen copy, then (the
// ablation) the whole model with nothing masked. Each is scored on questions about speeches
// none of them saw in fine-tuning.

import Exercises
import Foundation
import GPTKit
import Solutions

/// Which linear layers of each block get LoRA adapters.
enum AdaptedLayers: String, CaseIterable, Sendable { case all, attention }

/// What this chapter can be told, read once and checked before any work. Each option's line
/// holds its default, its `--quick` value (a run of seconds) and its range. A value you give
/// wins over the `--quick` value.
struct Options {
  static let checkpoint = Setting(
    "checkpoint", "the base model (chapter 06's best run)", default: "runs/ch06/best", placeholder: "PATH")
  static let conversations = Setting(
    "conversations", "your own conversations as JSONL (book/09, section 2) instead of the generated ones",
    default: "", placeholder: "PATH")
  static let steps = Setting(
    "steps", "optimizer steps of each fine-tuning run", default: 300, quick: 150, in: 1...1_000_000)
  static let batch = Setting("batch", "conversations per step", default: 16, quick: 8, in: 1...4096)
  static let lr = Setting(
    "lr", "peak learning rate of full fine-tuning", default: 1e-3, quick: 6e-3, "a positive number"
  ) { $0 > 0 }
  static let loraLR = Setting(
    "lora-lr", "peak learning rate of LoRA", default: 4e-3, quick: 1e-2, "a positive number"
  ) { $0 > 0 }
  static let rank = Setting("rank", "LoRA rank r", default: 8, in: 1...1024)
  static let loraOn = Setting(
    "lora-on", "the linear layers LoRA adapts: all four of each block, or attention (qkv, proj)",
    default: AdaptedLayers.all)
  static let alpha = Setting(
    "alpha", "LoRA alpha: the adapters are scaled by alpha / r", default: 16, "a positive number"
  ) { $0 > 0 }
  static let heldOut = Setting(
    "held-out", "held-out questions scored per family", default: 60, quick: 8, in: 1...100_000)
  static let answerTokens = Setting(
    "answer-tokens", "the longest answer generated, in tokens", default: 64, quick: 24, in: 1...4096)
  static let seed = Setting(
    "seed", "seed for the data split, the adapters and the batch order", default: 1337, in: 0...Int.max)
  // A quick run never touches the real run's folder: `swift test` runs chapters with --quick.
  static let out = Setting(
    "out", "folder for the fine-tuned model and the adapters", default: "runs/ch09", quick: "runs/ch09-quick",
    placeholder: "PATH")
  static let chat = Setting(flag: "chat", "talk to the model fine-tuned in --out (fine-tuning it first if absent)")
  static let all: [Option] = [
    checkpoint.option, conversations.option, steps.option, batch.option, lr.option, loraLR.option, rank.option,
    loraOn.option,
    alpha.option, heldOut.option, answerTokens.option, seed.option, out.option, chat.option,
  ]

  var checkpoint: String
  var conversations: String
  var steps: Int
  var batchSize: Int
  var learningRate: Float
  var loraLearningRate: Float
  var rank: Int
  var loraTargets: LoRATargets
  var alpha: Float
  var heldOutPerFamily: Int
  var answerTokens: Int
  var seed: UInt64
  var out: String
  var chat: Bool
  // Not options, but set by the quick preset too.
  /// Training conversations per family (nil: all of them).
  var trainPerFamily: Int? = nil

  init(_ args: Arguments) {
    (checkpoint, conversations) = (args[Self.checkpoint], args[Self.conversations])
    (steps, batchSize) = (args[Self.steps], args[Self.batch])
    (learningRate, loraLearningRate) = (Float(args[Self.lr]), Float(args[Self.loraLR]))
    (rank, alpha) = (args[Self.rank], Float(args[Self.alpha]))
    loraTargets = args[Self.loraOn] == .all ? .all : .attention
    (heldOutPerFamily, answerTokens, seed) = (args[Self.heldOut], args[Self.answerTokens], UInt64(args[Self.seed]))
    (out, chat) = (args[Self.out], args[Self.chat])
    if args.flag("quick") { trainPerFamily = 200 }  // the quick preset
  }
}

let args = Arguments.parseOrExit(
  "ch09-finetuning",
  summary: "Chapter 09: supervised fine-tuning with loss masking and LoRA, measured before and after.",
  options: Options.all + [Pieces.flag.option])
let options = Options(args)
let quick = args.flag("quick")
let (steps, batchSize, out, seed) = (options.steps, options.batchSize, options.out, options.seed)
let checkpoint = options.checkpoint
if args.isSet("checkpoint") {  // a checkpoint you name must be there (the default one may be trained here)
  do { _ = try Checkpoint.config(checkpoint) } catch { fail("\(error)") }
}
let ownConversations: [Conversation]?
do {
  ownConversations = options.conversations.isEmpty ? nil : try ConversationFile.load(options.conversations)
} catch { fail("\(error)") }
if let own = ownConversations, own.count < options.batchSize + 1 {  // a batch to train on, one to hold out
  let conversations = own.count == 1 ? "1 conversation" : "\(own.count) conversations"
  fail(
    "\(options.conversations) has \(conversations): fine-tuning needs --batch (\(options.batchSize)) "
      + "plus one held out; write more, or lower --batch")
}

// MARK: Talking to it
/// Reads your messages line by line (a terminal or a pipe), keeps the conversation in the
/// context, and streams each answer through the KV cache until `<|assistant_end|>`. When the
/// conversation outgrows the context, the oldest turns are forgotten, and it says so.
func chat(_ model: GPT, _ format: ChatFormat) -> Never {
  let T = model.config.contextLength
  let (generator, end) = (Generator(model), Int32(format.assistantEndId))
  print("Talk to the fine-tuned model: one message per line (\\n for a line break inside it);")
  print("an empty line or the end of input stops.")
  var conversation = Conversation([])
  while true {
    print("you> ", terminator: "")
    fflush(nil)
    guard let line = readLine() else {  // the end of input: the next prompt (the shell's) gets its own line
      print()
      break
    }
    guard !line.isEmpty else { break }
    let message = Message(.user, line.replacingOccurrences(of: "\\n", with: "\n"))
    guard format.renderPrompt(Conversation([message])).count < T else {
      print("(that message alone fills the \(T)-token context: say it in fewer words)")
      continue
    }
    conversation.messages.append(message)
    var prompt = format.renderPrompt(conversation)
    if prompt.count >= T { print("(the conversation filled the \(T)-token context: the oldest turns are forgotten)") }
    while prompt.count >= T {  // forget the oldest exchange
      conversation.messages.removeFirst(2)
      prompt = format.renderPrompt(conversation)
    }
    print("model> ", terminator: "")
    var text = StreamingDecoder()  // a character split across tokens is printed once it is whole
    let reply = generator.generate(
      prompt.map(Int32.init), count: T - prompt.count, options: SamplingOptions(temperature: 0), stop: [end]
    ) { token in
      guard token != end else { return }
      print(text.append(format.tokenizer.tokenBytes(Int(token))), terminator: "")
      fflush(nil)
    }
    print(text.finish())
    let (answer, ended) = format.answer(reply.map(Int.init))
    if !ended { print("(the context filled before the model finished its turn)") }
    conversation.messages.append(Message(.assistant, answer))
  }
  exit(0)
}

if options.chat && Checkpoint.exists("\(out)/sft") {  // talk to the model fine-tuned before
  do {
    let model = try Checkpoint.loadModel("\(out)/sft")
    guard let tokenizer = try Checkpoint.loadTokenizer("\(out)/sft") as? BPETokenizer else {
      fail("\(out)/sft has no BPE tokenizer: fine-tune again without --chat")
    }
    chat(model, try ChatFormat(tokenizer: tokenizer))
  } catch { fail("\(error)") }
}

// MARK: The base model
/// `--mine`: your exercise 9.1 (Sources/Exercises) masks every conversation the chapter trains and scores on.
let mine = Pieces.chosen(args, solutions: Pieces.solutions)
var base: GPT
let bpe: BPETokenizer
var baseNote = ""  // said once the options pass
var pretrain: ((ChapterReport) -> Void)?  // without a checkpoint: a small base trained here, once the options pass
if (!quick || args.isSet("checkpoint")) && Checkpoint.exists(checkpoint) {  // --quick uses a base you name
  do {
    base = try Checkpoint.loadModel(checkpoint)
    guard let loaded = try Checkpoint.loadTokenizer(checkpoint) as? BPETokenizer else {
      fail(
        "\(checkpoint) has a character tokenizer, and the chat tokens are BPE special tokens: "
          + "train the base with ch06-training --tokenizer bpe (its default)"
      )
    }
    bpe = loaded
  } catch { fail("\(error)") }
  guard base.isTied else {  // its lm_head is not wte: full fine-tuning, and growing the vocabulary, need them tied
    fail(
      "\(checkpoint) has its own lm_head, apart from wte: this chapter fine-tunes GPT-2s whose head is wte "
        + "(tie_word_embeddings true); sample from it with ch07")
  }
  baseNote = "loaded \(checkpoint): \(base.parameterCount) parameters, context \(base.config.contextLength)"
} else {
  // No checkpoint (or --quick): pretrain a small model now, seeded, so there is one to fine-tune.
  let data: TrainingText
  do { data = try TrainingText.load(Corpus.shakespeare) } catch { fail("\(error)") }
  guard let tokenizer = data.tokenizer as? BPETokenizer else { fail("the bundled corpus must load as BPE") }
  bpe = tokenizer
  let (train, validation) = trainValidationSplit(data.tokens)
  base = GPT(
    GPTConfig(
      vocabularySize: bpe.vocabularySize, contextLength: 128, layerCount: 2, headCount: 4, channels: quick ? 64 : 128),
    seed: 7)
  var options = TrainingOptions(steps: quick ? 60 : 800, batchSize: 16)
  (options.learningRate, options.warmupSteps) = (quick ? 1e-2 : 3e-3, 20)
  pretrain = { report in
    let trainer = Trainer(model: base, train: train, validation: validation, options: options)
    let start = monotonicSeconds()
    do { for _ in 0..<options.steps { try trainer.trainStep() } } catch { fail("\(error)") }
    let took = formatDuration(monotonicSeconds() - start)
    report.info(
      quick
        ? "--quick: pretrained a tiny model for \(options.steps) steps (\(took))"
        : "no checkpoint at \(checkpoint) (run ch06-training first for a better base): pretrained a small one, \(took)")
  }
}
let T = base.config.contextLength
let format = ChatFormat(extending: bpe)
/// A conversation's ids and loss mask: the library's, or with exercise 9.1's mask under `--mine`.
@MainActor func render(_ conversation: Conversation) -> RenderedConversation {
  mine?.render(conversation, format) ?? format.render(conversation)
}

// The conversations of section 2, made before any training (or output), so that a --batch
// they cannot fill is refused at once
let corpus: String
do { corpus = try TrainingText.load(Corpus.shakespeare).text } catch { fail("\(error)") }
var taskOptions = ShakespeareTasks.Options()
taskOptions.seed = seed
taskOptions.maxHeldOutPerFamily = options.heldOutPerFamily
taskOptions.maxTrainPerFamily = options.trainPerFamily
let tasks = ShakespeareTasks(text: corpus, options: taskOptions)
let heldOut: [TaskExample]
let training: [Conversation]
if let own = ownConversations {  // yours: the last tenth is held out, scored on format and exact match
  let cut = max(1, own.count - max(1, own.count / 10))
  training = Array(own[..<cut])
  heldOut = own[cut...].map { TaskExample(family: "yours", speechIndex: nil, conversation: $0, isScored: true) }
} else {
  training = tasks.train.map(\.conversation)
  heldOut = tasks.heldOut
}
let renderedTraining = training.map(render)
let fitting = renderedTraining.filter { $0.count - 1 <= T && $0.mask.dropFirst().contains(1) }.count
guard fitting >= batchSize else {
  let inContext = renderedTraining.filter { $0.count - 1 <= T }.count
  if inContext >= batchSize {  // they fit, but their masks leave nothing to learn
    fail(
      "only \(fitting) of the \(inContext) conversations that fit the context have an answer token in their loss mask, "
        + "fewer than --batch \(batchSize): "
        + (mine?.assistantMask != nil
          ? "exercise 9.1's mask (Sources/Exercises) must mark each answer" : "use --batch \(max(1, fitting)) or less"))
  }
  fail(
    "only \(fitting) conversations fit the model's context of \(T) tokens, fewer than --batch \(batchSize): "
      + "use --batch \(max(1, fitting)) or less")
}
let report = ChapterReport("09 fine-tuning")
mine?.announceFineTuning(report)
if !baseNote.isEmpty { report.info(baseNote) }
pretrain?(report)

// MARK: 1. The chat format
report.section("1. the chat format: four turn tokens after the vocabulary")
let V = format.tokenizer.vocabularySize
report.check(
  "the turn tokens take ids \(format.userStartId)...\(format.assistantEndId), after the base's \(bpe.vocabularySize)",
  format.userStartId == bpe.vocabularySize && format.assistantEndId == bpe.vocabularySize + 3)
let sample = Conversation([Message(.user, "Who are you?"), Message(.assistant, "A small GPT.")])
let rendered = render(sample)
let pieces = zip(rendered.ids, rendered.mask).map { id, m in "\(m)\(format.tokenizer.decode([id]).debugDescription)" }
report.info("rendered (mask, token): \(pieces.joined(separator: " "))")
let answerLength = format.tokenizer.encodeOrdinary("A small GPT.").count
report.check(
  "the mask is 1 on the answer's \(answerLength) tokens and <|assistant_end|>, "
    + "0 on the other \(rendered.count - answerLength - 1)" + (mine?.tag(["9.1": mine?.assistantMask != nil]) ?? ""),
  rendered.maskedInCount == answerLength + 1 && rendered.mask.suffix(answerLength + 1).allSatisfy { $0 == 1 })
let grown = base.growingVocabulary(by: V - bpe.vocabularySize, spread: 1, seed: seed)
let probeIds = Array(rendered.ids.prefix(min(T, 8)).map { Int32(min($0, bpe.vocabularySize - 1)) })
let before = base.nextTokenLogits(probeIds)
let after = grown.nextTokenLogits(probeIds)
report.check(
  "the model grows \(V - bpe.vocabularySize) embedding rows (drawn around the mean row): "
    + "the logits of the old \(bpe.vocabularySize) ids are unchanged",
  Array(after.prefix(bpe.vocabularySize)) == before)

// MARK: 2. The conversations
report.section("2. the conversations: questions about speeches, held out by speech")
if ownConversations != nil {
  report.info("\(options.conversations): \(training.count) conversations to fine-tune on, \(heldOut.count) held out")
} else {
  for line in tasks.summary(format: format) { report.info(line) }
}
@MainActor func batches(_ rendered: [RenderedConversation], shuffle: Bool = true) -> ConversationBatches {
  ConversationBatches(
    rendered, batchSize: batchSize, contextLength: T, paddingId: format.endOfTextId, shuffle: shuffle, seed: seed)
}
let masked = batches(renderedTraining)
report.info(
  "\(masked.conversations.count) conversations fit T = \(T) (\(masked.droppedTooLong) longer ones are left out)")
/// Fixed batches of every `rendered` conversation that fits (a last partial batch dropped),
/// rows of at most `--batch`: the held-out loss is measured over all families at once.
@MainActor func probe(_ rendered: [RenderedConversation], count: Int = .max) -> [Batch] {
  let fits = rendered.filter { $0.count - 1 <= T && $0.mask.dropFirst().contains(1) }.count
  guard fits > 0 else { fail("none of the held-out conversations fits the model's context of \(T) tokens") }
  return ConversationBatches(
    rendered, batchSize: min(batchSize, fits), contextLength: T, paddingId: format.endOfTextId, shuffle: false
  ).probeBatches(count: count)
}
let heldOutBatches = probe(heldOut.map { render($0.conversation) })
let trainProbe = probe(renderedTraining, count: 4)

// MARK: 3. The base model, asked
report.section("3. the base model, asked questions it has no format for")
@MainActor func evaluate(_ model: GPT) -> (score: ChatScore, loss: Float) {
  let generator = Generator(model)
  let end = Int32(format.assistantEndId)
  let score = ChatEvaluation.score(heldOut, format: format, baselines: tasks.baselines, limit: options.answerTokens) {
    prompt, limit in
    generator.generate(prompt.map(Int32.init), count: limit, options: SamplingOptions(temperature: 0), stop: [end])
      .map(Int.init)
  }
  return (score, ChatEvaluation.assistantLoss(model, batches: heldOutBatches).loss)
}
let baseResult = evaluate(grown)
for line in baseResult.score.table() { report.info(line) }
if let answer = baseResult.score.answers.first {
  report.info(
    "asked \(heldOut[0].prompt.messages.last!.content.prefix(60).debugDescription)... "
      + "it says \(answer.text.prefix(80).debugDescription)"
  )
}

// MARK: 4. Fine-tuning
/// Fine-tunes `model` (or only `trainable`) on `source`, with a progress line.
@MainActor func fineTune(
  _ title: String, _ model: GPT, on source: ConversationBatches, lr: Float, trainable: TrainableParameters? = nil
) -> Trainer {
  var options = TrainingOptions(steps: steps, batchSize: batchSize)
  (options.learningRate, options.warmupSteps, options.seed) = (lr, max(1, steps / 10), seed)
  let trainer = Trainer(
    model: model, batches: source, trainProbe: trainProbe, validationProbe: heldOutBatches, options: options,
    trainable: trainable)
  let start = monotonicSeconds()
  var progress = ProgressLine(total: steps, interval: 15)
  do {
    while trainer.step < steps {
      let (loss, _, _) = try trainer.trainStep()
      progress.update(trainer.step, "train \(loss.formatted(decimals: 3))")
    }
  } catch { fail("\(error): lower --lr or --lora-lr") }
  progress.finish()
  let tokens = Double(steps * batchSize * T) / (monotonicSeconds() - start)
  report.info(
    "\(title): \(steps) steps in \(formatDuration(monotonicSeconds() - start)), "
      + "\((tokens / 1000).formatted(decimals: 1))k positions/s (padding included)"
  )
  return trainer
}

report.section("4. full fine-tuning, the loss masked to the assistant's words")
let full = grown.copy()
_ = fineTune("full fine-tuning", full, on: masked, lr: options.learningRate)
let fullResult = evaluate(full)
for line in fullResult.score.table() { report.info(line) }

report.section("5. LoRA: rank-\(options.rank) adapters on a frozen model")
let adapted = grown.copy()
let lora = LoRAAdapters(
  for: adapted, rank: options.rank, alpha: options.alpha, targets: options.loraTargets, seed: seed)
lora.install(on: adapted)
let (loraCost, fullCost) = (
  FineTuningCost.lora(grown.config, rank: options.rank, targets: lora.targets), FineTuningCost.full(grown.config)
)
let share = loraCost.percentTrained.formatted(decimals: 1)
report.info("trainable: \(loraCost.trainableParameters) parameters, \(share)% of \(fullCost.trainableParameters)")
report.info(
  "AdamW's moments: \(formatBytes(loraCost.optimizerBytes)) instead of \(formatBytes(fullCost.optimizerBytes))")
_ = fineTune("LoRA", adapted, on: masked, lr: options.loraLearningRate, trainable: lora.trainable)
let unmerged = adapted.nextTokenLogits(Array(heldOutBatches[0].x.prefix(T)))
lora.merge(into: adapted)
let merged = adapted.nextTokenLogits(Array(heldOutBatches[0].x.prefix(T)))
let mergeError = zip(unmerged, merged).map { abs($0 - $1) }.max() ?? 0
report.check(
  "merged into the weights (W += (α/r)·Aᵀ·Bᵀ), the adapters give the same logits: "
    + "max diff \(mergeError.formatted(significant: 1))",
  mergeError < 1e-5)
let loraResult = evaluate(adapted)
for line in loraResult.score.table() { report.info(line) }

report.section("6. the ablation: full fine-tuning with nothing masked")
let unmaskedRendered = renderedTraining.map {
  RenderedConversation(ids: $0.ids, mask: [0] + [UInt8](repeating: 1, count: $0.count - 1))
}
let unmaskedModel = grown.copy()
_ = fineTune("full fine-tuning without masking", unmaskedModel, on: batches(unmaskedRendered), lr: options.learningRate)
let unmaskedResult = evaluate(unmaskedModel)
for line in unmaskedResult.score.table() { report.info(line) }

// MARK: 7. Before and after
report.section("7. before and after, on \(heldOut.count) held-out questions")
let results = [
  ("base model", baseResult), ("full fine-tuning", fullResult), ("LoRA", loraResult),
  ("full, nothing masked", unmaskedResult),
]
let scored = fullResult.score.families.filter(\.isScored)
func column(_ text: String, _ width: Int) -> String {
  String(repeating: " ", count: max(0, width - text.count)) + text
}
func percent(_ x: Double) -> String { (100 * x).formatted(decimals: 1) + "%" }
report.info(
  "model".padding(toLength: 22, withPad: " ", startingAt: 0) + column("format", 8)
    + scored.map { column($0.family, max(8, $0.family.count + 2)) }.joined() + column("loss", 8))
for (name, result) in results {
  let accuracies = scored.map { family in
    column(percent(result.score.family(family.family)?.accuracy ?? 0), max(8, family.family.count + 2))
  }
  report.info(
    name.padding(toLength: 22, withPad: " ", startingAt: 0) + column(percent(result.score.formatAdherence), 8)
      + accuracies.joined() + column(result.loss.formatted(decimals: 3), 8))
}
report.info(
  "majority baseline".padding(toLength: 22, withPad: " ", startingAt: 0) + column("-", 8)
    + scored.map { column($0.baseline.map { percent($0.heldOutShare) } ?? "-", max(8, $0.family.count + 2)) }
    .joined())
let baseFormat = baseResult.score.formatAdherence
report.check(
  "fine-tuned, answers end with <|assistant_end|>: \(percent(fullResult.score.formatAdherence)) of them "
    + "(at least 90%), against \(percent(baseFormat)) before",
  fullResult.score.formatAdherence >= 0.9 && baseFormat < 0.1)
let losses = results.map { $0.1.loss.formatted(decimals: 3) }
report.check(
  "fine-tuning lowers the held-out loss on the assistant's tokens: "
    + "\(losses[0]) -> \(losses[1]) (full), \(losses[2]) (LoRA)",
  fullResult.loss < baseResult.loss && loraResult.loss < baseResult.loss)
/// Learned means: beats the majority baseline by three standard errors of that baseline on
/// this many questions (chance alone does that about once in 700 tries), per family and over
/// all scored questions together.
func beats(accuracy: Double, baseline b: Double, prompts: Int) -> Bool {
  prompts > 0 && accuracy > b + 3 * (b * (1 - b) / Double(prompts)).squareRoot()
}
let withBaseline = fullResult.score.families.filter { $0.isScored && $0.baseline != nil }
let prompts = withBaseline.reduce(0) { $0 + $1.prompts }
let pooledAccuracy = Double(withBaseline.reduce(0) { $0 + $1.correct }) / Double(max(1, prompts))
let pooledBaseline =
  withBaseline.reduce(0.0) { $0 + $1.baseline!.heldOutShare * Double($1.prompts) } / Double(max(1, prompts))
let learned = withBaseline.filter {
  beats(accuracy: $0.accuracy, baseline: $0.baseline!.heldOutShare, prompts: $0.prompts)
}
report.info("learned beyond the baseline: \(learned.isEmpty ? "none" : learned.map(\.family).joined(separator: ", "))")
let score =
  "answers \(percent(pooledAccuracy)) of \(prompts) scored questions right, against \(percent(pooledBaseline)) "
  + "for the majority answers"
if withBaseline.isEmpty {  // your own conversations: exact match only, no baseline to beat
  report.info("full fine-tuning answers \(percent(fullResult.score.families.first?.accuracy ?? 0)) exactly right")
} else if quick {  // a 150-step model of 64 channels learns the format, not the tasks
  report.info("--quick: full fine-tuning \(score); the default run checks for 3 standard errors above")
} else {
  report.check(
    "full fine-tuning \(score) (at least 3 standard errors above)",
    beats(accuracy: pooledAccuracy, baseline: pooledBaseline, prompts: prompts))
}

// MARK: 8. Export
report.section("8. export: a Hugging Face model, and PEFT adapters")
do {
  try Checkpoint.export(model: full, tokenizer: format.tokenizer, to: "\(out)/sft")
  try Checkpoint.export(model: grown, tokenizer: format.tokenizer, to: "\(out)/base")
  try AdapterCheckpoint.save(lora, baseModel: "\(out)/base", to: "\(out)/lora")
  try Checkpoint.export(model: adapted, tokenizer: format.tokenizer, to: "\(out)/lora-merged")
} catch { fail("\(error)") }
report.info("\(out)/sft: the fully fine-tuned model, a Hugging Face GPT-2 folder with a chat template")
report.info("\(out)/lora: the LoRA adapters as PEFT saves them, for the base model in \(out)/base")
report.info("\(out)/lora-merged: the base with the adapters merged in, a Hugging Face GPT-2 folder too")
if options.chat { chat(full, format) }
report.finish()
