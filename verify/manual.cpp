// The manual-backprop check: judging each gradient, and writing out the rule for the first wrong one.
#include "verify/manual.hpp"

#include <cmath>
#include <cstdio>

#include "engine/graph.hpp"
#include "verify/compare.hpp"
#include "verify/torch_mirror.hpp"

namespace verigrad::verify {

namespace {

std::string number(double x) {
  if (!std::isfinite(x)) return format_double(x);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

bool right(double yours, const NodeRow& row) {
  if (compare(yours, row.grad.torch, kOpTolerance).agree) return true;
  return row.grad.verdict != Verdict::Mismatch && compare(yours, row.grad.ours, kOpTolerance).agree;
}

// "d = e + c, so dL/dc = dL/dd * 1 = -2 * 1 = -2": the chain rule into row `i` from every node that
// uses it, with torch's gradients for those nodes and torch's local derivatives at the program's
// numbers (never our op table's: the rule is what the program should have computed, whatever our
// engine computes).
std::string rule_for(std::size_t i, const std::vector<NodeRow>& rows, const std::vector<Value>& order,
                     const std::string& output) {
  const std::string d = "d" + output + "/d";
  const std::string target = d + rows[i].name;
  if (i + 1 == rows.size()) return rows[i].name + " is the output, so " + target + " = 1";
  std::vector<std::string> users, symbols, products;
  for (std::size_t j = i + 1; j < rows.size(); ++j) {
    bool uses = false;
    for (std::size_t slot = 0; slot < rows[j].operands.size(); ++slot) {
      if (rows[j].operands[slot] != i) continue;
      uses = true;
      const double local = torch_local(order[j], 1.0).vjp[slot];
      symbols.push_back(d + rows[j].name + " * " + number(local));
      products.push_back(number(rows[j].grad.torch) + " * " + number(local));
    }
    if (uses) users.push_back(rows[j].expression(rows));
  }
  auto join = [](const std::vector<std::string>& parts, const char* sep) {
    std::string s;
    for (std::size_t k = 0; k < parts.size(); ++k) s += (k > 0 ? sep : "") + parts[k];
    return s;
  };
  const std::string head =
      users.size() == 1 ? users[0] : rows[i].name + " is used by " + join(users, " and ");
  return head + ", so " + target + " = " + join(symbols, " + ") + " = " + join(products, " + ") + " = " +
         number(rows[i].grad.torch);
}

}  // namespace

ManualCheck check_manual(const Report& report, const std::vector<Value>& order,
                         const std::unordered_map<const void*, std::string>& names,
                         const std::vector<std::pair<std::string, Value>>& unused_leaves,
                         const std::string& output) {
  // The report's rows under the program's names; unnamed constants show as their value in rules.
  std::vector<NodeRow> rows = report.rows;
  std::vector<bool> shown(rows.size(), true);
  for (NodeRow& row : rows) {
    const auto it = names.find(row.id);
    if (it != names.end()) {
      row.name = it->second;
    } else if (row.op == Op::Leaf) {
      row.name = format_double(row.value.ours);
      shown[row.index] = false;
    }
  }
  ManualCheck m;
  for (std::size_t i = rows.size(); i-- > 0;) {
    if (!shown[i]) continue;
    const double yours = order[i].grad();
    m.rows.push_back({rows[i].name, rows[i].id, yours, rows[i].grad.torch, right(yours, rows[i])});
    if (!m.rows.back().ok && !m.first_wrong) {
      m.first_wrong = m.rows.size() - 1;
      m.rule = rule_for(i, rows, order, output);
    }
  }
  for (const auto& [name, leaf] : unused_leaves) {
    m.rows.push_back({name, leaf.id(), leaf.grad(), std::nullopt, leaf.grad() == 0.0});
    if (!m.rows.back().ok && !m.first_wrong) {
      m.first_wrong = m.rows.size() - 1;
      m.rule.append(name).append(" does not reach ").append(output);
      m.rule.append(", so d").append(output).append("/d").append(name).append(" = 0");
    }
  }
  return m;
}

}  // namespace verigrad::verify
