// How each chapter's `--mine` plugs your exercises in (see Mine.swift). You need not edit this file.

import Foundation
import GPTKit

// MARK: Chapter 04: the stages of attention
extension Pieces {
  /// Says which of chapter 04's pieces are yours.
  public func announceAttention(_ report: ChapterReport) {
    announce(
      report,
      [
        ("4.1", "the causal mask", causalMask != nil),
        ("4.2", "one head of causal attention", singleHeadAttention != nil),
        ("4.3", "a head's keys in the fused buffer", keys != nil),
        ("4.4", "one head's backward", singleHeadBackward != nil),
      ])
  }

  /// Your mask (4.1) of `scores` `(T, T)`, or nil if not attempted.
  public func mask(_ scores: Tensor) -> Tensor? {
    causalMask.map { f in checked("4.1", scores.shape, run("4.1") { try f(scores) }) }
  }

  /// Your head (4.2), `(T, HS)` from `q`, `k`, `v` `(T, HS)`, or nil if not attempted.
  public func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor) -> Tensor? {
    singleHeadAttention.map { f in checked("4.2", q.shape, run("4.2") { try f(q, k, v) }) }
  }

  /// Your slicing (4.3) of head `h`'s keys `(T, C/NH)` out of `qkv` `(T, 3C)`, or nil.
  public func keys(_ qkv: Tensor, head h: Int, heads NH: Int) -> Tensor? {
    keys.map { f in checked("4.3", [qkv.shape[0], qkv.shape[1] / 3 / NH], run("4.3") { try f(qkv, h, NH) }) }
  }

  /// Checks your head's backward (4.4) with the chapter's finite differences, for each of
  /// `q`, `k` and `v`, in a check that names it.
  public func checkAttentionBackward(_ report: ChapterReport) {
    guard let backward = singleHeadBackward else { return }
    var rng = SplitMix64(seed: 44)
    let (T, HS) = (7, 8)
    let (q, k, v) = (
      Tensor.randn([T, HS], rng: &rng), Tensor.randn([T, HS], rng: &rng), Tensor.randn([T, HS], rng: &rng)
    )
    let shape = [T, HS]
    let yours = run("4.4") { try backward(q, q, k, v) }  // any dOut of the shape, for the shapes
    guard yours.dQ.shape == shape, yours.dK.shape == shape, yours.dV.shape == shape else {
      fail(
        "--mine: exercise 4.4 returned shapes \(yours.dQ.shape), \(yours.dK.shape), \(yours.dV.shape); "
          + "each must be \(shape)"
      )
    }
    /// One head through the fused kernel: `q`, `k`, `v` side by side as its `(1, T, 3*HS)` input.
    func head(_ q: Tensor, _ k: Tensor, _ v: Tensor) -> Tensor {
      let qkv = Tensor(
        shape: [1, T, 3 * HS],
        storage: (0..<T).flatMap { t in
          (0..<HS).map { q[t, $0] } + (0..<HS).map { k[t, $0] } + (0..<HS).map { v[t, $0] }
        })
      return Attention.forward(qkv, heads: 1).out.reshaped(shape)
    }
    let checks: [(String, Tensor, (Tensor) -> Tensor, KeyPath<(dQ: Tensor, dK: Tensor, dV: Tensor), Tensor>)] = [
      ("dQ", q, { head($0, k, v) }, \.dQ), ("dK", k, { head(q, $0, v) }, \.dK), ("dV", v, { head(q, k, $0) }, \.dV),
    ]
    var worst = (name: "", error: 0.0)
    for (name, x, forward, gradient) in checks {  // GradientCheck draws the dOut your backward gets
      let result = GradientCheck.check(x, forward: forward) { d in
        run("4.4") { try backward(d, q, k, v) }[keyPath: gradient]
      }
      if !(result.relativeError <= worst.error) { worst = (name, result.relativeError) }
    }
    report.check(
      "exercise 4.4: your head's backward passes the gradient check for dQ, dK and dV: worst \(worst.name), rel err "
        + "\(worst.error.formatted(significant: 2)) (≤ 0.01; a wrong one is off by 0.1 or more)",
      worst.error <= GradientCheckReport.defaultTolerance)
  }

  /// The chapter's check descriptions under `--mine` name the exercises they judge.
  public func tag(_ numbers: [String: Bool]) -> String {
    let mine = numbers.filter(\.value).keys.sorted()
    return mine.isEmpty ? "" : " [judges your \(mine.joined(separator: ", "))]"
  }
}

