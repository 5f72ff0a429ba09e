// LibTorch on issue 5's jobs, for the table next to our engine and the floor (float64, one thread).
//
//   Torch/DemoStepBatched   the demo MLP as Linear-ReLU-Linear-ReLU-Linear on a 100x2 batch, the same
//                           svm loss + 1e-4 L2 and SGD step (zero_grad, backward, step)
//   Torch/ChainScalar       y = tanh(y * a + b) on 0-dim tensors: one autograd node per scalar op
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstddef>
#include <vector>

#include "common.hpp"

// Google Benchmark's `for (auto _ : state)` idiom reads as a dead store to the analyzer.
// NOLINTBEGIN(clang-analyzer-deadcode.DeadStores)
namespace {

namespace bench = verigrad::bench;

struct DemoNet : torch::nn::Module {
  torch::nn::Linear l1{nullptr}, l2{nullptr}, l3{nullptr};
  DemoNet() {
    l1 = register_module("l1", torch::nn::Linear(2, bench::kHidden));
    l2 = register_module("l2", torch::nn::Linear(bench::kHidden, bench::kHidden));
    l3 = register_module("l3", torch::nn::Linear(bench::kHidden, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return l3->forward(torch::relu(l2->forward(torch::relu(l1->forward(x)))));
  }
};

void BM_TorchDemoStepBatched(benchmark::State& state) {
  torch::set_num_threads(1);
  torch::manual_seed(bench::kSeed);
  const verigrad::nn::Dataset& data = bench::demo_data();
  std::vector<double> flat;
  for (const auto& row : data.X) flat.insert(flat.end(), row.begin(), row.end());
  const auto n = static_cast<std::int64_t>(data.X.size());
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor X = torch::tensor(flat, opts).reshape({n, 2});
  const torch::Tensor y = torch::tensor(data.signed_labels(), opts).reshape({n, 1});
  auto net = std::make_shared<DemoNet>();
  net->to(torch::kFloat64);
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(bench::kLr));
  for (auto _ : state) {
    const torch::Tensor scores = net->forward(X);
    torch::Tensor loss = torch::relu(scores * -y + 1.0).mean();
    torch::Tensor l2 = torch::zeros({}, opts);
    for (const torch::Tensor& p : net->parameters()) l2 = l2 + (p * p).sum();
    loss = loss + bench::kAlpha * l2;
    opt.zero_grad();
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss.item<double>());
  }
}
BENCHMARK(BM_TorchDemoStepBatched)->Name("Torch/DemoStepBatched");

void BM_TorchChainScalar(benchmark::State& state) {
  torch::set_num_threads(1);
  const auto steps = static_cast<std::size_t>(state.range(0));
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor a = torch::tensor(bench::kChainA, opts).requires_grad_(true);
  const torch::Tensor b = torch::tensor(bench::kChainB, opts).requires_grad_(true);
  for (auto _ : state) {
    torch::Tensor y = torch::tensor(bench::kChainY0, opts);
    for (std::size_t i = 0; i < steps; ++i) y = torch::tanh(y * a + b);
    y.backward();
    benchmark::DoNotOptimize(a.grad().item<double>());
    a.mutable_grad().zero_();
    b.mutable_grad().zero_();
  }
  const auto ops = static_cast<double>(3 * steps);
  state.counters["nodes"] = ops;
  state.counters["ns_per_node"] =
      benchmark::Counter(ops, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TorchChainScalar)->Name("Torch/ChainScalar")->Arg(1000);

}  // namespace
// NOLINTEND(clang-analyzer-deadcode.DeadStores)

BENCHMARK_MAIN();
