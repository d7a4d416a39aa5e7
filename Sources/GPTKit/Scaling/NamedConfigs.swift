// Chapter 08 introduces this file: the models the workbook refers to by name.

extension GPTConfig {
  /// The benchmark's config A: a character-level model of 0.8M parameters (T 64, C 128).
  public static let benchmarkA = GPTConfig(
    vocabularySize: 65, contextLength: 64, layerCount: 4, headCount: 4, channels: 128)

  /// The benchmark's config B: nanoGPT's character-level Shakespeare model, 10.7M parameters.
  public static let benchmarkB = GPTConfig(
    vocabularySize: 65, contextLength: 256, layerCount: 6, headCount: 6, channels: 384)

  /// The benchmark's config C: config B's body with chapter 01's 512-token BPE, 10.9M parameters.
  public static let benchmarkC = GPTConfig(
    vocabularySize: 512, contextLength: 256, layerCount: 6, headCount: 6, channels: 384)

  /// GPT-2 medium: 24 layers of width 1024, 355M parameters.
  public static let gpt2Medium = GPTConfig(
    vocabularySize: 50257, contextLength: 1024, layerCount: 24, headCount: 16, channels: 1024)

  /// GPT-2 large: 36 layers of width 1280, 774M parameters.
  public static let gpt2Large = GPTConfig(
    vocabularySize: 50257, contextLength: 1024, layerCount: 36, headCount: 20, channels: 1280)

  /// GPT-2 XL: 48 layers of width 1600, 1.56B parameters.
  public static let gpt2XL = GPTConfig(
    vocabularySize: 50257, contextLength: 1024, layerCount: 48, headCount: 25, channels: 1600)

  /// The GPT-2 family with the names OpenAI released them under (`gpt2Small` is GPTConfig's own).
  public static let gpt2Family: [(name: String, config: GPTConfig)] = [
    ("gpt2", .gpt2Small), ("gpt2-medium", .gpt2Medium), ("gpt2-large", .gpt2Large), ("gpt2-xl", .gpt2XL),
  ]
}
