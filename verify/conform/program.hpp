// A generated program as a foreign engine receives it: a GraphSpec (what the generators make and
// shrink) with each node named, and each constant leaf decided to be a Value or a plain number in its
// position (`2 - t1` exercises __rsub__, which only an engine announcing `sub` in constant_left gets).
// Torch-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/ops.hpp"
#include "verify/conform/protocol.hpp"
#include "verify/graph_spec.hpp"

namespace verigrad::verify::conform {

// The protocol's name for one of our ops, and back. Dot (our fused neuron) has no protocol name:
// protocol_op throws std::invalid_argument for it.
OpName protocol_op(Op op);
Op engine_op(OpName op);

struct Program {
  GraphSpec spec;                  // pruned; the last node is the output
  std::vector<std::string> names;  // per node: its protocol name (x1.., t1..), "" for a plain number

  bool is_number(std::size_t node) const { return names[node].empty(); }
  const std::string& output() const { return names.back(); }
  std::size_t op_count() const;          // inner nodes
  std::vector<OpName> ops_used() const;  // distinct, in order of first use
  // The operand as it reads in the program: its name, or the number as Python writes it.
  std::string operand_text(std::size_t node) const;
  // "t2 = 3.0 - t1", "x1 = Value(0.5)"
  std::string statement(std::size_t node) const;

  Case to_case(std::int64_t id, Mode mode = Mode::once, bool intermediates = true) const;
  // The same program as micrograd-style Python, ending with the mode's backward() calls.
  std::string python(Mode mode = Mode::once) const;
};

// Names the spec's nodes and decides which constant leaves (NodeSpec::plain) are sent as numbers: a
// constant stays a number only if every use of it is an operand an engine takes as a number (either
// side of add, sub, mul and div, the right only unless the op is in constant_left; pow's left only,
// with pow in constant_left, since a number exponent is pow_const), and never both operands of one op.
Program encode(const GraphSpec& spec, const std::vector<OpName>& constant_left);

// A number as Python source writes it: "2.0", "-0.5", "1e-300", "float('inf')".
std::string python_number(double x);

}  // namespace verigrad::verify::conform
