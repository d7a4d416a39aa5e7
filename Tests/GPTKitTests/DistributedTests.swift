import Foundation
import Testing

@testable import GPTKit

/// A workbook checkpoint continues training in PyTorch on two processes (torchrun,
/// DistributedDataParallel over gloo), and the folder it saves loads here again: same
/// tokenizer, weights that moved, and our loss on PyTorch's check batch equal to PyTorch's.
@Suite("09 training continues on a distributed engine")
struct DistributedTests {
  static let pythonHasTorch = HuggingFaceLoadTests.pythonHasTransformers

  @Test(.enabled(if: pythonHasTorch, "needs python3 with torch and transformers (pip install torch transformers)"))
  func torchrunContinuesACheckpointAndTheWorkbookLoadsTheResult() throws {
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let fixtures = repositoryRoot.appendingPathComponent("Tests/GPTKitTests/Fixtures").path
    let tokenizer = try RankFile.load("\(fixtures)/shakespeare-bpe512.tiktoken")
    let config = GPTConfig(
      vocabularySize: tokenizer.vocabularySize, contextLength: 32, layerCount: 1, headCount: 2, channels: 32)
    let start = GPT(config, seed: 5)
    try Checkpoint.export(model: start, tokenizer: tokenizer, to: "\(folder)/start")
    let text = try String(contentsOf: repositoryRoot.appendingPathComponent("corpora/shakespeare.txt"), encoding: .utf8)
    try String(text.prefix(20_000)).write(toFile: "\(folder)/text.txt", atomically: true, encoding: .utf8)
    let script = repositoryRoot.appendingPathComponent("Tests/Interop/ddp_continue.py").path
    let (status, output) = try LoRAExportTests.python([
      "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", script, "--checkpoint",
      "\(folder)/start", "--data", "\(folder)/text.txt", "--steps", "3", "--batch", "2", "--lr", "1e-2",
      "--out", "\(folder)/continued",
    ])
    try #require(status == 0, "ddp_continue.py: \(output)")
    #expect(output.contains("weights agree across the 2 processes: True"), "\(output)")

    let continued = try Checkpoint.loadModel("\(folder)/continued")
    let again = try #require(try Checkpoint.loadTokenizer("\(folder)/continued") as? BPETokenizer)
    #expect(continued.config == config && continued.isTied)
    #expect(again.encodeOrdinary(String(text.prefix(2000))) == tokenizer.encodeOrdinary(String(text.prefix(2000))))
    let moved = (0..<start.parameterCount).filter { start.parameters.base[$0] != continued.parameters.base[$0] }
    #expect(moved.count > start.parameterCount / 2, "training moved \(moved.count) of \(start.parameterCount) weights")

    struct Check: Decodable {
      var x: [Int32]
      var y: [Int32]
      var B: Int
      var T: Int
      var loss: Float
    }
    let check = try JSONDecoder().decode(
      Check.self, from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/continued/check.json")))
    let ours = try #require(continued.forward(inputs: check.x, targets: check.y, B: check.B, T: check.T))
    #expect(abs(ours - check.loss) < 1e-4, "our loss \(ours), PyTorch's \(check.loss)")
    let before = try #require(start.forward(inputs: check.x, targets: check.y, B: check.B, T: check.T))
    #expect(abs(before - check.loss) > 1e-3)  // and the starting model's differs: the check can fail
  }
}
