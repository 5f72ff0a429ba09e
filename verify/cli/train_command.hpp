// `verigrad train`: trains an MLP on a toy dataset, optionally beside its LibTorch twin in lockstep.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "nn/datasets.hpp"

namespace verigrad::verify::cli {

// The dataset flags train and eval share.
struct DataOptions {
  std::string dataset = "moons";
  int samples = 100;
  double noise = 0.1;
  std::uint64_t seed = 1337;
};
void add_data_options(CLI::App& cmd, DataOptions& options);

struct TrainOptions {
  DataOptions data;
  std::string hidden = "16,16";
  std::string activation = "relu";
  std::string loss = "svm";
  std::string optimizer = "sgd";
  std::optional<double> lr;  // default: 1.0 with micrograd's decay for sgd, 0.01 for adam
  std::string schedule;      // "linear" (1 - 0.9 k / steps) or "constant"; default by optimizer
  double momentum = 0.0;
  std::optional<double> l2;  // default: 1e-4 for svm, 0 otherwise (micrograd's demo)
  int steps = 100;
  bool mirror = false;
  std::string csv;
  std::string plot;
  std::string save;
  bool json = false;
};

// Registers the subcommand; `run` is set to call run_train with the parsed options.
CLI::App* add_train_command(CLI::App& app, TrainOptions& options);

// The dataset the flags describe; throws UsageError for bad names and out-of-range sizes.
nn::Dataset make_data(const DataOptions& options);

// Throws UsageError if a full-batch step on `samples` samples through layers of these widths would
// need more memory than verigrad allows itself.
void check_memory(double samples, int nin, const std::vector<int>& widths);

// Returns the exit code (kExitAgree, or kExitDisagree when --mirror saw a divergence).
int run_train(const TrainOptions& options);

}  // namespace verigrad::verify::cli
