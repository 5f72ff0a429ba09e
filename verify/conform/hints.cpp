// The classic mistakes, replayed. Each replay is the chain rule with one thing done the way the
// mistake does it; torch supplies every local derivative (torch_local on the engine's own values), so
// the only difference between a replay and the correct rule is the mistake itself.
#include "verify/conform/hints.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "engine/graph.hpp"
#include "verify/compare.hpp"
#include "verify/torch_mirror.hpp"

namespace verigrad::verify::conform {

namespace {

// How a replay combines local derivatives.
struct Mistake {
  enum class Kind : std::uint8_t { none, assign, negate, drop, per_path, kept };
  Kind kind = Kind::none;
  Op op = Op::Leaf;              // assign, negate, drop: the op whose backward has the mistake
  std::size_t slot = 0;          // negate, drop: the operand slot
  bool dfs_order = false;        // assign: micrograd's DFS order instead of program order
  bool reversed = false;         // per_path: operands visited last to first
  bool dedup = false;            // per_path: each distinct operand once (a set of children)
  bool root_set = true;          // kept: the second call sets the output's grad to 1 (else adds 1)
  bool again_from_zero = false;  // kept: leaves zeroed between the calls
};

struct Replay {
  std::vector<double> grad;
  std::vector<double> scale;  // sum of |contributions| into each node: the error scale of the sum
};

class Replayer {
 public:
  explicit Replayer(const Judgement& j) : rows_(j.report.rows) {}

  Replay run(const Mistake& m) const {
    Replay r{std::vector<double>(rows_.size(), 0.0), std::vector<double>(rows_.size(), 0.0)};
    const std::size_t root = rows_.size() - 1;
    if (m.kind == Mistake::Kind::per_path) {
      if (!per_path(m, r)) return {};
      return r;
    }
    r.grad[root] = 1.0;
    r.scale[root] = 1.0;
    const std::vector<std::size_t> order = m.dfs_order ? dfs_order() : program_order();
    for (std::size_t k = order.size(); k-- > 0;) propagate(order[k], m, r);
    if (m.kind != Mistake::Kind::kept) return r;
    // The second call: inner grads kept from the first, leaves kept or zeroed, the root set or added.
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (m.again_from_zero && rows_[i].op == Op::Leaf) {
        r.grad[i] = 0.0;
        r.scale[i] = 0.0;
      }
    }
    r.grad[root] = m.root_set ? 1.0 : r.grad[root] + 1.0;
    for (std::size_t k = order.size(); k-- > 0;) propagate(order[k], m, r);
    return r;
  }

 private:
  std::vector<double> contributions(std::size_t i, double upstream) const {
    const NodeRow& row = rows_[i];
    std::vector<double> in(row.operands.size());
    for (std::size_t s = 0; s < in.size(); ++s) in[s] = rows_[row.operands[s]].value.ours;
    return torch_local(row.op, row.exponent, in, upstream).vjp;
  }

  void propagate(std::size_t i, const Mistake& m, Replay& r) const {
    const NodeRow& row = rows_[i];
    if (row.op == Op::Leaf) return;
    const std::vector<double> vjp = contributions(i, r.grad[i]);
    const bool mine = row.op == m.op;
    for (std::size_t s = 0; s < vjp.size(); ++s) {
      const std::size_t c = row.operands[s];
      double v = vjp[s];
      if (mine && m.kind == Mistake::Kind::drop && s == m.slot) continue;
      if (mine && m.kind == Mistake::Kind::negate && s == m.slot) v = -v;
      if (mine && m.kind == Mistake::Kind::assign) {
        r.grad[c] = v;
        r.scale[c] = std::fabs(v);
      } else {
        r.grad[c] += v;
        r.scale[c] += std::fabs(v);
      }
    }
  }

