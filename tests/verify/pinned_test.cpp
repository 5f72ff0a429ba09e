// Edge conventions pinned against live LibTorch 1.13 (engine/ops.hpp's table): each case asserts our
// number, torch's number, and that check() agrees.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "verify/check.hpp"
#include "verify/gtest.hpp"

namespace verigrad::verify {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// The report's row for a node, found by id.
const NodeRow& row_of(const Report& report, const Value& v) {
  for (const NodeRow& row : report.rows) {
    if (row.id == v.id()) return row;
  }
  throw std::logic_error("node not in report");
}

// Both sides of a side equal `expected` (NaN matches NaN; +0 and -0 are equal).
void expect_both(const Side& side, double expected, const char* what) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(side.ours)) << what << " ours " << side.ours;
    EXPECT_TRUE(std::isnan(side.torch)) << what << " torch " << side.torch;
  } else {
    EXPECT_EQ(side.ours, expected) << what << " (ours)";
    EXPECT_EQ(side.torch, expected) << what << " (torch)";
  }
}

// check(f(x)) is exact, and x's grad and f's value are as given on both sides.
void expect_unary(const Value& x, const Value& y, double value, double grad) {
  const Report r = check(y);
  EXPECT_TRUE(r.exact()) << r;
  expect_both(row_of(r, y).value, value, "value");
  expect_both(row_of(r, x).grad, grad, "grad");
}

TEST(Pinned, ReluDerivativeAtZeroIsZero) {
  Value x(0.0);
  expect_unary(x, x.relu(), 0.0, 0.0);
}

TEST(Pinned, ReluOfNaNIsNaNWithGradientOne) {
  Value x(kNaN);
  expect_unary(x, x.relu(), kNaN, 1.0);
}

TEST(Pinned, AbsDerivativeAtZeroIsZero) {
  Value x(0.0);
  expect_unary(x, x.abs(), 0.0, 0.0);
  Value negative_zero(-0.0);
  expect_unary(negative_zero, negative_zero.abs(), 0.0, 0.0);
}

// torch: abs(NaN) = NaN, and its gradient grad * sgn(NaN) = 0 (sgn is 0 at NaN).
TEST(Pinned, AbsOfNaNIsNaNWithGradientZero) {
  Value x(kNaN);
  expect_unary(x, x.abs(), kNaN, 0.0);
}

TEST(Pinned, PowZeroHasZeroGradientEverywhere) {
  for (double a : {0.0, -0.0, 2.5, -3.0, kNaN, kInf, -kInf}) {
    SCOPED_TRACE(a);
    Value x(a);
    expect_unary(x, x.pow(0.0), 1.0, 0.0);
  }
}

TEST(Pinned, ValueExponentGradientIsZeroWhereBaseIsZeroAndExponentNonNegative) {
  for (double e : {0.0, 0.5, 1.0, 2.0, 3.7}) {
    SCOPED_TRACE(e);
    Value base(0.0), exponent(e);
    Value y = base.pow(exponent);
    const Report r = check(y);
    EXPECT_TRUE(r.exact()) << r;
    expect_both(row_of(r, exponent).grad, 0.0, "d/d exponent");
  }
  // A negative exponent at base 0: out = inf, d/d exponent = inf * log(0) = -inf on both sides.
  Value base(0.0), exponent(-1.0);
  const Report r = check(base.pow(exponent));
  EXPECT_TRUE(r.exact()) << r;
  expect_both(row_of(r, exponent).grad, -kInf, "d/d exponent");
}

// torch multiplies the upstream gradient by the masked local derivative (grad * where(mask, 0, ...)),
// so a NaN or infinite upstream gradient still gives NaN at base 0: the mask does not hide it.
// (Found by the property suite: x1 = 0, x2 = 1, t1 = x1 ** x2, t2 = x1 / t1, seed -2.5.)
TEST(Pinned, ValueExponentGradientAtZeroBaseKeepsNaNUpstream) {
  Value base(0.0), exponent(1.0);
  Value t = base.pow(exponent);
  Value y = base / t;  // 0 / 0: d y / d t = NaN flows into the power
  const Report r = check(y);
  EXPECT_TRUE(r.exact()) << r;
  expect_both(row_of(r, exponent).grad, kNaN, "d/d exponent");
}

TEST(Pinned, SqrtGradientAtZeroIsPlusInfinity) {
  Value x(0.0);
  expect_unary(x, x.pow(0.5), 0.0, kInf);
}

TEST(Pinned, LogDerivativeAtZeroIsPlusInfinity) {
  Value x(0.0);
  expect_unary(x, x.log(), -kInf, kInf);
}

TEST(Pinned, LogAtMinusOneIsNaNWithGradientMinusOne) {
  Value x(-1.0);
  expect_unary(x, x.log(), kNaN, -1.0);
}

