// The learner's exercises: replace each `throw Exercise.notAttempted` with your code, then
// run `swift test --filter ExerciseTests` (or plain `swift test`). Untouched exercises are
// skipped with "not attempted yet"; attempted ones are graded, each in a process of its own
// (a crash fails only that exercise), and the run ends with your summary by chapter.

/// Thrown by every exercise you have not written yet.
public enum Exercise: Error {
  case notAttempted
}

/// Whether `body` runs without throwing `Exercise.notAttempted`, i.e. the learner has
/// replaced the placeholder. Other errors count as attempted (and fail the grading).
public func isAttempted(_ body: () throws -> Void) -> Bool {
  do {
    try body()
    return true
  } catch Exercise.notAttempted {
    return false
  } catch {
    return true
  }
}
