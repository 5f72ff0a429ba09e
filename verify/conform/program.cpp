#include "verify/conform/program.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/graph.hpp"

namespace verigrad::verify::conform {

OpName protocol_op(Op op) {
  switch (op) {
    case Op::Add: return OpName::add;
    case Op::Sub: return OpName::sub;
    case Op::Mul: return OpName::mul;
    case Op::Div: return OpName::div;
    case Op::Neg: return OpName::neg;
    case Op::PowConst: return OpName::pow_const;
    case Op::Pow: return OpName::pow;
    case Op::Relu: return OpName::relu;
    case Op::Tanh: return OpName::tanh;
    case Op::Exp: return OpName::exp;
    case Op::Log: return OpName::log;
    case Op::Sigmoid: return OpName::sigmoid;
    case Op::Abs: return OpName::abs;
    case Op::Leaf:
    case Op::Dot: break;
  }
  throw std::invalid_argument(std::string("conform: op ") + op_kind_name(op) + " has no protocol name");
}

Op engine_op(OpName op) {
  switch (op) {
    case OpName::add: return Op::Add;
    case OpName::sub: return Op::Sub;
    case OpName::mul: return Op::Mul;
    case OpName::div: return Op::Div;
    case OpName::neg: return Op::Neg;
    case OpName::pow_const: return Op::PowConst;
    case OpName::pow: return Op::Pow;
    case OpName::relu: return Op::Relu;
    case OpName::tanh: return Op::Tanh;
    case OpName::exp: return Op::Exp;
    case OpName::log: return Op::Log;
    case OpName::sigmoid: return Op::Sigmoid;
    case OpName::abs: return Op::Abs;
  }
  return Op::Leaf;
}

namespace {

bool contains(const std::vector<OpName>& ops, OpName op) {
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

// May operand `slot` of a node with this op be a plain number?
bool number_allowed(Op op, std::size_t slot, const std::vector<OpName>& constant_left) {
  switch (op) {
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div: return slot == 1 || contains(constant_left, protocol_op(op));
    case Op::Pow: return slot == 0 && contains(constant_left, OpName::pow);
    default: return false;
  }
}

}  // namespace

std::string python_number(double x) {
  if (std::isnan(x)) return "float('nan')";
  if (std::isinf(x)) return x > 0 ? "float('inf')" : "float('-inf')";
  std::string s = format_double(x);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

Program encode(const GraphSpec& spec, const std::vector<OpName>& constant_left) {
  Program p;
  p.spec = spec;
  const std::size_t n = spec.nodes.size();
  std::vector<bool> number(n, false);
  for (std::size_t i = 0; i + 1 < n; ++i) number[i] = spec.nodes[i].op == Op::Leaf && spec.nodes[i].plain;
  // Demoting a number to a Value can only make other uses valid, so this settles in a few rounds.
  for (bool changed = true; changed;) {
    changed = false;
    for (const NodeSpec& node : spec.nodes) {
      for (std::size_t slot = 0; slot < node.operands.size(); ++slot) {
        const std::size_t c = node.operands[slot];
        if (number[c] && !number_allowed(node.op, slot, constant_left)) {
          number[c] = false;
          changed = true;
        }
      }
      if (node.operands.size() == 2 && number[node.operands[0]] && number[node.operands[1]]) {
        number[node.operands[0]] = false;
        changed = true;
      }
    }
  }
  p.names.resize(n);
  std::size_t leaves = 0, inner = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (number[i]) continue;
    p.names[i] =
        spec.nodes[i].op == Op::Leaf ? "x" + std::to_string(++leaves) : "t" + std::to_string(++inner);
  }
  return p;
}

std::size_t Program::op_count() const {
  return static_cast<std::size_t>(std::count_if(spec.nodes.begin(), spec.nodes.end(),
                                                [](const NodeSpec& n) { return n.op != Op::Leaf; }));
}

std::vector<OpName> Program::ops_used() const {
  std::vector<OpName> ops;
  for (const NodeSpec& n : spec.nodes) {
    if (n.op != Op::Leaf && !contains(ops, protocol_op(n.op))) ops.push_back(protocol_op(n.op));
  }
  return ops;
}

std::string Program::operand_text(std::size_t node) const {
  return is_number(node) ? python_number(spec.nodes[node].constant) : names[node];
}

std::string Program::statement(std::size_t i) const {
  const NodeSpec& node = spec.nodes[i];
  if (node.op == Op::Leaf) return names[i] + " = Value(" + python_number(node.constant) + ")";
  auto arg = [&](std::size_t slot) { return operand_text(node.operands[slot]); };
  std::string rhs;
  switch (node.op) {
    case Op::Add: rhs = arg(0) + " + " + arg(1); break;
    case Op::Sub: rhs = arg(0) + " - " + arg(1); break;
    case Op::Mul: rhs = arg(0) + " * " + arg(1); break;
    case Op::Div: rhs = arg(0) + " / " + arg(1); break;
    case Op::Pow: {
      // Python reads -2.0 ** x as -(2.0 ** x).
      const std::string base = arg(0);
      rhs = (base.front() == '-' ? "(" + base + ")" : base) + " ** " + arg(1);
      break;
    }
    case Op::PowConst: rhs = arg(0) + " ** " + python_number(node.constant); break;
    case Op::Neg: rhs = "-" + arg(0); break;
    case Op::Abs: rhs = "abs(" + arg(0) + ")"; break;
    default: rhs = arg(0) + "." + op_name(node.op) + "()"; break;
  }
  return names[i] + " = " + rhs;
}

Case Program::to_case(std::int64_t id, Mode mode, bool intermediates) const {
  Case c;
  c.id = id;
  c.mode = mode;
  c.intermediates = intermediates;
  c.output = output();
  for (std::size_t i = 0; i < spec.nodes.size(); ++i) {
    const NodeSpec& node = spec.nodes[i];
    if (is_number(i)) continue;
    if (node.op == Op::Leaf) {
      c.leaves.emplace_back(names[i], node.constant);
      continue;
    }
    Instruction ins;
    ins.name = names[i];
    ins.op = protocol_op(node.op);
    for (std::size_t operand : node.operands) {
      ins.args.push_back(is_number(operand) ? Operand{"", spec.nodes[operand].constant}
                                            : Operand{names[operand], 0.0});
    }
    if (node.op == Op::PowConst) ins.args.push_back(Operand{"", node.constant});
    c.ops.push_back(std::move(ins));
  }
  c.source = python(mode);
  return c;
}

std::string Program::python(Mode mode) const {
  std::string leaves, ops, again;
  for (std::size_t i = 0; i < spec.nodes.size(); ++i) {
    if (is_number(i)) continue;
    if (spec.nodes[i].op == Op::Leaf) {
      leaves += statement(i) + "\n";
    } else {
      ops += statement(i) + "\n";
    }
  }
  const std::string out = output();
  std::string text = leaves + ops + out + ".backward()\n";
  switch (mode) {
    case Mode::once: break;
    case Mode::twice: text += out + ".backward()\n"; break;
    case Mode::zero_then_again:
      for (std::size_t i = 0; i < spec.nodes.size(); ++i) {
        if (!is_number(i) && spec.nodes[i].op == Op::Leaf) text += names[i] + ".grad = 0.0\n";
      }
      text += out + ".backward()\n";
      break;
    case Mode::two_graphs: {
      // The same ops again from the same leaves: a second graph, with its own names.
      Program second = *this;
      for (std::size_t i = 0; i < spec.nodes.size(); ++i) {
        if (!is_number(i) && spec.nodes[i].op != Op::Leaf) second.names[i] += "_b";
      }
      for (std::size_t i = 0; i < spec.nodes.size(); ++i) {
        if (!is_number(i) && spec.nodes[i].op != Op::Leaf) again += second.statement(i) + "\n";
      }
      text = leaves + ops + again + out + ".backward()\n" + second.output() + ".backward()\n";
      break;
    }
  }
  return text;
}

}  // namespace verigrad::verify::conform
