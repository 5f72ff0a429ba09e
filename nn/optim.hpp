// Optimisers with PyTorch 1.13 torch::optim semantics, written in the same floating-point order as its
// C++ kernels so a lockstep run against torch stays close (see each step() for the update).
//
//   nn::SGD opt(model.parameters(), {/*lr=*/0.1, /*momentum=*/0.9});
//   loss.backward(); opt.step(); opt.zero_grad();
//
// An optional schedule gives the learning rate of each step from its index (0 for the first step),
// replacing the options' lr: micrograd's demo is [](int k) { return 1.0 - 0.9 * k / 100; }.
#pragma once

#include <functional>
#include <vector>

#include "engine/value.hpp"

namespace verigrad::nn {

using LrSchedule = std::function<double(int step)>;

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter from its grad, then advances the step counter.
  virtual void step() = 0;

  // Sets every parameter's grad to 0.
  void zero_grad();

  // The learning rate the next step() will use: schedule(step_count()) if there is a schedule.
  double lr() const;
  // Steps taken so far (the index of the next step).
  int step_count() const { return steps_; }
  const std::vector<Value>& parameters() const { return params_; }

 protected:
  Optimizer(std::vector<Value> params, double lr, LrSchedule schedule);
  std::vector<Value> params_;
  int steps_ = 0;

 private:
  double lr_;
  LrSchedule schedule_;
};

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;  // needs momentum > 0 and dampening == 0, as in torch
};

// torch::optim::SGD: d = g + wd * p; with momentum, buf = d on the first step, else
// momentum * buf + (1 - dampening) * d, and d = nesterov ? d + momentum * buf : buf; p = p - lr * d.
class SGD : public Optimizer {
 public:
  explicit SGD(std::vector<Value> params, SGDOptions options = {}, LrSchedule schedule = nullptr);
  void step() override;
  const SGDOptions& options() const { return options_; }

 private:
  SGDOptions options_;
  std::vector<double> momentum_buffer_;  // empty until the first step with momentum
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;  // torch's AdamW default
};

// torch::optim::Adam (amsgrad off), t counting from 1:
//   g = g + wd * p;  m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g;
//   p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Value> params, AdamOptions options = {}, LrSchedule schedule = nullptr);
  void step() override;
  const AdamOptions& options() const { return options_; }

 private:
  AdamOptions options_;
  std::vector<double> m_, v_;  // first and second moments, one per parameter
};

// torch::optim::AdamW: decoupled weight decay p = p * (1 - lr * wd) first, then Adam's update with the
// raw gradient.
class AdamW : public Optimizer {
 public:
  explicit AdamW(std::vector<Value> params, AdamWOptions options = {}, LrSchedule schedule = nullptr);
  void step() override;
  const AdamWOptions& options() const { return options_; }

 private:
  AdamWOptions options_;
  std::vector<double> m_, v_;
};

}  // namespace verigrad::nn
