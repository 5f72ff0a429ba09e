#include "verify/graph_spec.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <stdexcept>

#include "engine/graph.hpp"

namespace verigrad::verify {

namespace {

void require_operands(const GraphSpec& spec, std::size_t i) {
  const NodeSpec& node = spec.nodes[i];
  const int arity = op_arity(node.op);
  const bool count_ok =
      arity >= 0 ? node.operands.size() == static_cast<std::size_t>(arity) : node.operands.size() % 2 == 1;
  if (!count_ok)
    throw std::invalid_argument("GraphSpec: node " + std::to_string(i) + " has a wrong operand count");
  for (std::size_t operand : node.operands) {
    if (operand >= i)
      throw std::invalid_argument("GraphSpec: node " + std::to_string(i) + " uses a later node");
  }
}

// Replaces every use of node `from` by node `to` (to < from), drops `from`, and prunes.
GraphSpec redirect(const GraphSpec& spec, std::size_t from, std::size_t to) {
  GraphSpec out = spec;
  for (NodeSpec& node : out.nodes) {
    for (std::size_t& operand : node.operands) {
      if (operand == from) operand = to;
    }
  }
  if (from + 1 == spec.nodes.size()) out.nodes.resize(to + 1);  // the root: `to` becomes the root
  return prune(out);
}

// Simpler numbers than x, each strictly simpler (0 < +-1 < integers < 3 significant digits < x).
std::vector<double> simpler_values(double x) {
  std::vector<double> out;
  if (x != 0.0) out.push_back(0.0);
  if (x != 0.0 && x != 1.0) out.push_back(1.0);
  if (x != 0.0 && x != 1.0 && x != -1.0) out.push_back(-1.0);
  if (std::isfinite(x) && std::fabs(x) < 1e15 && std::round(x) != x && std::round(x) != 0.0) {
    out.push_back(std::round(x));
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  const double short_x = std::strtod(buf, nullptr);
  if (short_x != x) out.push_back(short_x);
  // A power of ten of the same sign and magnitude (1e300 for 6.5954e282): simpler than 3 digits.
  if (std::isfinite(x) && x != 0.0) {
    const double power = std::copysign(std::pow(10.0, std::round(std::log10(std::fabs(x)))), x);
    std::snprintf(buf, sizeof buf, "%.0e", power);
    const double ten = std::strtod(buf, nullptr);
    if (ten != x && std::fabs(x) >= 10.0) out.push_back(ten);
  }
  return out;
}

}  // namespace

BuiltGraph build(const GraphSpec& spec) {
  if (spec.nodes.empty()) throw std::invalid_argument("GraphSpec: no nodes");
  BuiltGraph g;
  g.nodes.reserve(spec.nodes.size());
  for (std::size_t i = 0; i < spec.nodes.size(); ++i) {
    require_operands(spec, i);
    const NodeSpec& node = spec.nodes[i];
    auto in = [&](std::size_t slot) { return g.nodes[node.operands[slot]]; };
    switch (op_arity(node.op)) {
      case 0: g.nodes.emplace_back(node.constant); break;
      case 1: g.nodes.push_back(Value::unary(node.op, in(0), node.constant)); break;
      case 2: g.nodes.push_back(Value::binary(node.op, in(0), in(1))); break;
      default: {
        std::vector<Value> w, x;
        for (std::size_t slot = 1; slot + 1 < node.operands.size(); slot += 2) {
          w.push_back(in(slot));
          x.push_back(in(slot + 1));
        }
        g.nodes.push_back(Value::dot(in(0), w, x));
        break;
      }
    }
  }
  g.root = g.nodes.back();
  return g;
}

GraphSpec prune(const GraphSpec& spec) {
  if (spec.nodes.empty()) return spec;
  std::vector<bool> used(spec.nodes.size(), false);
  used.back() = true;
  for (std::size_t i = spec.nodes.size(); i-- > 0;) {
    if (!used[i]) continue;
    for (std::size_t operand : spec.nodes[i].operands) used[operand] = true;
  }
  std::vector<std::size_t> renumber(spec.nodes.size(), 0);
  GraphSpec out;
  for (std::size_t i = 0; i < spec.nodes.size(); ++i) {
    if (!used[i]) continue;
    renumber[i] = out.nodes.size();
    NodeSpec node = spec.nodes[i];
    for (std::size_t& operand : node.operands) operand = renumber[operand];
    out.nodes.push_back(std::move(node));
  }
  return out;
}

std::vector<GraphSpec> shrinks(const GraphSpec& spec) {
  std::vector<GraphSpec> out;
  const std::size_t n = spec.nodes.size();
  // Structure, from the root down: a node replaced by one of its operands.
  for (std::size_t i = n; i-- > 0;) {
    std::vector<std::size_t> seen;
    for (std::size_t operand : spec.nodes[i].operands) {
      if (std::find(seen.begin(), seen.end(), operand) != seen.end()) continue;
      seen.push_back(operand);
      out.push_back(redirect(spec, i, operand));
    }
  }
  // An inner node replaced by a leaf (its subtree goes), and a Dot's last pair dropped.
  for (std::size_t i = 0; i < n; ++i) {
    const NodeSpec& node = spec.nodes[i];
    if (node.op == Op::Leaf) continue;
    GraphSpec leafed = spec;
    leafed.nodes[i] = NodeSpec{Op::Leaf, {}, 1.0};
    out.push_back(prune(leafed));
    if (node.op == Op::Dot && node.operands.size() >= 3) {
      GraphSpec shorter = spec;
      shorter.nodes[i].operands.resize(node.operands.size() - 2);
      out.push_back(prune(shorter));
    }
  }
  // Numbers: leaf values and exponents.
  for (std::size_t i = 0; i < n; ++i) {
    const NodeSpec& node = spec.nodes[i];
    if (node.op == Op::Leaf) {
      for (double v : simpler_values(node.constant)) {
        GraphSpec simpler = spec;
        simpler.nodes[i].constant = v;
        out.push_back(std::move(simpler));
      }
    } else if (node.op == Op::PowConst && node.constant != 2.0) {
      GraphSpec simpler = spec;
      simpler.nodes[i].constant = 2.0;
      out.push_back(std::move(simpler));
    }
  }
  return out;
}

std::string to_program(const GraphSpec& spec) { return verigrad::to_program(build(spec).root); }

std::ostream& operator<<(std::ostream& os, const GraphSpec& spec) { return os << "\n" << to_program(spec); }

}  // namespace verigrad::verify
