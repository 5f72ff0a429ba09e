// The torch-free half of the module mirror and lockstep: our loss, deep copies, and the reports.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <ostream>
#include <sstream>

#include "engine/graph.hpp"
#include "verify/lockstep.hpp"
#include "verify/module_mirror.hpp"

namespace verigrad::verify {

namespace {

nlohmann::json number(double x) {
  if (std::isfinite(x)) return x;
  return format_double(x);
}

nlohmann::json entry_json(const Entry& e) {
  return {{"name", e.name},
          {"ours", number(e.ours)},
          {"torch", number(e.torch)},
          {"difference", number(e.comparison.difference)},
          {"ulps", e.comparison.ulps == std::numeric_limits<std::uint64_t>::max()
                       ? nlohmann::json(nullptr)
                       : nlohmann::json(e.comparison.ulps)},
          {"agree", e.comparison.agree}};
}

std::string entry_line(const Entry& e) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-28s %-25s %-25s %-9.2e %-6s %s", e.name.c_str(),
                format_double(e.ours).c_str(), format_double(e.torch).c_str(), e.comparison.difference,
                e.comparison.ulps == std::numeric_limits<std::uint64_t>::max()
                    ? "nan"
                    : std::to_string(e.comparison.ulps).c_str(),
                e.comparison.agree ? "ok" : "MISMATCH");
  return buf;
}

template <typename F>
void for_each_entry(const ModuleReport& r, F f) {
  for (const Entry& e : r.outputs) f(e);
  f(r.loss);
  for (const Entry& e : r.gradients) f(e);
}

}  // namespace

const char* to_string(LossKind kind) {
  switch (kind) {
    case LossKind::Mse: return "mse";
    case LossKind::Svm: return "svm";
    case LossKind::BceWithLogits: return "bce_with_logits";
    case LossKind::CrossEntropy: return "cross_entropy";
  }
  return "?";
}

Value our_loss(const nn::MLP& model, const Batch& batch, const LossSpec& loss) {
  std::vector<std::vector<Value>> outputs;
  std::vector<Value> first;
  for (const auto& row : batch.inputs) {
    outputs.push_back(model(row));
    first.push_back(outputs.back().front());
  }
  switch (loss.kind) {
    case LossKind::Mse: return nn::mse_loss(first, batch.targets);
    case LossKind::Svm: return nn::svm_loss(first, batch.targets, model.parameters(), loss.l2_alpha);
    case LossKind::BceWithLogits: return nn::bce_with_logits_loss(first, batch.targets);
    case LossKind::CrossEntropy: return nn::softmax_cross_entropy(outputs, batch.classes);
  }
  return Value(0.0);
}

nn::MLP clone(const nn::MLP& model) {
  std::vector<nn::Layer> layers;
  for (const nn::Layer& layer : model.layers()) {
    std::vector<nn::Neuron> neurons;
    for (const nn::Neuron& n : layer.neurons()) {
      std::vector<double> w;
      for (const Value& wi : n.weights()) w.push_back(wi.data());
      neurons.emplace_back(w, n.bias().data(), n.activation(), n.fused());
    }
    layers.emplace_back(std::move(neurons));
  }
  return nn::MLP(std::move(layers));
}

bool ModuleReport::matches() const { return !first_mismatch().has_value(); }

std::optional<std::string> ModuleReport::first_mismatch() const {
  std::optional<std::string> first;
  for_each_entry(*this, [&](const Entry& e) {
    if (!first && !e.comparison.agree) first = e.name;
  });
  return first;
}

const Entry* ModuleReport::worst() const {
  const Entry* worst = nullptr;
  for_each_entry(*this, [&](const Entry& e) {
    if (worst == nullptr || e.comparison.ulps > worst->comparison.ulps) worst = &e;
  });
  return worst;
}

std::string ModuleReport::to_table() const {
  std::ostringstream os;
  os << "verify::check_module: " << outputs.size() << " outputs, " << gradients.size() << " parameters, rtol "
     << tolerance.rtol << ", atol " << tolerance.atol << ": " << (matches() ? "matches torch" : "MISMATCH");
  if (const Entry* w = worst())
    os << " (largest difference: " << w->name << ", " << w->comparison.ulps << " ulps)";
  os << "\n"
     << "entry                        ours                      torch                     |diff|    ulps\n";
  for_each_entry(*this, [&](const Entry& e) { os << entry_line(e) << "\n"; });
  return os.str();
}

nlohmann::json ModuleReport::to_json() const {
  nlohmann::json outs = nlohmann::json::array(), grads = nlohmann::json::array();
  for (const Entry& e : outputs) outs.push_back(entry_json(e));
  for (const Entry& e : gradients) grads.push_back(entry_json(e));
  return {{"matches", matches()}, {"rtol", tolerance.rtol},   {"atol", tolerance.atol},
          {"outputs", outs},      {"loss", entry_json(loss)}, {"gradients", grads}};
}

std::ostream& operator<<(std::ostream& os, const ModuleReport& report) { return os << report.to_table(); }

const StepRecord* LockstepReport::largest_divergence() const {
  const StepRecord* worst = nullptr;
  for (const StepRecord& s : steps) {
    if (worst == nullptr || s.worst_parameter.comparison.ulps > worst->worst_parameter.comparison.ulps)
      worst = &s;
  }
  return worst;
}

std::string LockstepReport::to_table() const {
  std::ostringstream os;
  os << "verify::lockstep: " << steps.size() << " steps, rtol " << tolerance.rtol << ", atol "
     << tolerance.atol << ": ";
  if (first_exceeded) {
    os << "DIVERGED first at step " << *first_exceeded;
  } else {
    os << "in lockstep";
  }
  if (const StepRecord* w = largest_divergence()) {
    os << " (largest divergence at step " << w->step << ": " << w->worst_parameter.name << ", "
       << w->worst_parameter.comparison.ulps << " ulps)";
  }
  os << "\nstep  entry                        ours                      torch                     |diff|    "
        "ulps\n";
  for (const StepRecord& s : steps) {
    char step[16];
    std::snprintf(step, sizeof step, "%-5d ", s.step);
    os << step << entry_line(s.loss) << "\n" << step << entry_line(s.worst_parameter) << "\n";
  }
  return os.str();
}

nlohmann::json LockstepReport::to_json() const {
  nlohmann::json js = nlohmann::json::array();
  for (const StepRecord& s : steps) {
    js.push_back({{"step", s.step},
                  {"loss", entry_json(s.loss)},
                  {"worst_parameter", entry_json(s.worst_parameter)},
                  {"agree", s.agree}});
  }
  return {{"matches", matches()},
          {"rtol", tolerance.rtol},
          {"atol", tolerance.atol},
          {"first_exceeded", first_exceeded ? nlohmann::json(*first_exceeded) : nlohmann::json(nullptr)},
          {"steps", js}};
}

std::ostream& operator<<(std::ostream& os, const LockstepReport& report) { return os << report.to_table(); }

}  // namespace verigrad::verify
