// Regression tests for issue 16: inputs in a valid range that once crashed, and damaged
// files that once loaded silently. Each test shows the refusal (or the right answer) and,
// where there is one, that the ordinary input still works.

import Foundation
import Testing

@testable import GPTKit

@Suite("reliability: sampling") struct SamplingReliabilityTests {
  @Test func aTinyTemperatureIsGreedyNotNaN() {
    let logits: [Float] = [2, 1, 0.5, 3, -1, 0]
    for temperature: Float in [1e-40, 1e-30, .leastNonzeroMagnitude] {
      let p = Sampler.distribution(logits, previous: [], options: SamplingOptions(temperature: temperature))
      #expect(p == [0, 0, 0, 1, 0, 0], "temperature \(temperature)")
    }
  }

  @Test func nonFiniteLogitsGiveADistribution() {
    let cases: [([Float], [Float])] = [
      ([1, .nan, 2], [0.268_941, 0, 0.731_059]),  // NaN is never picked
      ([1, .infinity, 2], [0, 1, 0]),  // +inf takes all the mass
      ([1, -.infinity, 1], [0.5, 0, 0.5]),
      ([.nan, .nan], [0.5, 0.5]),  // nothing to tell them apart
    ]
    for (logits, expected) in cases {
      for options in [SamplingOptions(), SamplingOptions(temperature: 1e-40), SamplingOptions(topK: 2)] {
        let p = Sampler.distribution(logits, previous: [0], options: options)
        #expect(p.allSatisfy(\.isFinite) && abs(p.reduce(0, +) - 1) < 1e-5, "\(logits) \(options)")
        if options == SamplingOptions() { #expect(zip(p, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(logits)") }
        var rng = SplitMix64(seed: 1)
        #expect(p[Sampler.draw(p, rng: &rng)] > 0)
      }
    }
  }
}

@Suite("reliability: command lines") struct ArgumentReliabilityTests {
  let steps = Setting("steps", "training steps", default: 10, in: 1...100)
  let out = Setting("out", "folder", default: "runs/x", placeholder: "PATH")
  let prompt = Setting("prompt", "text", default: "hi")

  @Test func aValueStartingWithACombiningMarkIsSplitAtItsEquals() throws {
    let args = try Arguments("ch", options: [prompt.option], arguments: ["--prompt=\u{301}x"])
    #expect(args[prompt] == "\u{301}x")
  }

  @Test func errorsQuoteValuesOnOneLine() {
    #expect(throws: ArgumentError(description: "--steps expects a whole number in 1...100, got 'a\\nb'")) {
      try Arguments("ch", options: [steps.option], arguments: ["--steps", "a\nb"])
    }
    #expect(escaped("tab\there\u{7}") == "tab\\there\\u{7}" && quoted("plain") == "'plain'")
  }

  @Test func anEmptyPathIsRefusedButAnEmptyTextIsNot() throws {
    #expect(throws: ArgumentError(description: "--out expects a path, got ''")) {
      try Arguments("ch", options: [out.option], arguments: ["--out", ""])
    }
    #expect(try Arguments("ch", options: [prompt.option], arguments: ["--prompt", ""])[prompt] == "")
  }
}