  // A backward that recurses into each operand instead of following a topological order: every
  // node's backward runs once per path to it, with whatever grad it holds by then.
  bool per_path(const Mistake& m, Replay& r) const {
    const std::size_t root = rows_.size() - 1;
    r.grad[root] = 1.0;
    r.scale[root] = 1.0;
    std::vector<std::size_t> stack = {root};
    std::size_t steps = 0;
    while (!stack.empty()) {
      if (++steps > 100000) return false;  // too many paths to replay
      const std::size_t i = stack.back();
      stack.pop_back();
      propagate(i, Mistake{}, r);
      std::vector<std::size_t> kids = rows_[i].operands;
      if (m.dedup) {
        std::vector<std::size_t> unique;
        for (std::size_t c : kids) {
          if (std::find(unique.begin(), unique.end(), c) == unique.end()) unique.push_back(c);
        }
        kids = unique;
      }
      if (!m.reversed) std::reverse(kids.begin(), kids.end());  // the stack pops the first one first
      for (std::size_t c : kids) stack.push_back(c);
    }
    return true;
  }

  std::vector<std::size_t> program_order() const {
    std::vector<std::size_t> order(rows_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    return order;
  }

  // micrograd's build_topo: a post-order DFS from the output, operands in order.
  std::vector<std::size_t> dfs_order() const {
    std::vector<std::size_t> order;
    std::vector<char> seen(rows_.size(), 0);
    std::vector<std::pair<std::size_t, std::size_t>> stack = {{rows_.size() - 1, 0}};
    seen.back() = 1;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < rows_[node].operands.size()) {
        const std::size_t c = rows_[node].operands[next++];
        if (seen[c] == 0) {
          seen[c] = 1;
          stack.emplace_back(c, 0);
        }
        continue;
      }
      order.push_back(node);
      stack.pop_back();
    }
    return order;
  }

  const std::vector<NodeRow>& rows_;
};

// The engine's raw gradients by node (as reported, not halved), and whether the replay explains all.
struct Evidence {
  std::vector<std::optional<double>> grad;

  bool explained_by(const Replay& r) const {
    if (r.grad.empty()) return false;
    bool any = false;
    for (std::size_t i = 0; i < grad.size(); ++i) {
      if (!grad[i]) continue;
      any = true;
      if (!compare_scaled(*grad[i], r.grad[i], std::fmax(r.scale[i], std::fabs(r.grad[i])), 0.0, kOpTolerance)
               .agree) {
        return false;
      }
    }
    return any;
  }
};

Evidence evidence(const Program& p, Mode mode, const Reply& reply) {
  Evidence e{std::vector<std::optional<double>>(p.spec.nodes.size())};
  for (const auto& [name, g] : reply.grads) {
    for (std::size_t i = 0; i < p.names.size(); ++i) {
      const bool leaf = p.spec.nodes[i].op == Op::Leaf;
      if (p.names[i] == name && g.ieee() && (leaf || mode == Mode::once)) e.grad[i] = g.value;
    }
  }
  return e;
}

bool uses(const Program& p, Op op) {
  return std::any_of(p.spec.nodes.begin(), p.spec.nodes.end(),
                     [op](const NodeSpec& n) { return n.op == op; });
}

std::string op_text(Op op) { return to_string(protocol_op(op)); }

const char* dunder(Op op) {
  switch (op) {
    case Op::Add: return "__add__";
    case Op::Sub: return "__sub__";
    case Op::Mul: return "__mul__";
    case Op::Div: return "__truediv__";
    case Op::Pow:
    case Op::PowConst: return "__pow__";
    case Op::Neg: return "__neg__";
    case Op::Abs: return "__abs__";
    default: return op_name(op);
  }
}

// The node whose operand `slot` the mistake touched, for the text: the first using `op`.
std::size_t first_use(const Program& p, Op op) {
  for (std::size_t i = 0; i < p.spec.nodes.size(); ++i) {
    if (p.spec.nodes[i].op == op) return i;
  }
  return 0;
}

