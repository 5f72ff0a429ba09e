// `verigrad fuzz`: random differential testing of expressions and networks against LibTorch and
// finite differences, shrinking any failure to a small case.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>

namespace verigrad::verify::cli {

struct FuzzOptions {
  std::optional<int> cases;       // default 1000, or unlimited when only --seconds is given
  std::optional<double> seconds;  // stop after this long
  std::optional<std::uint64_t> seed;
  int max_nodes = 100;  // generator size: expressions grow up to about max_nodes / 5 ops
  bool json = false;
};

CLI::App* add_fuzz_command(CLI::App& app, FuzzOptions& options);

// kExitAgree if every case passed, kExitDisagree on any failure.
int run_fuzz(const FuzzOptions& options);

}  // namespace verigrad::verify::cli
