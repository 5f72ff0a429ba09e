// A conform report as text (a table per op, the findings, the semantics, a verdict), as JSON and as
// JUnit XML.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "engine/graph.hpp"
#include "verify/conform/conform.hpp"
#include "verify/conform/wire.hpp"

namespace verigrad::verify::conform {

namespace {

using ojson = nlohmann::ordered_json;

ojson num(double x) { return ojson(number_json(x)); }  // the protocol's: "inf", "-inf", "nan" as strings

// Text an engine wrote, made safe to print: no control characters or invalid UTF-8.
std::string clean(const std::string& s, std::size_t max = 300) {
  const std::string q = quote(s, max);
  return q.substr(1, q.rfind('\'') - 1) + (q.back() == '\'' ? "" : q.substr(q.rfind('\'') + 1));
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string rpad(const std::string& s, std::size_t width) {
  return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
}

std::string op_text(const std::optional<OpName>& op) { return op ? to_string(*op) : "(no op)"; }

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += prefix + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

// Gradients are judged as one backward's (judge() halves the doubled ones of twice and two_graphs);
// they are shown as reported, and torch's as it accumulates them.

std::string engine_number(const Judgement& j, std::size_t i, bool grad, Mode mode = Mode::once) {
  const Side& s = grad ? j.report.rows[i].grad : j.report.rows[i].value;
  const std::string& odd = grad ? j.odd_grad[i] : j.odd_value[i];
  if (!s.reported) return "-";
  return odd.empty() ? format_double(grad ? s.ours * grad_factor(mode) : s.ours) : clean(odd, 60);
}

// Whether the program is small enough to print in full.
bool printable(const Program& p) { return p.spec.nodes.size() <= 60; }

// The numbers of one judged program: the output's value, the node that went wrong, every leaf's grad.
std::string numbers_table(const Program& p, const Judgement& j, const std::vector<FdNumber>& fd,
                          bool with_numbers, Mode mode = Mode::once) {
  std::ostringstream os;
  const std::vector<NodeRow>& rows = j.report.rows;
  if (rows.empty()) return "";
  auto row = [&](const std::string& label, const std::string& engine, const std::string& torch,
                 const std::string& extra) {
    std::string text = "      " + pad(label, 12) + pad(engine, 26) + pad(torch, 26) + extra;
    text.erase(text.find_last_not_of(' ') + 1);
    os << text << "\n";
  };
  row("", "engine", "torch", fd.empty() ? "" : "finite differences");
  auto line = [&](const std::string& label, const std::string& engine, double torch,
                  const std::string& extra) { row(label, engine, format_double(torch), extra); };
  const std::size_t root = rows.size() - 1;
  std::size_t bad = root;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!p.is_number(i) && p.names[i] == j.outcome.node) bad = i;
  }
  if (with_numbers && bad != root && rows[bad].op != Op::Leaf && j.outcome.kind != Kind::wrong_grad) {
    line(p.names[bad], engine_number(j, bad, false), rows[bad].value.torch, "");
  }
  line(p.output(), with_numbers ? engine_number(j, root, false) : "-", rows[root].value.torch, "");
  if (with_numbers && j.outcome.kind == Kind::wrong_grad && rows[bad].op != Op::Leaf) {
    line("grad " + p.names[bad], engine_number(j, bad, true), rows[bad].grad.torch, "");
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].op != Op::Leaf || p.is_number(i)) continue;
    std::string extra;
    for (const FdNumber& f : fd) {
      if (f.leaf == p.names[i]) extra = format_double(f.central);
    }
    line("grad " + p.names[i], with_numbers ? engine_number(j, i, true, mode) : "-",
         rows[i].grad.torch * grad_factor(mode), extra);
  }
  return os.str();
}

bool has_numbers(const Response& r) {
  return r.status == Response::Status::reply && r.reply.type == Reply::Type::result;
}

// An edge finding in a few lines: what raised, on which minimal program.
std::string edge_text(const Finding& f, std::size_t n) {
  std::ostringstream os;
  std::string program = f.program.python();
  program.pop_back();
  std::string joined;
  for (char c : program) joined += c == '\n' ? std::string("; ") : std::string(1, c);
  program = joined;
  os << "EDGE " << n << ": " << op_text(f.op) << ", " << f.exception << " (" << f.count
     << (f.count == 1 ? " case" : " cases") << "): " << program << "\n      "
     << clean(f.judged.outcome.what, 300) << "\n";
  return os.str();
}

