#include "nn/network.hpp"

#include <ostream>
#include <stdexcept>
#include <utility>

namespace verigrad::nn {

namespace {

void check_inputs(const char* what, int expected, std::size_t actual) {
  if (actual != static_cast<std::size_t>(expected)) {
    throw std::invalid_argument(std::string(what) + ": expected " + std::to_string(expected) +
                                " inputs, got " + std::to_string(actual));
  }
}

void check_positive(const char* what, int n) {
  if (n <= 0) throw std::invalid_argument(std::string(what) + " must be positive, got " + std::to_string(n));
}

// micrograd spells it "ReLU"; the others follow the same pattern.
const char* neuron_kind(Activation activation) {
  switch (activation) {
    case Activation::Linear: return "Linear";
    case Activation::Relu: return "ReLU";
    case Activation::Tanh: return "Tanh";
    case Activation::Sigmoid: return "Sigmoid";
  }
  return "?";
}

template <typename Item>
std::string join(const std::vector<Item>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : ", ") + items[i].to_string();
  return out;
}

}  // namespace

std::vector<Value> to_values(const std::vector<double>& x) { return {x.begin(), x.end()}; }

// ---- Neuron --------------------------------------------------------------------------------------

Neuron::Neuron(int nin, Activation activation, Rng& rng, bool fused)
    : b_(0.0), activation_(activation), fused_(fused) {
  check_positive("Neuron: nin", nin);
  w_.reserve(static_cast<std::size_t>(nin));
  for (int i = 0; i < nin; ++i) w_.emplace_back(rng.uniform(-1.0, 1.0));
}

Neuron::Neuron(const std::vector<double>& weights, double bias, Activation activation, bool fused)
    : w_(to_values(weights)), b_(bias), activation_(activation), fused_(fused) {
  check_positive("Neuron: number of weights", static_cast<int>(weights.size()));
}

Value Neuron::operator()(const std::vector<Value>& x) const {
  check_inputs("Neuron", nin(), x.size());
  if (fused_) return activate(Value::dot(b_, w_, x), activation_);
  // micrograd: sum((wi*xi for wi, xi in zip(self.w, x)), self.b), i.e. ((b + w0*x0) + w1*x1) + ...
  Value act = b_;
  for (std::size_t i = 0; i < w_.size(); ++i) act = act + w_[i] * x[i];
  return activate(act, activation_);
}

Value Neuron::operator()(const std::vector<double>& x) const { return (*this)(to_values(x)); }

std::vector<Value> Neuron::parameters() const {
  std::vector<Value> params;
  params.reserve(w_.size() + 1);
  append_parameters(params);
  return params;
}

void Neuron::append_parameters(std::vector<Value>& params) const {
  params.insert(params.end(), w_.begin(), w_.end());
  params.push_back(b_);
}

std::string Neuron::to_string() const {
  return std::string(neuron_kind(activation_)) + "Neuron(" + std::to_string(nin()) + ")";
}

// ---- Layer ---------------------------------------------------------------------------------------

Layer::Layer(int nin, int nout, Activation activation, Rng& rng, bool fused) {
  check_positive("Layer: nin", nin);
  check_positive("Layer: nout", nout);
  neurons_.reserve(static_cast<std::size_t>(nout));
  for (int i = 0; i < nout; ++i) neurons_.emplace_back(nin, activation, rng, fused);
}

Layer::Layer(std::vector<Neuron> neurons) : neurons_(std::move(neurons)) {
  if (neurons_.empty()) throw std::invalid_argument("Layer: needs at least one neuron");
  for (const Neuron& n : neurons_) {
    if (n.nin() != neurons_.front().nin()) {
      throw std::invalid_argument("Layer: neurons take different numbers of inputs (" +
                                  std::to_string(neurons_.front().nin()) + " and " + std::to_string(n.nin()) +
                                  ")");
    }
  }
}

