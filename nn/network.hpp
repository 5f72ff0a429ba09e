// Neuron, Layer and MLP: micrograd's nn.py, with a choice of activations and a seeded initialisation.
//
//   verigrad::nn::MLP model(2, {16, 16, 1});           // ReLU hidden layers, linear output
//   std::vector<verigrad::Value> out = model({0.5, -1.0});
//   out[0].backward();
//
// Parameters are Value handles: copying a Neuron, Layer or MLP shares its weights with the original.
// Weights are drawn from U(-1, 1) by nn::Rng (the same numbers on every platform), neuron by neuron in
// parameters() order; biases start at 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <vector>

#include "engine/value.hpp"
#include "nn/activation.hpp"
#include "nn/module.hpp"
#include "nn/rng.hpp"

namespace verigrad::nn {

class Neuron : public Module {
 public:
  // nin weights drawn from U(-1, 1) by rng, bias 0. fused = true builds the pre-activation as one
  // Value::dot node; false builds micrograd's chain ((b + w0*x0) + w1*x1) + ... of Mul and Add nodes.
  // Both give bit-identical values and gradients.
  Neuron(int nin, Activation activation, Rng& rng, bool fused = true);
  // Given weights and bias (for tests, mirrors and loading saved models).
  Neuron(const std::vector<double>& weights, double bias, Activation activation = Activation::Relu,
         bool fused = true);

  // activation(b + w . x); x.size() must be nin(), else std::invalid_argument.
  Value operator()(const std::vector<Value>& x) const;
  Value operator()(const std::vector<double>& x) const;
  Value operator()(std::initializer_list<double> x) const { return (*this)(std::vector<double>(x)); }

  // w[0], ..., w[nin-1], b (micrograd's order).
  std::vector<Value> parameters() const override;
  // The same, appended to params (Layer and MLP collect theirs without a vector per neuron).
  void append_parameters(std::vector<Value>& params) const;

  const std::vector<Value>& weights() const { return w_; }
  const Value& bias() const { return b_; }
  int nin() const { return static_cast<int>(w_.size()); }
  Activation activation() const { return activation_; }
  bool fused() const { return fused_; }

  // micrograd's repr: "ReLUNeuron(2)", "LinearNeuron(16)"; also "TanhNeuron(n)", "SigmoidNeuron(n)".
  std::string to_string() const;

 private:
  std::vector<Value> w_;
  Value b_;
  Activation activation_;
  bool fused_;
};

class Layer : public Module {
 public:
  Layer(int nin, int nout, Activation activation, Rng& rng, bool fused = true);
  // From neurons that all take the same number of inputs (at least one neuron).
  explicit Layer(std::vector<Neuron> neurons);

  // One output per neuron; x.size() must be nin(), else std::invalid_argument.
  std::vector<Value> operator()(const std::vector<Value>& x) const;
  std::vector<Value> operator()(const std::vector<double>& x) const;
  // Makes model({0.5, -1.0}) unambiguous.
  std::vector<Value> operator()(std::initializer_list<double> x) const {
    return (*this)(std::vector<double>(x));
  }

  // Neuron by neuron, each neuron's weights then its bias.
  std::vector<Value> parameters() const override;

  const std::vector<Neuron>& neurons() const { return neurons_; }
  int nin() const { return neurons_.front().nin(); }
  int nout() const { return static_cast<int>(neurons_.size()); }
  Activation activation() const { return neurons_.front().activation(); }

  // micrograd's repr: "Layer of [ReLUNeuron(2), ReLUNeuron(2)]".
  std::string to_string() const;

 private:
  std::vector<Neuron> neurons_;
};

struct MLPOptions {
  Activation hidden = Activation::Relu;    // every layer but the last
  Activation output = Activation::Linear;  // the last layer
  std::uint64_t seed = 1337;               // micrograd's demo seed
  bool fused = true;                       // see Neuron
};

class MLP : public Module {
 public:
  // micrograd's MLP(nin, nouts): ReLU hidden layers, a linear last layer, default seed.
  MLP(int nin, std::vector<int> nouts);
  MLP(int nin, std::vector<int> nouts, const MLPOptions& options);
  // From layers whose sizes chain (layer i's nout is layer i+1's nin).
  explicit MLP(std::vector<Layer> layers);

  // The last layer's outputs; x.size() must be nin(), else std::invalid_argument.
  std::vector<Value> operator()(const std::vector<Value>& x) const;
  std::vector<Value> operator()(const std::vector<double>& x) const;
  // Makes model({0.5, -1.0}) unambiguous.
  std::vector<Value> operator()(std::initializer_list<double> x) const {
    return (*this)(std::vector<double>(x));
  }

  // Layer by layer, neuron by neuron, each neuron's weights then its bias.
  std::vector<Value> parameters() const override;
  std::size_t num_parameters() const;

  const std::vector<Layer>& layers() const { return layers_; }
  int nin() const { return layers_.front().nin(); }
  int nout() const { return layers_.back().nout(); }
  std::vector<int> nouts() const;               // each layer's width
  std::vector<Activation> activations() const;  // each layer's activation

  // micrograd's repr: "MLP of [Layer of [ReLUNeuron(2), ...], Layer of [LinearNeuron(16)]]".
  std::string to_string() const;

 private:
  std::vector<Layer> layers_;
};

std::ostream& operator<<(std::ostream& os, const Neuron& neuron);
std::ostream& operator<<(std::ostream& os, const Layer& layer);
std::ostream& operator<<(std::ostream& os, const MLP& mlp);

// Doubles to leaf Values (a model's inputs).
std::vector<Value> to_values(const std::vector<double>& x);

}  // namespace verigrad::nn