// MARK: Chapter 05: LayerNorm
extension Pieces {
  /// Says which of chapter 05's pieces are yours, and checks your LayerNorm backward (5.3) with
  /// the chapter's finite differences.
  public func announceBlock(_ report: ChapterReport) {
    announce(
      report,
      [("5.2", "LayerNorm forward", layerNormForward != nil), ("5.3", "LayerNorm backward", layerNormBackward != nil)])
    guard let backward = layerNormBackward else { return }
    var rng = SplitMix64(seed: 53)
    let (x, w, b) = (Tensor.randn([3, 8], rng: &rng), Tensor.randn([8], rng: &rng), Tensor.randn([8], rng: &rng))
    let gradient = GradientCheck.check(x, forward: { LayerNorm.forward($0, weight: w, bias: b).out }) { dOut in
      checked("5.3", x.shape, run("5.3") { try backward(x, w, dOut) })
    }
    report.check(
      "exercise 5.3: your LayerNorm backward passes the gradient check: rel err "
        + "\(gradient.relativeError.formatted(significant: 2)) (≤ 0.01; a wrong one is off by 0.1 or more)",
      gradient.passes())
  }

  /// Your LayerNorm (5.2) of `x` `(N, C)`, or nil if not attempted.
  public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor? {
    layerNormForward.map { f in checked("5.2", x.shape, run("5.2") { try f(x, weight, bias) }) }
  }
}

// MARK: Chapter 06: training with your optimizer and schedule
extension Pieces {
  /// Says which of chapter 06's pieces are yours, and compares each with the library's on a
  /// small input, in a check that names it.
  public func announceTraining(_ report: ChapterReport, schedule: LearningRateSchedule) {
    announce(
      report,
      [
        ("6.6", "the AdamW update", adamWUpdate != nil), ("6.7", "warmup, then cosine", learningRate != nil),
        ("6.5", "embeddings before and after", embeddingCosine != nil),
      ])
    if adamWUpdate != nil {
      let (library, yours) = (AdamW(ParameterLayout(.tiny)), AdamW(ParameterLayout(.tiny)))
      install(on: yours)
      let (pLibrary, pYours) = (GPT(.tiny, seed: 6).parameters, GPT(.tiny, seed: 6).parameters)
      let gradients = ParameterBuffer(ParameterLayout(.tiny))
      var rng = SplitMix64(seed: 66)
      for _ in 0..<3 {
        for i in 0..<gradients.layout.count { gradients.base[i] = 0.1 * rng.nextNormal() }
        library.update(pLibrary, gradients: gradients, lr: 0.01)
        yours.update(pYours, gradients: gradients, lr: 0.01)
      }
      let count = pLibrary.layout.count
      let difference = relativeDifference(
        Array(UnsafeBufferPointer(start: pYours.base, count: count)),
        Array(UnsafeBufferPointer(start: pLibrary.base, count: count)))
      report.check(
        "exercise 6.6: your AdamW update matches AdamW.update over 3 steps of a \(count)-parameter GPT "
          + "(max rel diff \(difference.formatted(significant: 2)) ≤ 1e-5)",
        difference <= 1e-5)
    }
    if let learningRate {
      let s = schedule
      let steps = Array(0...s.totalSteps)
      let yours = steps.map { step in
        run("6.7") { try learningRate(step, s.maxLR, s.minLR, s.warmupSteps, s.totalSteps) }
      }
      let difference = relativeDifference(yours, steps.map(s.rate))
      report.check(
        "exercise 6.7: your schedule matches the library's at steps 0...\(s.totalSteps) of this run "
          + "(max rel diff \(difference.formatted(significant: 2)) ≤ 1e-5)",
        difference <= 1e-5)
    }
  }

  /// Makes `trainer` update with your AdamW (6.6) and follow your schedule (6.7), where attempted.
  public func install(on trainer: Trainer) {
    install(on: trainer.optimizer)
    guard let learningRate else { return }
    let s = trainer.schedule
    trainer.scheduleOverride = { step in
      run("6.7") { try learningRate(step, s.maxLR, s.minLR, s.warmupSteps, s.totalSteps) }
    }
  }

