// Chapter 08 introduces this file: published models, for the map of parameters against tokens.

/// A model whose parameter count and training tokens were published (book/08-scaling.md cites each).
public struct KnownModel: Sendable {
  public var name: String
  public var parameters: Double
  public var tokens: Double
  /// Where the figures come from.
  public var source: String
  /// True when the token count is an estimate, not a published figure.
  public var estimated = false
}

extension KnownModel {
  /// Tokens per parameter: Chinchilla's compute-optimal rule is about 20.
  public var tokensPerParameter: Double { tokens / parameters }

  public static let table: [KnownModel] = [
    // OpenAI published GPT-2's sizes, not its tokens: ~10B is WebText's ~40 GB read about once,
    // and the 10B tokens of FineWeb llm.c reproduces GPT-2 124M with.
    KnownModel(name: "GPT-2 124M", parameters: 124e6, tokens: 10e9, source: "Radford et al. 2019", estimated: true),
    KnownModel(name: "GPT-2 1.5B", parameters: 1.56e9, tokens: 10e9, source: "Radford et al. 2019", estimated: true),
    KnownModel(name: "GPT-3 175B", parameters: 175e9, tokens: 300e9, source: "Brown et al. 2020, table 2.2"),
    KnownModel(name: "Gopher 280B", parameters: 280e9, tokens: 300e9, source: "Rae et al. 2021"),
    KnownModel(name: "Chinchilla 70B", parameters: 70e9, tokens: 1.4e12, source: "Hoffmann et al. 2022"),
    KnownModel(name: "Pythia 12B", parameters: 12e9, tokens: 300e9, source: "Biderman et al. 2023"),
    KnownModel(name: "LLaMA 7B", parameters: 6.7e9, tokens: 1.0e12, source: "Touvron et al. 2023a"),
    KnownModel(name: "LLaMA 65B", parameters: 65.2e9, tokens: 1.4e12, source: "Touvron et al. 2023a"),
    KnownModel(name: "Llama 2 7B", parameters: 7e9, tokens: 2e12, source: "Touvron et al. 2023b"),
    KnownModel(name: "Llama 2 70B", parameters: 70e9, tokens: 2e12, source: "Touvron et al. 2023b"),
    KnownModel(name: "Llama 3 8B", parameters: 8e9, tokens: 15e12, source: "Grattafiori et al. 2024"),
    KnownModel(name: "Llama 3.1 405B", parameters: 405e9, tokens: 15.6e12, source: "Grattafiori et al. 2024"),
    KnownModel(name: "TinyLlama 1.1B", parameters: 1.1e9, tokens: 3e12, source: "Zhang et al. 2024"),
    KnownModel(name: "OLMo 7B", parameters: 6.9e9, tokens: 2.46e12, source: "Groeneveld et al. 2024"),
    KnownModel(name: "SmolLM2 1.7B", parameters: 1.7e9, tokens: 11e12, source: "Allal et al. 2025"),
  ]
}
