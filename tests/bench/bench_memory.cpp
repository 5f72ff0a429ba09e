// Memory at scale, as a plain program so each run has its own peak RSS (issue 5's memory goals).
//
//   bench_memory deep [nodes]    a y = tanh(y * a + b) chain of `nodes` inner nodes (default 10^7):
//                                time to build, to run backward and to free; peak RSS
//   bench_memory train [steps]   the demo job for `steps` SGD steps (default 10^4): RSS and live nodes
//                                after the first 100 steps and at the end (flat means no growth)
//   bench_memory garbage [steps] the demo step as a user's loop with `loss` declared outside the loop
//                                and rebound each step, so each step's graph is garbage under the
//                                next: RSS, regions in use and live nodes after 100 steps and at the end
//
// Prints one JSON object on stdout, read by scripts/bench.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common.hpp"
#include "engine/graph.hpp"
#include "engine/node.hpp"
#include "engine/value.hpp"
#include "nn/network.hpp"
#include "nn/optim.hpp"
#include "nn/train.hpp"

namespace {

using verigrad::Value;
namespace bench = verigrad::bench;
namespace nn = verigrad::nn;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double mib(std::size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

int deep(long nodes) {
  const long steps = nodes / 3;
  const std::size_t rss_before = bench::current_rss_bytes();
  Value a(bench::kChainA);
  Value b(bench::kChainB);
  auto start = Clock::now();
  double build_s = 0.0;
  double backward_s = 0.0;
  double collect_s = 0.0;
  double grad_a = 0.0;
  std::size_t live = 0;
  {
    Value y(bench::kChainY0);
    for (long i = 0; i < steps; ++i) y = (y * a + b).tanh();
    build_s = seconds_since(start);
    start = Clock::now();
    y.backward();
    backward_s = seconds_since(start);
    grad_a = a.grad();
    start = Clock::now();
    live = verigrad::detail::live_nodes();  // a full mark sweep over the arena
    collect_s = seconds_since(start);
    start = Clock::now();
  }
  const double free_s = seconds_since(start);
  const std::size_t peak = bench::peak_rss_bytes();
  std::printf(
      "{\"mode\": \"deep\", \"nodes\": %ld, \"build_s\": %.4f, \"backward_s\": %.4f, \"collect_s\": %.4f, "
      "\"free_s\": %.4f, \"live_nodes\": %zu, \"peak_rss_mib\": %.1f, \"rss_before_mib\": %.1f, "
      "\"bytes_per_node\": %.1f, \"grad_a\": %.17g}\n",
      3 * steps, build_s, backward_s, collect_s, free_s, live, mib(peak), mib(rss_before),
      static_cast<double>(peak - rss_before) / static_cast<double>(3 * steps), grad_a);
  return 0;
}

int train(int steps) {
  const nn::Dataset& data = bench::demo_data();
  nn::MLP model(2, {bench::kHidden, bench::kHidden, 1});
  nn::SGDOptions so;
  so.lr = bench::kLr;
  nn::SGD opt(model.parameters(), so);
  nn::TrainConfig config;
  config.steps = 100;
  nn::train(model, data, config, opt);
  const std::size_t rss_100 = bench::current_rss_bytes();
  const std::size_t peak_100 = bench::peak_rss_bytes();
  const std::size_t live_100 = verigrad::detail::live_nodes();
  config.steps = steps - 100;
  const auto start = Clock::now();
  const nn::Evaluation last = nn::train(model, data, config, opt);
  const double train_s = seconds_since(start);
  // Every parameter's bits, hashed: equal across engine versions means bit-for-bit equal training.
  std::uint64_t hash = 14695981039346656037ULL;
  for (const Value& p : model.parameters()) {
    std::uint64_t bits = 0;
    const double d = p.data();
    std::memcpy(&bits, &d, sizeof bits);
    hash = (hash ^ bits) * 1099511628211ULL;
  }
  std::printf(
      "{\"mode\": \"train\", \"steps\": %d, \"rss_100_mib\": %.2f, \"rss_end_mib\": %.2f, "
      "\"peak_100_mib\": %.2f, \"peak_end_mib\": %.2f, \"live_nodes_100\": %zu, \"live_nodes_end\": %zu, "
      "\"us_per_step\": %.2f, \"loss\": %.17g, \"accuracy\": %.3f, \"params_hash\": \"%016llx\"}\n",
      steps, mib(rss_100), mib(bench::current_rss_bytes()), mib(peak_100), mib(bench::peak_rss_bytes()),
      live_100, verigrad::detail::live_nodes(), 1e6 * train_s / (steps - 100), last.loss, last.accuracy,
      static_cast<unsigned long long>(hash));
  return 0;
}

// The demo step written by a user with `loss` outside the loop: the previous step's graph stays
// under the new one until a collection finds it unreachable.
int garbage(int steps) {
  const nn::Dataset& data = bench::demo_data();
  const std::vector<double> y = data.signed_labels();
  nn::MLP model(2, {bench::kHidden, bench::kHidden, 1});
  std::vector<Value> params = model.parameters();
  Value loss;
  std::size_t rss_100 = 0;
  std::size_t regions_100 = 0;
  std::size_t most_regions = 0;
  const auto start = Clock::now();
  for (int step = 0; step < steps; ++step) {
    Value data_loss = 0.0;
    for (std::size_t i = 0; i < data.size(); ++i) {
      const Value score = model(data.X[i])[0];
      data_loss = data_loss + (1.0 + -y[i] * score).relu();
    }
    Value reg = 0.0;
    for (const Value& p : params) reg = reg + p * p;
    loss = data_loss * (1.0 / static_cast<double>(data.size())) + bench::kAlpha * reg;
    model.zero_grad();
    loss.backward();
    for (Value& p : params) p.data() -= bench::kLr * p.grad();
    most_regions = std::max(most_regions, verigrad::detail::regions_in_use());
    if (step == 99) {
      rss_100 = bench::current_rss_bytes();
      regions_100 = verigrad::detail::regions_in_use();
    }
  }
  const double s = seconds_since(start);
  std::printf(
      "{\"mode\": \"garbage\", \"steps\": %d, \"rss_100_mib\": %.2f, \"rss_end_mib\": %.2f, "
      "\"regions_100\": %zu, \"regions_end\": %zu, \"most_regions\": %zu, \"live_nodes_end\": %zu, "
      "\"graph_nodes\": %zu, \"us_per_step\": %.2f}\n",
      steps, mib(rss_100), mib(bench::current_rss_bytes()), regions_100, verigrad::detail::regions_in_use(),
      most_regions, verigrad::detail::live_nodes(), verigrad::node_count(loss), 1e6 * s / steps);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "deep") return deep(argc > 2 ? std::atol(argv[2]) : 10'000'000L);
  if (mode == "train") return train(argc > 2 ? std::atoi(argv[2]) : 10'000);
  if (mode == "garbage") return garbage(argc > 2 ? std::atoi(argv[2]) : 10'000);
  std::fprintf(stderr, "usage: bench_memory deep [nodes] | train [steps] | garbage [steps]\n");
  return 2;
}
