#include "verify/cli/grad_command.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "engine/graph.hpp"
#include "verify/check.hpp"
#include "verify/cli/util.hpp"
#include "verify/expr/evaluate.hpp"
#include "verify/expr/parser.hpp"
#include "verify/finite_diff.hpp"
#include "verify/manual.hpp"

namespace verigrad::verify::cli {

CLI::App* add_grad_command(CLI::App& app, GradOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "grad", "Run a micrograd-style program with our engine, LibTorch and finite differences");
  cmd->footer(
      "The program is the Python micrograd's users write (lecture cells paste as they are): leaves\n"
      "'a = Value(2.0, label=\"a\")' or 'a = 2.0', operators + - * / ** and unary -, methods .relu()\n"
      ".tanh() .exp() .log() .sigmoid() .abs(), functions relu tanh exp log sigmoid abs pow(x, y),\n"
      "x.label = '...', x.data and x.grad (read and set), x.backward(), x._backward(), print(...),\n"
      "draw_dot(x), def f(): ... and f(). The output is the last name assigned a Value; gradients are\n"
      "reported for every leaf. A program that sets grads by hand or calls _backward() gets each of\n"
      "its gradients checked against torch's (exit 1 if one is wrong).\n\n"
      "Examples:\n"
      "  verigrad grad 'a = -4.0; b = 2.0; c = a * b + b**3; d = c.relu()'\n"
      "  verigrad grad -f examples/micrograd_readme.py --nodes --svg graph.svg\n"
      "  verigrad grad -f examples/lecture_manual_backprop.py\n"
      "  echo 'x = 0.0; y = x.relu()' | verigrad grad -f - --json");
  cmd->add_option("PROGRAM", o.program, "The program text (or use -f)");
  cmd->add_option("-f,--file", o.file, "Read the program from FILE ('-' for standard input)")
      ->type_name("FILE");
  cmd->add_option("--output", o.output, "The name whose gradients to report [default: last assigned Value]")
      ->type_name("NAME");
  cmd->add_flag("--json", o.json, "Print one JSON object instead of the table");
  cmd->add_flag("--nodes", o.nodes, "Also list every intermediate node");
  cmd->add_option("--dot", o.dot, "Write the graph as Graphviz DOT to FILE ('-' for standard output)")
      ->type_name("FILE");
  cmd->add_option("--svg", o.svg, "Render the graph to FILE with Graphviz's dot")->type_name("FILE");
  return cmd;
}

namespace {

// Graphviz's layout grows much faster than the graph: past a few thousand nodes it runs for minutes.
// The DOT text has no such limit.
constexpr std::size_t kMaxSvgNodes = 3000;

std::string load_source(const GradOptions& o) {
  if (!o.program.empty() && !o.file.empty())
    throw UsageError("give the program as PROGRAM or with -f, not both");
  if (!o.file.empty()) return read_file(o.file);
  if (o.program.empty())
    throw UsageError("no program: give PROGRAM text or -f FILE ('-' reads standard input)");
  return o.program;
}

// One line of the table: a value or a gradient as ours, torch and numeric see it.
struct Line {
  std::string what;
  double ours;
  std::optional<double> torch;    // none: torch has no gradient for a leaf the output does not use
  std::optional<double> numeric;  // finite differences see leaves' gradients and values only
  std::string status;
};

std::string cell(double x) {
  if (!std::isfinite(x)) return format_double(x);  // "nan", never "-nan"
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string status_of(const Side& side) {
  return side.verdict == Verdict::Match ? "ok" : to_string(side.verdict);
}

// The numeric column's verdict decorates the status when it has something to say.
std::string with_fd(std::string status, const FdProbe& probe) {
  if (probe.verdict == FdVerdict::Agree) return status;
  return status + " (numeric: " + to_string(probe.verdict) + ")";
}

void print_table(const std::vector<Line>& lines) {
  std::size_t w = 6;
  for (const Line& l : lines) w = std::max(w, l.what.size());
  std::cout << pad("", w) << "  " << pad("ours", 20) << pad("torch", 20) << pad("numeric", 20) << "status\n";
  for (const Line& l : lines) {
    std::cout << pad(l.what, w) << "  " << pad(cell(l.ours), 20) << pad(l.torch ? cell(*l.torch) : "None", 20)
              << pad(l.numeric ? cell(*l.numeric) : "-", 20) << l.status << "\n";
  }
}

void print_manual(const ManualCheck& m, const std::string& output) {
  std::size_t w = 4;
  for (const ManualRow& r : m.rows) w = std::max(w, r.name.size());
  std::cout << "your gradients (set by hand and by _backward()) against torch's d" << output << "/dnode:\n"
            << pad("node", w) << "  " << pad("yours", 20) << pad("torch", 20) << "ok\n";
  for (const ManualRow& r : m.rows) {
    std::cout << pad(r.name, w) << "  " << pad(cell(r.yours), 20)
              << pad(r.torch ? cell(*r.torch) : "None", 20)
              << (r.ok ? (r.torch ? "ok" : "ok (unused)") : "WRONG") << "\n";
  }
  if (m.first_wrong) {
    const ManualRow& r = m.rows[*m.first_wrong];
    std::cout << "first wrong gradient: " << r.name << " (yours " << cell(r.yours) << ", torch "
              << (r.torch ? cell(*r.torch) : "None") << "): " << m.rule << "\n";
  }
}

nlohmann::ordered_json manual_json(const ManualCheck& m) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const ManualRow& r : m.rows) {
    j[r.name] = {{"yours", json_number(r.yours)},
                 {"torch", r.torch ? json_number(*r.torch) : nlohmann::ordered_json(nullptr)},
                 {"ok", r.ok}};
  }
  return j;
}