std::vector<Value> Layer::operator()(const std::vector<Value>& x) const {
  check_inputs("Layer", nin(), x.size());
  std::vector<Value> out;
  out.reserve(neurons_.size());
  for (const Neuron& n : neurons_) out.push_back(n(x));
  return out;
}

std::vector<Value> Layer::operator()(const std::vector<double>& x) const { return (*this)(to_values(x)); }

std::vector<Value> Layer::parameters() const {
  std::vector<Value> params;
  params.reserve(neurons_.size() * (static_cast<std::size_t>(nin()) + 1));
  for (const Neuron& n : neurons_) n.append_parameters(params);
  return params;
}

std::string Layer::to_string() const { return "Layer of [" + join(neurons_) + "]"; }

// ---- MLP -----------------------------------------------------------------------------------------

MLP::MLP(int nin, std::vector<int> nouts) : MLP(nin, std::move(nouts), MLPOptions{}) {}

MLP::MLP(int nin, std::vector<int> nouts, const MLPOptions& options) {
  check_positive("MLP: nin", nin);
  if (nouts.empty()) throw std::invalid_argument("MLP: needs at least one layer (nouts is empty)");
  Rng rng(options.seed);
  int fan_in = nin;
  layers_.reserve(nouts.size());
  for (std::size_t i = 0; i < nouts.size(); ++i) {
    const Activation act = i + 1 == nouts.size() ? options.output : options.hidden;
    layers_.emplace_back(fan_in, nouts[i], act, rng, options.fused);
    fan_in = nouts[i];
  }
}

MLP::MLP(std::vector<Layer> layers) : layers_(std::move(layers)) {
  if (layers_.empty()) throw std::invalid_argument("MLP: needs at least one layer");
  for (std::size_t i = 1; i < layers_.size(); ++i) {
    if (layers_[i].nin() != layers_[i - 1].nout()) {
      throw std::invalid_argument("MLP: layer " + std::to_string(i) + " takes " +
                                  std::to_string(layers_[i].nin()) + " inputs but layer " +
                                  std::to_string(i - 1) + " gives " + std::to_string(layers_[i - 1].nout()));
    }
  }
}

std::vector<Value> MLP::operator()(const std::vector<Value>& x) const {
  check_inputs("MLP", nin(), x.size());
  std::vector<Value> h = layers_.front()(x);  // no copy of the inputs
  for (std::size_t i = 1; i < layers_.size(); ++i) h = layers_[i](h);
  return h;
}

std::vector<Value> MLP::operator()(const std::vector<double>& x) const { return (*this)(to_values(x)); }

std::vector<Value> MLP::parameters() const {
  std::vector<Value> params;
  params.reserve(num_parameters());
  for (const Layer& layer : layers_) {
    for (const Neuron& n : layer.neurons()) n.append_parameters(params);
  }
  return params;
}

std::size_t MLP::num_parameters() const {
  std::size_t count = 0;
  for (const Layer& layer : layers_) {
    count += static_cast<std::size_t>(layer.nout()) * static_cast<std::size_t>(layer.nin() + 1);
  }
  return count;
}

std::vector<int> MLP::nouts() const {
  std::vector<int> sizes;
  for (const Layer& layer : layers_) sizes.push_back(layer.nout());
  return sizes;
}

std::vector<Activation> MLP::activations() const {
  std::vector<Activation> acts;
  for (const Layer& layer : layers_) acts.push_back(layer.activation());
  return acts;
}

std::string MLP::to_string() const { return "MLP of [" + join(layers_) + "]"; }

std::ostream& operator<<(std::ostream& os, const Neuron& neuron) { return os << neuron.to_string(); }
std::ostream& operator<<(std::ostream& os, const Layer& layer) { return os << layer.to_string(); }
std::ostream& operator<<(std::ostream& os, const MLP& mlp) { return os << mlp.to_string(); }

}  // namespace verigrad::nn
