// The torch twin of an nn::MLP: torch::nn::Linear layers with copied weights, run batched, with torch's
// own loss functions and optimisers. Used by check_module and lockstep.
#include "verify/module_mirror.hpp"

#include <torch/torch.h>

#include <memory>
#include <stdexcept>

#include "verify/lockstep.hpp"

namespace verigrad::verify {

namespace {

torch::TensorOptions float64() { return torch::dtype(torch::kFloat64); }

torch::Tensor matrix(const std::vector<std::vector<double>>& rows) {
  const auto n = static_cast<std::int64_t>(rows.size());
  const auto m = static_cast<std::int64_t>(rows.front().size());
  torch::Tensor t = torch::empty({n, m}, float64());
  auto a = t.accessor<double, 2>();
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < m; ++j)
      a[i][j] = rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
  }
  return t;
}

torch::Tensor vector_tensor(const std::vector<double>& v) {
  return torch::tensor(v, float64());  // a std::vector<double> with explicit float64: no float32 detour
}

struct TorchMlp {
  std::vector<torch::nn::Linear> layers;
  std::vector<nn::Activation> activations;

  // All parameters in our order per layer: weight (row j = neuron j), then bias.
  std::vector<torch::Tensor> parameters() const {
    std::vector<torch::Tensor> params;
    for (const auto& layer : layers) {
      params.push_back(layer->weight);
      params.push_back(layer->bias);
    }
    return params;
  }
};

TorchMlp build_torch(const nn::MLP& model) {
  torch::set_num_threads(1);
  TorchMlp twin;
  torch::NoGradGuard no_grad;
  for (const nn::Layer& layer : model.layers()) {
    torch::nn::Linear linear(torch::nn::LinearOptions(layer.nin(), layer.nout()));
    linear->to(torch::kFloat64);
    std::vector<std::vector<double>> w;
    std::vector<double> b;
    for (const nn::Neuron& neuron : layer.neurons()) {
      std::vector<double> row;
      for (const Value& wi : neuron.weights()) row.push_back(wi.data());
      w.push_back(std::move(row));
      b.push_back(neuron.bias().data());
    }
    linear->weight.copy_(matrix(w));
    linear->bias.copy_(vector_tensor(b));
    twin.layers.push_back(linear);
    twin.activations.push_back(layer.activation());
  }
  return twin;
}

torch::Tensor activate(const torch::Tensor& x, nn::Activation activation) {
  switch (activation) {
    case nn::Activation::Linear: return x;
    case nn::Activation::Relu: return torch::relu(x);
    case nn::Activation::Tanh: return torch::tanh(x);
    case nn::Activation::Sigmoid: return torch::sigmoid(x);
  }
  return x;
}

torch::Tensor forward(TorchMlp& twin, torch::Tensor x) {
  for (std::size_t i = 0; i < twin.layers.size(); ++i)
    x = activate(twin.layers[i]->forward(x), twin.activations[i]);
  return x;
}

torch::Tensor torch_loss(const TorchMlp& twin, const torch::Tensor& out, const Batch& batch,
                         const LossSpec& loss) {
  switch (loss.kind) {
    case LossKind::Mse: return torch::mse_loss(out.select(1, 0), vector_tensor(batch.targets));
    case LossKind::Svm: {
      // micrograd's (1 + -y * score).relu(): relu's gradient convention at a zero margin, which a
      // clamp or hinge loss would not share.
      const torch::Tensor y = vector_tensor(batch.targets);
      torch::Tensor total = torch::relu(out.select(1, 0) * -y + 1.0).mean();
      if (loss.l2_alpha != 0.0) {
        torch::Tensor squares = torch::zeros({}, float64());
        for (const torch::Tensor& p : twin.parameters()) squares = squares + (p * p).sum();
        total = total + squares * loss.l2_alpha;
      }
      return total;
    }
    case LossKind::BceWithLogits:
      return torch::binary_cross_entropy_with_logits(out.select(1, 0), vector_tensor(batch.targets));
    case LossKind::CrossEntropy: {
      std::vector<std::int64_t> labels(batch.classes.begin(), batch.classes.end());
      return torch::nn::functional::cross_entropy(out, torch::tensor(labels, torch::kLong));
    }
  }
  throw std::logic_error("verify: unknown loss");
}

double item(const torch::Tensor& t) { return t.item<double>(); }

// Torch's parameter tensors flattened in our parameters() order: per neuron its weights, then its bias.
std::vector<double> flatten_like_ours(const TorchMlp& twin, bool grads) {
  std::vector<double> flat;
  for (const auto& layer : twin.layers) {
    const torch::Tensor w = (grads ? layer->weight.grad() : layer->weight).detach().contiguous();
    const torch::Tensor b = (grads ? layer->bias.grad() : layer->bias).detach().contiguous();
    auto wa = w.accessor<double, 2>();
    auto ba = b.accessor<double, 1>();
    for (std::int64_t j = 0; j < w.size(0); ++j) {
      for (std::int64_t i = 0; i < w.size(1); ++i) flat.push_back(wa[j][i]);
      flat.push_back(ba[j]);
    }
  }
  return flat;
}