  /// Makes `optimizer` update every tensor with your AdamW (6.6), if attempted.
  func install(on optimizer: AdamW) {
    guard let update = adamWUpdate else { return }
    let (beta1, beta2, epsilon) = (optimizer.beta1, optimizer.beta2, optimizer.epsilon)
    optimizer.tensorUpdate = { tensor, step, lr, decay in
      var (p, m, v) = (Array(tensor.p), Array(tensor.m), Array(tensor.v))
      run("6.6") { try update(&p, Array(tensor.g), &m, &v, step, lr, decay, beta1, beta2, epsilon) }
      guard p.count == tensor.p.count, m.count == tensor.m.count, v.count == tensor.v.count else {
        fail("--mine: exercise 6.6 changed the length of \(tensor.name)'s p, m or v: update them in place")
      }
      _ = tensor.p.update(fromContentsOf: p)
      _ = tensor.m.update(fromContentsOf: m)
      _ = tensor.v.update(fromContentsOf: v)
    }
  }

  /// Exercise 6.5 on the chapter's models: how alike two tokens' embeddings are before and
  /// after training, with your cosine checked against the library's.
  public func compareEmbeddings(fresh: GPT, trained: GPT, tokenizer: any TextTokenizer, report: ChapterReport) {
    guard let cosine = embeddingCosine else { return }
    let single = [" the", " a", "e", "a", "t"].compactMap { word -> (String, Int)? in
      guard let ids = try? tokenizer.encodeText(word), ids.count == 1 else { return nil }
      return (word, ids[0])
    }
    guard single.count >= 2 else { return report.info("mine: exercise 6.5 found no two one-token words to compare") }
    let ((wordA, a), (wordB, b)) = (single[0], single[1])
    var worst: Float = 0
    var values: [Float] = []
    for model in [fresh, trained] {
      let yours = run("6.5") { try cosine(model, a, b) }
      let wte = model.parameters.tensor("transformer.wte.weight")
      let C = wte.shape[1]
      let library = Projection.cosineSimilarity(
        wte.storage[(a * C)..<(a * C + C)], wte.storage[(b * C)..<(b * C + C)])
      worst = max(worst, abs(yours - library))
      values.append(yours)
    }
    report.info(
      "mine: exercise 6.5, cosine(\(wordA.debugDescription), \(wordB.debugDescription)): "
        + "\(values[0].formatted(decimals: 3)) in a fresh model, \(values[1].formatted(decimals: 3)) after training")
    report.check(
      "exercise 6.5: your embeddingCosine matches the library's (max diff \(worst.formatted(significant: 2)) ≤ 1e-5)",
      worst <= 1e-5)
  }
}

/// Stops the chapter with one line naming the exercise if a piece returned the wrong shape.
func checked(_ number: String, _ shape: [Int], _ result: Tensor) -> Tensor {
  guard result.shape == shape else {
    fail("--mine: exercise \(number) returned shape \(result.shape), the contract says \(shape)")
  }
  return result
}

// MARK: Chapter 07: sampling with your top-p, on the chapter's model
extension Pieces {
  /// Says which of chapter 07's pieces are yours.
  public func announceSampling(_ report: ChapterReport) {
    announce(
      report,
      [
        ("7.2", "temperature", temperatureSoftmax != nil), ("7.3", "top-p (nucleus) filtering", topP != nil),
        ("7.5", "the KV cache's append", storeKeyValue != nil),
      ])
  }

  /// Your top-p (7.3) as the sampler's nucleus filter, or nil if not attempted.
  public var nucleus: Sampler.Nucleus? {
    topP.map { f in
      { probabilities, p in
        let kept = run("7.3") { try f(probabilities, p) }
        guard kept.count == probabilities.count else {
          fail("--mine: exercise 7.3 returned \(kept.count) probabilities for \(probabilities.count) tokens")
        }
        return kept
      }
    }
  }

