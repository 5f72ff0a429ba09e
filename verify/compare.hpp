// The one comparison policy: how two doubles are judged equal everywhere in verify/ (op-by-op mirror,
// module mirror, lockstep training, finite differences). Every tolerance verify/ uses is defined here,
// with the reason for its size.
#pragma once

#include <cstdint>

namespace verigrad::verify {

// |ours - theirs| <= atol + rtol * max(|ours|, |theirs|) for finite values.
struct Tolerance {
  double rtol;
  double atol;
};

// Op-by-op (engine graph vs the same graph in LibTorch). The two sides run the same IEEE operations
// except where torch's kernels differ from libm: exp/log/tanh use SLEEF (<= 1 ulp from glibc),
// pow special-cases exponents 2, 3, +-0.5, -1, -2 (x*x*x vs pow: <= 2 ulps), and torch's backward
// kernels are compiled with FMA contraction. One op's result therefore differs by a few ulps
// (~1e-15 relative); 1e-12 leaves three orders of margin for that and still catches any wrong formula,
// which errs by O(1). atol 1e-300 only forgives results in the subnormal range, where a one-ulp
// difference of an input (5e-324) is a large relative error but no meaningful number.
inline constexpr Tolerance kOpTolerance{1e-12, 1e-300};

// Batched torch::nn::Linear vs our neurons. Our neuron sums b + w0*x0 + w1*x1 + ... left to right;
// torch's addmm/matmul accumulates in a blocked order (and with FMA), so each pre-activation differs by
// up to n ulps of the sum of |terms| (n <= 16 inputs here), and a batch mean adds another n-term sum.
// 1e-10 relative (about 450 ulps) covers a few such layers of reordering; atol 1e-12 covers sums that
// cancel to ~0, where the relative error of a reordered sum is unbounded but the absolute error is
// ~n * eps * sum|terms| with terms of order 1 (weights in [-1, 1], inputs in [-4, 4]).
inline constexpr Tolerance kModuleTolerance{1e-10, 1e-12};

// Lockstep training: the batched rounding above, fed back through N optimiser steps (Adam divides by
// sqrt(v) + eps, which amplifies a gradient's relative error when v is tiny). 1e-8 relative / 1e-10
// absolute after up to 10 steps: still six orders below any real update-rule bug (which shows at the
// first step at the size of lr * grad).
inline constexpr Tolerance kLockstepTolerance{1e-8, 1e-10};

// Finite differences, as torch.autograd.gradcheck: a central difference with step ~1e-6 has a
// truncation error ~1e-12 * f''' and a rounding error ~1e-10 * |f|, so it resolves ~3 digits.
inline constexpr Tolerance kGradcheckTolerance{1e-3, 1e-5};

struct Comparison {
  bool agree = true;
  double difference = 0.0;  // |ours - theirs|; NaN when exactly one side is NaN
  std::uint64_t ulps = 0;   // ULP distance; UINT64_MAX when exactly one side is NaN
};

// Both NaN agree; NaN on one side fails; infinities must match, sign included; finite values agree
// within the tolerance; an infinity never agrees with a finite number. +0 and -0 agree (distance 0).
Comparison compare(double ours, double theirs, Tolerance tolerance = kOpTolerance);

// As compare(), but the relative part scales with `scale` (for example the sum of |terms| of a
// reordered sum) instead of max(|ours|, |theirs|), and `slack` is added to the allowance.
Comparison compare_scaled(double ours, double theirs, double scale, double slack, Tolerance tolerance);

// Number of representable doubles between a and b (0 for +0/-0; UINT64_MAX if exactly one is NaN).
std::uint64_t ulp_distance(double a, double b);

}  // namespace verigrad::verify
