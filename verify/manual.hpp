// Manual backprop, checked: the gradients a program ends with (set by hand, `x.grad = ...`, and by
// micrograd's `_backward()` steps) against torch's d(output)/d(node), node by node.
//
//   Program p = parse_program(source);            // the lecture's manual cell
//   Report r = check(p.root);                     // torch's numbers for every node
//   ManualCheck m = check_manual(r, topological_order(p.root), names, p.unused_leaves, p.output);
//   m.rows                                        // node, yours, torch, ok
//   m.rule   // "d = e + c, so dL/dc = dL/dd * 1 = -2 * 1 = -2" for the first wrong one
//
// A gradient is right when it agrees with torch's under the op-by-op tolerance (compare.hpp), or
// equals our engine's gradient of that node where check() judged ours consistent with torch
// (rounding-level differences of a saturated tanh are not the learner's fault). The first wrong one is
// the wrong node nearest the output: every node that uses it has a right gradient, so the local rule
// written out for it (torch's local derivatives, at the program's numbers) is the step that went wrong.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/value.hpp"
#include "verify/check.hpp"

namespace verigrad::verify {

struct ManualRow {
  std::string name;
  const void* id = nullptr;  // Value::id() of the node
  double yours = 0.0;
  std::optional<double> torch;  // none for a leaf the output does not use (torch's grad is None)
  bool ok = true;
};

struct ManualCheck {
  // The output's graph from the output down (reverse topological order; constants the program did
  // not name are left out), then the unused leaves.
  std::vector<ManualRow> rows;
  std::optional<std::size_t> first_wrong;  // index into rows
  std::string rule;                        // the local rule that should have given rows[*first_wrong]

  bool ok() const { return !first_wrong.has_value(); }
};

// report: check() of the output's root; order: topological_order of the same root (report.rows'
// order). names: the program's names for nodes (others keep the report's, constants are skipped).
ManualCheck check_manual(const Report& report, const std::vector<Value>& order,
                         const std::unordered_map<const void*, std::string>& names,
                         const std::vector<std::pair<std::string, Value>>& unused_leaves,
                         const std::string& output);

}  // namespace verigrad::verify