  /// `generator`, drawing with your top-p (7.3) and caching with your append (7.5) where attempted.
  public func install(on generator: Generator) -> Generator {
    var generator = generator
    generator.nucleus = nucleus
    if let storeKeyValue {
      let (T, NH) = (generator.model.config.contextLength, generator.model.config.headCount)
      generator.store = { keysT, values, qkv, position in
        var (k, v) = (Array(keysT), Array(values))
        run("7.5") { try storeKeyValue(&k, &v, Array(qkv), position, T, NH) }
        guard k.count == keysT.count, v.count == values.count else {
          fail("--mine: exercise 7.5 changed the length of keysT or values: store into them in place")
        }
        _ = keysT.update(fromContentsOf: k)
        _ = values.update(fromContentsOf: v)
      }
    }
    return generator
  }

  /// Exercise 7.2 on the chapter's model: your temperature softmax of its first logits, its
  /// entropy, checked against the library's distribution.
  public func compareTemperature(_ logits: [Float], _ t: Float, report: ChapterReport) {
    guard let softmax = temperatureSoftmax else { return }
    let yours = run("7.2") { try softmax(logits, t) }
    let library = Sampler.distribution(logits, previous: [], options: SamplingOptions(temperature: t))
    let difference = yours.count == library.count ? zip(yours, library).reduce(0) { max($0, abs($1.0 - $1.1)) } : .nan
    report.check(
      "exercise 7.2: your softmax at temperature \(t) has entropy \(Sampler.entropy(yours).formatted(decimals: 2)) "
        + "nats, the library's distribution within \(difference.formatted(significant: 2)) (≤ 1e-5)",
      difference <= 1e-5)
  }
}

// MARK: Chapter 01: the BPE merge loop
extension Pieces {
  /// Says which of chapter 01's pieces are yours, and checks your merge loop (1.4) on a slice of
  /// `corpus` against the library's trainer.
  public func announceTokenization(_ report: ChapterReport, corpus: String) {
    announce(report, [("1.4", "train BPE by hand", trainMerges != nil)])
    guard trainMerges != nil else { return }
    let letters = String(corpus.prefix(5000).unicodeScalars.filter { ("a"..."z").contains($0) }.map(Character.init))
    guard let yours = bpe(letters, merges: 20),
      let library = try? BPETrainer.train(letters, vocabularySize: 276, specialTokens: [])
    else {
      return
    }
    let same = (256..<276).allSatisfy { yours.bytes(of: $0) == library.bytes(of: $0) }
    report.check(
      "exercise 1.4: your 20 merges of the corpus's first \(letters.count) lower-case letters equal BPETrainer's "
        + "(\((256..<261).map { yours.decode([$0]).debugDescription }.joined(separator: " ")) ...)",
      same)
  }

  /// A tokenizer made of your merges (1.4) of `text`, or nil if not attempted.
  public func bpe(_ text: String, merges count: Int) -> BPETokenizer? {
    trainMerges.map { f in
      let merges = run("1.4") { try f(text, count) }
      var ranks = (0..<256).map { [UInt8($0)] }
      for pair in merges {
        guard pair.first < ranks.count, pair.second < ranks.count else {
          fail("--mine: exercise 1.4 merged (\(pair.first), \(pair.second)) before that id existed")
        }
        ranks.append(ranks[pair.first] + ranks[pair.second])
      }
      return BPETokenizer(ranks: ranks, pattern: .cl100k)
    }
  }
}

// MARK: Chapter 02: windows
extension Pieces {
  /// Says which of chapter 02's pieces are yours.
  public func announceWindows(_ report: ChapterReport) {
    announce(report, [("2.1", "how many windows", windowCount != nil), ("2.2", "one training example", window != nil)])
  }

  /// Your count (2.1) of the windows of `T` that fit `tokens` tokens every `stride`, or nil.
  public func windows(tokens: Int, T: Int, stride: Int) -> Int? {
    windowCount.map { f in run("2.1") { try f(tokens, T, stride) } }
  }

  /// Every window of `tokens` starting every `stride`, cut by your 2.2, or nil if not attempted.
  public func windows(_ tokens: [Int32], T: Int, stride: Int, count: Int) -> [(
    x: ArraySlice<Int32>, y: ArraySlice<Int32>
  )]? {
    guard let window else { return nil }
    let ids = tokens.map(Int.init)
    return (0..<count).map { i in
      let (x, y) = run("2.2") { try window(ids, i * stride, T) }
      guard x.count == T, y.count == T else {
        fail("--mine: exercise 2.2 returned x of \(x.count) and y of \(y.count) ids; both must be T = \(T)")
      }
      return (ArraySlice(x.map(Int32.init)), ArraySlice(y.map(Int32.init)))
    }
  }
}

