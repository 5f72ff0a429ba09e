// Lockstep training: our MLP and its torch twin trained side by side for N steps with the same batch,
// loss and optimiser (nn::SGD with momentum vs torch::optim::SGD, nn::Adam vs torch::optim::Adam);
// after every step the loss and every parameter are compared.
//
// The first step starts from identical weights, so its parameters must agree up to the tolerance plus
// the gradients' rounding difference times the update rule's sensitivity (first_step_sensitivity in
// module_mirror.cpp: lr for SGD, lr * eps / (|g| + eps)^2 for Adam). Later steps are compared
// without allowance: training amplifies differences (Adam at a stationary point turns a 1e-17
// gradient difference into an O(lr) step within a few steps), so the report says where and by how
// much the runs drifted apart rather than excusing it.
#pragma once

#include <memory>

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "verify/module_mirror.hpp"

namespace verigrad::verify {

enum class OptimizerKind { Sgd, Adam };

struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::Sgd;
  double lr = 0.05;
  double momentum = 0.9;      // Sgd
  double beta1 = 0.9;         // Adam
  double beta2 = 0.999;       // Adam
  double eps = 1e-8;          // Adam
  double weight_decay = 0.0;  // both
};

struct StepRecord {
  int step = 0;                           // 0 is the first step
  Entry loss;                             // the loss the step's gradients came from
  Entry worst_parameter;                  // the parameter furthest apart (ulps) after the step
  double max_parameter_difference = 0.0;  // largest |ours - torch| over the parameters after the step
  bool agree = true;                      // loss and every parameter within tolerance
};

struct LockstepReport {
  std::vector<StepRecord> steps;
  Tolerance tolerance = kLockstepTolerance;
  std::optional<int> first_exceeded;  // first step where anything exceeded the tolerance

  bool matches() const { return !first_exceeded.has_value(); }
  const StepRecord* largest_divergence() const;  // the step whose worst parameter is furthest apart
  std::string to_table() const;
  nlohmann::json to_json() const;
};
std::ostream& operator<<(std::ostream& os, const LockstepReport& report);

// The torch twin of a model a caller trains itself, one step at a time (verigrad train --mirror).
// After each of our steps, step() takes the twin's step at the same learning rate and compares: the
// twin's loss with `our_loss` (ours before our step), and every parameter with ours after it. Our
// gradients are read from the model's parameters (still there after our optimiser's step), so the
// first step gets the same rounding allowance lockstep() gives it.
class TorchTwin {
 public:
  TorchTwin(const nn::MLP& model, const Batch& batch, const LossSpec& loss, const OptimizerSpec& optimizer,
            Tolerance tolerance = kLockstepTolerance);
  ~TorchTwin();
  TorchTwin(const TorchTwin&) = delete;
  TorchTwin& operator=(const TorchTwin&) = delete;

  StepRecord step(const nn::MLP& ours_after_step, double our_loss, double lr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Trains a clone of `model` (the argument is not modified) and its torch twin for `steps` steps.
LockstepReport lockstep(const nn::MLP& model, const Batch& batch, const LossSpec& loss,
                        const OptimizerSpec& optimizer, int steps, Tolerance tolerance = kLockstepTolerance);

}  // namespace verigrad::verify
