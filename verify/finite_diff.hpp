// Finite differences: the forward-only oracle that settles who is right when ours and torch disagree.
//
// d root / d leaf is estimated by central differences from forward evaluation alone
// (verify/expr/evaluate.hpp's evaluate_forward, which recomputes nodes with the op table's forward
// functions), with a step scaled to the leaf: h = eps * max(1, |x|), as torch.autograd.gradcheck does
// with eps 1e-6, atol 1e-5, rtol 1e-3. A disagreement between the analytic gradient and the central
// difference is classified, precisely:
//
//   kink       the derivative does not exist at this point, so conventions decide. Either the
//              function itself has one: its one-sided differences disagree (beyond the tolerance) at
//              step h and still at h/2 (a smooth function's gap h*f'' would halve; a kink's does not),
//              as NablaFuzz probes a neighbourhood; or a node that depends on the leaf has its op at a
//              non-differentiable point: the op's one-sided slopes in some operand disagree the same
//              way at that operand's value (relu(t) - relu(-t) at t = 0 is smooth, but AD applies
//              relu's convention twice and gets 0 where the true derivative is 1).
//   unstable   the point or the central difference is numerically meaningless: a forward value in
//              the stencil is not finite (overflow, or the step leaves the domain: log near 0, x**0.5
//              at 0); or an intermediate depending on the leaf is not finite (exp(1e300) = inf feeding
//              tanh: the root is flat, but the chain rule computes 0 * inf = NaN); or the analytic gradient
//              itself is infinite or NaN (the derivative is infinite, or undefined as for x ** y with
//              x < 0 in y; differences cannot confirm either); or the analytic gradient is within
//              its own rounding bound of the difference (gradient_error_bounds in check.hpp: the
//              chain rule's contributions cancel, like 1e-300 + 1 - 1 scaled by 1e300); or the rounding error
//              of the difference quotient, 2 * noise / h where noise is how much f moves across a few ulps of
//              x plus 4 ulps of |f|, exceeds the tolerance; or the estimate has not converged: |D(h) -
//              D(h/2)| exceeds the tolerance (large higher derivatives at the scale of the step: near a pole,
//              exp of large values).
//   disagree   none of the above: the analytic gradient is wrong.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/value.hpp"
#include "verify/check.hpp"
#include "verify/compare.hpp"

namespace verigrad::verify {

struct FdOptions {
  double eps = 1e-6;
  Tolerance tolerance = kGradcheckTolerance;
};

enum class FdVerdict { Agree, Kink, Unstable, Disagree };
const char* to_string(FdVerdict verdict);

// One leaf's gradient judged against finite differences.
struct FdProbe {
  double x = 0.0;            // the leaf's value
  double step = 0.0;         // h
  double analytic = 0.0;     // the gradient being judged
  double central = 0.0;      // (f(x+h) - f(x-h)) / 2h
  double left = 0.0;         // (f(x) - f(x-h)) / h
  double right = 0.0;        // (f(x+h) - f(x)) / h
  double error_bound = 0.0;  // estimated error of `central` (rounding + truncation)
  FdVerdict verdict = FdVerdict::Agree;
  std::string reason;  // for kink / unstable / disagree
};

// Judges `analytic` as d root / d leaf at the graph's current values. leaf must be a leaf of root.
FdProbe probe_gradient(const Value& root, const Value& leaf, double analytic, const FdOptions& options = {});

struct FdLeaf {
  std::size_t index = 0;  // position in topological_order(root)
  FdProbe probe;
};

struct FdReport {
  std::vector<FdLeaf> leaves;
  bool ok() const;  // no leaf disagrees (kinks and unstable points are not failures)
  std::size_t count(FdVerdict verdict) const;
  std::string to_table() const;
};

// Our gradient of every leaf (computed as check() does: fresh leaf grads, everything restored after)
// against finite differences.
FdReport finite_differences(const Value& root, const FdOptions& options = {});

// When ours and torch disagree about a leaf's gradient, finite differences decide.
struct Arbitration {
  std::size_t index = 0;  // the leaf's row in the report
  FdProbe ours;
  FdProbe torch;
  std::string winner;  // "ours", "torch", "both", "neither", or "undecided (kink)" / "undecided (unstable)"
};
std::vector<Arbitration> arbitrate(const Value& root, const Report& report, const FdOptions& options = {});

}  // namespace verigrad::verify
