// A small description of an expression graph: the form the generators produce, shrink and print.
//
// A spec is a list of node specs; each names its op, the earlier nodes it uses (so sharing, a + a,
// and any DAG are expressible) and a constant: a leaf's value or PowConst's exponent. The last node is
// the root. Shrinking works on this list (drop nodes, replace a node by an operand, simplify numbers),
// which is far easier than shrinking Values, and it prints as the program the CLI runs.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "engine/ops.hpp"
#include "engine/value.hpp"

namespace verigrad::verify {

struct NodeSpec {
  Op op = Op::Leaf;
  std::vector<std::size_t> operands;  // indices of earlier nodes; Dot: bias, w0, x0, w1, x1, ...
  double constant = 0.0;              // a leaf's value, or a PowConst's exponent
  // A leaf the generator made as a constant on one side of an op (`2 - x`): our engine builds it as a
  // leaf like any other, while `verigrad conform` may send it to a foreign engine as a plain number.
  bool plain = false;
};

struct GraphSpec {
  std::vector<NodeSpec> nodes;  // topologically ordered; the last is the root
};

struct BuiltGraph {
  Value root;
  std::vector<Value> nodes;  // nodes[i] built from spec.nodes[i]
};

// The Values the spec describes. Throws std::invalid_argument on an operand that is not an earlier
// node or a wrong operand count.
BuiltGraph build(const GraphSpec& spec);

// The spec without nodes the root does not reach, renumbered.
GraphSpec prune(const GraphSpec& spec);

// Simpler specs, most drastic first, each pruned and each strictly simpler (so shrinking terminates):
// the root replaced by one of its operands; any inner node replaced by one of its operands or by a
// leaf; a Dot pair dropped; a leaf value moved toward 0, 1, -1 or a rounder number; an exponent moved
// toward 2.
std::vector<GraphSpec> shrinks(const GraphSpec& spec);

// The program engine/graph.hpp's to_program prints for the built graph (17 significant digits, runs
// in the CLI), so a failing case reads as code.
std::string to_program(const GraphSpec& spec);
std::ostream& operator<<(std::ostream& os, const GraphSpec& spec);

}  // namespace verigrad::verify
