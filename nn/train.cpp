#include "nn/train.hpp"

#include <stdexcept>

#include "nn/losses.hpp"

namespace verigrad::nn {

namespace {

void check_fits(const MLP& model, const Dataset& data, LossKind kind) {
  if (data.X.empty()) throw std::invalid_argument("train: dataset '" + data.name + "' is empty");
  if (model.nin() != data.nin) {
    throw std::invalid_argument("train: model takes " + std::to_string(model.nin()) +
                                " inputs but dataset '" + data.name + "' has " + std::to_string(data.nin) +
                                " features");
  }
  const int want = kind == LossKind::CrossEntropy ? data.nclasses : 1;
  if (model.nout() != want) {
    throw std::invalid_argument("train: loss " + to_string(kind) + " on dataset '" + data.name + "' needs " +
                                std::to_string(want) + " outputs, the model has " +
                                std::to_string(model.nout()));
  }
}

}  // namespace

std::string to_string(LossKind kind) {
  switch (kind) {
    case LossKind::Svm: return "svm";
    case LossKind::Mse: return "mse";
    case LossKind::Bce: return "bce";
    case LossKind::CrossEntropy: return "ce";
  }
  return "?";
}

LossKind parse_loss_kind(const std::string& name) {
  for (LossKind k : {LossKind::Svm, LossKind::Mse, LossKind::Bce, LossKind::CrossEntropy}) {
    if (to_string(k) == name) return k;
  }
  throw std::invalid_argument("unknown loss '" + name + "' (expected one of: svm, mse, bce, ce)");
}

LossResult compute_loss(const MLP& model, const Dataset& data, LossKind kind, double l2) {
  check_fits(model, data, kind);
  std::vector<std::vector<Value>> outputs;
  outputs.reserve(data.X.size());
  for (const std::vector<double>& x : data.X) outputs.push_back(model(x));
  LossResult result;
  if (kind == LossKind::CrossEntropy) {
    result.loss = softmax_cross_entropy(outputs, data.y);
    result.accuracy = multiclass_accuracy(outputs, data.y);
  } else {
    std::vector<Value> scores;
    scores.reserve(outputs.size());
    for (const std::vector<Value>& out : outputs) scores.push_back(out[0]);
    const std::vector<double> labels = kind == LossKind::Bce ? data.zero_one_labels() : data.signed_labels();
    if (kind == LossKind::Svm) result.loss = max_margin_loss(scores, labels);
    if (kind == LossKind::Mse) result.loss = mse_loss(scores, labels);
    if (kind == LossKind::Bce) result.loss = bce_with_logits_loss(scores, labels);
    result.accuracy = binary_accuracy(scores, labels);
  }
  // micrograd: total_loss = data_loss + reg_loss
  if (l2 != 0.0) result.loss = result.loss + l2_penalty(model.parameters(), l2);
  return result;
}

Evaluation evaluate(const MLP& model, const Dataset& data, LossKind kind, double l2) {
  const LossResult r = compute_loss(model, data, kind, l2);
  return {r.loss.data(), r.accuracy};
}

Evaluation train(MLP& model, const Dataset& data, const TrainConfig& config, Optimizer& optimizer,
                 const StepCallback& callback) {
  if (config.steps < 0)
    throw std::invalid_argument("train: steps must be >= 0, got " + std::to_string(config.steps));
  const double l2 = config.l2.value_or(config.loss == LossKind::Svm ? 1e-4 : 0.0);
  Evaluation last;
  for (int step = 0; step < config.steps; ++step) {
    LossResult r = compute_loss(model, data, config.loss, l2);
    model.zero_grad();
    r.loss.backward();
    const double lr = optimizer.lr();
    optimizer.step();
    last = {r.loss.data(), r.accuracy};
    if (callback) callback(step, last.loss, last.accuracy, lr);
  }
  return last;
}

Evaluation train(MLP& model, const Dataset& data, LossKind loss, Optimizer& optimizer, int steps,
                 const StepCallback& callback) {
  TrainConfig config;
  config.loss = loss;
  config.steps = steps;
  return train(model, data, config, optimizer, callback);
}

}  // namespace verigrad::nn