std::string finding_text(const Finding& f, std::size_t n) {
  if (f.kind == Kind::edge) return edge_text(f, n);
  std::ostringstream os;
  os << (f.kind == Kind::edge ? "EDGE " : "FINDING ") << n << ": " << to_string(f.kind) << " in "
     << op_text(f.op);
  if (!f.exception.empty()) os << " (" << f.exception << ")";
  os << "  -- " << f.count << (f.count == 1 ? " case" : " cases") << ", first #" << f.first_case
     << "; shrunk from " << f.original_ops << " ops to " << f.program.op_count() << " in " << f.shrink_steps
     << " steps" << (f.shrink_stopped ? " (stopped: time budget)" : "")
     << (f.nondeterministic ? "; NONDETERMINISTIC" : "") << "\n";
  os << indent(f.program.python(), "      ");
  os << "    " << clean(f.judged.outcome.what, 600) << "\n";
  os << numbers_table(f.program, f.judged, f.fd, has_numbers(f.response));
  if (f.hint) os << "    hint: " << f.hint->text << "\n";
  if (f.seen_in.size() > 1) {
    os << "    seen in:";
    for (OpName op : f.seen_in) os << " " << to_string(op);
    os << "\n";
  }
  if (f.nondeterministic) {
    os << "    the engine answered a failing case differently when it ran again (a topological order that "
          "follows set iteration?)\n";
  }
  return os.str();
}

std::string probe_status(const Probe& p) {
  const std::optional<bool> ok = p.ok();
  return !ok ? "n/a" : *ok ? "ok" : "FAIL";
}

std::string probe_text(const Probe& p) {
  std::ostringstream os;
  os << "  " << pad(p.name, 17) << pad(probe_status(p), 6) << p.title << "\n";
  if (p.name == "depth") {
    if (p.failed_at != 0) {
      os << "      fails at " << p.failed_at << " ops deep (passes at " << p.max_depth
         << "): " << clean(p.how, 300) << "\n";
    } else if (p.ok()) {
      os << "      passes at " << p.max_depth << " ops deep\n";
    }
    if (p.hint) os << "      hint: " << p.hint->text << "\n";
    for (const ProbeCheck& c : p.checks) {
      if (!c.unsupported.empty()) os << "      not run: " << c.unsupported << "\n";
    }
    return os.str();
  }
  // The first failing check in full (program, numbers, hint); the others in a line each.
  bool shown = false;
  std::string last_hint;
  for (const ProbeCheck& c : p.checks) {
    if (!c.unsupported.empty()) {
      os << "      " << pad(c.label, 24) << "not run: " << c.unsupported << "\n";
      continue;
    }
    if (c.ok()) continue;
    os << "      " << pad(c.label, 24) << "FAIL: " << clean(c.judged.outcome.what, 400) << "\n";
    if (!shown) {
      os << indent(c.program.python(c.mode), "          ");
      os << numbers_table(c.program, c.judged, {}, has_numbers(c.response), c.mode);
      shown = true;
    }
    if (c.hint && c.hint->text != last_hint) os << "      hint: " << c.hint->text << "\n";
    if (c.hint) last_hint = c.hint->text;
  }
  return os.str();
}

ojson engine_json(const Program& p, const Response& r, const Judgement& j, Mode mode = Mode::once) {
  ojson e = ojson::object();
  if (r.status == Response::Status::crash) {
    e["crash"] = clean(r.detail, 4000);
    return e;
  }
  if (r.status == Response::Status::timeout) {
    e["timeout"] = r.detail;
    return e;
  }
  if (r.reply.type == Reply::Type::error) {
    e["error"] = {{"phase", r.reply.phase}, {"kind", r.reply.kind},           {"node", r.reply.node},
                  {"op", r.reply.op},       {"exception", r.reply.exception}, {"message", r.reply.message}};
    if (!r.reply.returned.empty()) e["error"]["returned"] = r.reply.returned;
    return e;
  }
  const std::size_t root = j.report.rows.size() - 1;
  auto number = [&](std::size_t i, bool grad) -> ojson {
    const std::string& odd = grad ? j.odd_grad[i] : j.odd_value[i];
    if (!odd.empty()) return odd;
    return num(grad ? j.report.rows[i].grad.ours * grad_factor(mode) : j.report.rows[i].value.ours);
  };
  e["value"] = number(root, false);
  ojson grads = ojson::object();
  for (std::size_t i = 0; i < p.spec.nodes.size(); ++i) {
    if (p.spec.nodes[i].op == Op::Leaf && !p.is_number(i) && j.report.rows[i].grad.reported)
      grads[p.names[i]] = number(i, true);
  }
  e["grads"] = grads;
  return e;
}