@Suite("reliability: corpora") struct CorpusReliabilityTests {
  @Test func specialFilesAndUTF16AreNamedForWhatTheyAre() throws {
    let folder = temporaryFolder()
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let fifo = "\(folder)/pipe"
    #expect(mkfifo(fifo, 0o644) == 0)
    #expect(throws: CorpusError.notAFile(fifo)) { try Corpus.load(fifo) }
    #expect(throws: CorpusError.notAFile("/dev/null")) { try Corpus.load("/dev/null") }
    #expect(throws: CorpusError.missing("")) { try Corpus.load("") }
    func littleEndian(_ text: String) -> [UInt8] {
      text.utf16.flatMap { unit -> [UInt8] in [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
    }
    let marked: [UInt8] = [0xFF, 0xFE] + littleEndian("hi there")
    for (name, bytes) in [("bom.txt", marked), ("plain16.txt", littleEndian("hello world"))] {
      let path = "\(folder)/\(name)"
      FileManager.default.createFile(atPath: path, contents: Data(bytes))
      #expect(throws: CorpusError.utf16(path)) { try Corpus.load(path) }
    }
    let latin1 = "\(folder)/latin1.txt"
    FileManager.default.createFile(atPath: latin1, contents: Data([0x63, 0x61, 0x66, 0xE9, 0x20, 0x61, 0x75]))
    #expect(throws: CorpusError.invalidUTF8(latin1, offset: 3)) { try Corpus.load(latin1) }
  }

  @Test func aStreamTooShortForOneBatchIsRefusedWithItsNeed() throws {
    let windows = TokenWindows(Array(repeating: 1, count: 100), contextLength: 10, stride: 10)  // 9 windows
    try windows.requireBatch(of: 9, from: "t.txt", fix: "a smaller --batch")
    #expect(throws: CorpusError.tooFewTokens("t.txt", tokens: 100, needed: 101, fix: "a smaller --batch")) {
      try windows.requireBatch(of: 10, from: "t.txt", fix: "a smaller --batch")
    }
    #expect(
      CorpusError.tooFewTokens("t.txt", tokens: 100, needed: 101, fix: "").description
        == "t.txt gives 100 tokens where this needs 101: use a longer text")
  }

  @Test func aCharacterVocabularyHasATop() throws {
    let folder = temporaryFolder()
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = "\(folder)/many.txt"
    let scalars = (0x10000..<(0x10000 + TrainingText.maximumCharacters + 1)).compactMap(Unicode.Scalar.init)
    try String(String.UnicodeScalarView(scalars)).write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: CorpusError.tooManyCharacters(path, count: scalars.count, limit: 65_536)) {
      try TrainingText.load(path, tokenizer: .char)
    }
  }
}

@Suite("reliability: checkpoints") struct CheckpointReliabilityTests {
  let config = GPTConfig(vocabularySize: 17, contextLength: 8, layerCount: 1, headCount: 2, channels: 8)

  func trainer(_ options: TrainingOptions = TrainingOptions(steps: 4, batchSize: 2)) -> Trainer {
    var rng = SplitMix64(seed: 4)
    let stream = (0..<600).map { _ in Int32(rng.nextInt(below: 17)) }
    return Trainer(
      model: GPT(config), train: Array(stream[..<500]), validation: Array(stream[500...]), options: options)
  }

  /// A trainer two steps in, with one evaluation, saved into a new folder.
  func saved(_ t: Trainer, fingerprint: String = "text") throws -> String {
    t.record()
    for _ in 0..<2 { try t.trainStep() }
    t.record()
    let folder = temporaryFolder()
    try Checkpoint.save(
      model: t.model, optimizer: t.optimizer, state: t.checkpointState(corpusFingerprint: fingerprint),
      tokenizer: CharTokenizer(corpus: "ab"), to: folder)
    return folder
  }

  func edit(_ folder: String, _ change: (inout [String: Any]) -> Void) throws {
    let path = "\(folder)/state.json"
    var json = try #require(
      JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    change(&json)
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
  }

