// `verigrad eval`: loss and accuracy of a saved model (from `verigrad train --save`) on a dataset.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "verify/cli/train_command.hpp"

namespace verigrad::verify::cli {

struct EvalOptions {
  std::string model;
  DataOptions data;
  std::string loss = "svm";
  bool json = false;
};

CLI::App* add_eval_command(CLI::App& app, EvalOptions& options);
int run_eval(const EvalOptions& options);

}  // namespace verigrad::verify::cli
