// verify::check: ours and torch's numbers for every node, and the verdict on each difference.
#include "verify/check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include "engine/graph.hpp"
#include "verify/torch_mirror.hpp"

namespace verigrad::verify {

namespace {

struct OurNumbers {
  std::vector<double> value;
  std::vector<double> grad;
};

OurNumbers run_ours(const std::vector<Value>& order, double seed) {
  OurNumbers ours{std::vector<double>(order.size()), fresh_gradients(order, seed)};
  for (std::size_t i = 0; i < order.size(); ++i) ours.value[i] = order[i].data();
  return ours;
}

std::vector<NodeRow> make_rows(const std::vector<Value>& order) {
  std::unordered_map<const void*, std::size_t> index;
  index.reserve(order.size());
  std::vector<std::string> names = node_names(order);
  std::vector<NodeRow> rows(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Value& v = order[i];
    index.emplace(v.id(), i);
    NodeRow& row = rows[i];
    row.index = i;
    row.id = v.id();
    row.name = std::move(names[i]);
    row.op = v.op();
    if (v.op() == Op::PowConst) row.exponent = v.exponent();
    for (std::size_t c = 0; c < v.arity(); ++c) row.operands.push_back(index.at(v.child(c).id()));
  }
  return rows;
}

// Torch's chain rule applied to our numbers: each op's vjp computed by torch on our operand values
// and our upstream gradient, summed into the operands in the order our backward sums them (nodes
// newest first, operands in slot order), so that the sums round the same way.
struct LocalNumbers {
  std::vector<double> value;
  std::vector<double> grad;
  std::vector<double> grad_scale;  // sum of |contributions|: the error scale of a sum that cancels
};

// A node's operand values as the judged engine computed them (our own values for check(), another
// engine's for check_external()): the local oracle runs torch on these.
std::vector<double> operand_values(const NodeRow& row, const OurNumbers& ours) {
  std::vector<double> values(row.operands.size());
  for (std::size_t slot = 0; slot < values.size(); ++slot) values[slot] = ours.value[row.operands[slot]];
  return values;
}

LocalOp local_op(const NodeRow& row, const OurNumbers& ours, double upstream) {
  if (row.op == Op::Leaf) return {ours.value[row.index], {}};
  return torch_local(row.op, row.exponent, operand_values(row, ours), upstream);
}

std::string convention_at(const NodeRow& row, const OurNumbers& ours) {
  return row.op == Op::Leaf ? "" : torch_convention(row.op, row.exponent, operand_values(row, ours));
}

LocalNumbers local_numbers(const std::vector<NodeRow>& rows, const OurNumbers& ours, double seed) {
  const std::size_t n = rows.size();
  LocalNumbers local{std::vector<double>(n), std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)};
  local.grad[n - 1] = seed;
  local.grad_scale[n - 1] = std::fabs(seed);
  for (std::size_t i = n; i-- > 0;) {
    const LocalOp op = local_op(rows[i], ours, ours.grad[i]);
    local.value[i] = op.value;
    for (std::size_t slot = 0; slot < op.vjp.size(); ++slot) {
      const std::size_t c = rows[i].operands[slot];
      local.grad[c] += op.vjp[slot];
      local.grad_scale[c] += std::fabs(op.vjp[slot]);
    }
  }
  return local;
}

// Consumers of each node: (consumer row, operand slot) pairs.
std::vector<std::vector<std::pair<std::size_t, std::size_t>>> consumers_of(const std::vector<NodeRow>& rows) {
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> consumers(rows.size());
  for (const NodeRow& row : rows) {
    for (std::size_t slot = 0; slot < row.operands.size(); ++slot) {
      consumers[row.operands[slot]].emplace_back(row.index, slot);
    }
  }
  return consumers;
}

void judge_value(const OurNumbers& ours, NodeRow& row, double local_value, Tolerance tolerance) {
  const std::string convention = convention_at(row, ours);
  if (!convention.empty()) {
    row.value.verdict = Verdict::Convention;
    row.note = convention;
  } else if (compare(row.value.ours, local_value, tolerance).agree) {
    row.value.verdict = Verdict::Inherited;
  } else {
    row.value.verdict = Verdict::Mismatch;
    row.note = "torch's " + std::string(op_kind_name(row.op)) + " on our operand values gives " +
               format_double(local_value);
  }
}

// The consumers' contributions summed as local_numbers sums them (newest consumer first, slots in
// order), each consumer's taken where torch's own output reaches ours if our output differs from
// torch's by rounding. Does our gradient agree with that sum? This is the spread's idea for gradients a
// distance cannot measure: an infinite upstream gradient through tanh at 18.7 is inf * (1 - out^2),
// inf with our 1 - 2^-53 and NaN with torch's 1.0.
bool agrees_where_outputs_reach(const std::vector<NodeRow>& rows, const OurNumbers& ours,
                                std::vector<std::pair<std::size_t, std::size_t>> consumers, double grad,
                                Tolerance tolerance) {
  std::stable_sort(consumers.begin(), consumers.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  bool reached_any = false;
  double sum = 0.0;
  for (const auto& [consumer, slot] : consumers) {
    const NodeRow& c = rows[consumer];
    const std::vector<std::vector<double>> reached = torch_vjp_where_output_reaches(
        c.op, c.exponent, operand_values(c, ours), ours.value[consumer], ours.grad[consumer], kRoundingUlps);
    reached_any = reached_any || !reached.empty();
    sum += reached.empty() ? local_op(c, ours, ours.grad[consumer]).vjp[slot] : reached.front()[slot];
  }
  return reached_any && compare(grad, sum, tolerance).agree;
}

void judge_grad(const std::vector<NodeRow>& rows, const OurNumbers& ours, const LocalNumbers& local,
                const std::vector<std::pair<std::size_t, std::size_t>>& consumers, NodeRow& row,
                Tolerance tolerance) {
  const std::size_t i = row.index;
  for (const auto& [consumer, slot] : consumers) {
    const std::string convention = convention_at(rows[consumer], ours);
    if (!convention.empty()) {
      row.grad.verdict = Verdict::Convention;
      if (row.note.empty()) row.note = convention;
      return;
    }
  }
  if (compare_scaled(row.grad.ours, local.grad[i], local.grad_scale[i], 0.0, tolerance).agree) {
    row.grad.verdict = Verdict::Inherited;
    return;
  }
  double slack = 0.0;
  for (const auto& [consumer, slot] : consumers) {
    const NodeRow& c = rows[consumer];
    slack += torch_vjp_spread(c.op, c.exponent, operand_values(c, ours), ours.value[consumer],
                              ours.grad[consumer], kRoundingUlps)[slot];
  }
  if (compare_scaled(row.grad.ours, local.grad[i], local.grad_scale[i], slack, tolerance).agree) {
    row.grad.verdict = Verdict::Rounding;
    if (row.note.empty()) row.note = "gradient within torch's own spread over +-4 ulps of the output";
    return;
  }
  if (agrees_where_outputs_reach(rows, ours, consumers, row.grad.ours, tolerance)) {
    row.grad.verdict = Verdict::Rounding;
    if (row.note.empty()) row.note = "gradient is torch's where torch's output reaches ours (+-4 ulps)";
    return;
  }
  row.grad.verdict = Verdict::Mismatch;
  row.note = "torch's chain rule on our consumer grads gives " + format_double(local.grad[i]);
}

}  // namespace

// Leaves are zeroed first so they hold d root / d leaf * seed, as torch's fresh leaves do.
std::vector<double> fresh_gradients(const std::vector<Value>& order, double seed) {
  std::vector<double> saved(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) saved[i] = order[i].grad();
  for (Value v : order) {
    if (v.is_leaf()) v.grad() = 0.0;
  }
  Value root = order.back();
  root.backward(seed);
  std::vector<double> grads(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    Value v = order[i];
    grads[i] = v.grad();
    v.grad() = saved[i];
  }
  return grads;
}

std::vector<double> gradient_error_bounds(const std::vector<Value>& order, double seed) {
  constexpr double kEps = std::numeric_limits<double>::epsilon();
  const std::vector<double> grads = fresh_gradients(order, seed);
  const std::vector<NodeRow> rows = make_rows(order);
  std::vector<double> err(order.size(), 0.0);
  std::vector<double> magnitude(order.size(), 0.0);  // sum of |contributions| into each node
  for (std::size_t i = order.size(); i-- > 0;) {
    if (order[i].is_leaf()) continue;
    err[i] += 2.0 * kEps * magnitude[i];  // the accumulation of i's own contributions, now complete
    const LocalOp exact = torch_local(order[i], grads[i]);
    const LocalOp carried = torch_local(order[i], err[i]);
    for (std::size_t slot = 0; slot < exact.vjp.size(); ++slot) {
      const std::size_t c = rows[i].operands[slot];
      // Underflow: an intermediate of the op's formula may lose up to DBL_MIN outright (Div's
      // (a / b) / b at 1e-414 becomes 0) before the upstream gradient multiplies it.
      const double underflow = (std::fabs(grads[i]) + 1.0) * std::numeric_limits<double>::min();
      err[c] += std::fabs(carried.vjp[slot]) + 4.0 * kEps * std::fabs(exact.vjp[slot]) + underflow;
      magnitude[c] += std::fabs(exact.vjp[slot]);
    }
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i].is_leaf()) err[i] += 2.0 * kEps * magnitude[i];
  }
  return err;
}

