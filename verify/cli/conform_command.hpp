// `verigrad conform`: point the harness at anyone's autograd engine (through the Python adapter or
// any adapter speaking the protocol of docs/conform.md) and get a minimal failing program.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace verigrad::verify::cli {

struct ConformOptions {
  std::string python;  // --python FILE[:CLASS]
  std::string engine;  // --engine 'COMMAND ARGS'
  int cases = 1000;
  std::optional<std::uint64_t> seed;
  double timeout = 5.0;
  bool json = false;
  std::string junit;
  int max_nodes = 100;
  bool no_probes = false;
  bool strict = false;
  double shrink_seconds = 60.0;
  std::size_t max_depth = 100000;
};

CLI::App* add_conform_command(CLI::App& app, ConformOptions& options);

// kExitAgree when the engine conforms, kExitDisagree on findings; adapter failures throw UsageError.
int run_conform(const ConformOptions& options);

}  // namespace verigrad::verify::cli
