// Loss functions (each returns one Value to call backward() on) and accuracy helpers.
//
// Label conventions:
//   mse_loss                  any real targets (the trainer uses +1/-1)
//   max_margin_loss/svm_loss  labels +1 or -1 (micrograd's demo: y*2 - 1)
//   bce_with_logits_loss      targets in [0, 1] (class 1 = 1.0), one logit per sample
//   softmax_cross_entropy     class index in [0, nclasses), one logit per class per sample
//
// Means: the SVM loss is micrograd's sum(losses) * (1.0 / n); the others divide by n as torch's
// reduction='mean' does. Sums run left to right over the samples.
//
// The logit losses are stable: no exp overflows at logits of +-1000, and their gradients are exact at
// logit 0 (sigmoid(z) - y and softmax(z) - onehot(y)). They shift by the largest logit as a plain double
// constant: log(sum exp(z_i)) = m + log(sum exp(z_i - m)) holds for any m, so treating m as a constant
// changes no derivative (unlike relu/abs formulations, whose subgradient at 0 is wrong here).
#pragma once

#include <vector>

#include "engine/value.hpp"

namespace verigrad::nn {

// mean((p_i - t_i)^2).
Value mse_loss(const std::vector<Value>& predictions, const std::vector<double>& targets);

// micrograd's max-margin loss: mean((1 + -y_i * score_i).relu()), labels +1/-1.
Value max_margin_loss(const std::vector<Value>& scores, const std::vector<double>& labels);

// micrograd's L2 regularisation: alpha * sum(p * p for p in params), the sum as one Dot node (bit for bit
// micrograd's chain of Mul and Add nodes). 0 (a constant) if params is empty.
Value l2_penalty(const std::vector<Value>& params, double alpha);

// micrograd's demo total loss: max_margin_loss + l2_penalty(params, alpha); just the data loss when
// alpha == 0 or params is empty.
Value svm_loss(const std::vector<Value>& scores, const std::vector<double>& labels,
               const std::vector<Value>& params = {}, double alpha = 0.0);

// mean(log(1 + exp(z_i)) - y_i z_i), written as torch's BCEWithLogits forward:
// (1 - y) z + m + log(exp(-m) + exp(-z - m)) with m = max(0, -z) taken as a constant.
Value bce_with_logits_loss(const std::vector<Value>& logits, const std::vector<double>& targets);

// mean over samples of logsumexp(z) - z[label], logsumexp shifted by max(z) as a constant.
Value softmax_cross_entropy(const std::vector<std::vector<Value>>& logits, const std::vector<int>& labels);

// Fraction of samples with (label > 0) == (score > 0): micrograd's accuracy for +1/-1 labels, and
// also right for 0/1 labels with a logit score.
double binary_accuracy(const std::vector<Value>& scores, const std::vector<double>& labels);

// Fraction of samples whose largest logit (the first, on ties) is at the label's index.
double multiclass_accuracy(const std::vector<std::vector<Value>>& logits, const std::vector<int>& labels);

}  // namespace verigrad::nn
