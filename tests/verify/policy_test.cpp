// The comparison policy (verify/compare.hpp) at its edges, the rounding verdict, finite differences'
// step and verdicts, and the graph specs the generators shrink.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "verify/check.hpp"
#include "verify/compare.hpp"
#include "verify/finite_diff.hpp"
#include "verify/graph_spec.hpp"

namespace verigrad::verify {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(ComparePolicy, NaNAndInfinities) {
  EXPECT_TRUE(compare(kNaN, kNaN).agree);
  EXPECT_EQ(compare(kNaN, kNaN).ulps, 0u);
  EXPECT_FALSE(compare(kNaN, 1.0).agree);
  EXPECT_FALSE(compare(1.0, kNaN).agree);
  EXPECT_TRUE(std::isnan(compare(1.0, kNaN).difference));
  EXPECT_EQ(compare(1.0, kNaN).ulps, std::numeric_limits<std::uint64_t>::max());
  EXPECT_TRUE(compare(kInf, kInf).agree);
  EXPECT_FALSE(compare(kInf, -kInf).agree);
  EXPECT_FALSE(compare(kInf, 1e308).agree);
  EXPECT_FALSE(compare(-1e308, -kInf, {1.0, 1e308}).agree);  // no tolerance reaches an infinity
  EXPECT_EQ(compare(kInf, 1.0).difference, kInf);
}

// |a - b| <= atol + rtol * max(|a|, |b|): inclusive, and the same whichever side is ours.
TEST(ComparePolicy, ToleranceIsInclusiveAndSymmetric) {
  EXPECT_TRUE(compare(1.0, 1.5, {0.0, 0.5}).agree);  // the difference equals the allowance
  EXPECT_FALSE(compare(1.0, 1.5000000000000002, {0.0, 0.5}).agree);
  EXPECT_TRUE(compare(1.0, 2.0, {0.5, 0.0}).agree);  // rtol scales with the larger magnitude
  EXPECT_TRUE(compare(2.0, 1.0, {0.5, 0.0}).agree);
  EXPECT_FALSE(compare(1.0, 2.0, {0.4, 0.0}).agree);
  EXPECT_TRUE(compare(0.0, -0.0).agree);
  EXPECT_EQ(compare(0.0, -0.0).ulps, 0u);
  EXPECT_TRUE(compare(1e-301, 0.0).agree);  // atol 1e-300
  EXPECT_FALSE(compare(1e-299, 0.0).agree);
  // compare_scaled: the scale replaces max(|a|, |b|) and the slack is added.
  EXPECT_TRUE(compare_scaled(1.0, 1.5, 0.0, 0.5, {0.0, 0.0}).agree);
  EXPECT_FALSE(compare_scaled(1.0, 1.5, 0.0, 0.25, {0.0, 0.0}).agree);
  EXPECT_TRUE(compare_scaled(1.0, 1.5, 10.0, 0.0, {0.05, 0.0}).agree);
}

TEST(ComparePolicy, UlpDistance) {
  EXPECT_EQ(ulp_distance(1.0, 1.0), 0u);
  EXPECT_EQ(ulp_distance(1.0, std::nextafter(1.0, 2.0)), 1u);
  EXPECT_EQ(ulp_distance(0.0, -0.0), 0u);
  EXPECT_EQ(ulp_distance(5e-324, -5e-324), 2u);
  EXPECT_EQ(ulp_distance(-1.0, std::nextafter(-1.0, 0.0)), 1u);
  EXPECT_EQ(ulp_distance(kNaN, 1.0), std::numeric_limits<std::uint64_t>::max());
  EXPECT_GT(ulp_distance(-kInf, kInf), ulp_distance(-kInf, 0.0));  // does not overflow
}

// Where glibc's tanh and torch's SLEEF kernel differ by an ulp near saturation, the derivatives
// 1 - out^2 differ by far more than rtol; check() must call that rounding, not a mismatch.
TEST(Pinned, TanhNearSaturationIsRoundingNotAMismatch) {
  int rounding = 0;
  for (double x = 17.0; x < 20.0; x += 0.01) {
    Value v(x);
    const Report r = check(v.tanh());
    ASSERT_TRUE(r.matches()) << r;
    rounding += r.count(Verdict::Rounding) > 0 ? 1 : 0;
  }
  EXPECT_GT(rounding, 0) << "no point in [17, 20) where glibc and torch round tanh differently";
}

// The same rounding with an infinite upstream gradient (found by bench_agreement in 10^5 random
// graphs): d/du of (tanh(u) + c) ** big is inf * (1 - out^2), inf with glibc's 1 - 2^-53 and NaN with
// torch's 1.0. A distance cannot measure that; torch's own gradient where its output reaches ours can.
TEST(Pinned, InfiniteGradientThroughSaturatedTanhIsRounding) {
  Value u(18.742233554383155, "u");
  Value exponent(17155.811576448035, "e");
  const Value t = u.tanh();
  ASSERT_LT(t.data(), 1.0) << "glibc's tanh no longer rounds below 1 here: the case needs a new point";
  const Value s = t + 11.359503496857549;
  const Value z = s.pow(exponent);
  const Report r = check(z);
  const NodeRow& row = r.rows.front();  // u, the first node created
  ASSERT_EQ(row.name, "u");
  EXPECT_TRUE(std::isinf(row.grad.ours)) << r;
  EXPECT_TRUE(std::isnan(row.grad.torch)) << r;  // torch's tanh is 1.0 here: inf * 0
  EXPECT_EQ(row.grad.verdict, Verdict::Rounding) << r;
  EXPECT_TRUE(r.matches()) << r;
}

// gradcheck's step: eps * max(1, |x|).
TEST(FiniteDifferences, StepIsGradchecksScaledToTheLeaf) {
  for (double x : {0.5, 3.0, -250.0}) {
    Value v(x);
    const Value y = v * v;
    const FdProbe p = probe_gradient(y, v, 2.0 * x);
    EXPECT_EQ(p.step, 1e-6 * std::fmax(1.0, std::fabs(x))) << x;
    EXPECT_EQ(p.verdict, FdVerdict::Agree);
  }
}

TEST(FiniteDifferences, KinksAndUnstablePointsAreNotFailures) {
  Value x(0.0, "x"), y(0.0, "y"), z(0.7, "z");
  const FdReport r = finite_differences(x.relu() + y.pow(0.5) + z * z);
  EXPECT_EQ(r.count(FdVerdict::Kink), 1u) << r.to_table();
  EXPECT_EQ(r.count(FdVerdict::Unstable), 1u) << r.to_table();
  EXPECT_EQ(r.count(FdVerdict::Agree), 1u) << r.to_table();
  EXPECT_TRUE(r.ok());
}

TEST(GraphSpec, BuildRejectsForwardReferences) {
  GraphSpec self{{NodeSpec{Op::Leaf, {}, 1.0}, NodeSpec{Op::Neg, {1}, 0.0}}};
  EXPECT_THROW(build(self), std::invalid_argument);
  GraphSpec later{{NodeSpec{Op::Leaf, {}, 1.0}, NodeSpec{Op::Add, {0, 2}, 0.0}, NodeSpec{Op::Leaf, {}, 2.0}}};
  EXPECT_THROW(build(later), std::invalid_argument);
  GraphSpec arity{{NodeSpec{Op::Leaf, {}, 1.0}, NodeSpec{Op::Add, {0}, 0.0}}};
  EXPECT_THROW(build(arity), std::invalid_argument);
}

// Shrinking moves a leaf's value toward 0 and +-1 first, and a root toward its operands.
TEST(GraphSpec, ShrinkingMovesNumbersTowardZeroAndOne) {
  const GraphSpec spec{{NodeSpec{Op::Leaf, {}, 3.7}, NodeSpec{Op::Tanh, {0}, 0.0}}};
  bool zero = false, one = false, root_to_leaf = false;
  for (const GraphSpec& s : shrinks(spec)) {
    if (s.nodes.size() == 2 && s.nodes[0].constant == 0.0) zero = true;
    if (s.nodes.size() == 2 && s.nodes[0].constant == 1.0) one = true;
    if (s.nodes.size() == 1) root_to_leaf = true;
  }
  EXPECT_TRUE(zero);
  EXPECT_TRUE(one);
  EXPECT_TRUE(root_to_leaf);
}

}  // namespace
}  // namespace verigrad::verify
