// Printing a Report: the table, the JSON document and the DOT decorations.
#include <cstdio>
#include <limits>
#include <ostream>
#include <sstream>
#include <unordered_map>

#include "engine/graph.hpp"
#include "verify/check.hpp"

namespace verigrad::verify {

namespace {

std::string ulps_text(std::uint64_t ulps) {
  return ulps == std::numeric_limits<std::uint64_t>::max() ? "nan" : std::to_string(ulps);
}

std::string diff_text(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", d);
  return buf;
}

// Finite numbers as JSON numbers; NaN and infinities (which JSON lacks) as "nan", "inf", "-inf".
nlohmann::json number(double x) {
  if (std::isfinite(x)) return x;
  return format_double(x);
}

nlohmann::json side_json(const Side& side) {
  nlohmann::json j = {{"ours", number(side.ours)},
                      {"torch", number(side.torch)},
                      {"difference", number(side.comparison.difference)},
                      {"ulps", side.comparison.ulps == std::numeric_limits<std::uint64_t>::max()
                                   ? nlohmann::json(nullptr)
                                   : nlohmann::json(side.comparison.ulps)},
                      {"verdict", to_string(side.verdict)}};
  if (!side.reported) j["reported"] = false;
  return j;
}

void pad(std::ostream& os, const std::string& s, std::size_t width) {
  os << s;
  for (std::size_t i = s.size(); i < width; ++i) os << ' ';
}

}  // namespace

std::string NodeRow::expression(const std::vector<NodeRow>& rows) const {
  auto arg = [&](std::size_t i) { return rows[operands[i]].name; };
  std::string s = name + " = ";
  switch (op_arity(op)) {
    case 0: return s + format_double(value.ours);
    case 1:
      if (op == Op::Neg) return s + "-" + arg(0);
      if (op == Op::PowConst) return s + arg(0) + " ** " + format_double(exponent);
      return s + arg(0) + "." + op_name(op) + "()";
    case 2: return s + arg(0) + " " + op_name(op) + " " + arg(1);
    default:
      s += arg(0);
      for (std::size_t i = 1; i + 1 < operands.size(); i += 2) s += " + " + arg(i) + " * " + arg(i + 1);
      return s;
  }
}

std::string Report::summary() const {
  std::ostringstream os;
  os << "verify::check: " << rows.size() << " nodes, seed " << format_double(seed) << ", rtol "
     << tolerance.rtol << ", atol " << tolerance.atol << ": ";
  if (exact()) {
    os << "every value and gradient matches torch";
  } else {
    os << (matches() ? "matches torch" : "MISMATCH") << " (" << count(Verdict::Inherited) << " inherited, "
       << count(Verdict::Rounding) << " rounding, " << count(Verdict::Convention) << " convention, "
       << count(Verdict::Mismatch) << " mismatch); first divergence at " << rows[*first_divergence].name;
  }
  return os.str();
}

std::string Report::to_table() const {
  std::ostringstream os;
  os << summary() << "\n";
  if (first_mismatch) {
    const NodeRow& row = rows[*first_mismatch];
    os << "first mismatch: " << row.expression(rows);
    for (std::size_t operand : row.operands) {
      os << "  [" << rows[operand].name << " = " << format_double(rows[operand].value.ours) << "]";
    }
    os << "\n  " << row.note << "\n";
  }
  std::size_t width = 10;
  for (const NodeRow& row : rows) width = std::max(width, row.expression(rows).size() + 2);
  width = std::min<std::size_t>(width, 48);
  pad(os, "node", width);
  os << "value: ours                torch                     |diff|    ulps  verdict     "
        "grad: ours                 torch                     |diff|    ulps  verdict\n";
  for (const NodeRow& row : rows) {
    pad(os, row.expression(rows), width);
    for (const Side* side : {&row.value, &row.grad}) {
      pad(os, format_double(side->ours), 26);
      pad(os, format_double(side->torch), 26);
      pad(os, diff_text(side->comparison.difference), 10);
      pad(os, ulps_text(side->comparison.ulps), 6);
      pad(os, to_string(side->verdict), 12);
    }
    if (!row.note.empty()) os << row.note;
    os << "\n";
  }
  return os.str();
}

nlohmann::json Report::to_json() const {
  nlohmann::json nodes = nlohmann::json::array();
  for (const NodeRow& row : rows) {
    nlohmann::json node = {{"index", row.index},         {"name", row.name},
                           {"op", op_kind_name(row.op)}, {"expression", row.expression(rows)},
                           {"operands", row.operands},   {"value", side_json(row.value)},
                           {"grad", side_json(row.grad)}};
    if (row.op == Op::PowConst) node["exponent"] = number(row.exponent);
    if (!row.note.empty()) node["note"] = row.note;
    nodes.push_back(std::move(node));
  }
  auto index = [](const std::optional<std::size_t>& i) {
    return i ? nlohmann::json(*i) : nlohmann::json(nullptr);
  };
  return {{"seed", number(seed)},
          {"rtol", tolerance.rtol},
          {"atol", tolerance.atol},
          {"matches", matches()},
          {"exact", exact()},
          {"first_divergence", index(first_divergence)},
          {"first_mismatch", index(first_mismatch)},
          {"nodes", std::move(nodes)}};
}

std::ostream& operator<<(std::ostream& os, const Report& report) { return os << report.to_table(); }

DotOptions dot_options(const Report& report) {
  auto index = std::make_shared<std::unordered_map<const void*, std::size_t>>();
  for (const NodeRow& row : report.rows) index->emplace(row.id, row.index);
  auto rows = std::make_shared<std::vector<NodeRow>>(report.rows);
  DotOptions options;
  options.extra_fields = [index, rows](const Value& v) -> std::vector<std::string> {
    auto it = index->find(v.id());
    if (it == index->end()) return {};
    const NodeRow& row = (*rows)[it->second];
    // Four decimals, as the engine's own data and grad fields; a diverging node is drawn red, and the
    // table has every digit.
    return {"torch data " + format_fixed4(row.value.torch), "torch grad " + format_fixed4(row.grad.torch)};
  };
  options.highlight = [index, rows](const Value& v) {
    auto it = index->find(v.id());
    if (it == index->end()) return false;
    const NodeRow& row = (*rows)[it->second];
    return row.value.verdict == Verdict::Mismatch || row.grad.verdict == Verdict::Mismatch;
  };
  return options;
}

}  // namespace verigrad::verify
