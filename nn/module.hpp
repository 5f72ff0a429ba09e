// Module: anything with trainable parameters (micrograd's nn.Module).
#pragma once

#include <vector>

#include "engine/value.hpp"

namespace verigrad::nn {

class Module {
 public:
  virtual ~Module() = default;

  // Handles to the trainable leaves, in a fixed order (optimisers and mirrors rely on it).
  virtual std::vector<Value> parameters() const { return {}; }

  // Sets every parameter's grad to 0 (backward accumulates into leaves).
  virtual void zero_grad() {
    for (Value& p : parameters()) p.grad() = 0.0;
  }

 protected:
  Module() = default;
  Module(const Module&) = default;
  Module(Module&&) = default;
  Module& operator=(const Module&) = default;
  Module& operator=(Module&&) = default;
};

}  // namespace verigrad::nn
