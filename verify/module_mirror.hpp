// The module mirror: an nn::MLP, a batch and a loss, against the same network built from
// torch::nn::Linear layers (weights copied, [out, in] layout) run on the whole batch at once, with the
// loss computed by torch's own functions. Compares every output, the loss, and the gradient of every
// parameter.
//
//   nn::MLP model(2, {16, 16, 1}, {nn::Activation::Tanh});
//   verify::Batch batch{{{0.5, -1.0}, {1.0, 2.0}}, {1.0, -1.0}, {}};
//   verify::ModuleReport r = verify::check_module(model, batch, {verify::LossKind::Mse});
//   std::cout << r;
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/mlp.hpp"
#include "verify/compare.hpp"

namespace verigrad::verify {

enum class LossKind {
  Mse,            // nn::mse_loss on one output per sample        vs torch::mse_loss
  Svm,            // nn::svm_loss (max margin + alpha * L2)       vs relu(1 - y * s).mean() + alpha * sum(p^2)
  BceWithLogits,  // nn::bce_with_logits_loss, one logit/sample   vs torch::binary_cross_entropy_with_logits
  CrossEntropy,   // nn::softmax_cross_entropy, nout classes      vs torch::nn::functional::cross_entropy
};
const char* to_string(LossKind kind);

struct LossSpec {
  LossKind kind = LossKind::Mse;
  double l2_alpha = 0.0;  // Svm only: micrograd's alpha (1e-4 in its demo)
};

struct Batch {
  std::vector<std::vector<double>> inputs;  // one row of nin values per sample
  std::vector<double> targets;              // Mse: any; Svm: +-1; BceWithLogits: in [0, 1]
  std::vector<int> classes;                 // CrossEntropy: a class index per sample
};

// Our loss for the model on the batch (one Value; backward() gives the parameters' gradients).
Value our_loss(const nn::MLP& model, const Batch& batch, const LossSpec& loss);

struct Entry {
  std::string name;  // "out[2][0]", "loss", "layer1.weight[3][0]", "layer1.bias[3]"
  double ours = 0.0;
  double torch = 0.0;
  Comparison comparison;
};

struct ModuleReport {
  std::vector<Entry> outputs;  // sample by sample, output by output
  Entry loss;
  std::vector<Entry> gradients;  // in model.parameters() order
  Tolerance tolerance = kModuleTolerance;

  bool matches() const;
  const Entry* worst() const;                         // the entry with the largest ULP distance
  std::optional<std::string> first_mismatch() const;  // outputs, then loss, then gradients
  std::string to_table() const;
  nlohmann::json to_json() const;
};
std::ostream& operator<<(std::ostream& os, const ModuleReport& report);

// Runs both sides. Our parameters' grads are zeroed for our backward and restored afterwards.
// Throws std::invalid_argument if the batch does not fit the model or the loss.
ModuleReport check_module(const nn::MLP& model, const Batch& batch, const LossSpec& loss,
                          Tolerance tolerance = kModuleTolerance);

// A deep copy: new parameter leaves with the same values (an MLP copy shares its weights).
nn::MLP clone(const nn::MLP& model);

}  // namespace verigrad::verify
