import Foundation
import Testing

/// The chapters that take `--checkpoint` accept a folder that transformers' `save_pretrained`
/// wrote (the committed fixtures of Tests/GPTKitTests/Fixtures/gpt2): sampling, perplexity,
/// and chapter 09's fine-tuning, LoRA included.
@Suite("Hugging Face GPT-2 folders in the chapters")
struct HuggingFaceFolderRunTests {
  static let fixtures = "Tests/GPTKitTests/Fixtures/gpt2"
  static let tied = fixtures + "/bf16-tied-tokenizer-json"
  static let untied = fixtures + "/f16-untied-vocab-merges"

  @Test(arguments: [tied, untied])
  func chapter07SamplesFromIt(_ folder: String) throws {
    let (status, out, err) = try Workbook.run("ch07-sampling", ["--quick", "--checkpoint", folder, "--tokens", "12"])
    #expect(status == 0, "\(err)")
    #expect(out.contains("[info ] loaded \(folder)") && out.contains("all 7 checks OK"))
  }

  @Test func chapter07MeasuresItsPerplexity() throws {
    let (status, out, err) = try Workbook.run(
      "ch07-sampling", ["--checkpoint", Self.tied, "--perplexity", "Tests/GPTKitTests/Fixtures/make_gpt2_fixture.py"])
    #expect(status == 0, "\(err)")
    #expect(out.contains("perplexity ") && out.contains("windows of 64"), "\(out)")
    let missing = try Workbook.run("ch07-sampling", ["--checkpoint", Self.tied, "--perplexity", "no/such.txt"])
    #expect(missing.status != 0 && missing.err == "error: --perplexity no/such.txt: no such file: give a text\n")
  }

  @Test func chapter09FineTunesItWithLoRA() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("ch09-gpt2-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: out) }
    let run = try Workbook.run(
      "ch09-finetuning", ["--quick", "--checkpoint", Self.tied, "--steps", "20", "--held-out", "4", "--out", out])
    #expect(run.status == 0, "\(run.err)")
    #expect(run.out.contains("5. LoRA") && run.out.contains("merged into the weights"))
    #expect(FileManager.default.fileExists(atPath: "\(out)/lora/adapter_model.safetensors"))
    let refused = try Workbook.run("ch09-finetuning", ["--quick", "--checkpoint", Self.untied, "--out", out])
    #expect(refused.status != 0 && refused.err.contains("has its own lm_head"))
  }
}
