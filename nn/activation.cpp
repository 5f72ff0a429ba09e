#include "nn/activation.hpp"

#include <stdexcept>

namespace verigrad::nn {

std::string to_string(Activation activation) {
  switch (activation) {
    case Activation::Linear: return "linear";
    case Activation::Relu: return "relu";
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
  }
  return "?";
}

Activation parse_activation(const std::string& name) {
  for (Activation a : {Activation::Linear, Activation::Relu, Activation::Tanh, Activation::Sigmoid}) {
    if (to_string(a) == name) return a;
  }
  throw std::invalid_argument("unknown activation '" + name +
                              "' (expected one of: linear, relu, tanh, sigmoid)");
}

Value activate(const Value& x, Activation activation) {
  switch (activation) {
    case Activation::Linear: return x;
    case Activation::Relu: return x.relu();
    case Activation::Tanh: return x.tanh();
    case Activation::Sigmoid: return x.sigmoid();
  }
  return x;
}

}  // namespace verigrad::nn