// The picture: draw_dot's argument (else the output) with torch's numbers in every record. Without
// manual steps, ours are the gradients of a fresh backward (as after micrograd's backward()); with
// them, the program's own, and the wrong ones drawn red.
void write_graph(const GradOptions& o, const Program& program, const Report& report,
                 const std::vector<Value>& order, const std::optional<ManualCheck>& manual) {
  if (o.dot.empty() && o.svg.empty()) return;
  const Value drawn = program.drawn ? *program.drawn : program.root;
  if (!manual) {
    for (std::size_t i = 0; i < order.size(); ++i) Value(order[i]).grad() = report.rows[i].grad.ours;
  }
  DotOptions options = dot_options(report);
  if (manual) {
    auto wrong = std::make_shared<std::unordered_set<const void*>>();
    for (const ManualRow& r : manual->rows) {
      if (!r.ok) wrong->insert(r.id);
    }
    options.highlight = [wrong, report_highlight = options.highlight](const Value& v) {
      return wrong->count(v.id()) > 0 || report_highlight(v);
    };
  }
  const std::string dot = to_dot(drawn, options);
  const std::size_t nodes = node_count(drawn);
  if (!o.svg.empty() && nodes > kMaxSvgNodes) {
    throw UsageError("--svg: the graph has " + std::to_string(nodes) + " nodes; Graphviz lays out at most " +
                     std::to_string(kMaxSvgNodes) + " in reasonable time (--dot FILE writes any size)");
  }
  if (!o.dot.empty()) write_file_atomic(o.dot, dot);
  if (!o.svg.empty()) {
    const std::string dot_program = find_program("dot");
    if (dot_program.empty())
      throw UsageError("--svg needs Graphviz's 'dot', which is not on PATH (scripts/setup installs it)");
    const std::string tmp = o.svg + ".tmp.svg";
    if (run_program(dot_program, {"-Tsvg", "-o", tmp}, dot) != 0) {
      std::remove(tmp.c_str());
      throw UsageError("Graphviz's dot could not write '" + o.svg + "'");
    }
    if (std::rename(tmp.c_str(), o.svg.c_str()) != 0) {
      std::remove(tmp.c_str());
      throw UsageError("cannot write '" + o.svg + "'");
    }
  }
}

}  // namespace

