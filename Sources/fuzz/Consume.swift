// The fuzz harness (issue 16): the child side of a checkpoint case, reading a checkpoint the
// way chapters 07 and 06 do and printing what it computes.

import Foundation
import GPTKit

enum Consume {
  /// `fuzz load DIR`: loads the model and its tokenizer (chapter 07's path) and prints eight
  /// greedy tokens after token 0, with their text.
  static func load(_ folder: String) {
    do {
      let model = try Checkpoint.loadModel(folder)
      let tokenizer = try Checkpoint.loadTokenizer(folder)
      let ids = model.greedy([0], count: 8).map(Int.init)
      print("config: \(model.config)")
      print("tokenizer: \(tokenizer.identity), \(tokenizer.vocabularySize) tokens")
      print("greedy: \(ids) \(tokenizer.decode(ids).debugDescription)")
    } catch { fail("\(error)") }
  }

  /// `fuzz resume DIR WINDOWS`: resumes a trainer over a stream of `WINDOWS` training windows
  /// (chapter 06's `--resume` path) and prints the step and the loss of one more step.
  static func resume(_ folder: String, windows: Int) {
    do {
      let config = try Checkpoint.config(folder)
      let options = try Checkpoint.state(folder).options
      var rng = SplitMix64(seed: 1)
      let T = config.contextLength
      let stream = { (count: Int) in (0..<count).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) } }
      let trainer = Trainer(
        model: GPT(config), train: stream(windows * T + 1), validation: stream(T * options.batchSize * 2 + 1),
        options: options)
      let state = try trainer.resume(from: folder)
      let loss = try trainer.trainStep().loss
      print("resumed at step \(state.step), next loss \(loss)")
    } catch { fail("\(error)") }
  }
}
