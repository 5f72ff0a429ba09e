// The program's result once every statement ran: which name is the output, whether its graph still
// holds the values its inputs give (data changed afterwards would leave nodes stale), which leaves it
// uses, and the names reports show.
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "engine/graph.hpp"
#include "verify/expr/interpreter.hpp"

namespace verigrad::verify::detail {

namespace {

// Report names: the name that first bound each node; "a (line 3)" for all but the latest node a name
// first bound ("line 3, column 9" when two of them share a line, "line 3, column 9, run 2" when the
// same statement ran again in another call of its function).
std::unordered_map<const void*, std::string> report_names(const State& s, Program& p) {
  std::unordered_map<const void*, std::size_t> first;
  std::vector<std::size_t> firsts;
  for (std::size_t i = 0; i < s.bound.size(); ++i) {
    if (first.emplace(s.bound[i].node.id(), i).second) firsts.push_back(i);
  }
  std::unordered_map<std::string, std::vector<std::size_t>> by_name;
  for (std::size_t i : firsts) by_name[s.bound[i].name].push_back(i);
  std::unordered_map<const void*, std::string> names;
  for (const auto& [name, group] : by_name) {
    std::unordered_map<std::size_t, std::size_t> per_line;
    std::map<std::pair<std::size_t, std::size_t>, std::size_t> per_place, runs;
    for (std::size_t i : group) {
      ++per_line[s.bound[i].at.line];
      ++per_place[{s.bound[i].at.line, s.bound[i].at.column}];
    }
    for (std::size_t g = 0; g < group.size(); ++g) {
      const Bound& b = s.bound[group[g]];
      const std::pair<std::size_t, std::size_t> place{b.at.line, b.at.column};
      const std::size_t run = ++runs[place];
      std::string shown = name;
      if (g + 1 < group.size()) {
        shown += " (line " + std::to_string(b.at.line);
        if (per_line[b.at.line] > 1) shown += ", column " + std::to_string(b.at.column);
        if (per_place[place] > 1) shown += ", run " + std::to_string(run);  // a function called again
        shown += ")";
      }
      names[b.node.id()] = shown;
    }
  }
  for (std::size_t i : firsts) p.node_names.emplace_back(names.at(s.bound[i].node.id()), s.bound[i].node);
  return names;
}

// The output: the caller's choice, else the last name bound to a Value, else the last bound at all.
void choose_output(State& s, const Token& end, const std::optional<std::string>& output) {
  Program& p = s.program;
  std::optional<Value> root;
  if (output) {
    p.output = *output;
    const auto global = s.globals.find(*output);
    if (global != s.globals.end()) {
      if (global->second.function) fail(end, "output ", Q{*output}, " is a function, not a Value");
      if (!global->second.value.node) fail(end, "output ", Q{*output}, " is a number, not a Value");
      root = global->second.value.node;
    }
    for (std::size_t i = s.bound.size(); !root && i-- > 0;) {
      if (s.bound[i].name == *output) root = s.bound[i].node;
    }
    if (!root) fail(end, "output ", Q{*output}, " is not assigned by the program");
  } else {
    const Bound* chosen = &s.bound.back();
    for (std::size_t i = s.bound.size(); i-- > 0;) {
      if (s.bound[i].type == Type::Value) {
        chosen = &s.bound[i];
        break;
      }
    }
    p.output = chosen->name;
    root = chosen->node;
  }
  p.root = *root;
}

// A node the output depends on must hold the value its inputs give it now.
void check_fresh(const State& s, const std::vector<Value>& order) {
  for (const Value& v : order) {
    if (v.is_leaf()) continue;
    const auto info = s.nodes.find(v.id());
    if (info == s.nodes.end()) continue;  // every inner node is made by the program; this is a guard
    const std::size_t made_at = info->second.seq;
    if (const auto change = s.data_changes.find(v.id()); change != s.data_changes.end()) {
      fail_at(change->second.at, change->second.what,
              " is set, but it is computed by an operation, and the output ", Q{s.program.output},
              " depends on it: only a leaf's data can be set");
    }
    for (std::size_t c = 0; c < v.arity(); ++c) {
      const auto change = s.data_changes.find(v.child(c).id());
      if (change == s.data_changes.end() || change->second.seq < made_at) continue;
      const bool root = v.same_node(s.program.root);
      const std::string node = root                ? "the output '" + s.program.output + "'"
                               : v.label().empty() ? "a node"
                                                   : "'" + v.label() + "'";
      fail_at(change->second.at, change->second.what, " changed after ", node, " (", at(info->second.at),
              ") was computed from it",
              root ? "" : ", and the output '" + s.program.output + "' depends on " + node,
              ": its data is now stale (micrograd does not recompute it); build the expressions again after "
              "changing data, as the lecture's update step does");
    }
  }
}

// Nodes some bound node was computed from: a named number outside this set fed only numbers.
std::unordered_set<const void*> computed_from(const State& s) {
  std::unordered_set<const void*> seen;
  std::vector<Value> stack;
  for (const Bound& b : s.bound) {
    if (!b.node.is_leaf()) stack.push_back(b.node);
  }
  while (!stack.empty()) {
    const Value v = stack.back();
    stack.pop_back();
    if (!seen.insert(v.id()).second) continue;
    for (std::size_t c = 0; c < v.arity(); ++c) stack.push_back(v.child(c));
  }
  return seen;
}

}  // namespace

Program finish(State& s, const Token& end, const std::optional<std::string>& output) {
  if (s.bound.empty()) {
    if (!s.uncalled.empty()) {
      fail_at(Position{}, "empty program (nothing is assigned; ", s.uncalled.front(),
              "() is defined but never called)");
    }
    fail_at(Position{}, "empty program (nothing is assigned)");
  }
  choose_output(s, end, output);
  Program& p = s.program;
  const std::vector<Value> order = topological_order(p.root);
  check_fresh(s, order);

  const std::unordered_map<const void*, std::string> names = report_names(s, p);
  std::unordered_set<const void*> used;
  for (const Value& v : order) used.insert(v.id());
  const std::unordered_set<const void*> computed = computed_from(s);
  for (const LeafDef& d : s.leaf_defs) {
    const bool in_output = used.count(d.node.id()) > 0;
    if (!in_output && d.number && d.read && computed.count(d.node.id()) == 0) continue;  // only a number
    (in_output ? p.leaves : p.unused_leaves).emplace_back(names.at(d.node.id()), d.node);
  }
  for (const Bound& b : s.bound) p.named_nodes.emplace_back(b.name, b.node);
  for (const auto& [name, binding] : s.globals) {
    if (binding.value.node) p.names.emplace(name, *binding.value.node);
  }
  return std::move(s.program);
}

}  // namespace verigrad::verify::detail
