#include "verify/cli/conform_command.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>

#include "verify/cli/util.hpp"
#include "verify/conform/conform.hpp"
#include "verify/conform/process.hpp"

namespace verigrad::verify::cli {

CLI::App* add_conform_command(CLI::App& app, ConformOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "conform",
      "Check anyone's autograd engine against LibTorch and shrink what fails to a minimal program");
  cmd->footer(
      "Random programs over the ops the engine announces are run by the engine and checked node by node\n"
      "against LibTorch (values, gradients, intermediates); every failure is shrunk, with the engine in the\n"
      "loop, to a minimal program, and the classic mistakes get a hint. Semantic probes check backward\n"
      "twice, zeroing, two graphs, reuse, numbers on either side of every op and the deepest chain.\n"
      "--python runs the shipped adapter on a single-file engine (class Value by default) without running\n"
      "the file's top-level code; --engine runs any adapter speaking the protocol (docs/conform.md).\n\n"
      "Exit codes: 0 conformant, 1 findings, 2 usage or adapter failure.\n\n"
      "Examples:\n"
      "  verigrad conform --python micrograd/engine.py\n"
      "  verigrad conform --python my_engine.py:Scalar --cases 5000 --json\n"
      "  verigrad conform --engine './my_adapter --flag' --junit conform.xml");
  auto* python =
      cmd->add_option("--python", o.python, "A Python engine: FILE, or FILE:CLASS (default class Value)")
          ->type_name("FILE[:CLASS]");
  auto* engine = cmd->add_option("--engine", o.engine, "Any adapter: a command run by /bin/sh")
                     ->type_name("'COMMAND ARGS'");
  python->excludes(engine);
  engine->excludes(python);
  cmd->add_option("--cases", o.cases, "Random cases (0 runs the probes alone)")->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed (printed, so a run can be reproduced) [default: random]");
  cmd->add_option("--timeout", o.timeout,
                  "Seconds a case may take before the adapter is killed and restarted")
      ->capture_default_str();
  cmd->add_flag("--json", o.json, "Print one JSON object instead of the report");
  cmd->add_option("--junit", o.junit, "Also write JUnit XML to FILE: one test case per op and per probe")
      ->type_name("FILE");
  cmd->add_option("--max-nodes", o.max_nodes, "Largest generator size (about 5 per op)")
      ->capture_default_str();
  cmd->add_flag("--no-probes", o.no_probes, "Skip the semantic probes");
  cmd->add_flag("--strict", o.strict,
                "Count edge findings (Python raising where IEEE gives inf/nan) as failures");
  cmd->add_option("--shrink-seconds", o.shrink_seconds, "Time budget for shrinking all findings")
      ->capture_default_str();
  cmd->add_option("--max-depth", o.max_depth, "Deepest chain the depth probe tries")->capture_default_str();
  return cmd;
}

namespace {

bool is_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])) != 0) return false;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') return false;
  }
  return true;
}

// The directory holding the verigrad binary (from /proc/self/exe), "" if unknown.
std::string binary_dir() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  const std::string path(buf, static_cast<std::size_t>(n));
  return path.substr(0, path.find_last_of('/'));
}

// The shipped Python adapter: $VERIGRAD_PYTHON_ADAPTER, else share/verigrad/ beside the binary's bin/
// (the same layout in the build tree, build/share/verigrad, and after cmake --install).
std::string python_adapter() {
  if (const char* env = std::getenv("VERIGRAD_PYTHON_ADAPTER"); env != nullptr && *env != '\0') {
    if (::access(env, R_OK) != 0)
      throw UsageError(std::string("VERIGRAD_PYTHON_ADAPTER: cannot read '") + env + "'");
    return env;
  }
  std::string path = binary_dir() + "/../share/verigrad/verigrad_adapter.py";
  if (::access(path.c_str(), R_OK) != 0) {
    throw UsageError("the Python adapter is not installed beside verigrad (looked for '" + path +
                     "'); set VERIGRAD_PYTHON_ADAPTER to its path");
  }
  return path;
}

conform::ProcessOptions process_options(const ConformOptions& o) {
  conform::ProcessOptions p;
  p.timeout = o.timeout;
  p.handshake_timeout = std::max(3.0 * o.timeout, 3.0);  // python, the engine and its imports start
  if (!o.engine.empty()) {
    p.argv = {"/bin/sh", "-c", o.engine};
    p.kind = "process";
    return p;
  }
  std::string file = o.python, cls = "Value";
  const std::size_t colon = o.python.rfind(':');
  if (colon != std::string::npos && is_identifier(o.python.substr(colon + 1)) &&
      ::access(o.python.c_str(), F_OK) != 0) {
    file = o.python.substr(0, colon);
    cls = o.python.substr(colon + 1);
  }
  if (::access(file.c_str(), R_OK) != 0) throw UsageError("--python: cannot read '" + file + "'");
  const char* env = std::getenv("VERIGRAD_PYTHON");
  const std::string python = env != nullptr && *env != '\0' ? env : "python3";
  if (python.find('/') == std::string::npos && find_program(python).empty()) {
    throw UsageError("--python needs '" + python +
                     "', which is not on PATH (scripts/setup installs python3)");
  }
  p.argv = {python, "-B", python_adapter(), file, cls};
  p.kind = "python";
  return p;
}

}  // namespace

int run_conform(const ConformOptions& o) {
  if (o.python.empty() && o.engine.empty())
    throw UsageError("conform: give --python FILE[:CLASS] or --engine 'COMMAND'");
  if (o.cases < 0 || o.cases > 10000000)
    throw UsageError("--cases must be from 0 to 10000000, got " + std::to_string(o.cases));
  if (!(o.timeout > 0 && o.timeout <= 3600)) throw UsageError("--timeout must be from 0 to 3600 seconds");
  if (o.max_nodes < 1 || o.max_nodes > 10000) throw UsageError("--max-nodes must be from 1 to 10000");
  if (!(o.shrink_seconds >= 0 && o.shrink_seconds <= 1e6))
    throw UsageError("--shrink-seconds must be from 0 to 1000000");
  if (o.max_depth < 10 || o.max_depth > 10000000) throw UsageError("--max-depth must be from 10 to 10000000");
  check_writable("--junit", o.junit);

  conform::Options options;
  options.cases = o.cases;
  options.seed = o.seed.value_or(std::random_device{}());
  options.max_nodes = o.max_nodes;
  options.probes = !o.no_probes;
  options.strict = o.strict;
  options.shrink_seconds = o.shrink_seconds;
  options.max_depth = o.max_depth;
  const bool terminal = !o.json && ::isatty(STDERR_FILENO) != 0;
  if (terminal) {
    options.progress = [](int done, int total) {
      std::fprintf(stderr, "\rconform: %d/%d cases", done, total);
      if (done == total) std::fprintf(stderr, "\r%40s\r", "");
      std::fflush(stderr);
    };
  }
  conform::ConformReport report;
  try {
    conform::ProcessEngine engine(process_options(o));
    report = conform::run_conform(engine, options);
  } catch (const conform::AdapterError& e) {
    throw UsageError(std::string("conform: ") + e.what());
  }
  if (o.json) {
    std::cout << report.to_json().dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << report.to_text();
  }
  if (!o.junit.empty()) write_file_atomic(o.junit, report.to_junit());
  return report.conformant ? kExitAgree : kExitDisagree;
}

}  // namespace verigrad::verify::cli
