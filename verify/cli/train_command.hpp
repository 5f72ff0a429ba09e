// `verigrad train`: trains an MLP on a toy dataset, optionally beside its LibTorch twin in lockstep.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "nn/datasets.hpp"

namespace verigrad::verify::cli {

// The dataset flags train and eval share.
struct DataOptions {
  std::string dataset;  // --dataset NAME; "" is moons (unless --data gives a file)
  std::string file;     // --data FILE.csv
  int samples = 100;
  double noise = 0.1;
  std::uint64_t seed = 1337;
};
void add_data_options(CLI::App& cmd, DataOptions& options);

struct TrainOptions {
  DataOptions data;
  std::string hidden = "16,16";
  std::string activation = "relu";
  std::string output_activation = "linear";
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
  std::set<std::string> given;  // the flags given on the command line (--hidden, --steps, ...)
};

// Registers the subcommand; `run` is set to call run_train with the parsed options.
CLI::App* add_train_command(CLI::App& app, TrainOptions& options);

// The dataset the flags describe; throws UsageError for bad names, out-of-range sizes and bad CSV
// files (naming the line and column).
nn::Dataset make_data(const DataOptions& options);

// "moons (100 samples, noise 0.1)", "toy (micrograd's lecture: 4 samples of 3 inputs)",
// "data.csv (150 samples of 4 inputs, 3 classes)".
// with_seed names a generated dataset's seed too: "blobs (100 samples, noise 0.1, seed 1337)".
std::string describe_data(const DataOptions& options, const nn::Dataset& data, bool with_seed = false);

// Throws UsageError if a full-batch step on `samples` samples through layers of these widths would
// need more memory than verigrad allows itself.
void check_memory(double samples, int nin, const std::vector<int>& widths);

// --dataset toy without --hidden, --activation, --output-activation, --loss, --lr, --schedule or --steps
// takes the lecture's: MLP(3, [4, 4, 1]) with tanh everywhere, squared error, plain gradient descent
// for 20 steps. The lecture sums the four squared errors and steps by 0.1; our mse is their mean, so
// lr 0.4 makes the same updates (its printed loss is the lecture's / 4).
TrainOptions with_dataset_defaults(TrainOptions options);

// Returns the exit code (kExitAgree, or kExitDisagree when --mirror saw a divergence).
int run_train(const TrainOptions& options);

}  // namespace verigrad::verify::cli
