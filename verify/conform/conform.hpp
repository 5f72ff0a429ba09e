// `verigrad conform`: any autograd engine, reached through an adapter (verify/conform/engine.hpp),
// checked against LibTorch. Random programs from the expression generators (verify/generators.hpp),
// restricted to the ops the engine announced, are run by the engine and judged node by node
// (verify/conform/judge.hpp); every failure is re-run once (nondeterminism), shrunk with the engine in
// the loop to a minimal program, and given a hint when the numbers show a classic mistake; semantic
// probes check what random programs rarely reach. Torch-free header.
//
//   conform::ProcessEngine engine({{"python3", "verigrad_adapter.py", "engine.py"}});
//   conform::ConformReport r = conform::run_conform(engine, {});
//   std::cout << r.to_text();      // r.conformant, r.to_json(), r.to_junit()
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "verify/conform/engine.hpp"
#include "verify/conform/hints.hpp"
#include "verify/conform/judge.hpp"
#include "verify/conform/program.hpp"

namespace verigrad::verify::conform {

struct Options {
  int cases = 1000;
  std::uint64_t seed = 0;
  int max_nodes = 100;  // generator size, swept from 1 over the run (as verigrad fuzz)
  bool probes = true;
  bool strict = false;         // edge findings count against conformance
  double shrink_seconds = 60;  // time budget for shrinking, all findings together
  int max_crashes = 20;        // random cases stop after this many crashes and timeouts
  std::size_t max_depth = 100000;
  std::function<void(int done, int total)> progress;  // after each batch of random cases
};

struct OpStats {
  OpName op = OpName::add;
  int cases = 0;   // random cases using the op
  int passed = 0;  // of those, cases that passed
  int failed = 0;  // failing cases blamed on the op (edge cases not counted)
  int edge = 0;    // edge cases blamed on the op
};

// Leaf gradients by finite differences (forward evaluation only), for a finding's program.
struct FdNumber {
  std::string leaf;
  double central = 0.0;  // (f(x + h) - f(x - h)) / 2h, h = 1e-6 * max(1, |x|)
};

struct Finding {
  Kind kind = Kind::pass;
  std::optional<OpName> op;
  std::string exception;
  int count = 0;  // random cases showing it
  std::int64_t first_case = -1;
  std::size_t original_ops = 0;  // ops in that case before shrinking
  int shrink_steps = 0;
  bool shrink_stopped = false;    // the time budget ran out
  bool nondeterministic = false;  // a re-run of a failing case answered differently
  Program program;                // the minimal failing program
  Response response;              // the engine's answer to it
  Judgement judged;
  std::vector<FdNumber> fd;
  std::optional<Hint> hint;
  std::vector<Hint> candidates;  // every hint whose replay fits (hint is the one chosen)
  std::vector<OpName> seen_in;   // a mistake of no single op (no topological order): the ops it showed in
};

struct ProbeCheck {
  std::string label;
  Program program;
  Mode mode = Mode::once;
  std::string unsupported;  // non-empty: not run, and why
  Response response;
  Judgement judged;
  std::optional<Hint> hint;
  bool ok() const { return unsupported.empty() && judged.outcome.passed(); }
};

struct Probe {
  std::string name;  // a contract: twice, zero_then_again, two_graphs, reuse, constant_left, depth
  std::string title;
  std::vector<ProbeCheck> checks;
  // depth only
  std::size_t max_depth = 0;  // the deepest chain that passed
  std::size_t failed_at = 0;  // the shallowest that failed (0: none did)
  std::string how;
  std::optional<Hint> hint;
  // nullopt when nothing could run (the engine lacks the ops); else whether every check passed.
  std::optional<bool> ok() const;
};

struct ConformReport {
  Hello hello;
  std::string adapter;  // "python", "process", "in-process"
  std::uint64_t seed = 0;
  std::vector<OpName> tested;
  std::vector<std::pair<OpName, std::string>> unsupported;  // op, why (from the adapter, if it said)
  int cases = 0;                                            // random cases run
  int failed = 0;                                           // of those, with a finding other than edge
  int edge = 0;                                             // with an edge finding
  double seconds = 0.0;                                     // random cases, end to end
  std::vector<OpStats> per_op;
  std::vector<Finding> findings;  // edge findings last
  std::vector<Probe> probes;
  std::vector<std::string> engine_output;  // lines printed outside the protocol (the first ones)
  std::size_t engine_output_lines = 0;
  std::vector<std::string> notes;
  bool strict = false;
  bool conformant = false;

  double cases_per_second() const { return seconds > 0 ? cases / seconds : 0.0; }
  std::string verdict() const;  // one line
  std::string to_text() const;
  nlohmann::ordered_json to_json() const;
  std::string to_junit() const;
};

// Runs everything. Throws AdapterError when the adapter cannot be used.
ConformReport run_conform(Engine& engine, const Options& options);

// The semantic probes alone (run_conform runs them after the random cases, with the ops its findings
// blame as `suspect`: the depth probe builds its chain from another op if it can).
std::vector<Probe> run_probes(Engine& engine, const Options& options,
                              const std::vector<OpName>& suspect = {});

}  // namespace verigrad::verify::conform
