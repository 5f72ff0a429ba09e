#include "nn/optim.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace verigrad::nn {

namespace {

void check_non_negative(const char* what, double x) {
  if (!(x >= 0.0)) throw std::invalid_argument(std::string(what) + " must be >= 0, got " + std::to_string(x));
}

void check_beta(const char* what, double beta) {
  if (!(beta >= 0.0 && beta < 1.0)) {
    throw std::invalid_argument(std::string(what) + " must be in [0, 1), got " + std::to_string(beta));
  }
}

struct AdamHyper {
  double lr, beta1, beta2, eps;
};

// One Adam update of p given its (already decayed) gradient g, at step t >= 1, in the order of torch
// 1.13's kernels: add_(x, a) is self + a * x, addcmul_(x, y, a) is self + a * x * y, addcdiv_(x, y, a) is
// self + a * x / y.
void adam_update(Value& p, double g, double& m, double& v, int t, const AdamHyper& h) {
  const double bias_correction1 = 1.0 - std::pow(h.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(h.beta2, t);
  m = m * h.beta1 + (1.0 - h.beta1) * g;
  v = v * h.beta2 + (1.0 - h.beta2) * g * g;
  const double denom = std::sqrt(v) / std::sqrt(bias_correction2) + h.eps;
  const double step_size = h.lr / bias_correction1;
  p.data() = p.data() + -step_size * m / denom;
}

}  // namespace

// ---- Optimizer -----------------------------------------------------------------------------------

Optimizer::Optimizer(std::vector<Value> params, double lr, LrSchedule schedule)
    : params_(std::move(params)), lr_(lr), schedule_(std::move(schedule)) {
  check_non_negative("learning rate", lr);
}

void Optimizer::zero_grad() {
  for (Value& p : params_) p.grad() = 0.0;
}

double Optimizer::lr() const { return schedule_ ? schedule_(steps_) : lr_; }

// ---- SGD -----------------------------------------------------------------------------------------

SGD::SGD(std::vector<Value> params, SGDOptions options, LrSchedule schedule)
    : Optimizer(std::move(params), options.lr, std::move(schedule)), options_(options) {
  check_non_negative("SGD momentum", options.momentum);
  check_non_negative("SGD weight_decay", options.weight_decay);
  if (options.nesterov && (options.momentum <= 0.0 || options.dampening != 0.0)) {
    throw std::invalid_argument("SGD: nesterov momentum requires a momentum and zero dampening");
  }
}

void SGD::step() {
  const double lr = this->lr();
  const SGDOptions& o = options_;
  const bool first = momentum_buffer_.empty();
  if (o.momentum != 0.0 && first) momentum_buffer_.resize(params_.size());
  for (std::size_t i = 0; i < params_.size(); ++i) {
    Value& p = params_[i];
    double d_p = p.grad();
    if (o.weight_decay != 0.0) d_p = d_p + o.weight_decay * p.data();
    if (o.momentum != 0.0) {
      double& buf = momentum_buffer_[i];
      buf = first ? d_p : buf * o.momentum + (1.0 - o.dampening) * d_p;
      d_p = o.nesterov ? d_p + o.momentum * buf : buf;
    }
    p.data() = p.data() + (-1.0 * lr) * d_p;
  }
  ++steps_;
}

// ---- Adam and AdamW ------------------------------------------------------------------------------

Adam::Adam(std::vector<Value> params, AdamOptions options, LrSchedule schedule)
    : Optimizer(std::move(params), options.lr, std::move(schedule)),
      options_(options),
      m_(params_.size(), 0.0),
      v_(params_.size(), 0.0) {
  check_beta("Adam beta1", options.beta1);
  check_beta("Adam beta2", options.beta2);
  check_non_negative("Adam eps", options.eps);
  check_non_negative("Adam weight_decay", options.weight_decay);
}

void Adam::step() {
  const AdamHyper h{lr(), options_.beta1, options_.beta2, options_.eps};
  const int t = steps_ + 1;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    double g = params_[i].grad();
    if (options_.weight_decay != 0.0) g = g + options_.weight_decay * params_[i].data();
    adam_update(params_[i], g, m_[i], v_[i], t, h);
  }
  ++steps_;
}

AdamW::AdamW(std::vector<Value> params, AdamWOptions options, LrSchedule schedule)
    : Optimizer(std::move(params), options.lr, std::move(schedule)),
      options_(options),
      m_(params_.size(), 0.0),
      v_(params_.size(), 0.0) {
  check_beta("AdamW beta1", options.beta1);
  check_beta("AdamW beta2", options.beta2);
  check_non_negative("AdamW eps", options.eps);
  check_non_negative("AdamW weight_decay", options.weight_decay);
}

void AdamW::step() {
  const AdamHyper h{lr(), options_.beta1, options_.beta2, options_.eps};
  const int t = steps_ + 1;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (options_.weight_decay != 0.0)
      params_[i].data() = params_[i].data() * (1.0 - h.lr * options_.weight_decay);
    adam_update(params_[i], params_[i].grad(), m_[i], v_[i], t, h);
  }
  ++steps_;
}

}  // namespace verigrad::nn