ojson torch_json(const Program& p, const Judgement& j, Mode mode = Mode::once) {
  ojson t = ojson::object();
  if (j.report.rows.empty()) return t;
  t["value"] = num(j.report.rows.back().value.torch);
  ojson grads = ojson::object();
  for (std::size_t i = 0; i < p.spec.nodes.size(); ++i) {
    if (p.spec.nodes[i].op == Op::Leaf && !p.is_number(i)) {
      grads[p.names[i]] = num(j.report.rows[i].grad.torch * grad_factor(mode));
    }
  }
  t["grads"] = grads;
  return t;
}

ojson seen_json(const std::vector<OpName>& ops) {
  ojson j = ojson::array();
  for (OpName op : ops) j.push_back(to_string(op));
  return j;
}

ojson hint_json(const std::optional<Hint>& h) { return h ? ojson(h->text) : ojson(nullptr); }

ojson check_json(const ProbeCheck& c) {
  ojson j = {{"label", c.label}, {"mode", to_string(c.mode)}};
  if (!c.unsupported.empty()) {
    j["ok"] = nullptr;
    j["unsupported"] = c.unsupported;
    return j;
  }
  j["ok"] = c.ok();
  if (printable(c.program)) j["program"] = c.program.python(c.mode);
  j["engine"] = engine_json(c.program, c.response, c.judged, c.mode);
  j["torch"] = torch_json(c.program, c.judged, c.mode);
  if (!c.ok()) {
    j["kind"] = to_string(c.judged.outcome.kind);
    j["what"] = clean(c.judged.outcome.what, 2000);
    j["hint"] = hint_json(c.hint);
    j["hint_id"] = c.hint ? ojson(c.hint->id) : ojson(nullptr);
  }
  return j;
}

// XML text: the five entities escaped, control characters XML 1.0 forbids replaced. Engine text has
// been through clean() or the JSON parser already, so it is valid UTF-8.
std::string xml(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += (static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t') ? '?' : ch;
    }
  }
  return out;
}

}  // namespace

std::string ConformReport::verdict() const {
  std::ostringstream os;
  int real = 0, edges = 0;
  std::string first;
  for (const Finding& f : findings) {
    if (f.kind == Kind::edge) {
      ++edges;
      continue;
    }
    if (real++ == 0) first = std::string(to_string(f.kind)) + " in " + op_text(f.op);
  }
  std::string failing;
  for (const Probe& p : probes) {
    if (p.ok() == std::optional<bool>(false)) failing += (failing.empty() ? "" : ", ") + p.name;
  }
  os << "verdict: " << (conformant ? "CONFORMANT" : "NOT CONFORMANT");
  if (real > 0) os << "; " << real << (real == 1 ? " finding (" : " findings (first: ") << first << ")";
  if (!failing.empty()) os << "; probes failed: " << failing;
  if (edges > 0) {
    os << "; " << edges << " edge finding" << (edges == 1 ? "" : "s")
       << (strict ? " (counted: --strict)" : " apart (IEEE inf/nan where the engine raises)");
  }
  if (!unsupported.empty()) os << "; " << unsupported.size() << " of 13 ops not tested";
  return os.str();
}

