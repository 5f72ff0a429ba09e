// A full-batch training loop, in the order of micrograd's demo: forward every sample, loss (+ L2),
// model.zero_grad(), loss.backward(), optimizer step.
//
//   nn::Dataset data = nn::make_moons(100, 0.1, 1337);
//   nn::MLP model(2, {16, 16, 1});
//   nn::SGD opt(model.parameters(), {}, [](int k) { return 1.0 - 0.9 * k / 100; });
//   nn::train(model, data, nn::LossKind::Svm, opt, 100,
//             [](int step, double loss, double acc, double lr) { ... });
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "engine/value.hpp"
#include "nn/datasets.hpp"
#include "nn/network.hpp"
#include "nn/optim.hpp"

namespace verigrad::nn {

// svm: max-margin on +1/-1 labels, one output.     mse: squared error to +1/-1, one output.
// bce: logistic loss on 0/1 labels, one logit.      ce: softmax cross-entropy, one logit per class.
enum class LossKind { Svm, Mse, Bce, CrossEntropy };

// "svm", "mse", "bce", "ce".
std::string to_string(LossKind kind);
// Throws std::invalid_argument naming the bad name and the valid ones.
LossKind parse_loss_kind(const std::string& name);

struct TrainConfig {
  LossKind loss = LossKind::Svm;
  int steps = 100;
  // alpha of the alpha * sum(p^2) term; unset means micrograd's 1e-4 for svm and 0 for the others.
  std::optional<double> l2;
};

// Called after each step with the step index (from 0), the loss and accuracy of the forward pass that
// step trained on, and the learning rate it used.
using StepCallback = std::function<void(int step, double loss, double accuracy, double lr)>;

struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
};

struct LossResult {
  Value loss;  // the graph, ready for backward()
  double accuracy = 0.0;
};

// Forwards every sample and builds the loss (+ l2 * sum(p^2) when l2 != 0) as the trainer does. Throws
// std::invalid_argument if the model's input or output size does not fit the data and loss kind.
LossResult compute_loss(const MLP& model, const Dataset& data, LossKind kind, double l2);

// Loss and accuracy without training.
Evaluation evaluate(const MLP& model, const Dataset& data, LossKind kind, double l2 = 0.0);

// Trains for config.steps steps (full batch, one optimizer step each); returns the last step's loss and
// accuracy (before its update, as micrograd prints them).
Evaluation train(MLP& model, const Dataset& data, const TrainConfig& config, Optimizer& optimizer,
                 const StepCallback& callback = nullptr);
Evaluation train(MLP& model, const Dataset& data, LossKind loss, Optimizer& optimizer, int steps,
                 const StepCallback& callback = nullptr);

}  // namespace verigrad::nn
