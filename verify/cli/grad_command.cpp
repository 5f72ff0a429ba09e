#include "verify/cli/grad_command.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "engine/graph.hpp"
#include "verify/check.hpp"
#include "verify/cli/util.hpp"
#include "verify/expr/evaluate.hpp"
#include "verify/expr/parser.hpp"
#include "verify/finite_diff.hpp"

namespace verigrad::verify::cli {

CLI::App* add_grad_command(CLI::App& app, GradOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "grad", "Evaluate a micrograd-style program with our engine, LibTorch and finite differences");
  cmd->footer(
      "The program is a Python subset (micrograd snippets paste as they are): one statement per line or\n"
      "separated by ';', leaves like 'a = -4.0' or 'a = Value(-4.0)', operators + - * / ** and unary -,\n"
      "methods .relu() .tanh() .exp() .log() .sigmoid() .abs(), functions relu tanh exp log sigmoid abs\n"
      "pow(x, y). The output is the last name assigned; gradients are reported for every leaf.\n\n"
      "Examples:\n"
      "  verigrad grad 'a = -4.0; b = 2.0; c = a * b + b**3; d = c.relu()'\n"
      "  verigrad grad -f examples/micrograd_readme.py --nodes --svg graph.svg\n"
      "  echo 'x = 0.0; y = x.relu()' | verigrad grad -f - --json");
  cmd->add_option("PROGRAM", o.program, "The program text (or use -f)");
  cmd->add_option("-f,--file", o.file, "Read the program from FILE ('-' for standard input)")
      ->type_name("FILE");
  cmd->add_option("--output", o.output, "The name whose gradients to report [default: last assigned]")
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
  double ours, torch;
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
    std::cout << pad(l.what, w) << "  " << pad(cell(l.ours), 20) << pad(cell(l.torch), 20)
              << pad(l.numeric ? cell(*l.numeric) : "-", 20) << l.status << "\n";
  }
}

void write_graph(const GradOptions& o, const Value& root, const Report& report) {
  if (o.dot.empty() && o.svg.empty()) return;
  const std::string dot = to_dot(root, dot_options(report));
  if (!o.svg.empty() && report.rows.size() > kMaxSvgNodes) {
    throw UsageError("--svg: the graph has " + std::to_string(report.rows.size()) +
                     " nodes; Graphviz lays out at most " + std::to_string(kMaxSvgNodes) +
                     " in reasonable time (--dot FILE writes any size)");
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
  Value(root).backward();             // so our grads show in the picture, as after micrograd's backward()
  const double numeric_value = evaluate_forward(root);

  std::unordered_map<const void*, const NodeRow*> rows;
  for (const NodeRow& row : report.rows) rows.emplace(row.id, &row);
  const NodeRow& out = report.rows.back();

  std::vector<Line> lines;
  lines.push_back({program.output, out.value.ours, out.value.torch, numeric_value, status_of(out.value)});
  nlohmann::ordered_json grads = nlohmann::ordered_json::object();
  for (const auto& [name, leaf] : program.leaves) {
    const NodeRow& row = *rows.at(leaf.id());
    const FdProbe probe = probe_gradient(root, leaf, row.grad.ours);
    lines.push_back({"d" + program.output + "/d" + name, row.grad.ours, row.grad.torch, probe.central,
                     with_fd(status_of(row.grad), probe)});
    grads[name] = {{"ours", json_number(row.grad.ours)},
                   {"torch", json_number(row.grad.torch)},
                   {"numeric", json_number(probe.central)},
                   {"status", lines.back().status}};
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
      lines.push_back({"  d" + program.output + "/d" + row.name, row.grad.ours, row.grad.torch, std::nullopt,
                       "grad " + status_of(row.grad)});
    }
  }
  write_graph(o, root, report);

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
    if (o.nodes) j["report"] = report.to_json();
    std::cout << j.dump(2) << "\n";
  } else {
    print_table(lines);
    std::cout << "\n" << report.summary() << "\n";
    if (report.first_mismatch) {
      const NodeRow& bad = report.rows[*report.first_mismatch];
      std::cout << "first mismatch: " << bad.expression(report.rows)
                << (bad.note.empty() ? "" : " (" + bad.note + ")") << "\n";
    }
  }
  return report.matches() ? kExitAgree : kExitDisagree;
}

}  // namespace verigrad::verify::cli
