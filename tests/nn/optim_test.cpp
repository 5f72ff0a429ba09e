// Optimisers on one parameter, two or three steps worked by hand from torch's update rules.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "nn/optim.hpp"

namespace verigrad::nn {
namespace {

// Runs opt for the given gradients (set by hand each step) and returns p after each step.
template <typename Opt>
std::vector<double> run(Opt& opt, Value& p, const std::vector<double>& grads) {
  std::vector<double> trace;
  for (double g : grads) {
    p.grad() = g;
    opt.step();
    trace.push_back(p.data());
  }
  return trace;
}

TEST(SGD, PlainStepIsPMinusLrTimesGrad) {
  Value p(1.0);
  SGD opt({p}, {0.1});
  const auto t = run(opt, p, {0.5, 0.5, -1.0});
  EXPECT_DOUBLE_EQ(t[0], 0.95);
  EXPECT_DOUBLE_EQ(t[1], 0.9);
  EXPECT_DOUBLE_EQ(t[2], 1.0);
  EXPECT_EQ(opt.step_count(), 3);
}

TEST(SGD, MomentumStartsTheBufferAtTheFirstGradient) {
  Value p(1.0);
  SGD opt({p}, {0.1, 0.9});
  const auto t = run(opt, p, {1.0, 1.0, 1.0});
  EXPECT_DOUBLE_EQ(t[0], 0.9);    // buf = 1
  EXPECT_DOUBLE_EQ(t[1], 0.71);   // buf = 0.9 + 1 = 1.9
  EXPECT_DOUBLE_EQ(t[2], 0.439);  // buf = 1.71 + 1 = 2.71
}

TEST(SGD, DampeningScalesLaterGradientsOnly) {
  Value p(1.0);
  SGD opt({p}, {0.1, 0.9, 0.5});
  const auto t = run(opt, p, {1.0, 1.0});
  EXPECT_DOUBLE_EQ(t[0], 0.9);   // buf = 1, undamped
  EXPECT_DOUBLE_EQ(t[1], 0.76);  // buf = 0.9 + 0.5 = 1.4
}

TEST(SGD, WeightDecayAddsWdTimesP) {
  Value p(1.0);
  SGD opt({p}, {0.1, 0.0, 0.0, 0.1});
  const auto t = run(opt, p, {0.0, 0.0});
  EXPECT_DOUBLE_EQ(t[0], 0.99);    // d = 0.1 * 1
  EXPECT_DOUBLE_EQ(t[1], 0.9801);  // d = 0.1 * 0.99
}

TEST(SGD, NesterovLooksAhead) {
  Value p(1.0);
  SGD opt({p}, {0.1, 0.9, 0.0, 0.0, true});
  const auto t = run(opt, p, {1.0, 1.0});
  EXPECT_DOUBLE_EQ(t[0], 0.81);   // buf = 1, d = 1 + 0.9 * 1
  EXPECT_DOUBLE_EQ(t[1], 0.539);  // buf = 1.9, d = 1 + 0.9 * 1.9
  EXPECT_THROW(SGD({p}, SGDOptions{0.1, 0.0, 0.0, 0.0, true}), std::invalid_argument);
  EXPECT_THROW(SGD({p}, SGDOptions{0.1, 0.9, 0.1, 0.0, true}), std::invalid_argument);
}

TEST(SGD, ScheduleGivesEachStepsLearningRate) {
  Value p(1.0);
  SGD opt({p}, {0.5}, [](int k) { return 1.0 - 0.9 * k / 100; });  // micrograd's demo schedule
  EXPECT_EQ(opt.lr(), 1.0);
  p.grad() = 1.0;
  opt.step();
  EXPECT_DOUBLE_EQ(p.data(), 0.0);
  EXPECT_DOUBLE_EQ(opt.lr(), 0.991);
  opt.step();
  EXPECT_DOUBLE_EQ(p.data(), -0.991);
  EXPECT_EQ(opt.step_count(), 2);
  SGD fixed({p}, {0.5});
  EXPECT_EQ(fixed.lr(), 0.5);
}

TEST(SGD, ZeroGradClearsEveryParameter) {
  Value a(1.0), b(2.0);
  a.grad() = 3.0;
  b.grad() = 4.0;
  SGD opt({a, b});
  opt.zero_grad();
  EXPECT_EQ(a.grad(), 0.0);
  EXPECT_EQ(b.grad(), 0.0);
}

constexpr double kEps = 1e-8;

TEST(Adam, FirstStepsAreLrTimesSignForConstantGradients) {
  // t = 1: m = 0.1, v = 0.001; m / (1 - 0.9) = 1, sqrt(v / (1 - 0.999)) = 1 -> step lr / (1 + eps).
  // t = 2: m = 0.19, v = 0.001999; bias-corrected again 1 and 1.
  Value p(1.0);
  Adam opt({p}, {0.1});
  const auto t = run(opt, p, {1.0, 1.0});
  EXPECT_NEAR(t[0], 1.0 - 0.1 / (1.0 + kEps), 1e-15);
  EXPECT_NEAR(t[1], 1.0 - 0.2 / (1.0 + kEps), 1e-15);
}

TEST(Adam, SignFlipShrinksTheStep) {
  // t = 2 with g = -1: m = 0.09 - 0.1 = -0.01, m_hat = -0.01 / 0.19 = -1/19; v_hat = 0.001999 / 0.001999.
  Value p(1.0);
  Adam opt({p}, {0.1});
  const auto t = run(opt, p, {1.0, -1.0});
  EXPECT_NEAR(t[1], 1.0 - 0.1 / (1.0 + kEps) + (0.1 / 19.0) / (1.0 + kEps), 1e-15);
}

TEST(Adam, WeightDecayIsAddedToTheGradient) {
  // g = 1 + 0.5 * 1 = 1.5: m_hat = 1.5, sqrt(v_hat) = 1.5.
  Value p(1.0);
  Adam opt({p}, {0.1, 0.9, 0.999, kEps, 0.5});
  run(opt, p, {1.0});
  EXPECT_NEAR(p.data(), 1.0 - 0.1 * 1.5 / (1.5 + kEps), 1e-15);
  // With a zero gradient the decay alone drives the step: g = 0.5 * p.
  Value q(1.0);
  Adam decay_only({q}, {0.1, 0.9, 0.999, kEps, 0.5});
  run(decay_only, q, {0.0});
  EXPECT_NEAR(q.data(), 1.0 - 0.1 * 0.5 / (0.5 + kEps), 1e-15);
}

TEST(AdamW, DecaysTheParameterBeforeTheAdamStep) {
  // p = p * (1 - lr wd) = 0.95, then the Adam step of the raw gradient, lr / (1 + eps).
  Value p(1.0);
  AdamW opt({p}, {0.1, 0.9, 0.999, kEps, 0.5});
  const auto t = run(opt, p, {1.0, 1.0});
  const double step = 0.1 / (1.0 + kEps);
  EXPECT_NEAR(t[0], 0.95 - step, 1e-15);
  EXPECT_NEAR(t[1], (0.95 - step) * 0.95 - step, 1e-15);
  EXPECT_EQ(AdamWOptions{}.weight_decay, 1e-2);  // torch's default
}

TEST(Adam, ScheduleAndStepCount) {
  Value p(1.0);
  Adam opt({p}, {}, [](int k) { return 0.1 * (k + 1); });
  EXPECT_DOUBLE_EQ(opt.lr(), 0.1);
  run(opt, p, {1.0, 1.0});
  EXPECT_NEAR(p.data(), 1.0 - 0.3 / (1.0 + kEps), 1e-14);  // lr 0.1 then 0.2
  EXPECT_EQ(opt.step_count(), 2);
  EXPECT_THROW(Adam({p}, AdamOptions{0.1, 1.0}), std::invalid_argument);
}

// torch::optim::SGD's defaults here: lr 0.01, no momentum, dampening or decay; lr must be a number >= 0.
TEST(SGD, DefaultsAreTorchs) {
  Value p(1.0);
  SGD opt({p});
  EXPECT_EQ(opt.lr(), 0.01);
  run(opt, p, {0.5, 0.5});
  EXPECT_EQ(p.data(), (1.0 + -0.01 * 0.5) + -0.01 * 0.5);  // plain steps: no momentum buffer
  EXPECT_THROW(SGD({p}, {std::nan("")}), std::invalid_argument);
  EXPECT_THROW(SGD({p}, {-0.1}), std::invalid_argument);
}

// torch::optim::Adam's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no decay. Gradients of
// different sizes make the second step depend on both betas and on eps.
TEST(Adam, DefaultsAreTorchs) {
  Value p(1.0);
  Adam opt({p});
  EXPECT_EQ(opt.lr(), 1e-3);
  run(opt, p, {1e-4, 3e-4});
  double m = 0.0, v = 0.0, want = 1.0;
  int t = 0;
  for (double g : {1e-4, 3e-4}) {
    ++t;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    const double m_hat = m / (1.0 - std::pow(0.9, t));
    const double v_hat = v / (1.0 - std::pow(0.999, t));
    want -= 1e-3 * m_hat / (std::sqrt(v_hat) + 1e-8);
  }
  EXPECT_NEAR(p.data(), want, 1e-15);
}

// Options in combination, against torch's SGD step written out here: d = g + wd * p; buf = d on the
// first step, else momentum * buf + (1 - dampening) * d; nesterov: d + momentum * buf, else buf.
TEST(SGD, OptionsCombine) {
  struct Case {
    double momentum, dampening, weight_decay;
    bool nesterov;
  };
  for (const Case& c : {Case{0.9, 0.0, 0.1, true}, Case{0.9, 0.3, 0.1, false}, Case{0.5, 0.0, 0.2, false},
                        Case{0.0, 0.0, 0.1, false}}) {
    Value p(1.5);
    SGD opt({p}, {0.1, c.momentum, c.dampening, c.weight_decay, c.nesterov});
    const std::vector<double> grads = {0.5, -0.25, 1.0};
    const std::vector<double> trace = run(opt, p, grads);
    double want = 1.5, buf = 0.0;
    for (std::size_t t = 0; t < grads.size(); ++t) {
      double d = grads[t] + c.weight_decay * want;
      if (c.momentum != 0.0) {
        buf = t == 0 ? d : c.momentum * buf + (1.0 - c.dampening) * d;
        d = c.nesterov ? d + c.momentum * buf : buf;
      }
      want -= 0.1 * d;
      EXPECT_NEAR(trace[t], want, 1e-15)
          << c.momentum << " " << c.dampening << " " << c.weight_decay << " step " << t;
    }
  }
}

// Adam's weight decay and a schedule together: the decay is added to the gradient at the scheduled lr.
TEST(Adam, WeightDecayWithASchedule) {
  Value p(2.0);
  Adam opt({p}, {0.0, 0.9, 0.999, 1e-8, 0.5}, [](int k) { return 0.1 / (k + 1); });
  const std::vector<double> trace = run(opt, p, {1.0, 1.0});
  double m = 0.0, v = 0.0, want = 2.0;
  for (int t = 1; t <= 2; ++t) {
    const double g = 1.0 + 0.5 * want;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    want -= (0.1 / t) * (m / (1.0 - std::pow(0.9, t))) / (std::sqrt(v / (1.0 - std::pow(0.999, t))) + 1e-8);
    EXPECT_NEAR(trace[static_cast<std::size_t>(t - 1)], want, 1e-15) << t;
  }
}

}  // namespace
}  // namespace verigrad::nn
