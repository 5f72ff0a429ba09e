// micrograd's _backward() and backward(), driven by the op table.
#include "verify/expr/micrograd.hpp"

#include <stdexcept>
#include <vector>

#include "engine/graph.hpp"
#include "engine/ops.hpp"

namespace verigrad::verify {

double local_contribution(const Value& node, std::size_t slot, double g) {
  switch (op_arity(node.op())) {
    case 1: {
      const double k = node.op() == Op::PowConst ? node.exponent() : 0.0;
      return unary_backward(node.op(), g, node.child(0).data(), k, node.data());
    }
    case 2: {
      const BinaryGrads d =
          binary_backward(node.op(), g, node.child(0).data(), node.child(1).data(), node.data());
      return slot == 0 ? d.da : d.db;
    }
    default: throw std::logic_error("local_contribution: no per-operand rule for a leaf or a Dot node");
  }
}

void backward_step(const Value& node) {
  if (node.is_leaf()) return;
  const double g = node.grad();
  for (std::size_t slot = 0; slot < node.arity(); ++slot) {
    // Computed before the add, so `a * a` gives both contributions from the same g, as micrograd does.
    const double contribution = local_contribution(node, slot, g);
    Value operand = node.child(slot);
    operand.grad() += contribution;
  }
}

void micrograd_backward(const Value& root) {
  const std::vector<Value> order = topological_order(root);
  Value(root).grad() = 1.0;
  for (std::size_t i = order.size(); i-- > 0;) backward_step(order[i]);
}

}  // namespace verigrad::verify
