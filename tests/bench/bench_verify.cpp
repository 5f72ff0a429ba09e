// Verification throughput: random 20-node expressions checked against LibTorch (verify::check).
//
//   Verify/Check        generate + verify::check (our backward, torch's mirror, comparison, report)
//   Verify/OurSide      generate + what check() does on our side without torch: topological order,
//                       our backward, reading every node's value and grad, comparing against a copy
//   Verify/TorchMirror  torch alone: verify::torch_mirror on the same graphs (rebuild + backward)
// Our side's share of a check is OurSide / TorchMirror (issue 5's goal: under 10%).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "engine/graph.hpp"
#include "engine/value.hpp"
#include "verify/check.hpp"
#include "verify/torch_mirror.hpp"

// Google Benchmark's `for (auto _ : state)` idiom reads as a dead store to the analyzer.
// NOLINTBEGIN(clang-analyzer-deadcode.DeadStores)
namespace {

using verigrad::Op;
using verigrad::Value;

// 4 leaves and 16 ops drawn from the smooth, everywhere-defined part of the op table, each op taking
// its operands from any earlier node: a 20-node DAG. Deterministic per seed.
Value random_expression(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> value(-2.0, 2.0);
  std::vector<Value> nodes;
  for (int i = 0; i < 4; ++i) nodes.emplace_back(value(rng));
  static constexpr Op kUnary[] = {Op::Neg, Op::Tanh, Op::Relu, Op::Sigmoid, Op::Abs};
  static constexpr Op kBinary[] = {Op::Add, Op::Sub, Op::Mul};
  while (nodes.size() < 20) {
    std::uniform_int_distribution<std::size_t> pick(0, nodes.size() - 1);
    if (rng() % 3 == 0) {
      nodes.push_back(Value::unary(kUnary[rng() % 5], nodes[pick(rng)]));
    } else {
      nodes.push_back(Value::binary(kBinary[rng() % 3], nodes[pick(rng)], nodes[pick(rng)]));
    }
  }
  return nodes.back();
}

void set_rate(benchmark::State& state) {
  state.counters["checks_per_s"] = benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["nodes"] = 20;
}

void BM_VerifyCheck(benchmark::State& state) {
  std::mt19937_64 rng(42);
  std::size_t mismatches = 0;
  for (auto _ : state) {
    const Value root = random_expression(rng);
    const verigrad::verify::Report report = verigrad::verify::check(root);
    mismatches += report.matches() ? 0 : 1;
  }
  set_rate(state);
  state.counters["mismatches"] = static_cast<double>(mismatches);
}
BENCHMARK(BM_VerifyCheck)->Name("Verify/Check");

void BM_VerifyOurSide(benchmark::State& state) {
  std::mt19937_64 rng(42);
  for (auto _ : state) {
    Value root = random_expression(rng);
    const std::vector<Value> order = verigrad::topological_order(root);
    std::vector<double> saved;
    saved.reserve(order.size());
    for (const Value& v : order) saved.push_back(v.grad());
    root.backward();
    std::size_t differ = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
      differ += std::fabs(order[i].grad() - saved[i]) > 1e-12 * std::fabs(saved[i]) ? 1 : 0;
      differ += std::isfinite(order[i].data()) ? 0 : 1;
    }
    benchmark::DoNotOptimize(differ);
  }
  set_rate(state);
}
BENCHMARK(BM_VerifyOurSide)->Name("Verify/OurSide");

void BM_VerifyTorchMirror(benchmark::State& state) {
  std::mt19937_64 rng(42);
  for (auto _ : state) {
    state.PauseTiming();
    const Value root = random_expression(rng);
    const std::vector<Value> order = verigrad::topological_order(root);
    state.ResumeTiming();
    const verigrad::verify::TorchNumbers t = verigrad::verify::torch_mirror(order, 1.0);
    benchmark::DoNotOptimize(t.grad.data());
  }
  set_rate(state);
}
BENCHMARK(BM_VerifyTorchMirror)->Name("Verify/TorchMirror");

}  // namespace
// NOLINTEND(clang-analyzer-deadcode.DeadStores)

BENCHMARK_MAIN();