std::vector<double> forward_error_bounds(const std::vector<Value>& order) {
  constexpr double kEps = std::numeric_limits<double>::epsilon();
  const std::vector<NodeRow> rows = make_rows(order);
  std::vector<double> err(order.size(), 0.0);
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i].is_leaf()) continue;
    const LocalOp unit = torch_local(order[i], 1.0);
    double carried = 0.0;
    double terms = std::fabs(order[i].data());
    for (std::size_t slot = 0; slot < unit.vjp.size(); ++slot) {
      const std::size_t c = rows[i].operands[slot];
      const double d = std::fabs(unit.vjp[slot]);
      if (err[c] != 0.0) carried += d * err[c];
      const double term = d * std::fabs(order[c].data());
      if (std::isfinite(term)) terms = std::fmax(terms, 0.0) + term;
    }
    err[i] = carried + 4.0 * kEps * terms + std::numeric_limits<double>::min();  // + underflow
  }
  return err;
}

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::Match: return "match";
    case Verdict::Inherited: return "inherited";
    case Verdict::Rounding: return "rounding";
    case Verdict::Convention: return "convention";
    case Verdict::Mismatch: return "MISMATCH";
  }
  return "?";
}

std::size_t Report::count(Verdict verdict) const {
  std::size_t n = 0;
  for (const NodeRow& row : rows) n += (row.value.verdict == verdict || row.grad.verdict == verdict) ? 1 : 0;
  return n;
}

