// verigrad's engine on issue 5's jobs, next to the floor: the same jobs written by hand in plain loops.
//
//   Floor/DemoStep     hand-written forward + backward + SGD for the demo MLP (no autograd), over
//                      the demo's 100 steps from the initial weights
//   Floor/DemoStepLate the same after 10^4 steps, when most samples have zero loss (and no backward)
//   Engine/DemoStep    the same step with verigrad: build the loss graph, backward, SGD, free the graph
//   Engine/Forward     building the graph only;  Engine/Backward  backward only (graph built untimed)
//   Floor/Chain        y = tanh(y * a + b) and its derivative by hand
//   Engine/Chain       the same chain as a graph: forward + backward + free, per op
//   Engine/DeepChain   10^6 steps (3 * 10^6 nodes) in one graph
//   Engine/UserDemoStep  the demo step as a user writes it in plain Values (the bit-exact test's loop)
//   Goal/UserDemoStep  that step and the floor's, timed in alternating blocks in this process: the
//                      counter `ratio` is the median of the blocks' engine / floor CPU-time ratios
//   Goal/TrainStep     the same for nn::train's step (the goal: at least as fast as the user's loop)
//   Goal/Chain         the same for the scalar chain (build + backward + free against the floor)
#include <benchmark/benchmark.h>

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common.hpp"
#include "engine/graph.hpp"
#include "engine/node.hpp"
#include "engine/value.hpp"
#include "jobs.hpp"
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

// The floor trains as micrograd's demo does, 100 steps from the initial weights, then starts again
// (the engine's cost does not depend on the weights; the floor's does: it skips the backward of a
// sample with zero loss, and the longer it trains the more samples reach zero loss).
void floor_demo_step(benchmark::State& state, int pretrain) {
  const nn::Dataset& data = bench::demo_data();
  const std::vector<double> labels = data.signed_labels();
  const nn::MLP model(2, {bench::kHidden, bench::kHidden, 1});
  const bench::FloorMLP initial = bench::floor_from(model);
  // Same job: the floor's loss before its first update is the engine's loss on the same weights.
  const double ours = nn::compute_loss(model, data, nn::LossKind::Svm, bench::kAlpha).loss.data();
  bench::FloorMLP m = initial;
  const double floor = bench::floor_step(m, data.X, labels);
  if (std::fabs(floor - ours) > 1e-12 * std::fabs(ours)) {
    state.SkipWithError("the floor's loss differs from the engine's: not the same job");
    return;
  }
  m = initial;
  for (int i = 0; i < pretrain; ++i) bench::floor_step(m, data.X, labels);
  const bench::FloorMLP start = m;
  int step = 0;
  for (auto _ : state) {
    if (pretrain == 0 && step++ == bench::kDemoSteps) {
      m = start;
      step = 1;
    }
    benchmark::DoNotOptimize(bench::floor_step(m, data.X, labels));
  }
}

void BM_FloorDemoStep(benchmark::State& state) { floor_demo_step(state, 0); }
BENCHMARK(BM_FloorDemoStep)->Name("Floor/DemoStep");

// The floor after 10^4 steps, where most samples have zero loss: the cheapest it gets.
void BM_FloorDemoStepLate(benchmark::State& state) { floor_demo_step(state, 10000); }
BENCHMARK(BM_FloorDemoStepLate)->Name("Floor/DemoStepLate");

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
  for (auto _ : state) benchmark::DoNotOptimize(bench::floor_chain(ys, steps));
  const auto ops = static_cast<double>(3 * steps);
  state.counters["nodes"] = ops;
  state.counters["ns_per_node"] =
      benchmark::Counter(ops, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_node"] = static_cast<double>(sizeof(double)) / 3.0;
}
BENCHMARK(BM_FloorChain)->Name("Floor/Chain")->Arg(1000);