std::vector<std::string> parameter_names(const nn::MLP& model) {
  std::vector<std::string> names;
  for (std::size_t l = 0; l < model.layers().size(); ++l) {
    const nn::Layer& layer = model.layers()[l];
    const std::string prefix = "layer" + std::to_string(l);
    for (std::size_t j = 0; j < layer.neurons().size(); ++j) {
      for (int i = 0; i < layer.nin(); ++i) {
        names.push_back(prefix + ".weight[" + std::to_string(j) + "][" + std::to_string(i) + "]");
      }
      names.push_back(prefix + ".bias[" + std::to_string(j) + "]");
    }
  }
  return names;
}

Entry entry(std::string name, double ours, double theirs, Tolerance tolerance) {
  return {std::move(name), ours, theirs, compare(ours, theirs, tolerance)};
}

std::unique_ptr<nn::Optimizer> our_optimizer(const std::vector<Value>& params, const OptimizerSpec& o) {
  if (o.kind == OptimizerKind::Sgd) {
    nn::SGDOptions options;
    options.lr = o.lr;
    options.momentum = o.momentum;
    options.weight_decay = o.weight_decay;
    return std::make_unique<nn::SGD>(params, options);
  }
  nn::AdamOptions options;
  options.lr = o.lr;
  options.beta1 = o.beta1;
  options.beta2 = o.beta2;
  options.eps = o.eps;
  options.weight_decay = o.weight_decay;
  return std::make_unique<nn::Adam>(params, options);
}

std::unique_ptr<torch::optim::Optimizer> torch_optimizer(const TorchMlp& twin, const OptimizerSpec& o) {
  if (o.kind == OptimizerKind::Sgd) {
    return std::make_unique<torch::optim::SGD>(
        twin.parameters(), torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
  }
  return std::make_unique<torch::optim::Adam>(twin.parameters(), torch::optim::AdamOptions(o.lr)
                                                                     .betas(std::make_tuple(o.beta1, o.beta2))
                                                                     .eps(o.eps)
                                                                     .weight_decay(o.weight_decay));
}

// |d p1 / d g| for the first step from p0 with gradient g (weight decay folds wd * p0 into g):
//   SGD (momentum buffer = g on the first step): p1 = p0 - lr * g                      -> lr
//   Adam (m1 = (1-b1) g, v1 = (1-b2) g^2, bias corrections cancel): p1 = p0 - lr * g / (|g| + eps)
//                                                                   -> lr * eps / (|g| + eps)^2
// taken at the smaller of the two gradients (the larger sensitivity). At a stationary point (g ~ 0)
// Adam turns a 1e-17 rounding difference into a 1e-9 parameter difference: that is Adam, not a bug.
double first_step_sensitivity(const OptimizerSpec& o, double g_ours, double g_torch, double p0) {
  if (o.kind == OptimizerKind::Sgd) return o.lr;
  const double g =
      std::fmin(std::fabs(g_ours + o.weight_decay * p0), std::fabs(g_torch + o.weight_decay * p0));
  return o.lr * o.eps / ((g + o.eps) * (g + o.eps));
}

void validate(const nn::MLP& model, const Batch& batch, const LossSpec& loss) {
  if (batch.inputs.empty()) throw std::invalid_argument("verify: empty batch");
  for (const auto& row : batch.inputs) {
    if (static_cast<int>(row.size()) != model.nin())
      throw std::invalid_argument("verify: input row size != nin");
  }
  if (loss.kind == LossKind::CrossEntropy) {
    if (batch.classes.size() != batch.inputs.size())
      throw std::invalid_argument("verify: one class per sample");
  } else {
    if (model.nout() != 1) throw std::invalid_argument("verify: this loss needs one output per sample");
    if (batch.targets.size() != batch.inputs.size())
      throw std::invalid_argument("verify: one target per sample");
  }
}

}  // namespace

ModuleReport check_module(const nn::MLP& model, const Batch& batch, const LossSpec& loss,
                          Tolerance tolerance) {
  validate(model, batch, loss);
  ModuleReport report;
  report.tolerance = tolerance;

  // Ours, on zeroed parameter grads (restored afterwards).
  std::vector<Value> params = model.parameters();
  std::vector<double> saved;
  for (Value& p : params) {
    saved.push_back(p.grad());
    p.grad() = 0.0;
  }
  std::vector<std::vector<Value>> outputs;
  for (const auto& row : batch.inputs) outputs.push_back(model(row));
  Value our = our_loss(model, batch, loss);
  our.backward();
  std::vector<double> our_grads;
  for (std::size_t i = 0; i < params.size(); ++i) {
    our_grads.push_back(params[i].grad());
    params[i].grad() = saved[i];
  }

  // Torch, batched.
  TorchMlp twin = build_torch(model);
  const torch::Tensor out = forward(twin, matrix(batch.inputs));
  const torch::Tensor theirs = torch_loss(twin, out, batch, loss);
  theirs.backward();
  const torch::Tensor out_values = out.detach().contiguous();
  auto oa = out_values.accessor<double, 2>();
  for (std::size_t s = 0; s < outputs.size(); ++s) {
    for (std::size_t k = 0; k < outputs[s].size(); ++k) {
      report.outputs.push_back(
          entry("out[" + std::to_string(s) + "][" + std::to_string(k) + "]", outputs[s][k].data(),
                oa[static_cast<std::int64_t>(s)][static_cast<std::int64_t>(k)], tolerance));
    }
  }
  report.loss = entry("loss", our.data(), item(theirs), tolerance);
  const std::vector<double> torch_grads = flatten_like_ours(twin, true);
  const std::vector<std::string> names = parameter_names(model);
  for (std::size_t i = 0; i < our_grads.size(); ++i) {
    report.gradients.push_back(entry("grad " + names[i], our_grads[i], torch_grads[i], tolerance));
  }
  return report;
}