namespace {

// The verdicts, for our engine's numbers (check) and another engine's (check_external) alike. Numbers
// the engine did not report were set to torch's by the caller and are marked here, so they agree.
Report judge(const std::vector<Value>& order, const OurNumbers& ours, const TorchNumbers& theirs,
             const ExternalNumbers* reported, const CheckOptions& options) {
  Report report;
  report.seed = options.seed;
  report.tolerance = options.tolerance;
  report.rows = make_rows(order);
  bool all_agree = true;
  for (NodeRow& row : report.rows) {
    const std::size_t i = row.index;
    row.value = {ours.value[i], theirs.value[i], compare(ours.value[i], theirs.value[i], options.tolerance)};
    row.grad = {ours.grad[i], theirs.grad[i], compare(ours.grad[i], theirs.grad[i], options.tolerance)};
    if (reported != nullptr) {
      row.value.reported = reported->value[i].has_value();
      row.grad.reported = reported->grad[i].has_value();
    }
    all_agree = all_agree && row.value.comparison.agree && row.grad.comparison.agree;
  }
  if (all_agree) return report;  // the common case: no need for the local oracle

  const LocalNumbers local = local_numbers(report.rows, ours, options.seed);
  const auto consumers = consumers_of(report.rows);
  for (NodeRow& row : report.rows) {
    if (!row.value.comparison.agree) judge_value(ours, row, local.value[row.index], options.tolerance);
    if (!row.grad.comparison.agree)
      judge_grad(report.rows, ours, local, consumers[row.index], row, options.tolerance);
    if (row.diverges() && !report.first_divergence) report.first_divergence = row.index;
    const bool mismatch = row.value.verdict == Verdict::Mismatch || row.grad.verdict == Verdict::Mismatch;
    if (mismatch && !report.first_mismatch) report.first_mismatch = row.index;
  }
  return report;
}

}  // namespace

Report check(const Value& root, const CheckOptions& options) {
  const std::vector<Value> order = topological_order(root);
  return judge(order, run_ours(order, options.seed), torch_mirror(order, options.seed), nullptr, options);
}

Report check_external(const std::vector<Value>& order, const ExternalNumbers& engine,
                      const CheckOptions& options) {
  if (order.empty() || engine.value.size() != order.size() || engine.grad.size() != order.size()) {
    throw std::invalid_argument("check_external: one optional value and grad per node of the order");
  }
  const TorchNumbers theirs = torch_mirror(order, options.seed);
  OurNumbers numbers{theirs.value, theirs.grad};
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (engine.value[i]) numbers.value[i] = *engine.value[i];
    if (engine.grad[i]) numbers.grad[i] = *engine.grad[i];
  }
  return judge(order, numbers, theirs, &engine, options);
}

}  // namespace verigrad::verify
