#include "nn/losses.hpp"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace verigrad::nn {

namespace {

void check_sizes(const char* what, std::size_t predictions, std::size_t labels) {
  if (predictions == 0) throw std::invalid_argument(std::string(what) + ": no samples");
  if (predictions != labels) {
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(predictions) + " predictions but " +
                                std::to_string(labels) + " labels");
  }
}

// terms[0] + terms[1] + ..., left to right.
Value sum(const std::vector<Value>& terms) {
  Value total = terms.front();
  for (std::size_t i = 1; i < terms.size(); ++i) total = total + terms[i];
  return total;
}

Value mean(const std::vector<Value>& terms) { return sum(terms) / static_cast<double>(terms.size()); }

// log(exp(z_0) + exp(z_1) + ...), shifted by the largest z as a constant (see the header).
Value logsumexp(const std::vector<Value>& z) {
  double m = z.front().data();
  for (const Value& zi : z) m = std::max(m, zi.data());
  std::vector<Value> terms;
  terms.reserve(z.size());
  for (const Value& zi : z) terms.push_back((zi - m).exp());
  return sum(terms).log() + m;
}

}  // namespace

Value mse_loss(const std::vector<Value>& predictions, const std::vector<double>& targets) {
  check_sizes("mse_loss", predictions.size(), targets.size());
  std::vector<Value> terms;
  terms.reserve(predictions.size());
  for (std::size_t i = 0; i < predictions.size(); ++i)
    terms.push_back((predictions[i] - targets[i]).pow(2.0));
  return mean(terms);
}

Value max_margin_loss(const std::vector<Value>& scores, const std::vector<double>& labels) {
  check_sizes("max_margin_loss", scores.size(), labels.size());
  std::vector<Value> terms;
  terms.reserve(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] != 1.0 && labels[i] != -1.0) {
      throw std::invalid_argument("max_margin_loss: labels must be +1 or -1, got " +
                                  std::to_string(labels[i]) + " at index " + std::to_string(i));
    }
    // micrograd's (1 + -yi*scorei).relu() builds scorei * (-yi), then that + 1.
    terms.push_back((scores[i] * -labels[i] + 1.0).relu());
  }
  return sum(terms) * (1.0 / static_cast<double>(terms.size()));
}

Value l2_penalty(const std::vector<Value>& params, double alpha) {
  if (params.empty()) return Value(0.0);
  // sum(p * p for p in params) as one fused node, 0 + p0*p0 + p1*p1 + ...: the same additions in the
  // same order as micrograd's chain of Mul and Add nodes (0 + x is x for the square x >= 0, and a NaN
  // stays NaN), and the same contributions g * p, twice, to each parameter. Bit for bit the same values
  // and gradients, with two nodes instead of two per parameter.
  const Value squares = Value::dot(0.0, params, params);
  return squares * alpha;  // micrograd's alpha * sum(...) is Value.__rmul__: sum * alpha
}

Value svm_loss(const std::vector<Value>& scores, const std::vector<double>& labels,
               const std::vector<Value>& params, double alpha) {
  Value data_loss = max_margin_loss(scores, labels);
  if (alpha == 0.0 || params.empty()) return data_loss;
  return data_loss + l2_penalty(params, alpha);
}

Value bce_with_logits_loss(const std::vector<Value>& logits, const std::vector<double>& targets) {
  check_sizes("bce_with_logits_loss", logits.size(), targets.size());
  std::vector<Value> terms;
  terms.reserve(logits.size());
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double y = targets[i];
    if (!(y >= 0.0 && y <= 1.0)) {
      throw std::invalid_argument("bce_with_logits_loss: targets must be in [0, 1], got " +
                                  std::to_string(y) + " at index " + std::to_string(i));
    }
    const Value& z = logits[i];
    const double m = std::max(0.0, -z.data());
    const Value sum_exp = (-z - m).exp() + std::exp(-m);  // + commutes exactly in IEEE arithmetic
    terms.push_back(z * (1.0 - y) + m + sum_exp.log());
  }
  return mean(terms);
}

Value softmax_cross_entropy(const std::vector<std::vector<Value>>& logits, const std::vector<int>& labels) {
  check_sizes("softmax_cross_entropy", logits.size(), labels.size());
  std::vector<Value> terms;
  terms.reserve(logits.size());
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const int label = labels[i];
    if (label < 0 || static_cast<std::size_t>(label) >= logits[i].size()) {
      throw std::invalid_argument("softmax_cross_entropy: label " + std::to_string(label) + " at index " +
                                  std::to_string(i) + " is not in [0, " + std::to_string(logits[i].size()) +
                                  ")");
    }
    terms.push_back(logsumexp(logits[i]) - logits[i][static_cast<std::size_t>(label)]);
  }
  return mean(terms);
}

double binary_accuracy(const std::vector<Value>& scores, const std::vector<double>& labels) {
  check_sizes("binary_accuracy", scores.size(), labels.size());
  std::size_t correct = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) correct += (labels[i] > 0.0) == (scores[i].data() > 0.0);
  return static_cast<double>(correct) / static_cast<double>(scores.size());
}

double multiclass_accuracy(const std::vector<std::vector<Value>>& logits, const std::vector<int>& labels) {
  check_sizes("multiclass_accuracy", logits.size(), labels.size());
  std::size_t correct = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    std::size_t best = 0;
    for (std::size_t j = 1; j < logits[i].size(); ++j) {
      if (logits[i][j].data() > logits[i][best].data()) best = j;
    }
    correct += labels[i] >= 0 && best == static_cast<std::size_t>(labels[i]);
  }
  return static_cast<double>(correct) / static_cast<double>(logits.size());
}

}  // namespace verigrad::nn
