// Helpers shared by the expression-language tests: a structural printer and a random graph builder.
#pragma once

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/graph.hpp"
#include "engine/value.hpp"

namespace verigrad::verify::testing {

// A small graph as an s-expression: leaves by label (or value), "(op a b)", "(**k a)" for PowConst.
// Recursive: for the few-node graphs of unit tests only.
inline std::string sexpr(const Value& v) {
  auto number = [](double x) {  // 2.0 as "2", 0.5 as "0.5"
    std::string s = format_double(x);
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
    return s;
  };
  if (v.is_leaf()) return v.label().empty() ? number(v.data()) : v.label();
  std::string s = "(";
  s += v.op() == Op::PowConst ? "**" + number(v.exponent()) : std::string(op_name(v.op()));
  for (std::size_t i = 0; i < v.arity(); ++i) s += " " + sexpr(v.child(i));
  return s + ")";
}

// Equal as bits, or both NaN.
inline bool same_double(double x, double y) {
  if (std::isnan(x) && std::isnan(y)) return true;
  return std::memcmp(&x, &y, sizeof x) == 0;
}

// A random graph as a recipe, so the same shape can be built with different leaf values.
struct Recipe {
  struct Step {
    Op op = Op::Leaf;
    std::vector<std::size_t> operands;  // indices of earlier nodes
    double k = 0.0;                     // PowConst exponent
  };
  std::size_t leaves = 0;
  std::vector<Step> steps;
};

inline Recipe random_recipe(std::mt19937& rng, std::size_t leaves, std::size_t steps, bool allow_dot) {
  static const Op kOps[] = {Op::Neg,      Op::Exp, Op::Log, Op::Tanh, Op::Relu, Op::Sigmoid, Op::Abs,
                            Op::PowConst, Op::Add, Op::Sub, Op::Mul,  Op::Div,  Op::Pow,     Op::Dot};
  static const double kExponents[] = {2.0, 3.0, 0.5, -1.0, 1.5, 0.0, -2.0};
  Recipe r;
  r.leaves = leaves;
  const std::size_t op_count = allow_dot ? std::size(kOps) : std::size(kOps) - 1;
  for (std::size_t s = 0; s < steps; ++s) {
    const std::size_t available = leaves + s;
    // Prefer recent nodes so the graph gets deep, but reach back to leaves too.
    auto pick = [&]() {
      std::uniform_int_distribution<std::size_t> recent(available > 4 ? available - 4 : 0, available - 1);
      std::uniform_int_distribution<std::size_t> any(0, available - 1);
      return (rng() % 2 == 0) ? recent(rng) : any(rng);
    };
    Recipe::Step step;
    step.op = kOps[rng() % op_count];
    const int arity = op_arity(step.op);
    if (arity == -1) {
      const std::size_t pairs = 1 + rng() % 3;
      for (std::size_t i = 0; i < 1 + 2 * pairs; ++i) step.operands.push_back(pick());
    } else {
      for (int i = 0; i < arity; ++i) step.operands.push_back(pick());
    }
    if (step.op == Op::PowConst) step.k = kExponents[rng() % std::size(kExponents)];
    r.steps.push_back(step);
  }
  return r;
}

// Every node of the recipe, leaves first; the last one is the root. Leaves are labelled a0, a1, ...
// when label_leaves, else left unlabelled.
inline std::vector<Value> build(const Recipe& r, const std::vector<double>& leaf_values, bool label_leaves) {
  std::vector<Value> nodes;
  for (std::size_t i = 0; i < r.leaves; ++i) {
    nodes.push_back(label_leaves ? Value(leaf_values[i], "a" + std::to_string(i)) : Value(leaf_values[i]));
  }
  for (const Recipe::Step& s : r.steps) {
    const int arity = op_arity(s.op);
    if (arity == 1) {
      nodes.push_back(Value::unary(s.op, nodes[s.operands[0]], s.k));
    } else if (arity == 2) {
      nodes.push_back(Value::binary(s.op, nodes[s.operands[0]], nodes[s.operands[1]]));
    } else {
      std::vector<Value> w, x;
      for (std::size_t i = 1; i < s.operands.size(); i += 2) {
        w.push_back(nodes[s.operands[i]]);
        x.push_back(nodes[s.operands[i + 1]]);
      }
      nodes.push_back(Value::dot(nodes[s.operands[0]], w, x));
    }
  }
  return nodes;
}

inline std::vector<double> random_leaf_values(std::mt19937& rng, std::size_t n) {
  std::uniform_real_distribution<double> dist(-2.0, 2.0);
  std::vector<double> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(dist(rng));
  return v;
}

}  // namespace verigrad::verify::testing