  @Test func aDamagedStateIsRefusedBeforeAnyWeightIsRead() throws {
    let edits: [(String, (inout [String: Any]) -> Void)] = [
      (
        "loader at -1",
        {
          var l = $0["loader"] as! [String: Any]; l["next"] = -1; $0["loader"] = l
        }
      ),
      (
        "not a permutation",
        { state in
          var loader = state["loader"] as! [String: Any]
          var order = loader["order"] as! [Int]
          order[0] = order[1]
          loader["order"] = order
          state["loader"] = loader
        }
      ),
      ("optimizerStep 9223372036854775807", { $0["optimizerStep"] = Int.max }),
      ("step 9223372036854775807", { $0["step"] = Int.max }),
      ("history says inf", { $0["history"] = [Any]() }),
      (
        "history entry 1",
        { h in
          var history = h["history"] as! [[String: Any]]
          history[1]["trainLoss"] = "nan"
          h["history"] = history
        }
      ),
    ]
    let folder = try saved(trainer())
    let pristine = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/state.json"))
    for (message, change) in edits {
      try pristine.write(to: URL(fileURLWithPath: "\(folder)/state.json"))
      try edit(folder, change)
      let fresh = trainer()
      #expect(throws: Checkpoint.Error.self, "\(message)") { try fresh.resume(from: folder) }
      #expect((try? Checkpoint.state(folder)) == nil)
      do { _ = try Checkpoint.state(folder) } catch { #expect("\(error)".contains(message), "\(error)") }
      #expect(fresh.step == 0 && fresh.history.isEmpty, "nothing was restored")
    }
    try pristine.write(to: URL(fileURLWithPath: "\(folder)/state.json"))
    #expect(try trainer().resume(from: folder).step == 2, "the undamaged state resumes")
  }

  @Test func resumeRefusesAnotherTextOrOtherOptionsNamingThem() throws {
    let folder = try saved(trainer())
    #expect { try trainer().resume(from: folder, corpusFingerprint: "other") } throws: {
      "\($0)".contains("was trained on another text or tokenizer")
    }
    var faster = TrainingOptions(steps: 4, batchSize: 2)
    faster.learningRate = 0.5
    #expect { try trainer(faster).resume(from: folder) } throws: {
      "\($0)".hasSuffix(
        "was trained with --lr 0.001, this run asks for --lr 0.5: resume with --lr 0.001, or use a new --out")
    }
    var seeded = TrainingOptions(steps: 4, batchSize: 2)
    seeded.seed = 1
    #expect { try trainer(seeded).resume(from: folder) } throws: { "\($0)".contains("--seed 1337") }
    #expect(try trainer(TrainingOptions(steps: 9, batchSize: 2)).resume(from: folder).step == 2, "--steps may grow")
    #expect { try trainer(TrainingOptions(steps: 1, batchSize: 2)).resume(from: folder) } throws: {
      "\($0)".contains("is at step 2, past --steps 1")
    }
  }

  @Test func nonFiniteWeightsAreNeverSaved() throws {
    let t = trainer()
    t.model.parameters.base[3] = .nan
    let folder = temporaryFolder()
    #expect(throws: NonFiniteLoss.self) {
      try Checkpoint.save(
        model: t.model, optimizer: t.optimizer, state: t.checkpointState(corpusFingerprint: "x"),
        tokenizer: CharTokenizer(corpus: "ab"), to: folder)
    }
    #expect(!FileManager.default.fileExists(atPath: folder) && !FileManager.default.fileExists(atPath: folder + ".tmp"))
  }

  @Test func aFailedWriteIsOneLineAndLeavesNoTemporaryFolder() throws {
    let file = temporaryFolder()
    FileManager.default.createFile(atPath: file, contents: Data("not a folder".utf8))
    let t = trainer()
    #expect {
      try Checkpoint.save(
        model: t.model, optimizer: t.optimizer, state: t.checkpointState(corpusFingerprint: "x"),
        tokenizer: CharTokenizer(corpus: "ab"), to: "\(file)/run/latest")
    } throws: { error in
      let text = "\(error)"
      return text.hasPrefix("could not save \(file)/run/latest: ") && !text.contains("\n") && !text.contains("Domain")
    }
    #expect(!FileManager.default.fileExists(atPath: "\(file)/run/latest.tmp"))
  }

  /// A kill between the swap's two renames leaves only `latest.old` complete (and a complete
  /// `latest.tmp`): the next save must put its new folder in place before removing `.old`.
  @Test func aSaveAfterAnInterruptedSwapKeepsTheOnlyCompleteCopyUntilTheEnd() throws {
    let folder = try saved(trainer())
    let fm = FileManager.default
    try fm.moveItem(atPath: folder, toPath: folder + ".old")  // the kill: latest -> latest.old done, no rename yet
    #expect(try Checkpoint.state(folder).step == 2, "readable from .old")
    try fm.createDirectory(atPath: folder + ".next", withIntermediateDirectories: true)
    try Checkpoint.swap(folder + ".next", into: folder)  // the step that used to remove .old first
    #expect(fm.fileExists(atPath: folder) && !fm.fileExists(atPath: folder + ".old"))
    let again = try saved(trainer())
    try fm.moveItem(atPath: again, toPath: again + ".old")
    try fm.createDirectory(atPath: again + ".tmp", withIntermediateDirectories: true)
    let t = trainer()
    try Checkpoint.save(
      model: t.model, optimizer: t.optimizer, state: t.checkpointState(corpusFingerprint: "x"),
      tokenizer: CharTokenizer(corpus: "ab"), to: again)
    #expect(try Checkpoint.state(again).step == 0 && !fm.fileExists(atPath: again + ".old"))
  }
}