// MARK: Chapter 00: your matmul and your GELU backward
extension Pieces {
  /// Says which of chapter 00's pieces are yours.
  public func announceTensors(_ report: ChapterReport) {
    announce(
      report,
      [("0.2", "the three-loop matrix multiply", naiveMatmul != nil), ("0.4", "GELU's backward", geluBackward != nil)])
  }

  /// Your `a · b` `(M, N)` (0.2), or nil if not attempted.
  public func product(_ a: Tensor, _ b: Tensor) -> Tensor? {
    naiveMatmul.map { f in checked("0.2", [a.shape[0], b.shape[1]], run("0.2") { try f(a, b) }) }
  }

  /// Your `dX` (0.4) for GELU's input `x` and `dOut`, or nil if not attempted.
  public func geluGradient(_ x: Tensor, dOut: Tensor) -> Tensor? {
    geluBackward.map { f in checked("0.4", x.shape, run("0.4") { try f(x, dOut) }) }
  }
}

// MARK: Chapter 03: the embedding's backward
extension Pieces {
  /// Says which of chapter 03's pieces are yours.
  public func announceEmbeddings(_ report: ChapterReport) {
    announce(report, [("3.2", "the backward of a lookup", embeddingBackward != nil)])
  }

  /// Your `dWte` `(V, C)` (3.2) for `dOut` `(B, T, C)` or `(N, C)` and its `tokens`, or nil.
  public func embeddingBackward(_ dOut: Tensor, tokens: [Int32], V: Int) -> Tensor? {
    embeddingBackward.map { f in
      let C = dOut.shape.last!
      return checked("3.2", [V, C], run("3.2") { try f(dOut.reshaped([dOut.count / C, C]), tokens.map(Int.init), V) })
    }
  }
}

// MARK: Chapter 08: the scaling law's fit
extension Pieces {
  /// Says which of chapter 08's pieces are yours.
  public func announceScaling(_ report: ChapterReport) {
    announce(report, [("8.3", "a straight line on log-log axes", fitPowerLaw != nil)])
  }

  /// Your power-law fit (8.3), for Approach 2's laws, or nil if not attempted.
  public var powerLaw: (([(x: Double, y: Double)]) -> (coefficient: Double, exponent: Double)?)? {
    fitPowerLaw.map { f in { points in run("8.3") { try f(points) } } }
  }

  /// Checks your fit of `optima` against the library's least squares.
  public func checkPowerLaw(_ optima: [(x: Double, y: Double)], report: ChapterReport) {
    guard let powerLaw, optima.count >= 2, let want = LeastSquares.powerLaw(optima), let got = powerLaw(optima) else {
      return
    }
    let difference = max(abs(got.exponent - want.exponent), abs(got.coefficient / want.coefficient - 1))
    report.check(
      "exercise 8.3: your fit N* = \(got.coefficient.formatted(significant: 3)) "
        + "C^\(got.exponent.formatted(decimals: 3)) matches the least squares of ln N* on ln C "
        + "(max diff \(difference.formatted(significant: 2)) ≤ 1e-6)",
      difference <= 1e-6)
  }
}

// MARK: Chapter 09: the loss mask
extension Pieces {
  /// Says which of chapter 09's pieces are yours.
  public func announceFineTuning(_ report: ChapterReport) {
    announce(report, [("9.1", "the mask of a rendered conversation", assistantMask != nil)])
  }

  /// `conversation` rendered by `format`, with your mask (9.1) in place of the library's, or nil.
  public func render(_ conversation: Conversation, _ format: ChatFormat) -> RenderedConversation? {
    assistantMask.map { f in
      let ids = format.render(conversation).ids
      let mask = run("9.1") { try f(ids, format) }
      guard mask.count == ids.count else {
        fail("--mine: exercise 9.1 returned a mask of \(mask.count) for \(ids.count) ids: one per id")
      }
      return RenderedConversation(ids: ids, mask: mask)
    }
  }
}
