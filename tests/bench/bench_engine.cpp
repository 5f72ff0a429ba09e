// verigrad's engine on issue 5's jobs, next to the floor: the same jobs written by hand in plain loops.
//
//   Floor/DemoStep     hand-written forward + backward + SGD for the demo MLP (no autograd)
//   Engine/DemoStep    the same step with verigrad: build the loss graph, backward, SGD, free the graph
//   Engine/Forward     building the graph only;  Engine/Backward  backward only (graph built untimed)
//   Floor/Chain        y = tanh(y * a + b) and its derivative by hand
//   Engine/Chain       the same chain as a graph: forward + backward + free, per op
//   Engine/DeepChain   10^6 steps (3 * 10^6 nodes) in one graph
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common.hpp"
#include "engine/graph.hpp"
#include "engine/node.hpp"
#include "engine/value.hpp"
#include "nn/losses.hpp"
#include "nn/network.hpp"
#include "nn/optim.hpp"
#include "nn/train.hpp"

// Google Benchmark's `for (auto _ : state)` idiom reads as a dead store to the analyzer.
// NOLINTBEGIN(clang-analyzer-deadcode.DeadStores)
namespace {

using verigrad::Op;
using verigrad::Value;
namespace nn = verigrad::nn;
namespace bench = verigrad::bench;

// ---- the floor: the demo MLP by hand ---------------------------------------------------------------

struct FloorMLP {
  static constexpr int H = bench::kHidden;
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
    p -= bench::kLr * (dp + 2.0 * bench::kAlpha * p);
  });
  return data_loss * inv_n + bench::kAlpha * l2;
}