std::vector<Hint> gradient_hints(const Program& p, Mode mode, const Reply& reply, const Judgement& j) {
  std::vector<Hint> found;
  const Replayer replay(j);
  const Evidence e = evidence(p, mode, reply);
  if (mode == Mode::once && e.explained_by(replay.run(Mistake{}))) return found;  // nothing to explain
  std::vector<Op> ops;
  for (Op op : kAllOps) {
    if (op != Op::Leaf && op != Op::Dot && uses(p, op)) ops.push_back(op);
  }
  if (mode == Mode::twice || mode == Mode::zero_then_again) {
    for (bool root_set : {true, false}) {
      Mistake m{Mistake::Kind::kept};
      m.root_set = root_set;
      m.again_from_zero = mode == Mode::zero_then_again;
      if (e.explained_by(replay.run(m))) {
        found.push_back(Hint{
            "intermediate_grads_kept",
            "intermediate grads kept across calls: backward() leaves the inner nodes' grads from the "
            "previous call in place and adds this call's on top, so the second call propagates the first "
            "call's gradients again (reset every inner node's grad to 0 before propagating)",
            std::nullopt});
        break;
      }
    }
  }
  if (mode == Mode::twice || mode == Mode::two_graphs) {
    const Replay once = replay.run(Mistake{});
    if (e.explained_by(once)) {
      found.push_back(
          Hint{"no_accumulation",
               std::string("the second backward() added nothing to the leaves' grads (torch accumulates: 2x "
                           "after ") +
                   (mode == Mode::twice ? "two calls" : "two graphs") +
                   "): backward() resets the leaves, or keeps state (a visited set, a cached order) "
                   "across calls",
               std::nullopt});
    }
  }
  if (mode != Mode::once) return found;
  for (Op op : ops) {
    for (bool dfs : {false, true}) {
      Mistake m{Mistake::Kind::assign, op};
      m.dfs_order = dfs;
      if (!e.explained_by(replay.run(m))) continue;
      found.push_back(
          Hint{"assign_not_accumulate",
               "`=` instead of `+=` in " + op_text(op) + "'s backward (`" + p.statement(first_use(p, op)) +
                   "`): a node used more than once keeps only the contribution assigned last, so x + x "
                   "gets half its gradient; accumulate: self.grad += ...",
               protocol_op(op)});
      break;
    }
  }
  for (Op op : ops) {
    for (std::size_t slot = 0; slot < 2; ++slot) {
      if (slot >= static_cast<std::size_t>(std::max(op_arity(op), 1))) continue;
      if (e.explained_by(replay.run(Mistake{Mistake::Kind::negate, op, slot}))) {
        const std::string extra =
            op == Op::Sub && slot == 1
                ? " (d(a - b)/db = -1: __sub__'s backward must subtract, other.grad -= out.grad)"
                : "";
        found.push_back(Hint{"sign_lost",
                             "sign lost in " + op_text(op) + "'s gradient for operand " +
                                 std::to_string(slot + 1) + " of `" + p.statement(first_use(p, op)) + "`" +
                                 extra,
                             protocol_op(op)});
      }
      if (e.explained_by(replay.run(Mistake{Mistake::Kind::drop, op, slot}))) {
        const std::string extra =
            op == Op::Pow && slot == 1
                ? " (d(a ** b)/db = a ** b * log(a): the exponent's gradient is missing)"
                : "";
        found.push_back(Hint{"missing_gradient",
                             op_text(op) + "'s backward never adds the gradient of operand " +
                                 std::to_string(slot + 1) + " in `" + p.statement(first_use(p, op)) + "`" +
                                 extra,
                             protocol_op(op)});
      }
    }
  }
  for (bool reversed : {false, true}) {
    for (bool dedup : {false, true}) {
      Mistake m{Mistake::Kind::per_path};
      m.reversed = reversed;
      m.dedup = dedup;
      if (e.explained_by(replay.run(m))) {
        found.push_back(
            Hint{"no_topological_order",
                 "recursion in backward without a topological order: a node's backward runs once per "
                 "path to it, with whatever grad it holds by then; visit each node once, in reverse "
                 "topological order",
                 std::nullopt});
        return found;
      }
    }
  }
  return found;
}