struct TorchTwin::Impl {
  TorchMlp twin;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  torch::Tensor x;
  Batch batch;
  LossSpec loss;
  OptimizerSpec spec;
  Tolerance tolerance;
  std::vector<std::string> names;
  int steps = 0;
};

TorchTwin::TorchTwin(const nn::MLP& model, const Batch& batch, const LossSpec& loss,
                     const OptimizerSpec& optimizer, Tolerance tolerance)
    : impl_(std::make_unique<Impl>()) {
  validate(model, batch, loss);
  impl_->twin = build_torch(model);
  impl_->optimizer = torch_optimizer(impl_->twin, optimizer);
  impl_->x = matrix(batch.inputs);
  impl_->batch = batch;
  impl_->loss = loss;
  impl_->spec = optimizer;
  impl_->tolerance = tolerance;
  impl_->names = parameter_names(model);
}

TorchTwin::~TorchTwin() = default;

namespace {

// The learning rate of the twin's next step (a schedule lives with the caller, as in nn's optimisers).
void set_lr(torch::optim::Optimizer& optimizer, OptimizerKind kind, double lr) {
  for (auto& group : optimizer.param_groups()) {
    if (kind == OptimizerKind::Sgd) {
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
    } else {
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    }
  }
}

}  // namespace

StepRecord TorchTwin::step(const nn::MLP& ours, double our_loss, double lr) {
  Impl& m = *impl_;
  const std::vector<double> before = flatten_like_ours(m.twin, false);
  set_lr(*m.optimizer, m.spec.kind, lr);
  m.optimizer->zero_grad();
  const torch::Tensor theirs = torch_loss(m.twin, forward(m.twin, m.x), m.batch, m.loss);
  theirs.backward();
  const std::vector<double> torch_grads = flatten_like_ours(m.twin, true);
  m.optimizer->step();

  StepRecord record;
  record.step = m.steps;
  record.loss = entry("loss", our_loss, item(theirs), m.tolerance);
  record.agree = record.loss.comparison.agree;
  const std::vector<double> torch_params = flatten_like_ours(m.twin, false);
  const std::vector<Value> params = ours.parameters();
  OptimizerSpec at_lr = m.spec;
  at_lr.lr = lr;
  for (std::size_t i = 0; i < params.size(); ++i) {
    Entry e = entry(m.names[i], params[i].data(), torch_params[i], m.tolerance);
    // The first step starts from identical parameters, so the only legitimate difference is the
    // gradients' rounding carried through the update rule. Only a rounding-sized difference (within
    // check_module's tolerance) is excused: a wrong gradient must show at step 0, not one step later.
    if (m.steps == 0) {
      const double g = params[i].grad();
      const bool rounding = compare(g, torch_grads[i], kModuleTolerance).agree;
      const double slack = rounding ? first_step_sensitivity(at_lr, g, torch_grads[i], before[i]) *
                                          std::fabs(g - torch_grads[i])
                                    : 0.0;
      e.comparison = compare_scaled(e.ours, e.torch, std::fmax(std::fabs(e.ours), std::fabs(e.torch)), slack,
                                    m.tolerance);
    }
    record.agree = record.agree && e.comparison.agree;
    record.max_parameter_difference = std::fmax(record.max_parameter_difference, e.comparison.difference);
    if (i == 0 || e.comparison.ulps > record.worst_parameter.comparison.ulps) record.worst_parameter = e;
  }
  ++m.steps;
  return record;
}

LockstepReport lockstep(const nn::MLP& model, const Batch& batch, const LossSpec& loss,
                        const OptimizerSpec& optimizer, int steps, Tolerance tolerance) {
  validate(model, batch, loss);
  nn::MLP ours = clone(model);
  TorchTwin twin(ours, batch, loss, optimizer, tolerance);
  std::unique_ptr<nn::Optimizer> our_opt = our_optimizer(ours.parameters(), optimizer);
  LockstepReport report;
  report.tolerance = tolerance;
  for (int step = 0; step < steps; ++step) {
    our_opt->zero_grad();
    Value our = our_loss(ours, batch, loss);
    our.backward();
    our_opt->step();
    StepRecord record = twin.step(ours, our.data(), optimizer.lr);
    if (!record.agree && !report.first_exceeded) report.first_exceeded = step;
    report.steps.push_back(std::move(record));
  }
  return report;
}

}  // namespace verigrad::verify