void BM_FloorDemoStep(benchmark::State& state) {
  const nn::Dataset& data = bench::demo_data();
  const std::vector<double> labels = data.signed_labels();
  const nn::MLP model(2, {bench::kHidden, bench::kHidden, 1});
  FloorMLP m = floor_from(model);
  // Same job: the floor's loss before its first update is the engine's loss on the same weights.
  const double ours = nn::compute_loss(model, data, nn::LossKind::Svm, bench::kAlpha).loss.data();
  FloorMLP first = m;
  const double floor = floor_step(first, data.X, labels);
  if (std::fabs(floor - ours) > 1e-12 * std::fabs(ours)) {
    state.SkipWithError("the floor's loss differs from the engine's: not the same job");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(floor_step(m, data.X, labels));
}
BENCHMARK(BM_FloorDemoStep)->Name("Floor/DemoStep");

// ---- the engine on the demo job --------------------------------------------------------------------

// Heap bytes a graph's nodes occupy: the node slots plus a Dot's operand array.
double bytes_per_node(const Value& root) {
  const std::vector<Value> order = verigrad::topological_order(root);
  double bytes = 0.0;
  for (const Value& v : order) {
    bytes += sizeof(verigrad::detail::Node);
    if (v.op() == Op::Dot) bytes += static_cast<double>(v.arity() * sizeof(void*));
  }
  return bytes / static_cast<double>(order.size());
}

void set_graph_counters(benchmark::State& state, const Value& root) {
  const auto nodes = static_cast<double>(verigrad::node_count(root));
  state.counters["nodes"] = nodes;
  state.counters["ns_per_node"] =
      benchmark::Counter(nodes, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_node"] = bytes_per_node(root);
}

nn::MLPOptions demo_options(bool fused) {
  nn::MLPOptions o;
  o.fused = fused;
  return o;
}

void engine_demo_step(benchmark::State& state, bool fused) {
  const nn::Dataset& data = bench::demo_data();
  nn::MLP model(2, {bench::kHidden, bench::kHidden, 1}, demo_options(fused));
  nn::SGDOptions so;
  so.lr = bench::kLr;
  nn::SGD opt(model.parameters(), so);
  for (auto _ : state) {
    nn::LossResult r = nn::compute_loss(model, data, nn::LossKind::Svm, bench::kAlpha);
    model.zero_grad();
    r.loss.backward();
    opt.step();
    benchmark::DoNotOptimize(r.loss.data());
  }  // the graph is freed here, inside the timed step
  set_graph_counters(state, nn::compute_loss(model, data, nn::LossKind::Svm, bench::kAlpha).loss);
}

void BM_EngineDemoStep(benchmark::State& state) { engine_demo_step(state, true); }
BENCHMARK(BM_EngineDemoStep)->Name("Engine/DemoStep");

void BM_EngineDemoStepUnfused(benchmark::State& state) { engine_demo_step(state, false); }
BENCHMARK(BM_EngineDemoStepUnfused)->Name("Engine/DemoStepUnfused");

void BM_EngineForward(benchmark::State& state) {
  const nn::Dataset& data = bench::demo_data();
  nn::MLP model(2, {bench::kHidden, bench::kHidden, 1});
  for (auto _ : state) {
    nn::LossResult r = nn::compute_loss(model, data, nn::LossKind::Svm, bench::kAlpha);
    benchmark::DoNotOptimize(r.loss.data());
    state.PauseTiming();
    r = {};  // free untimed
    state.ResumeTiming();
  }
  set_graph_counters(state, nn::compute_loss(model, data, nn::LossKind::Svm, bench::kAlpha).loss);
}
BENCHMARK(BM_EngineForward)->Name("Engine/Forward");

void BM_EngineBackward(benchmark::State& state) {
  const nn::Dataset& data = bench::demo_data();
  nn::MLP model(2, {bench::kHidden, bench::kHidden, 1});
  for (auto _ : state) {
    state.PauseTiming();
    nn::LossResult r = nn::compute_loss(model, data, nn::LossKind::Svm, bench::kAlpha);
    model.zero_grad();
    state.ResumeTiming();
    r.loss.backward();
    benchmark::DoNotOptimize(r.loss.grad());
    state.PauseTiming();
    r = {};
    state.ResumeTiming();
  }
  set_graph_counters(state, nn::compute_loss(model, data, nn::LossKind::Svm, bench::kAlpha).loss);
}
BENCHMARK(BM_EngineBackward)->Name("Engine/Backward");

// ---- the scalar chain ------------------------------------------------------------------------------

void BM_FloorChain(benchmark::State& state) {
  const auto steps = static_cast<std::size_t>(state.range(0));
  std::vector<double> ys(steps + 1);
  for (auto _ : state) {
    const double a = bench::kChainA;
    const double b = bench::kChainB;
    ys[0] = bench::kChainY0;
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
    benchmark::DoNotOptimize(ga);
    benchmark::DoNotOptimize(gb);
    benchmark::DoNotOptimize(g);
  }
  const auto ops = static_cast<double>(3 * steps);
  state.counters["nodes"] = ops;
  state.counters["ns_per_node"] =
      benchmark::Counter(ops, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_node"] = static_cast<double>(sizeof(double)) / 3.0;
}
BENCHMARK(BM_FloorChain)->Name("Floor/Chain")->Arg(1000);

Value build_chain(const Value& a, const Value& b, std::size_t steps) {
  Value y(bench::kChainY0);
  for (std::size_t i = 0; i < steps; ++i) y = (y * a + b).tanh();
  return y;
}

void chain(benchmark::State& state) {
  const auto steps = static_cast<std::size_t>(state.range(0));
  Value a(bench::kChainA);
  Value b(bench::kChainB);
  for (auto _ : state) {
    Value y = build_chain(a, b, steps);
    y.backward();
    benchmark::DoNotOptimize(a.grad());
  }                                                 // freed here
  const auto ops = static_cast<double>(3 * steps);  // inner nodes (leaves a, b and y0 not counted)
  state.counters["nodes"] = ops;
  state.counters["ns_per_node"] =
      benchmark::Counter(ops, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_node"] = static_cast<double>(sizeof(verigrad::detail::Node));
}

void BM_EngineChain(benchmark::State& state) { chain(state); }
BENCHMARK(BM_EngineChain)->Name("Engine/Chain")->Arg(1000);

void BM_EngineDeepChain(benchmark::State& state) { chain(state); }
BENCHMARK(BM_EngineDeepChain)->Name("Engine/DeepChain")->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace
// NOLINTEND(clang-analyzer-deadcode.DeadStores)

BENCHMARK_MAIN();