@Suite("reliability: rank files") struct RankFileReliabilityTests {
  @Test func aTruncatedOrGappedRankFileIsRefused() throws {
    let bpe = try BPETrainer.train(String(repeating: "to be or not to be, ", count: 40), vocabularySize: 266)
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = "\(folder)/bpe.tiktoken"
    try RankFile.save(bpe, to: path)
    let pristine = try Data(contentsOf: URL(fileURLWithPath: path))
    #expect(try RankFile.load(path).vocabularySize == 266)
    var lines = pristine.split(separator: UInt8(ascii: "\n")).map { Data($0) + [UInt8(ascii: "\n")] }
    let variants: [(String, Data)] = [
      ("cut short", pristine.prefix(pristine.count - 1)),
      ("appears twice", pristine.prefix(pristine.count - 3)),  // "... 265\n" cut to "... 2"
      ("do not end where the special tokens", Data(lines.prefix(260).joined())),
      ("rank 258 is missing", Data((lines[..<258] + lines[259...]).joined())),
      (
        "byte 65 has no token",
        {
          lines[65] = Data("QUFB 65\n".utf8); return Data(lines.joined())
        }()
      ),
    ]
    for (reason, bytes) in variants {
      try bytes.write(to: URL(fileURLWithPath: path))
      #expect { try RankFile.load(path) } throws: { "\($0)".contains(reason) && !"\($0)".contains("\n") }
    }
  }
}

@Suite("reliability: long pieces") struct LongPieceTests {
  /// The heap merge of long pieces against tiktoken's scan (`merge`), its reference.
  @Test func theHeapMergeEqualsTheScanOnLongPieces() throws {
    let text = String(repeating: "to be or not to be, that is the question; ", count: 30) + "日本語のテキスト"
    let bpe = try BPETrainer.train(text, vocabularySize: 300)
    var rng = SplitMix64(seed: 9)
    let alphabet = Array("to be 日本ab".utf8)
    for length in [257, 300, 1000, 4000] {
      let piece = (0..<length).map { _ in alphabet[rng.nextInt(below: alphabet.count)] }
      var (scan, heap) = (MergeParts(), MergeParts())
      piece.withUnsafeBufferPointer { p in
        scan.merge(p.baseAddress!, length, table: bpe.table)
        heap.mergeLong(p.baseAddress!, length, table: bpe.table)
      }
      #expect(scan.start == heap.start, "length \(length)")
      let repeated = [UInt8](repeating: UInt8(ascii: "o"), count: length)  // ties everywhere
      repeated.withUnsafeBufferPointer { p in
        scan.merge(p.baseAddress!, length, table: bpe.table)
        heap.mergeLong(p.baseAddress!, length, table: bpe.table)
      }
      #expect(scan.start == heap.start, "repeated, length \(length)")
    }
  }
}