void chain(benchmark::State& state) {
  const auto steps = static_cast<std::size_t>(state.range(0));
  Value a(bench::kChainA);
  Value b(bench::kChainB);
  for (auto _ : state) benchmark::DoNotOptimize(bench::engine_chain(a, b, steps));  // freed inside
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

// ---- the goals: ratios to the floor, measured in alternating blocks ---------------------------------

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

template <typename F>
double cpu_seconds(F&& f) {
  const double start = thread_cpu_seconds();
  f();
  return thread_cpu_seconds() - start;
}

// Each iteration times a block of the floor, then the same block of the engine, on the same machine
// state: `ratio` is the median of the blocks' engine / floor ratios (robust to a neighbour's burst),
// floor_us and engine_us the mean CPU time of one job.
struct Blocks {
  std::vector<double> ratios;
  double floor_s = 0.0;
  double engine_s = 0.0;
  double jobs = 0.0;

  void add(double floor, double engine, int jobs_per_block) {
    ratios.push_back(engine / floor);
    floor_s += floor;
    engine_s += engine;
    jobs += jobs_per_block;
  }
  void report(benchmark::State& state) {
    std::sort(ratios.begin(), ratios.end());
    state.counters["ratio"] = ratios.empty() ? 0.0 : ratios[ratios.size() / 2];
    state.counters["floor_us"] = 1e6 * floor_s / jobs;
    state.counters["engine_us"] = 1e6 * engine_s / jobs;
  }
};

// The demo step against the floor, both training the same weights in lockstep from the initial model;
// every 100 steps (micrograd's demo length) both start again, so the floor's share of samples with
// zero loss (it skips their backward) stays that of the demo. `engine_block(model, params, steps)`
// runs that many steps of the engine's version.
template <typename EngineBlock>
void goal_demo_step(benchmark::State& state, EngineBlock engine_block) {
  constexpr int kBlock = 5;
  const nn::Dataset& data = bench::demo_data();
  const std::vector<double> labels = data.signed_labels();
  nn::MLP model(2, {bench::kHidden, bench::kHidden, 1});
  std::vector<Value> params = model.parameters();
  std::vector<double> initial;
  initial.reserve(params.size());
  for (const Value& p : params) initial.push_back(p.data());
  const bench::FloorMLP floor_initial = bench::floor_from(model);
  bench::FloorMLP floor = floor_initial;
  auto restart = [&] {
    floor = floor_initial;
    for (std::size_t i = 0; i < params.size(); ++i) params[i].data() = initial[i];
  };
  {  // same job: one step of each leaves the same weights
    engine_block(model, params, 1);
    bench::floor_step(floor, data.X, labels);
    const bench::FloorMLP ours = bench::floor_from(model);
    if (std::fabs(ours.b3 - floor.b3) > 1e-12 || std::fabs(ours.w3[0] - floor.w3[0]) > 1e-12) {
      state.SkipWithError("the floor's step differs from the engine's: not the same job");
      return;
    }
    restart();
  }
  Blocks blocks;
  int step = 0;
  for (auto _ : state) {
    if (step == bench::kDemoSteps) {
      restart();
      step = 0;
    }
    const double f = cpu_seconds([&] {
      for (int i = 0; i < kBlock; ++i) benchmark::DoNotOptimize(bench::floor_step(floor, data.X, labels));
    });
    const double e = cpu_seconds([&] { engine_block(model, params, kBlock); });
    step += kBlock;
    blocks.add(f, e, kBlock);
  }
  blocks.report(state);
}

// A user's own loop in plain Values (the README tour's; tests/nn/bit_exact_test.cpp pins it).
void BM_GoalUserDemoStep(benchmark::State& state) {
  const nn::Dataset& data = bench::demo_data();
  const std::vector<double> labels = data.signed_labels();
  goal_demo_step(state, [&](nn::MLP& model, std::vector<Value>& params, int steps) {
    for (int i = 0; i < steps; ++i)
      benchmark::DoNotOptimize(bench::user_demo_step(model, params, data, labels));
  });
}
BENCHMARK(BM_GoalUserDemoStep)->Name("Goal/UserDemoStep");

// nn::train itself (compute_loss, zero_grad, backward, SGD's step), `steps` steps per call.
void BM_GoalTrainStep(benchmark::State& state) {
  const nn::Dataset& data = bench::demo_data();
  goal_demo_step(state, [&](nn::MLP& model, std::vector<Value>& params, int steps) {
    nn::SGDOptions so;
    so.lr = bench::kLr;
    nn::SGD opt(params, so);
    benchmark::DoNotOptimize(nn::train(model, data, nn::LossKind::Svm, opt, steps).loss);
  });
}
BENCHMARK(BM_GoalTrainStep)->Name("Goal/TrainStep");

// The scalar chain (1000 steps, build + backward + free) against the same arithmetic by hand.
void BM_GoalChain(benchmark::State& state) {
  constexpr int kBlock = 10;
  const auto steps = static_cast<std::size_t>(state.range(0));
  std::vector<double> ys(steps + 1);
  Value a(bench::kChainA);
  Value b(bench::kChainB);
  Blocks blocks;
  for (auto _ : state) {
    const double f = cpu_seconds([&] {
      for (int i = 0; i < kBlock; ++i) benchmark::DoNotOptimize(bench::floor_chain(ys, steps));
    });
    const double e = cpu_seconds([&] {
      for (int i = 0; i < kBlock; ++i) benchmark::DoNotOptimize(bench::engine_chain(a, b, steps));
    });
    blocks.add(f, e, kBlock);
  }
  blocks.report(state);
  state.counters["engine_ns_per_op"] = state.counters["engine_us"] * 1e3 / static_cast<double>(3 * steps);
}
BENCHMARK(BM_GoalChain)->Name("Goal/Chain")->Arg(1000);

// The user's loop alone, for the table (Google Benchmark's own timing).
void BM_EngineUserDemoStep(benchmark::State& state) {
  const nn::Dataset& data = bench::demo_data();
  const std::vector<double> labels = data.signed_labels();
  nn::MLP model(2, {bench::kHidden, bench::kHidden, 1});
  std::vector<Value> params = model.parameters();
  for (auto _ : state) benchmark::DoNotOptimize(bench::user_demo_step(model, params, data, labels));
}
BENCHMARK(BM_EngineUserDemoStep)->Name("Engine/UserDemoStep");

}  // namespace
// NOLINTEND(clang-analyzer-deadcode.DeadStores)

BENCHMARK_MAIN();