std::string ConformReport::to_text() const {
  std::ostringstream os;
  os << "verigrad conform: " << clean(hello.engine, 200) << " (" << adapter << " adapter, protocol "
     << hello.protocol << "), seed " << seed << "\n";
  std::string tested_text, left_text;
  for (OpName op : tested) tested_text += std::string(" ") + to_string(op);
  for (OpName op : hello.constant_left) left_text += std::string(" ") + to_string(op);
  os << "  ops tested:" << tested_text << "\n";
  for (const auto& [op, why] : unsupported)
    os << "  not tested: " << to_string(op) << ": " << clean(why, 300) << "\n";
  os << "  a number on the left of:" << (left_text.empty() ? " none" : left_text) << "\n";
  for (const std::string& note : notes) os << "  note: " << clean(note, 600) << "\n";
  os << "\n  op          cases  passed  failed    edge\n";
  for (const OpStats& s : per_op) {
    os << "  " << pad(to_string(s.op), 10) << rpad(std::to_string(s.cases), 7)
       << rpad(std::to_string(s.passed), 8) << rpad(std::to_string(s.failed), 8)
       << rpad(std::to_string(s.edge), 8) << "\n";
  }
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.2f s (%.0f cases/s)", seconds, cases_per_second());
  os << "\n"
     << cases << " random cases in " << rate << ": " << failed << " failed, " << edge << " at IEEE edges\n";
  std::size_t n = 0, e = 0;
  bool edges_started = false;
  for (const Finding& f : findings) {
    if (f.kind == Kind::edge && !edges_started) {
      edges_started = true;
      os << "\nIEEE edges (" << (strict ? "counted: --strict" : "reported apart")
         << "): the engine raised, or gave a non-IEEE number, where torch gives inf or nan\n";
    }
    os << (f.kind == Kind::edge ? "" : "\n") << finding_text(f, f.kind == Kind::edge ? ++e : ++n);
  }
  if (!probes.empty()) {
    os << "\nsemantics\n";
    for (const Probe& p : probes) os << probe_text(p);
  }
  if (engine_output_lines > 0) {
    os << "\nengine output: " << engine_output_lines << " line" << (engine_output_lines == 1 ? "" : "s")
       << " printed outside the protocol (kept, not an error); the first:\n";
    for (std::size_t i = 0; i < engine_output.size() && i < 5; ++i)
      os << "  | " << clean(engine_output[i], 200) << "\n";
  }
  os << "\n" << verdict() << "\n";
  return os.str();
}

ojson ConformReport::to_json() const {
  ojson tested_json = ojson::array(), unsupported_json = ojson::array(), why = ojson::object(),
        left = ojson::array();
  for (OpName op : tested) tested_json.push_back(to_string(op));
  for (const auto& [op, reason] : unsupported) {
    unsupported_json.push_back(to_string(op));
    why[to_string(op)] = reason;
  }
  for (OpName op : hello.constant_left) left.push_back(to_string(op));
  ojson per_op_json = ojson::array();
  for (const OpStats& s : per_op) {
    per_op_json.push_back({{"op", to_string(s.op)},
                           {"cases", s.cases},
                           {"passed", s.passed},
                           {"failed", s.failed},
                           {"edge", s.edge}});
  }
  ojson findings_json = ojson::array();
  for (const Finding& f : findings) {
    ojson fd = ojson::object();
    for (const FdNumber& x : f.fd) fd[x.leaf] = num(x.central);
    findings_json.push_back({{"kind", to_string(f.kind)},
                             {"op", f.op ? ojson(to_string(*f.op)) : ojson(nullptr)},
                             {"program", f.program.python()},
                             {"engine", engine_json(f.program, f.response, f.judged)},
                             {"torch", torch_json(f.program, f.judged)},
                             {"finite_differences", fd},
                             {"hint", hint_json(f.hint)},
                             {"hint_id", f.hint ? ojson(f.hint->id) : ojson(nullptr)},
                             {"exception", f.exception},
                             {"what", clean(f.judged.outcome.what, 2000)},
                             {"node", f.judged.outcome.node},
                             {"count", f.count},
                             {"first_case", f.first_case},
                             {"original_ops", f.original_ops},
                             {"ops_after_shrinking", f.program.op_count()},
                             {"shrink_steps", f.shrink_steps},
                             {"nondeterministic", f.nondeterministic},
                             {"seen_in", seen_json(f.seen_in)}});
  }
  ojson semantics = ojson::object();
  std::size_t max_depth = 0;
  for (const Probe& p : probes) {
    const std::optional<bool> ok = p.ok();
    ojson j = {{"ok", ok ? ojson(*ok) : ojson(nullptr)}, {"title", p.title}};
    if (p.name == "depth") {
      max_depth = p.max_depth;
      j["max_depth"] = p.max_depth;
      j["failed_at"] = p.failed_at != 0 ? ojson(p.failed_at) : ojson(nullptr);
      j["how"] = p.how.empty() ? ojson(nullptr) : ojson(clean(p.how, 2000));
      j["hint"] = hint_json(p.hint);
      j["hint_id"] = p.hint ? ojson(p.hint->id) : ojson(nullptr);
    } else {
      // The probe's numbers: the first failing check's, else the first check's.
      const ProbeCheck* shown = nullptr;
      for (const ProbeCheck& c : p.checks) {
        if (c.unsupported.empty() && (shown == nullptr || (!c.ok() && shown->ok()))) shown = &c;
      }
      if (shown != nullptr) {
        j["engine"] = engine_json(shown->program, shown->response, shown->judged, shown->mode);
        j["torch"] = torch_json(shown->program, shown->judged, shown->mode);
        j["hint"] = hint_json(shown->hint);
      }
      ojson checks = ojson::array();
      for (const ProbeCheck& c : p.checks) checks.push_back(check_json(c));
      j["checks"] = checks;
    }
    semantics[p.name] = j;
  }
  semantics["max_depth"] = max_depth;
  ojson output = ojson::array();
  for (const std::string& line : engine_output) output.push_back(clean(line, 4000));
  ojson notes_json = ojson::array();
  for (const std::string& note : notes) notes_json.push_back(note);
  return {{"engine", hello.engine},
          {"protocol", hello.protocol},
          {"adapter", adapter},
          {"seed", seed},
          {"ops",
           {{"tested", tested_json},
            {"unsupported", unsupported_json},
            {"reasons", why},
            {"constant_left", left}}},
          {"cases", cases},
          {"failed", failed},
          {"edge", edge},
          {"seconds", seconds},
          {"cases_per_second", cases_per_second()},
          {"per_op", per_op_json},
          {"findings", findings_json},
          {"semantics", semantics},
          {"engine_output", {{"lines", engine_output_lines}, {"first", output}}},
          {"notes", notes_json},
          {"strict", strict},
          {"conformant", conformant}};
}

