// verigrad: see ours, PyTorch's and numeric gradients side by side; train micrograd's demo in lockstep
// with LibTorch; fuzz the engine against both.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>

#include "verify/cli/conform_command.hpp"
#include "verify/cli/eval_command.hpp"
#include "verify/cli/fuzz_command.hpp"
#include "verify/cli/grad_command.hpp"
#include "verify/cli/train_command.hpp"
#include "verify/cli/util.hpp"

#ifndef VERIGRAD_VERSION
#define VERIGRAD_VERSION "0.0.0"
#endif

namespace cli = verigrad::verify::cli;

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe (| head, a dead gnuplot) is an error, not a kill
  CLI::App app{"verigrad: a scalar autograd engine checked against PyTorch, node by node."};
  app.name("verigrad");
  app.set_version_flag("--version", std::string("verigrad ") + VERIGRAD_VERSION + " (LibTorch 1.13 oracle)");
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 everything agrees, 1 ours and torch disagree, 2 bad input or usage.\n"
      "Run 'verigrad COMMAND --help' for a command's options.");

  cli::GradOptions grad;
  CLI::App* grad_cmd = cli::add_grad_command(app, grad);
  cli::TrainOptions train;
  CLI::App* train_cmd = cli::add_train_command(app, train);
  cli::EvalOptions eval;
  CLI::App* eval_cmd = cli::add_eval_command(app, eval);
  cli::FuzzOptions fuzz;
  CLI::App* fuzz_cmd = cli::add_fuzz_command(app, fuzz);
  cli::ConformOptions conform;
  CLI::App* conform_cmd = cli::add_conform_command(app, conform);

  // CLI11 reports an unknown first word as "A subcommand is required"; name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    const std::string first = argv[1];
    if (first != "grad" && first != "train" && first != "eval" && first != "fuzz" && first != "conform") {
      std::cerr << "verigrad: error: unknown command '" << first
                << "' (expected grad, train, eval, fuzz or conform)\n"
                << "Run 'verigrad --help' for usage.\n";
      return cli::kExitBadInput;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "verigrad: error: " << e.what() << "\n"
              << "Run 'verigrad --help' for usage.\n";
    return cli::kExitBadInput;
  }

  try {
    int code = cli::kExitBadInput;
    if (grad_cmd->parsed()) code = cli::run_grad(grad);
    if (train_cmd->parsed()) code = cli::run_train(train);
    if (eval_cmd->parsed()) code = cli::run_eval(eval);
    if (fuzz_cmd->parsed()) code = cli::run_fuzz(fuzz);
    if (conform_cmd->parsed()) code = cli::run_conform(conform);
    // A full disk or a closed pipe must not pass for success.
    std::cout.flush();
    if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0 || !std::cout) {
      std::cerr << "verigrad: error: cannot write standard output\n";
      return cli::kExitBadInput;
    }
    return code;
  } catch (const cli::UsageError& e) {
    // Parse errors already read "error: line L, column C: ..."; everything else gets the prefix.
    const std::string what = e.what();
    std::cerr << (what.rfind("error: ", 0) == 0 ? "verigrad: " : "verigrad: error: ") << what << "\n";
    return cli::kExitBadInput;
  } catch (const std::invalid_argument& e) {
    std::cerr << "verigrad: error: " << e.what() << "\n";
    return cli::kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "verigrad: internal error: " << e.what() << "\n";
    return cli::kExitBadInput;
  }
  return cli::kExitBadInput;
}
