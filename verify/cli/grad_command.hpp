// `verigrad grad`: one program, three answers (ours, LibTorch, finite differences) side by side.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace verigrad::verify::cli {

struct GradOptions {
  std::string program;  // the positional PROGRAM text
  std::string file;     // -f FILE, "-" for standard input
  std::string output;   // --output NAME
  bool json = false;
  bool nodes = false;
  std::string dot;
  std::string svg;
};

CLI::App* add_grad_command(CLI::App& app, GradOptions& options);

// kExitAgree when ours and torch agree everywhere (and every gradient the program set by hand or by
// _backward() is right), kExitDisagree otherwise.
int run_grad(const GradOptions& options);

}  // namespace verigrad::verify::cli