std::string ConformReport::to_junit() const {
  std::ostringstream ops, sem;
  int op_failures = 0, probe_failures = 0, op_cases = 0;
  for (OpName op : kOpNames) {
    ++op_cases;
    ops << "    <testcase classname=\"conform.ops\" name=\"" << to_string(op) << "\">\n";
    std::string why_skipped;
    for (const auto& [u, why] : unsupported) {
      if (u == op) why_skipped = why.empty() ? "unsupported" : why;
    }
    std::string failures, edges, first;
    std::size_t n = 0;
    for (const Finding& f : findings) {
      ++n;
      if (!f.op || *f.op != op) continue;
      const bool counts = f.kind != Kind::edge || strict;
      (counts ? failures : edges) += finding_text(f, n) + "\n";
      if (counts && first.empty()) first = std::string(to_string(f.kind)) + " in " + to_string(op);
    }
    if (!why_skipped.empty()) {
      ops << "      <skipped message=\"" << xml(why_skipped) << "\"/>\n";
    } else if (!failures.empty()) {
      ++op_failures;
      ops << "      <failure type=\"finding\" message=\"" << xml(first) << "\">" << xml(failures)
          << "</failure>\n";
    }
    if (!edges.empty()) ops << "      <system-out>" << xml(edges) << "</system-out>\n";
    ops << "    </testcase>\n";
  }
  for (const Probe& p : probes) {
    sem << "    <testcase classname=\"conform.semantics\" name=\"" << p.name << "\">\n";
    const std::optional<bool> ok = p.ok();
    if (!ok) sem << "      <skipped message=\"the engine lacks the ops this probe needs\"/>\n";
    if (ok == std::optional<bool>(false)) {
      ++probe_failures;
      sem << "      <failure type=\"probe\" message=\"" << xml(p.title) << "\">" << xml(probe_text(p))
          << "</failure>\n";
    }
    sem << "    </testcase>\n";
  }
  std::ostringstream os;
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  os << "<testsuites name=\"verigrad conform\" tests=\"" << op_cases + static_cast<int>(probes.size())
     << "\" failures=\"" << op_failures + probe_failures << "\">\n";
  os << "  <testsuite name=\"conform.ops\" tests=\"" << op_cases << "\" failures=\"" << op_failures << "\">\n"
     << ops.str() << "  </testsuite>\n";
  os << "  <testsuite name=\"conform.semantics\" tests=\"" << probes.size() << "\" failures=\""
     << probe_failures << "\">\n"
     << sem.str() << "  </testsuite>\n";
  os << "</testsuites>\n";
  return os.str();
}

}  // namespace verigrad::verify::conform