int run_grad(const GradOptions& o) {
  const std::string source = load_source(o);
  check_writable("--dot", o.dot);
  check_writable("--svg", o.svg);
  if (!o.svg.empty()) require_program("dot", "--svg");
  std::optional<std::string> output;
  if (!o.output.empty()) output = o.output;
  Program program = [&] {
    try {
      return parse_program(source, output);
    } catch (const ParseError& e) {
      throw UsageError(e.what());
    }
  }();
  const Value& root = program.root;
  const Report report = check(root);  // leaves every grad as it found it
  const std::vector<Value> order = topological_order(root);
  const double numeric_value = evaluate_forward(root);

  std::unordered_map<const void*, const NodeRow*> rows;
  for (const NodeRow& row : report.rows) rows.emplace(row.id, &row);
  const NodeRow& out = report.rows.back();
  const std::string d = "d" + program.output + "/d";

  std::vector<Line> lines;
  lines.push_back({program.output, out.value.ours, out.value.torch, numeric_value, status_of(out.value)});
  nlohmann::ordered_json grads = nlohmann::ordered_json::object();
  for (const auto& [name, leaf] : program.leaves) {
    const NodeRow& row = *rows.at(leaf.id());
    const FdProbe probe = probe_gradient(root, leaf, row.grad.ours);
    lines.push_back(
        {d + name, row.grad.ours, row.grad.torch, probe.central, with_fd(status_of(row.grad), probe)});
    grads[name] = {{"ours", json_number(row.grad.ours)},
                   {"torch", json_number(row.grad.torch)},
                   {"numeric", json_number(probe.central)},
                   {"status", lines.back().status},
                   {"used", true}};
  }
  // A leaf the output does not use: d(output)/d(leaf) is 0 (nudging it moves nothing), and torch
  // leaves its .grad None.
  for (const auto& [name, leaf] : program.unused_leaves) {
    lines.push_back({d + name, 0.0, std::nullopt, 0.0, "unused"});
    grads[name] = {
        {"ours", 0.0}, {"torch", nullptr}, {"numeric", 0.0}, {"status", "unused"}, {"used", false}};
  }
  if (o.nodes) {
    std::unordered_map<const void*, bool> named;
    for (const auto& leaf : program.leaves) named[leaf.second.id()] = true;
    for (const NodeRow& row : report.rows) {
      if (row.op == Op::Leaf) {  // constants written in the program: show their value once
        if (named.count(row.id) == 0) {
          lines.push_back(
              {row.expression(report.rows), row.value.ours, row.value.torch, std::nullopt, "constant"});
        }
        continue;
      }
      lines.push_back({row.expression(report.rows), row.value.ours, row.value.torch, std::nullopt,
                       "value " + status_of(row.value)});
      lines.push_back(
          {"  " + d + row.name, row.grad.ours, row.grad.torch, std::nullopt, "grad " + status_of(row.grad)});
    }
  }
  std::optional<ManualCheck> manual;
  if (program.manual) {
    std::unordered_map<const void*, std::string> names;
    for (const auto& [name, node] : program.node_names) names.emplace(node.id(), name);
    manual = check_manual(report, order, names, program.unused_leaves, program.output);
  }
  write_graph(o, program, report, order, manual);

  if (o.json) {
    nlohmann::ordered_json j = {{"output", program.output},
                                {"value",
                                 {{"ours", json_number(out.value.ours)},
                                  {"torch", json_number(out.value.torch)},
                                  {"numeric", json_number(numeric_value)}}},
                                {"grads", grads},
                                {"match", report.matches()}};
    if (report.first_divergence)
      j["first_divergence"] = report.rows[*report.first_divergence].expression(report.rows);
    if (manual) {
      j["manual"] = manual_json(*manual);
      j["manual_match"] = manual->ok();
      j["first_wrong"] = manual->first_wrong
                             ? nlohmann::ordered_json{{"node", manual->rows[*manual->first_wrong].name},
                                                      {"rule", manual->rule}}
                             : nlohmann::ordered_json(nullptr);
    }
    if (!program.printed.empty()) j["printed"] = program.printed;
    if (o.nodes) j["report"] = report.to_json();
    std::cout << j.dump(2) << "\n";
  } else {
    if (!program.printed.empty()) std::cout << program.printed << "\n";
    // With gradients set by hand, "ours" could be read as "yours": say whose numbers the first table holds.
    if (manual)
      std::cout << "verigrad's own backward() of your graph, beside LibTorch's and finite differences':\n";
    print_table(lines);
    if (manual) {
      std::cout << "\n";
      print_manual(*manual, program.output);
    }
    std::cout << "\n" << report.summary() << "\n";
    if (report.first_mismatch) {
      const NodeRow& bad = report.rows[*report.first_mismatch];
      std::cout << "first mismatch: " << bad.expression(report.rows)
                << (bad.note.empty() ? "" : " (" + bad.note + ")") << "\n";
    }
  }
  const bool agree = report.matches() && (!manual || manual->ok());
  return agree ? kExitAgree : kExitDisagree;
}

}  // namespace verigrad::verify::cli
