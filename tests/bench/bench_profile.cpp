// One benchmark job run N times, for callgrind and perf (instruction counts are deterministic where
// timings on a shared machine are not):
//
//   valgrind --tool=callgrind --toggle-collect='*run_jobs*' bench_profile chain 100
//
// counts only the jobs (setup excluded); divide by N, and by 3000 for the chain's per-op figure.
//   chain          y = tanh(y * a + b), 1000 steps: build + backward + free
//   floor-chain    the same by hand
//   user           the demo step as a user writes it in plain Values
//   demo           the demo step through nn::compute_loss (fused neurons), as nn::train does it
//   unfused        the same with op-by-op neurons (micrograd's graph)
//   floor          the demo step by hand
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common.hpp"
#include "jobs.hpp"
#include "nn/losses.hpp"
#include "nn/optim.hpp"
#include "nn/train.hpp"

namespace {

using verigrad::Value;
namespace bench = verigrad::bench;
namespace nn = verigrad::nn;

volatile double sink = 0.0;  // keeps every job's result alive

template <typename F>
__attribute__((noinline)) void run_jobs(long n, F& job) {
  for (long i = 0; i < n; ++i) sink = job();
}

nn::MLPOptions options(bool fused) {
  nn::MLPOptions o;
  o.fused = fused;
  return o;
}

int usage() {
  std::fprintf(stderr, "usage: bench_profile chain|floor-chain|user|demo|unfused|floor [N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string job = argv[1];
  const long n = argc > 2 ? std::atol(argv[2]) : 100;
  const nn::Dataset& data = bench::demo_data();
  const std::vector<double> labels = data.signed_labels();
  if (job == "chain" || job == "floor-chain") {
    Value a(bench::kChainA);
    Value b(bench::kChainB);
    std::vector<double> ys(1001);
    auto engine = [&] { return bench::engine_chain(a, b, 1000); };
    auto floor = [&] { return bench::floor_chain(ys, 1000).ga; };
    if (job == "chain") run_jobs(n, engine);
    if (job == "floor-chain") run_jobs(n, floor);
    return 0;
  }
  nn::MLP model(2, {bench::kHidden, bench::kHidden, 1}, options(job != "unfused"));
  std::vector<Value> params = model.parameters();
  if (job == "user") {
    auto step = [&] { return bench::user_demo_step(model, params, data, labels); };
    run_jobs(n, step);
  } else if (job == "demo" || job == "unfused") {
    nn::SGDOptions so;
    so.lr = bench::kLr;
    nn::SGD opt(params, so);
    auto step = [&] {
      nn::LossResult r = nn::compute_loss(model, data, nn::LossKind::Svm, bench::kAlpha);
      model.zero_grad();
      r.loss.backward();
      opt.step();
      return r.loss.data();
    };
    run_jobs(n, step);
  } else if (job == "floor") {
    bench::FloorMLP m = bench::floor_from(model);
    auto step = [&] { return bench::floor_step(m, data.X, labels); };
    run_jobs(n, step);
  } else {
    return usage();
  }
  return 0;
}
