// Graph utilities over the nodes a Value depends on: counting, ordering, and pictures.
// None of them recurse, so they work on graphs millions of nodes deep.
#pragma once

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "engine/value.hpp"

namespace verigrad {

// Distinct nodes reachable from root, root included.
std::size_t node_count(const Value& root);

// Those nodes in the order they were created, oldest first: every operand before the nodes that use
// it, root last. backward() runs the inner nodes in reverse of this order, as PyTorch's engine runs
// nodes by decreasing sequence number; a graph rebuilt in this order (in torch, or from to_program's
// text) sums every gradient as ours does.
std::vector<Value> topological_order(const Value& root);

struct DotOptions {
  std::string rankdir = "LR";
  // Extra lines for a node's record, after "data" and "grad" (the verify layer adds torch's numbers).
  std::function<std::vector<std::string>(const Value&)> extra_fields;
  // Nodes to draw in red (the verify layer marks divergent ones).
  std::function<bool(const Value&)> highlight;
};

// Graphviz DOT as micrograd's draw_dot draws it: a `{ label | data | grad }` record per value and an
// op node feeding each result.
void write_dot(std::ostream& os, const Value& root, const DotOptions& options = {});
std::string to_dot(const Value& root, const DotOptions& options = {});

// The graph as a straight-line program, one assignment per node in topological order, numbers with
// 17 significant digits so it reproduces the values exactly:
//   a = -4.0
//   b = 2.0
//   t1 = a * b
//   t2 = t1.tanh()
// Nodes are named by node_names.
std::string to_program(const Value& root);

// A unique identifier for each node of `order` (a topological order), as to_program names them:
// leaves keep a label that is an identifier, then labelled inner nodes keep theirs (the first node
// with a label wins it), and the rest are x1, x2, ... (leaves) and t1, t2, ... (inner nodes).
std::vector<std::string> node_names(const std::vector<Value>& order);

// x with four decimals, as DOT records show data and grad (micrograd's draw_dot).
std::string format_fixed4(double x);

// Shortest text that reads back as exactly x ("2", "0.1", "-1e-300", "nan", "inf").
std::string format_double(double x);

}  // namespace verigrad
