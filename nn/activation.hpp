// Activation functions a layer applies after its neurons' weighted sums.
#pragma once

#include <string>

#include "engine/value.hpp"

namespace verigrad::nn {

enum class Activation { Linear, Relu, Tanh, Sigmoid };

// "linear", "relu", "tanh", "sigmoid": the names the CLI and JSON use.
std::string to_string(Activation activation);

// Inverse of to_string (exact, lower case); throws std::invalid_argument naming the bad name and the
// valid ones.
Activation parse_activation(const std::string& name);

// x itself for Linear, else the engine's op (one node).
Value activate(const Value& x, Activation activation);

}  // namespace verigrad::nn
