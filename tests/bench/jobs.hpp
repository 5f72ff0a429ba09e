// The benchmark jobs, shared by bench_engine (timed) and bench_profile (callgrind): issue 5's demo step
// and scalar chain, each as a user writes it with verigrad and as plain hand-written loops (the floor).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#include "common.hpp"
#include "engine/value.hpp"
#include "nn/network.hpp"

namespace verigrad::bench {

// ---- the floor: the demo MLP by hand ---------------------------------------------------------------

struct FloorMLP {
  static constexpr int H = kHidden;
  std::array<std::array<double, 2>, H> w1{};
  std::array<double, H> b1{};
  std::array<std::array<double, H>, H> w2{};
  std::array<double, H> b2{};
  std::array<double, H> w3{};
  double b3 = 0.0;
};

// Initialised from the engine's MLP, so both do the same arithmetic on the same numbers.
FloorMLP floor_from(const nn::MLP& model) {
  FloorMLP m;
  const auto& l = model.layers();
  for (int j = 0; j < FloorMLP::H; ++j) {
    const nn::Neuron& n1 = l[0].neurons()[static_cast<std::size_t>(j)];
    for (int i = 0; i < 2; ++i) m.w1[j][i] = n1.weights()[static_cast<std::size_t>(i)].data();
    m.b1[j] = n1.bias().data();
    const nn::Neuron& n2 = l[1].neurons()[static_cast<std::size_t>(j)];
    for (int i = 0; i < FloorMLP::H; ++i) m.w2[j][i] = n2.weights()[static_cast<std::size_t>(i)].data();
    m.b2[j] = n2.bias().data();
    m.w3[j] = l[2].neurons()[0].weights()[static_cast<std::size_t>(j)].data();
  }
  m.b3 = l[2].neurons()[0].bias().data();
  return m;
}

template <typename F>
void for_each_param(FloorMLP& m, FloorMLP& g, F f) {
  for (int j = 0; j < FloorMLP::H; ++j) {
    for (int i = 0; i < 2; ++i) f(m.w1[j][i], g.w1[j][i]);
    f(m.b1[j], g.b1[j]);
    for (int i = 0; i < FloorMLP::H; ++i) f(m.w2[j][i], g.w2[j][i]);
    f(m.b2[j], g.b2[j]);
    f(m.w3[j], g.w3[j]);
  }
  f(m.b3, g.b3);
}

// One full-batch step: loss = mean(relu(1 - y * score)) + alpha * sum(p^2), then p -= lr * dloss/dp.
double floor_step(FloorMLP& m, const std::vector<std::vector<double>>& X, const std::vector<double>& y) {
  constexpr int H = FloorMLP::H;
  FloorMLP g;  // gradients, zeroed
  const double inv_n = 1.0 / static_cast<double>(X.size());
  double data_loss = 0.0;
  for (std::size_t s = 0; s < X.size(); ++s) {
    const double x0 = X[s][0];
    const double x1 = X[s][1];
    std::array<double, H> h1{};
    std::array<double, H> h2{};
    for (int j = 0; j < H; ++j) {
      const double z = m.b1[j] + m.w1[j][0] * x0 + m.w1[j][1] * x1;
      h1[j] = z <= 0.0 ? 0.0 : z;
    }
    for (int j = 0; j < H; ++j) {
      double z = m.b2[j];
      for (int i = 0; i < H; ++i) z += m.w2[j][i] * h1[i];
      h2[j] = z <= 0.0 ? 0.0 : z;
    }
    double score = m.b3;
    for (int i = 0; i < H; ++i) score += m.w3[i] * h2[i];
    const double margin = score * -y[s] + 1.0;
    if (margin <= 0.0) continue;  // relu: no loss, no gradient
    data_loss += margin;
    const double ds = -y[s] * inv_n;
    g.b3 += ds;
    std::array<double, H> d2{};
    for (int i = 0; i < H; ++i) {
      g.w3[i] += ds * h2[i];
      d2[i] = h2[i] > 0.0 ? ds * m.w3[i] : 0.0;
    }
    std::array<double, H> d1{};
    for (int j = 0; j < H; ++j) {
      g.b2[j] += d2[j];
      for (int i = 0; i < H; ++i) {
        g.w2[j][i] += d2[j] * h1[i];
        d1[i] += d2[j] * m.w2[j][i];
      }
    }
    for (int j = 0; j < H; ++j) {
      const double d = h1[j] > 0.0 ? d1[j] : 0.0;
      g.b1[j] += d;
      g.w1[j][0] += d * x0;
      g.w1[j][1] += d * x1;
    }
  }
  double l2 = 0.0;
  for_each_param(m, g, [&](double& p, double& dp) {
    l2 += p * p;
    p -= kLr * (dp + 2.0 * kAlpha * p);
  });
  return data_loss * inv_n + kAlpha * l2;
}

// ---- the demo step as a user writes it ------------------------------------------------------------

// micrograd's demo notebook in plain Values (tests/nn/bit_exact_test.cpp pins its result): the
// max-margin loss summed sample by sample, reg = reg + p * p over the parameters, zero_grad, backward,
// an SGD update by hand. Returns the loss.
inline double user_demo_step(nn::MLP& model, std::vector<Value>& params, const nn::Dataset& data,
                             const std::vector<double>& y) {
  Value data_loss = 0.0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const Value score = model(data.X[i])[0];
    data_loss = data_loss + (1.0 + -y[i] * score).relu();
  }
  data_loss = data_loss * (1.0 / static_cast<double>(data.size()));
  Value reg = 0.0;
  for (const Value& p : params) reg = reg + p * p;
  Value total = data_loss + kAlpha * reg;
  model.zero_grad();
  total.backward();
  for (Value& p : params) p.data() -= kLr * p.grad();
  return total.data();
}

// ---- the scalar chain ------------------------------------------------------------------------------

// y = tanh(y * a + b), `steps` times, and d y / d a, d y / d b by hand. ys holds steps + 1 values.
struct ChainGrads {
  double y;
  double ga;
  double gb;
};

inline ChainGrads floor_chain(std::vector<double>& ys, std::size_t steps) {
  const double a = kChainA;
  const double b = kChainB;
  ys[0] = kChainY0;
  for (std::size_t i = 0; i < steps; ++i) ys[i + 1] = std::tanh(ys[i] * a + b);
  double g = 1.0;
  double ga = 0.0;
  double gb = 0.0;
  for (std::size_t i = steps; i > 0; --i) {
    const double gz = g * (1.0 - ys[i] * ys[i]);
    gb += gz;
    ga += gz * ys[i - 1];
    g = gz * a;
  }
  return {ys[steps], ga, gb};
}

// The same chain as a graph: build, backward, free (when y goes out of scope). a and b accumulate.
inline double engine_chain(const Value& a, const Value& b, std::size_t steps) {
  Value y(kChainY0);
  for (std::size_t i = 0; i < steps; ++i) y = (y * a + b).tanh();
  y.backward();
  return y.data();
}

}  // namespace verigrad::bench
