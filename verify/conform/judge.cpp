#include "verify/conform/judge.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "engine/graph.hpp"

namespace verigrad::verify::conform {

const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::pass: return "pass";
    case Kind::wrong_value: return "wrong_value";
    case Kind::wrong_grad: return "wrong_grad";
    case Kind::raises: return "raises";
    case Kind::edge: return "edge";
    case Kind::not_a_value: return "not_a_value";
    case Kind::crash: return "crash";
    case Kind::timeout: return "timeout";
  }
  return "?";
}

namespace {

bool finite(double x) { return std::isfinite(x); }

std::string odd_text(const Number& n) { return n.type + " " + n.repr; }

// The engine's numbers in check_external's form, per node of the program. Non-IEEE numbers become NaN
// here (their text is kept apart): NaN agrees only with NaN, and judge() looks at them itself.
ExternalNumbers external_numbers(const Program& p, Mode mode, const Reply& reply, Judgement& j) {
  const bool result = reply.type == Reply::Type::result;
  const std::size_t n = p.spec.nodes.size();
  ExternalNumbers e{std::vector<std::optional<double>>(n), std::vector<std::optional<double>>(n)};
  j.odd_value.assign(n, "");
  j.odd_grad.assign(n, "");
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < n; ++i) {
    if (p.is_number(i)) {
      e.value[i] = p.spec.nodes[i].constant;  // a plain number is exactly itself
    } else {
      index.emplace(p.names[i], i);
      if (p.spec.nodes[i].op == Op::Leaf) e.value[i] = p.spec.nodes[i].constant;
    }
  }
  auto put = [&](std::vector<std::optional<double>>& to, std::vector<std::string>& odd, std::size_t i,
                 const Number& x) {
    to[i] = x.ieee() ? x.value : std::nan("");
    odd[i] = x.ieee() ? "" : odd_text(x);
  };
  for (const auto& [name, x] : reply.values) put(e.value, j.odd_value, index.at(name), x);
  if (!result) return e;  // an error: the values built before it, nothing else
  put(e.value, j.odd_value, n - 1, reply.value);
  for (const auto& [name, x] : reply.grads) {
    const std::size_t i = index.at(name);
    const bool leaf = p.spec.nodes[i].op == Op::Leaf;
    if (mode != Mode::once && !leaf) continue;  // torch keeps no inner grads across calls
    Number g = x;
    g.value /= grad_factor(mode);  // torch's accumulation g + g is exact: halve and judge as once
    put(e.grad, j.odd_grad, i, g);
  }
  return e;
}

std::string number_text(double x, const std::string& odd) { return odd.empty() ? format_double(x) : odd; }

std::vector<std::vector<std::size_t>> consumers_of(const Program& p) {
  std::vector<std::vector<std::size_t>> consumers(p.spec.nodes.size());
  for (std::size_t i = 0; i < p.spec.nodes.size(); ++i) {
    for (std::size_t c : p.spec.nodes[i].operands) {
      if (consumers[c].empty() || consumers[c].back() != i) consumers[c].push_back(i);
    }
  }
  return consumers;
}

// A value, or failing that a gradient, the verdicts call a mismatch (or that is non-IEEE).
Outcome judge_numbers(const Program& p, Mode mode, Judgement& j) {
  const std::vector<NodeRow>& rows = j.report.rows;
  Outcome o;
  for (const NodeRow& row : rows) {  // values: the first in program order
    const bool odd = !j.odd_value[row.index].empty();
    if (!row.value.reported || (!odd && row.value.verdict != Verdict::Mismatch)) continue;
    o.kind = odd && !finite(row.value.torch) ? Kind::edge : Kind::wrong_value;
    if (odd) o.exception = "non-IEEE " + j.odd_value[row.index].substr(0, j.odd_value[row.index].find(' '));
    if (row.op != Op::Leaf) o.ops.push_back(protocol_op(row.op));
    o.node = p.names[row.index];
    o.what = p.statement(row.index) + ": engine " + number_text(row.value.ours, j.odd_value[row.index]) +
             ", torch " + format_double(row.value.torch);
    return o;
  }
  const auto consumers = consumers_of(p);
  for (std::size_t i = rows.size(); i-- > 0;) {  // gradients: the one nearest the output
    const NodeRow& row = rows[i];
    const bool odd = !j.odd_grad[i].empty();
    if (!row.grad.reported || (!odd && row.grad.verdict != Verdict::Mismatch)) continue;
    o.kind = odd && !finite(row.grad.torch) ? Kind::edge : Kind::wrong_grad;
    if (odd) o.exception = "non-IEEE " + j.odd_grad[i].substr(0, j.odd_grad[i].find(' '));
    for (std::size_t k = consumers[i].size(); k-- > 0;) {
      const OpName op = protocol_op(p.spec.nodes[consumers[i][k]].op);
      if (std::find(o.ops.begin(), o.ops.end(), op) == o.ops.end()) o.ops.push_back(op);
    }
    o.node = p.names[i];
    // The totals the engine reported (a doubled mode is judged per call).
    o.what = "grad of " + p.names[i] + ": engine " +
             number_text(row.grad.ours * grad_factor(mode), j.odd_grad[i]) + ", torch " +
             format_double(row.grad.torch * grad_factor(mode));
    return o;
  }
  return o;
}