// d/db = -grad * ((a / b) / b) in torch's order, live: with these operands and seed the textbook
// -grad * (a / (b * b)) rounds differently (checked first, so the test can fail), and torch must still
// agree with us to the last bit.
TEST(Pinned, DivisionGradients) {
  const double seed = 0.7;
  int differ = 0;
  for (double av : {1.1, 2.3, -0.7, 5.9}) {
    for (double bv : {0.3, 1.7, -2.9, 7.1}) {
      differ += (-seed * ((av / bv) / bv)) != (-seed * (av / (bv * bv))) ? 1 : 0;
      Value a(av), b(bv);
      Value y = a / b;
      const Report r = check(y, {seed, kOpTolerance});
      EXPECT_TRUE(r.exact()) << r;
      expect_both(row_of(r, a).grad, seed / bv, "d/da = grad / b");
      expect_both(row_of(r, b).grad, -seed * ((av / bv) / bv), "d/db = -grad * (a / b) / b");
    }
  }
  EXPECT_GT(differ, 0) << "these operands cannot tell the two orders apart";
  // double / Value and double - Value go through the Value operators with the constant as operand 0.
  Value x(4.0);
  EXPECT_MATCHES_TORCH(2.0 / x);
  EXPECT_MATCHES_TORCH(2.0 - x);
}

// torch: sigmoid(+-1000) = 1 and 0 exactly, gradient 0 (no overflow: exp(-1000) = 0 and exp(1000) =
// inf give 1 / (1 + 0) and 1 / inf); tanh(+-1000) = +-1, gradient 1 - 1 = 0.
TEST(Pinned, SigmoidAndTanhSaturateAtPlusMinus1000) {
  for (double a : {1000.0, -1000.0}) {
    SCOPED_TRACE(a);
    Value x(a);
    expect_unary(x, x.sigmoid(), a > 0 ? 1.0 : 0.0, 0.0);
    Value t(a);
    expect_unary(t, t.tanh(), a > 0 ? 1.0 : -1.0, 0.0);
  }
}

// x ** k follows torch's kernel dispatch (sqrt, 1/sqrt, x*x*x, ...), so the points where C pow and
// torch's kernels part ways agree exactly: -0 and -inf under x**0.5 and x**-0.5.
TEST(Pinned, SqrtOfNegativeZeroAndMinusInfinityMatchTorch) {
  for (double k : {0.5, -0.5}) {
    for (double x : {-0.0, -kInf}) {
      Value v(x);
      Value y = v.pow(k);
      const Report r = check(y);
      EXPECT_TRUE(r.exact()) << "x = " << x << ", k = " << k << "\n" << r;
    }
  }
  Value zero(-0.0);
  Value y = zero.pow(0.5);
  const Report r = check(y);
  EXPECT_TRUE(std::signbit(row_of(r, y).value.ours));  // sqrt(-0) = -0, as torch
  EXPECT_EQ(row_of(r, zero).grad.ours, -kInf);         // 0.5 / sqrt(-0)
  EXPECT_EQ(row_of(r, zero).grad.torch, -kInf);
}

// torch computes x**3 as x*x*x and x**-2 as 1/(x*x), not with pow: bit for bit, these agree.
TEST(Pinned, SpecialExponentsAgreeBitForBit) {
  std::vector<double> xs = {0.1, 1.7, 3.3, 123.456, 1e160, 7e-170};
  for (int i = 1; i <= 60; ++i) xs.push_back(std::exp2(i % 13 - 6) * (1.0 + i / 61.0));  // many mantissas
  int kernel_differs = 0;  // operands where std::pow would have rounded differently: the test can fail
  for (double x : xs)
    kernel_differs += (x * x * x != std::pow(x, 3.0)) || (1.0 / (x * x) != std::pow(x, -2.0));
  EXPECT_GT(kernel_differs, 0);
  for (double k : {2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 1.5, 2.5, -3.0, 4.0}) {
    for (double x : xs) {
      Value v(x);
      const Report r = check(v.pow(k));
      EXPECT_TRUE(r.exact()) << "x = " << x << ", k = " << k << "\n" << r;
      EXPECT_EQ(r.rows.back().value.comparison.ulps, 0U) << "x = " << x << ", k = " << k;
      EXPECT_EQ(r.rows.front().grad.comparison.ulps, 0U) << "x = " << x << ", k = " << k;
    }
  }
}

TEST(Pinned, CheckLeavesGradsAsTheyWere) {
  Value x(0.5), y(-2.0);
  x.grad() = 7.0;
  Value z = (x * y).tanh();
  const Report r = check(z);
  EXPECT_TRUE(r.exact()) << r;
  EXPECT_EQ(x.grad(), 7.0);
  EXPECT_EQ(y.grad(), 0.0);
  EXPECT_EQ(z.grad(), 0.0);
}

// A node with several users receives their contributions newest user first, as torch's engine runs
// nodes by decreasing sequence number. The three contributions make the order visible: 1 + 2^53 rounds
// back to 2^53, so (2^53 + 1) - 2^53 = 0 but (-2^53 + 2^53) + 1 = 1. The users are created u1, u2, u3,
// and a depth-first order from the root would visit u3 first (and sum u2, u1, u3: 0).
TEST(Pinned, SharedNodeSumsItsContributionsNewestUserFirstAsTorchDoes) {
  const double big = std::ldexp(1.0, 53);
  Value x(1.0, "x");
  Value u1 = x * 1.0;
  Value u2 = x * big;
  Value u3 = x * -big;
  Value root = u3 + (u1 + u2);
  const Report r = check(root);
  EXPECT_TRUE(r.exact()) << r;
  expect_both(row_of(r, x).grad, 1.0, "grad");
}

}  // namespace
}  // namespace verigrad::verify