std::optional<Hint> swapped_hint(const Program& p, const Judgement& j) {
  for (const NodeRow& row : j.report.rows) {
    if (row.op != Op::Sub && row.op != Op::Div && row.op != Op::Pow) continue;
    if (!row.value.reported || row.value.verdict != Verdict::Mismatch) continue;
    const std::size_t a = row.operands[0], b = row.operands[1];
    if (!p.is_number(a) || p.is_number(b)) continue;
    const double swapped =
        torch_local(row.op, 0.0, {j.report.rows[b].value.ours, j.report.rows[a].value.ours}, 1.0).value;
    if (!compare(row.value.ours, swapped).agree) continue;
    const char* reflected = row.op == Op::Sub ? "__rsub__" : row.op == Op::Div ? "__rtruediv__" : "__rpow__";
    const char* sign = row.op == Op::Sub ? " - " : row.op == Op::Div ? " / " : " ** ";
    return Hint{"swapped_reflected",
                std::string("operands swapped in a reflected operator: `") + p.statement(row.index) +
                    "` computed " + p.names[b] + sign + p.operand_text(a) + "; " + reflected +
                    "(self, other) must compute other" + sign + "self",
                protocol_op(row.op)};
  }
  return std::nullopt;
}

std::optional<Hint> error_hint(const Program& p, const Reply& reply, const Outcome& o) {
  const std::string& m = reply.message;
  if (reply.kind == "not_a_value") {
    const std::string op = o.ops.empty() ? std::string("the op") : to_string(o.ops.front());
    const std::string method = o.ops.empty() ? op : dunder(engine_op(o.ops.front()));
    return Hint{"not_a_value",
                method + " returned a " + reply.returned + ", not a Value, so no gradient can flow through " +
                    op + ": return a Value (for -x, self * -1)",
                o.ops.empty() ? std::nullopt : std::optional<OpName>(o.ops.front())};
  }
  if (reply.exception == "RecursionError" || m.find("maximum recursion depth") != std::string::npos) {
    return recursion_hint(p.op_count() + 1, reply.exception + " in " + reply.phase);
  }
  if (reply.exception == "NameError") {
    const std::size_t q = m.find('\'');
    const std::size_t q2 = q == std::string::npos ? q : m.find('\'', q + 1);
    const std::string name = q2 == std::string::npos ? "" : m.substr(q + 1, q2 - q - 1);
    const bool module = name == "math" || name == "random" || name == "np" || name == "numpy";
    return Hint{"missing_import",
                module ? "the engine uses `" + name + "` but its file never imports it: add `import " +
                             (name == "np" ? std::string("numpy as np") : name) + "` at the top"
                       : "name '" + name +
                             "' is not defined where the engine uses it (a missing import, or a "
                             "definition the file only makes in code verigrad does not run)",
                std::nullopt};
  }
  if (reply.exception == "AttributeError" &&
      (m.find("'float' object has no attribute") != std::string::npos ||
       m.find("'int' object has no attribute") != std::string::npos)) {
    return Hint{"unwrapped_number",
                "a plain number reached code that expects a Value: wrap it first (other = other if "
                "isinstance(other, Value) else Value(other))",
                o.ops.empty() ? std::nullopt : std::optional<OpName>(o.ops.front())};
  }
  return std::nullopt;
}

}  // namespace

Hint recursion_hint(std::size_t depth, const std::string& how) {
  return Hint{"recursion",
              "recursion in backward: the engine fails on a graph " + std::to_string(depth) +
                  " nodes deep (" + how +
                  "); build the topological order with an explicit stack instead of recursing, as torch's "
                  "engine has no depth limit",
              std::nullopt};
}

std::vector<Hint> find_hints(const Program& p, Mode mode, const Response& response, const Judgement& j) {
  std::optional<Hint> one;
  if (response.status != Response::Status::reply) return {};
  const Reply& reply = response.reply;
  if (reply.type == Reply::Type::error) {
    one = error_hint(p, reply, j.outcome);
  } else if (j.outcome.kind == Kind::wrong_value) {
    one = swapped_hint(p, j);
  } else if (j.outcome.kind == Kind::wrong_grad) {
    return gradient_hints(p, mode, reply, j);
  }
  return one ? std::vector<Hint>{*one} : std::vector<Hint>{};
}

std::optional<Hint> find_hint(const Program& p, Mode mode, const Response& response, const Judgement& j) {
  std::vector<Hint> all = find_hints(p, mode, response, j);
  if (all.empty()) return std::nullopt;
  return all.front();
}

}  // namespace verigrad::verify::conform
