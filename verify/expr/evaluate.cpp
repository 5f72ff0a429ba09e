// Forward re-evaluation from the op table, in topological order.
#include "verify/expr/evaluate.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>

#include "engine/graph.hpp"
#include "engine/ops.hpp"

namespace verigrad::verify {

double evaluate_forward(const Value& root, const std::unordered_map<const void*, double>& leaf_overrides) {
  const std::vector<Value> order = topological_order(root);
  std::unordered_map<const void*, std::size_t> index;
  index.reserve(order.size());
  std::vector<double> values(order.size(), 0.0);
  auto operand = [&](const Value& v, std::size_t i) { return values[index.at(v.child(i).id())]; };
  for (std::size_t n = 0; n < order.size(); ++n) {
    const Value& v = order[n];
    index.emplace(v.id(), n);
    double out = 0.0;
    switch (op_arity(v.op())) {
      case 0: {
        const auto it = leaf_overrides.find(v.id());
        out = it != leaf_overrides.end() ? it->second : v.data();
        break;
      }
      case 1: {
        const double k = v.op() == Op::PowConst ? v.exponent() : 0.0;
        out = unary_forward(v.op(), operand(v, 0), k);
        break;
      }
      case 2: out = binary_forward(v.op(), operand(v, 0), operand(v, 1)); break;
      default: {  // Dot: c0 + c1*c2 + c3*c4 + ..., in the engine's order
        out = operand(v, 0);
        for (std::size_t i = 1; i + 1 < v.arity(); i += 2) out += operand(v, i) * operand(v, i + 1);
        break;
      }
    }
    values[n] = out;
  }
  return values.back();
}

double evaluate(const Program& program, const std::vector<double>& leaf_values) {
  if (leaf_values.size() != program.leaves.size()) {
    throw std::invalid_argument("evaluate: " + std::to_string(leaf_values.size()) + " values for " +
                                std::to_string(program.leaves.size()) + " leaves");
  }
  std::unordered_map<const void*, double> overrides;
  overrides.reserve(leaf_values.size());
  for (std::size_t i = 0; i < leaf_values.size(); ++i) {
    overrides[program.leaves[i].second.id()] = leaf_values[i];
  }
  return evaluate_forward(program.root, overrides);
}

}  // namespace verigrad::verify
