// Bit-exactness claims of engine/ops.hpp, fed inputs that expose a last-bit difference: each test
// first shows that the tempting alternative formula rounds differently on its inputs (so the test can
// fail), then that the engine rounds exactly like torch's formula.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "engine/ops.hpp"
#include "engine/value.hpp"

namespace verigrad {
namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// 2000 operands spread over many binades, positive and negative, from a fixed seed.
std::vector<double> operands() {
  std::mt19937_64 rng(12);
  std::uniform_real_distribution<double> mantissa(1.0, 2.0), exponent(-30.0, 30.0);
  std::vector<double> xs;
  for (int i = 0; i < 2000; ++i)
    xs.push_back((i % 2 ? -1.0 : 1.0) * mantissa(rng) * std::exp2(std::round(exponent(rng))));
  return xs;
}

// ours(x) equals torch(x) bit for bit on every operand, and alternative(x) does not on at least one.
void expect_torchs_rounding(const std::function<double(double)>& ours,
                            const std::function<double(double)>& torch,
                            const std::function<double(double)>& alternative) {
  int differs = 0;
  for (double x : operands()) {
    ASSERT_TRUE(same_bits(ours(x), torch(x))) << "x = " << x << ": " << ours(x) << " vs " << torch(x);
    differs += same_bits(alternative(x), torch(x)) ? 0 : 1;
  }
  EXPECT_GT(differs, 0) << "these operands cannot tell the formulas apart";
}

// d(out)/d(x) * g through backward, with an upstream gradient g that is not a power of two.
double grad_with_upstream(double x, double g, Value (*f)(const Value&)) {
  Value v(x);
  f(v).backward(g);
  return v.grad();
}

constexpr double kG = 0.7;  // upstream: not a power of two, so every multiplication rounds

TEST(BitExact, DerivativesRoundAsTorchsFormulas) {
  // log: grad / x (not grad * (1 / x))
  expect_torchs_rounding([](double x) { return grad_with_upstream(std::fabs(x), kG, log); },
                         [](double x) { return kG / std::fabs(x); },
                         [](double x) { return kG * (1.0 / std::fabs(x)); });
  // tanh: grad * (1 - out * out), for x in (-3, 3) where it is not saturated
  expect_torchs_rounding([](double x) { return grad_with_upstream(std::fmod(x, 3.0), kG, tanh); },
                         [](double x) {
                           const double t = std::tanh(std::fmod(x, 3.0));
                           return kG * (1.0 - t * t);
                         },
                         [](double x) {
                           const double t = std::tanh(std::fmod(x, 3.0));
                           return kG * ((1.0 - t) * (1.0 + t));
                         });
  // sigmoid: (grad * (1 - out)) * out
  expect_torchs_rounding([](double x) { return grad_with_upstream(std::fmod(x, 20.0), kG, sigmoid); },
                         [](double x) {
                           const double s = 1.0 / (1.0 + std::exp(-std::fmod(x, 20.0)));
                           return kG * (1.0 - s) * s;
                         },
                         [](double x) {
                           const double s = 1.0 / (1.0 + std::exp(-std::fmod(x, 20.0)));
                           return kG * s * (1.0 - s);
                         });
  // a / b: d/da = grad / b (not grad * (1 / b))
  expect_torchs_rounding(
      [](double b) {
        Value a(1.5), v(b);
        (a / v).backward(kG);
        return a.grad();
      },
      [](double b) { return kG / b; }, [](double b) { return kG * (1.0 / b); });
}

// x ** k for torch's special exponents: the kernel's formula, not std::pow, bit for bit.
TEST(BitExact, SpecialExponentsAreTorchsKernels) {
  expect_torchs_rounding([](double x) { return Value(x).pow(3.0).data(); },
                         [](double x) { return x * x * x; }, [](double x) { return std::pow(x, 3.0); });
  expect_torchs_rounding([](double x) { return Value(x).pow(-2.0).data(); },
                         [](double x) { return 1.0 / (x * x); }, [](double x) { return 1.0 / x / x; });
  // The derivative goes through the same dispatch: d(x ** 4) = 4 * x ** 3 with x ** 3 = x * x * x.
  expect_torchs_rounding(
      [](double x) { return grad_with_upstream(x, 1.0, [](const Value& v) { return v.pow(4.0); }); },
      [](double x) { return 4.0 * (x * x * x); }, [](double x) { return 4.0 * std::pow(x, 3.0); });
}

TEST(OpTable, KindNamesAreTheEnumsSpelling) {
  const char* expected[] = {"Leaf",     "Neg", "Exp", "Log", "Tanh", "Relu", "Sigmoid", "Abs",
                            "PowConst", "Add", "Sub", "Mul", "Div",  "Pow",  "Dot"};
  ASSERT_EQ(std::size(kAllOps), std::size(expected));
  for (std::size_t i = 0; i < std::size(kAllOps); ++i) EXPECT_STREQ(op_kind_name(kAllOps[i]), expected[i]);
  EXPECT_STREQ(op_name(Op::Leaf), "");
  EXPECT_STREQ(op_name(Op::Dot), "dot");
  EXPECT_EQ(op_arity(Op::Leaf), 0);
  EXPECT_EQ(op_arity(Op::Dot), -1);
}

// kAllOps lists every op of the enum, in enum order (generators and tests rely on it to cover them).
TEST(OpTable, AllOpsListsEveryOpInOrder) {
  ASSERT_EQ(std::size(kAllOps), static_cast<std::size_t>(Op::Dot) + 1);
  for (std::size_t i = 0; i < std::size(kAllOps); ++i) EXPECT_EQ(static_cast<std::size_t>(kAllOps[i]), i);
}

// The table's functions given an op of the other kind (or a leaf) answer NaN rather than a number.
TEST(OpTable, OpsOfTheOtherArityGiveNaN) {
  EXPECT_TRUE(std::isnan(unary_forward(Op::Add, 1.0, 0.0)));
  EXPECT_TRUE(std::isnan(unary_backward(Op::Mul, 1.0, 1.0, 0.0, 1.0)));
  EXPECT_TRUE(std::isnan(binary_forward(Op::Exp, 1.0, 2.0)));
  EXPECT_TRUE(std::isnan(binary_backward(Op::Leaf, 1.0, 1.0, 2.0, 3.0).da));
  EXPECT_TRUE(std::isnan(binary_backward(Op::Dot, 1.0, 1.0, 2.0, 3.0).db));
}

}  // namespace
}  // namespace verigrad
