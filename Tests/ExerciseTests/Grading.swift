import GPTKit

/// Grades a learner's backward pass with a finite-difference gradient check around `x`:
/// `nil` when it passes, a sentence when it does not. Errors the answer throws (such as
/// `Exercise.notAttempted`) propagate.
func gradeBackward(_ x: Tensor, forward: (Tensor) -> Tensor, answer: (_ dOut: Tensor) throws -> Tensor) throws
  -> String?
{
  var failure: Error?
  let report = GradientCheck.check(x, forward: forward) { dOut in
    do { return try answer(dOut) } catch {
      failure = error
      return Tensor(shape: x.shape)
    }
  }
  if let failure { throw failure }
  return report.passes() ? nil : "the gradient check fails: \(report)"
}
