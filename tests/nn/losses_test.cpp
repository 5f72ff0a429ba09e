// Losses worked by hand: value and gradient, stability at +-1000, exact gradient at logit 0.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "nn/losses.hpp"

namespace verigrad::nn {
namespace {

std::vector<Value> leaves(const std::vector<double>& xs) { return {xs.begin(), xs.end()}; }

TEST(Losses, MseByHand) {
  std::vector<Value> p = leaves({1.0, 3.0});
  Value loss = mse_loss(p, {0.0, 1.0});  // (1^2 + 2^2) / 2
  EXPECT_DOUBLE_EQ(loss.data(), 2.5);
  loss.backward();
  EXPECT_DOUBLE_EQ(p[0].grad(), 1.0);  // 2 (p - t) / n
  EXPECT_DOUBLE_EQ(p[1].grad(), 2.0);
}

TEST(Losses, MaxMarginByHand) {
  std::vector<Value> s = leaves({0.5, -2.0, 3.0, 2.0});
  // relu(1 - y s): 0.5, 3, 4, relu(-1) = 0; mean = 7.5 / 4
  Value loss = max_margin_loss(s, {1, 1, -1, 1});
  EXPECT_DOUBLE_EQ(loss.data(), 1.875);
  loss.backward();
  EXPECT_DOUBLE_EQ(s[0].grad(), -0.25);  // -y / n where the margin is violated
  EXPECT_DOUBLE_EQ(s[1].grad(), -0.25);
  EXPECT_DOUBLE_EQ(s[2].grad(), 0.25);
  EXPECT_EQ(s[3].grad(), 0.0);
}

TEST(Losses, L2PenaltyAndSvmLossByHand) {
  std::vector<Value> params = leaves({1.0, -2.0});
  Value reg = l2_penalty(params, 0.5);  // 0.5 * (1 + 4)
  EXPECT_DOUBLE_EQ(reg.data(), 2.5);
  reg.backward();
  EXPECT_DOUBLE_EQ(params[0].grad(), 1.0);  // 2 alpha p
  EXPECT_DOUBLE_EQ(params[1].grad(), -2.0);
  EXPECT_EQ(l2_penalty({}, 0.5).data(), 0.0);

  params[0].grad() = params[1].grad() = 0.0;
  std::vector<Value> s = leaves({0.5});
  Value total = svm_loss(s, {1.0}, params, 0.5);  // 0.5 + 2.5
  EXPECT_DOUBLE_EQ(total.data(), 3.0);
  total.backward();
  EXPECT_DOUBLE_EQ(s[0].grad(), -1.0);
  EXPECT_DOUBLE_EQ(params[1].grad(), -2.0);
  EXPECT_DOUBLE_EQ(svm_loss(s, {1.0}).data(), 0.5);
}

// l2_penalty sums its squares in one Dot node; micrograd's version is a chain of Mul and Add nodes.
// Both give the same bits, value and gradients, for every kind of parameter value and upstream grad.
TEST(Losses, L2PenaltyIsBitForBitMicrogradsChain) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> values = {0.0, -0.0, 1e-300, -3.5, 1e154, 7.0, std::nan(""), -inf, 0.1, -0.7};
  for (int rotation = 0; rotation < static_cast<int>(values.size()); ++rotation) {  // each value first once
    std::rotate(values.begin(), values.begin() + 1, values.end());
    for (const double seed : {1.0, -2.5, 0.0, -0.0, 1e300}) {
      std::vector<Value> p = leaves(values), q = leaves(values);
      Value fused = l2_penalty(p, 1e-4);
      Value chain = q[0] * q[0];
      for (std::size_t i = 1; i < q.size(); ++i) chain = chain + q[i] * q[i];
      chain = chain * 1e-4;
      fused.backward(seed);
      chain.backward(seed);
      auto bits = [](double x) {
        std::uint64_t b = 0;
        std::memcpy(&b, &x, sizeof b);
        return b;
      };
      EXPECT_EQ(bits(fused.data()), bits(chain.data()));
      for (std::size_t i = 0; i < p.size(); ++i) {
        EXPECT_EQ(bits(p[i].grad()), bits(q[i].grad())) << "parameter " << i << ", seed " << seed;
      }
    }
  }
}

TEST(Losses, BinaryCrossEntropyByHand) {
  std::vector<Value> z = leaves({0.0, 2.0});
  // log(1 + e^0) - 1*0 and log(1 + e^2) - 0*2, averaged
  Value loss = bce_with_logits_loss(z, {1.0, 0.0});
  EXPECT_NEAR(loss.data(), (std::log(2.0) + std::log1p(std::exp(2.0))) / 2.0, 1e-15);
  loss.backward();
  EXPECT_EQ(z[0].grad(), -0.25);  // (sigmoid(0) - 1) / 2, exactly
  EXPECT_NEAR(z[1].grad(), 0.5 / (1.0 + std::exp(-2.0)), 1e-16);
}

TEST(Losses, BinaryCrossEntropyGradientIsExactAtZero) {
  for (double y : {0.0, 1.0, 0.25}) {
    Value z(0.0);
    Value loss = bce_with_logits_loss({z}, {y});
    EXPECT_DOUBLE_EQ(loss.data(), std::log(2.0));  // log(1 + e^0) - y * 0
    loss.backward();
    EXPECT_EQ(z.grad(), 0.5 - y) << "y = " << y;
  }
}

TEST(Losses, BinaryCrossEntropyIsStableAtPlusMinus1000) {
  struct Case {
    double z, y, loss, grad;  // loss = softplus(z) - y z, grad = sigmoid(z) - y
  };
  for (const Case& c :
       {Case{1000, 0, 1000, 1}, Case{1000, 1, 0, 0}, Case{-1000, 0, 0, 0}, Case{-1000, 1, 1000, -1}}) {
    Value z(c.z);
    Value loss = bce_with_logits_loss({z}, {c.y});
    loss.backward();
    EXPECT_EQ(loss.data(), c.loss) << c.z << " " << c.y;
    EXPECT_EQ(z.grad(), c.grad) << c.z << " " << c.y;
  }
}

TEST(Losses, SoftmaxCrossEntropyByHand) {
  std::vector<Value> a = leaves({0.0, 0.0});
  std::vector<Value> b = leaves({1.0, 2.0, 3.0});
  // sample a: log 2 - 0; sample b: log(e + e^2 + e^3) - 3 = log(e^-2 + e^-1 + 1). Both over 2 samples.
  const double lb = std::log(std::exp(-2.0) + std::exp(-1.0) + 1.0);
  Value loss = softmax_cross_entropy({a, b}, {0, 2});
  EXPECT_NEAR(loss.data(), (std::log(2.0) + lb) / 2.0, 1e-15);
  loss.backward();
  // (softmax - onehot) / n
  EXPECT_EQ(a[0].grad(), -0.25);
  EXPECT_EQ(a[1].grad(), 0.25);
  const double total = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(b[0].grad(), std::exp(1.0) / total / 2.0, 1e-16);
  EXPECT_NEAR(b[1].grad(), std::exp(2.0) / total / 2.0, 1e-16);
  EXPECT_NEAR(b[2].grad(), (std::exp(3.0) / total - 1.0) / 2.0, 1e-16);
}

TEST(Losses, SoftmaxCrossEntropyIsStableAndExactAtTies) {
  std::vector<Value> z = leaves({1000.0, -1000.0});
  Value loss = softmax_cross_entropy({z}, {1});  // logsumexp = 1000, minus -1000
  loss.backward();
  EXPECT_EQ(loss.data(), 2000.0);
  EXPECT_EQ(z[0].grad(), 1.0);
  EXPECT_EQ(z[1].grad(), -1.0);

  std::vector<Value> t = leaves({1000.0, 1000.0});
  Value tie = softmax_cross_entropy({t}, {0});
  tie.backward();
  EXPECT_NEAR(tie.data(), std::log(2.0), 1e-12);  // (1000 + log 2) - 1000 rounds at 1000's ulp
  EXPECT_EQ(t[0].grad(), -0.5);
  EXPECT_EQ(t[1].grad(), 0.5);

  std::vector<Value> zero = leaves({0.0, 0.0, 0.0, 0.0});
  Value at_zero = softmax_cross_entropy({zero}, {3});
  at_zero.backward();
  EXPECT_EQ(zero[0].grad(), 0.25);
  EXPECT_EQ(zero[3].grad(), -0.75);
}

TEST(Losses, Accuracy) {
  const std::vector<Value> s = leaves({0.5, -0.2, 0.1, -3.0});
  EXPECT_EQ(binary_accuracy(s, {1, -1, -1, 1}), 0.5);  // right, right, wrong, wrong
  EXPECT_EQ(binary_accuracy(s, {1, 0, 0, 1}), 0.5);    // 0/1 labels read the same way
  EXPECT_EQ(binary_accuracy(s, {1, -1, 1, -1}), 1.0);
  const std::vector<std::vector<Value>> logits = {leaves({1, 2, 0}), leaves({3, 1, 1}), leaves({2, 2, 0})};
  EXPECT_DOUBLE_EQ(multiclass_accuracy(logits, {1, 2, 0}), 2.0 / 3.0);  // a tie goes to the first
}

TEST(Losses, BadArgumentsThrow) {
  const std::vector<Value> s = leaves({0.5, -0.2});
  EXPECT_THROW(mse_loss(s, {1.0}), std::invalid_argument);
  EXPECT_THROW(mse_loss({}, {}), std::invalid_argument);
  EXPECT_THROW(max_margin_loss(s, {1.0, 0.0}), std::invalid_argument);  // svm labels are +-1
  EXPECT_THROW(bce_with_logits_loss(s, {1.0, 2.0}), std::invalid_argument);
  EXPECT_THROW(softmax_cross_entropy({s}, {2}), std::invalid_argument);
  EXPECT_THROW(softmax_cross_entropy({s}, {-1}), std::invalid_argument);
}

// logsumexp shifts by the largest logit, even when every logit is very negative.
TEST(Losses, SoftmaxCrossEntropyIsStableForVeryNegativeLogits) {
  std::vector<Value> z = leaves({-1000.0, -1001.0});
  Value loss = softmax_cross_entropy({z}, {0});
  EXPECT_NEAR(loss.data(), std::log1p(std::exp(-1.0)), 1e-12);
  loss.backward();
  EXPECT_NEAR(z[0].grad(), 1.0 / (1.0 + std::exp(-1.0)) - 1.0, 1e-15);
}

// mse, bce and ce divide the sum by n as torch's reduction='mean' does (not multiply by 1/n): with
// three samples the two round differently, and the loss must be the division bit for bit.
TEST(Losses, MeansDivideByNAsTorchDoes) {
  int differ = 0;
  for (double t : {0.1, 0.3, 0.7, 1.3, 2.9}) {
    const std::vector<double> p = {0.2, -0.4, t};
    const double sum =
        (p[0] - 1.0) * (p[0] - 1.0) + (p[1] - 1.0) * (p[1] - 1.0) + (p[2] - 1.0) * (p[2] - 1.0);
    differ += sum / 3.0 != sum * (1.0 / 3.0) ? 1 : 0;
    EXPECT_EQ(mse_loss(leaves(p), {1.0, 1.0, 1.0}).data(), sum / 3.0) << t;
  }
  EXPECT_GT(differ, 0) << "these samples cannot tell the two means apart";
}

// micrograd's max-margin mean is sum(losses) * (1.0 / n): again the other rounding, bit for bit.
TEST(Losses, MaxMarginMeanIsMicrogradsProduct) {
  int differ = 0;
  for (double s : {0.1, 23.0 / 97, 24.0 / 97, 40.0 / 97, 0.9}) {
    const std::vector<double> scores = {s, -0.2, 0.45};
    const double sum = (1.0 - s) + (1.0 - 0.2) + (1.0 - 0.45);  // labels +1, -1, +1: margins violated
    const Value loss = max_margin_loss(leaves(scores), {1.0, -1.0, 1.0});
    const double sum_as_built =
        ((scores[0] * -1.0 + 1.0) + (scores[1] * 1.0 + 1.0)) + (scores[2] * -1.0 + 1.0);
    differ += sum_as_built * (1.0 / 3.0) != sum_as_built / 3.0 ? 1 : 0;
    EXPECT_EQ(loss.data(), sum_as_built * (1.0 / 3.0)) << s;
    EXPECT_NEAR(loss.data(), sum / 3.0, 1e-15);
  }
  EXPECT_GT(differ, 0) << "these samples cannot tell the two means apart";
}

// A score of exactly 0 is not a positive prediction; the first of tied logits wins.
TEST(Losses, AccuracyAtBoundaries) {
  EXPECT_EQ(binary_accuracy(leaves({0.0, 0.0}), {-1.0, 1.0}), 0.5);
  EXPECT_EQ(binary_accuracy(leaves({0.0, 0.5}), {0.0, 1.0}), 1.0);  // 0/1 labels with logit scores
  EXPECT_EQ(multiclass_accuracy({leaves({2.0, 2.0, 1.0})}, {0}), 1.0);
  EXPECT_EQ(multiclass_accuracy({leaves({2.0, 2.0, 1.0})}, {1}), 0.0);
  EXPECT_EQ(multiclass_accuracy({leaves({1.0, 3.0}), leaves({5.0, 4.0})}, {1, 1}), 0.5);
}

// svm_loss's alpha defaults to 0: parameters alone add no L2 term.
TEST(Losses, SvmLossAlphaDefaultsToZero) {
  std::vector<Value> s = leaves({0.5, -0.25});
  const std::vector<Value> params = leaves({3.0, -4.0});
  EXPECT_EQ(svm_loss(s, {1.0, -1.0}, params).data(), max_margin_loss(s, {1.0, -1.0}).data());
  EXPECT_EQ(svm_loss(s, {1.0, -1.0}, params, 0.01).data(),
            (max_margin_loss(s, {1.0, -1.0}) + l2_penalty(params, 0.01)).data());
}

// l2_penalty builds micrograd's sum(p * p): a Mul whose two contributions reach p one after the
// other. When p already holds a gradient, (x + g p) + g p rounds differently from x + g (2 p), which
// p ** 2 would give; the gradient must be the Mul's, bit for bit.
TEST(Losses, L2PenaltyIsMicrogradsSumOfProducts) {
  int differ = 0;
  for (double pv : {0.113, 0.213, 0.313, 0.413, 0.7}) {
    for (double c : {2.3, -0.9, 0.7, 0.3}) {
      // The penalty is created before the linear term, as in a training step (data loss, then L2):
      // backward runs newest first, so p's gradient sums c first and then the penalty's share, where
      // p * p's two halves round differently from p ** 2's one product. (Named temporaries: the order
      // in which C++ evaluates the operands of + is unspecified.)
      Value p(pv), q(pv), r(pv);
      const Value p_pen = l2_penalty({p}, 0.5);
      const Value p_lin = p * c;
      (p_pen + p_lin).backward();
      const Value q_pen = (q * q) * 0.5;
      const Value q_lin = q * c;
      (q_pen + q_lin).backward();
      const Value r_pen = r.pow(2.0) * 0.5;
      const Value r_lin = r * c;
      (r_pen + r_lin).backward();
      EXPECT_EQ(p.grad(), q.grad()) << pv << " " << c;
      differ += r.grad() != q.grad() ? 1 : 0;
    }
  }
  EXPECT_GT(differ, 0) << "these values cannot tell p * p from p ** 2";
}

}  // namespace
}  // namespace verigrad::nn
