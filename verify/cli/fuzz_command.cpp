#include "verify/cli/fuzz_command.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>

#include "verify/check.hpp"
#include "verify/cli/util.hpp"
#include "verify/finite_diff.hpp"
#include "verify/generators.hpp"
#include "verify/graph_spec.hpp"
#include "verify/module_mirror.hpp"
#include "verify/shrink.hpp"

namespace verigrad::verify::cli {

CLI::App* add_fuzz_command(CLI::App& app, FuzzOptions& o) {
  CLI::App* cmd =
      app.add_subcommand("fuzz", "Random differential testing against LibTorch and finite differences");
  cmd->footer(
      "Every other case is a random expression graph (every op, shared subexpressions, edge values like 0,\n"
      "+-1, 5e-324 and 1e300), checked node by node against LibTorch and leaf by leaf against finite\n"
      "differences; the rest are random MLPs with a batch and a loss, checked against torch::nn::Linear.\n"
      "A failure is shrunk to a small case and printed as a program 'verigrad grad' runs.\n\n"
      "Examples:\n"
      "  verigrad fuzz --cases 10000\n"
      "  verigrad fuzz --seconds 60 --seed 42 --json");
  cmd->add_option("--cases", o.cases, "Number of cases (>= 1) [default: 1000, or no limit with --seconds]");
  cmd->add_option("--seconds", o.seconds, "Run for this many seconds (with --cases: whichever ends first)");
  cmd->add_option("--seed", o.seed, "Seed (printed, so a failure can be reproduced) [default: random]");
  cmd->add_option("--max-nodes", o.max_nodes, "Largest generator size (about 5 per op)")
      ->capture_default_str();
  cmd->add_flag("--json", o.json, "Print one JSON object");
  return cmd;
}

namespace {

// "" when the expression agrees with torch and with finite differences, else why not.
std::string expression_failure(const GraphSpec& spec) {
  const BuiltGraph g = build(spec);
  const Report report = check(g.root);
  if (!report.matches()) {
    const NodeRow& bad = report.rows[*report.first_mismatch];
    return "ours and torch disagree at " + bad.expression(report.rows) +
           (bad.note.empty() ? "" : " (" + bad.note + ")");
  }
  const FdReport fd = finite_differences(g.root);
  if (!fd.ok()) return "finite differences disagree with our gradient:\n" + fd.to_table();
  return "";
}

std::string network_failure(const gen::MlpCase& c) {
  const ModuleReport report = check_module(c.model(), c.batch, c.loss);
  if (report.matches()) return "";
  return "ours and torch::nn disagree at " + report.first_mismatch().value_or("?");
}

struct Failure {
  std::uint64_t index;
  std::string kind;
  std::string reason;
  std::string program;  // the shrunk case
  int shrink_steps;
};

std::optional<Failure> run_case(std::uint64_t seed, std::uint64_t index, int size) {
  const rc::Random random = gen::case_random(seed, index);
  if (index % 2 == 0) {
    rc::Shrinkable<GraphSpec> s = gen::expression()(random, size);
    if (expression_failure(s.value()).empty()) return std::nullopt;
    const int steps = minimise(s, [](const GraphSpec& g) { return !expression_failure(g).empty(); });
    return Failure{index, "expression", expression_failure(s.value()), to_program(s.value()), steps};
  }
  rc::Shrinkable<gen::MlpCase> s = gen::mlp_case()(random, std::min(size, 100));
  if (network_failure(s.value()).empty()) return std::nullopt;
  const int steps = minimise(s, [](const gen::MlpCase& c) { return !network_failure(c).empty(); });
  std::ostringstream os;
  os << s.value();
  return Failure{index, "network", network_failure(s.value()), os.str(), steps};
}

}  // namespace

int run_fuzz(const FuzzOptions& o) {
  if (o.cases && *o.cases < 1)
    throw UsageError("--cases must be at least 1, got " + std::to_string(*o.cases));
  if (o.seconds && !(*o.seconds > 0 && *o.seconds <= 1e7)) {
    throw UsageError("--seconds must be from 0 to 10000000, got " + std::to_string(*o.seconds));
  }
  const int cases = o.cases.value_or(o.seconds ? std::numeric_limits<int>::max() : 1000);
  // The generator size sweeps from 1 to max_nodes over the run (by case count, or by time).
  if (o.max_nodes < 1 || o.max_nodes > 10000) {
    throw UsageError("--max-nodes must be from 1 to 10000, got " + std::to_string(o.max_nodes));
  }
  const std::uint64_t seed = o.seed.value_or(std::random_device{}());
  const auto start = std::chrono::steady_clock::now();
  const bool terminal = !o.json && stdout_is_terminal();
  std::optional<Failure> first;
  int failures = 0;
  int done = 0;
  for (; done < cases; ++done) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (o.seconds && elapsed > *o.seconds) break;
    const double progress = o.cases ? static_cast<double>(done) / cases : elapsed / *o.seconds;
    const int size = 1 + static_cast<int>(progress * (o.max_nodes - 1));
    std::optional<Failure> f = run_case(seed, static_cast<std::uint64_t>(done), size);
    if (f) {
      ++failures;
      if (!first) first = std::move(f);
    }
    if (terminal && (done % 10 == 0 || done + 1 == cases)) {
      std::printf("\rfuzz: %d cases, %d failures, %.0f cases/s", done + 1, failures,
                  (done + 1) / std::max(elapsed, 1e-9));
      std::fflush(stdout);
    }
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.json) {
    nlohmann::ordered_json j = {
        {"cases", done}, {"failures", failures}, {"seed", seed}, {"seconds", elapsed}};
    j["first_failure"] = first ? nlohmann::ordered_json{{"case", first->index},
                                                        {"kind", first->kind},
                                                        {"reason", first->reason},
                                                        {"program", first->program},
                                                        {"shrink_steps", first->shrink_steps}}
                               : nlohmann::ordered_json(nullptr);
    std::cout << j.dump(2) << "\n";
  } else {
    if (terminal) std::printf("\n");
    std::printf("fuzz: %d cases in %.1f s (%.0f cases/s), %d failures, seed %llu\n", done, elapsed,
                done / std::max(elapsed, 1e-9), failures, static_cast<unsigned long long>(seed));
    if (first) {
      std::printf("\nfirst failure (case %llu, a %s, shrunk in %d steps): %s\n",
                  static_cast<unsigned long long>(first->index), first->kind.c_str(), first->shrink_steps,
                  first->reason.c_str());
      std::printf("\n%s\n", first->program.c_str());
      if (first->kind == "expression")
        std::printf("reproduce: verigrad grad --nodes -f case.py   (the program above)\n");
      std::printf("rerun:     verigrad fuzz --seed %llu --cases %d\n", static_cast<unsigned long long>(seed),
                  done);
    }
  }
  return failures == 0 ? kExitAgree : kExitDisagree;
}

}  // namespace verigrad::verify::cli