// Does torch give inf or nan where the engine raised? At the node in the build phase (its value or an
// operand's); also at its gradients in the backward phase; anywhere when the node is unknown.
bool torch_not_finite_at(const Program& p, const Report& report, const Reply& reply, std::size_t node) {
  const std::vector<NodeRow>& rows = report.rows;
  if (node >= rows.size()) {
    for (const NodeRow& row : rows) {
      if (!finite(row.value.torch) || !finite(row.grad.torch)) return true;
    }
    return false;
  }
  const bool backward = reply.phase == "backward";
  auto bad = [&](std::size_t i) {
    return !finite(rows[i].value.torch) || (backward && !finite(rows[i].grad.torch));
  };
  if (bad(node)) return true;
  for (std::size_t c : p.spec.nodes[node].operands) {
    if (bad(c)) return true;
  }
  return false;
}

Outcome judge_error(const Program& p, const Reply& reply, const Report& report) {
  Outcome o;
  std::size_t node = p.spec.nodes.size();
  for (std::size_t i = 0; i < p.names.size(); ++i) {
    if (!reply.node.empty() && p.names[i] == reply.node) node = i;
  }
  o.node = reply.node;
  if (node < p.spec.nodes.size() && p.spec.nodes[node].op != Op::Leaf) {
    o.ops.push_back(protocol_op(p.spec.nodes[node].op));
  } else if (const std::optional<OpName> op = parse_op(reply.op)) {
    o.ops.push_back(*op);
  }
  const std::string where = node < p.spec.nodes.size() ? p.statement(node) : reply.phase;
  if (reply.kind == "not_a_value") {
    o.kind = Kind::not_a_value;
    o.exception = reply.returned;
    o.what = where + " returned " + reply.returned + (reply.repr.empty() ? "" : " (" + reply.repr + ")") +
             ", not a Value";
    return o;
  }
  if (reply.kind == "non_ieee") {  // a value that is no double: an edge where torch's is inf or nan
    o.exception = "non-IEEE " + reply.returned;
    const bool not_finite = node < report.rows.size() && !finite(report.rows[node].value.torch);
    o.kind = not_finite ? Kind::edge : Kind::wrong_value;
    o.what =
        where + " gave " + reply.returned + (reply.repr.empty() ? "" : " " + reply.repr) + ", not a double";
    if (node < report.rows.size()) o.what += " (torch: " + format_double(report.rows[node].value.torch) + ")";
    return o;
  }
  o.exception = reply.exception;
  o.kind = reply.arithmetic && torch_not_finite_at(p, report, reply, node) ? Kind::edge : Kind::raises;
  o.what = where + (reply.phase == "backward" ? " (in backward)" : "") + " raised " + reply.exception + ": " +
           reply.message;
  if (node < report.rows.size() && reply.phase == "backward") {
    std::string grads;
    const std::vector<std::size_t>& in = p.spec.nodes[node].operands;
    for (std::size_t k = 0; k < in.size(); ++k) {
      if (p.is_number(in[k]) || std::find(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(k), in[k]) !=
                                    in.begin() + static_cast<std::ptrdiff_t>(k))
        continue;
      grads +=
          (grads.empty() ? "" : ", ") + p.names[in[k]] + " " + format_double(report.rows[in[k]].grad.torch);
    }
    o.what += " (torch's grads: " + grads + ")";
  } else if (node < report.rows.size()) {
    o.what += " (torch: " + format_double(report.rows[node].value.torch) + ")";
  }
  return o;
}

}  // namespace

double grad_factor(Mode mode) { return mode == Mode::twice || mode == Mode::two_graphs ? 2.0 : 1.0; }

Judgement judge(const Program& p, Mode mode, const Response& response) {
  Judgement j;
  const BuiltGraph g = build(p.spec);
  const bool replied = response.status == Response::Status::reply;
  const bool result = replied && response.reply.type == Reply::Type::result;
  ExternalNumbers numbers;
  if (replied) {
    numbers = external_numbers(p, mode, response.reply, j);
  } else {
    const std::size_t n = p.spec.nodes.size();
    numbers = {std::vector<std::optional<double>>(n), std::vector<std::optional<double>>(n)};
    j.odd_value.assign(n, "");
    j.odd_grad.assign(n, "");
  }
  j.report = check_external(g.nodes, numbers);
  for (NodeRow& row : j.report.rows)
    row.name = p.is_number(row.index) ? p.operand_text(row.index) : p.names[row.index];
  switch (response.status) {
    case Response::Status::crash:
      j.outcome.kind = Kind::crash;
      j.outcome.what = response.detail;
      return j;
    case Response::Status::timeout:
      j.outcome.kind = Kind::timeout;
      j.outcome.what = response.detail;
      return j;
    case Response::Status::reply: break;
  }
  j.outcome = judge_numbers(p, mode, j);
  // An error after a wrong value is that value's consequence (log of a number that should have been
  // positive): the wrong value is the finding.
  if (!result && j.outcome.kind != Kind::wrong_value) j.outcome = judge_error(p, response.reply, j.report);
  return j;
}

bool same_problem(const Outcome& original, const Outcome& candidate) {
  if (candidate.kind != original.kind) return false;
  if (original.exception != candidate.exception) return false;
  if (original.ops.empty()) return true;
  return std::any_of(original.ops.begin(), original.ops.end(), [&](OpName op) {
    return std::find(candidate.ops.begin(), candidate.ops.end(), op) != candidate.ops.end();
  });
}

}  // namespace verigrad::verify::conform
