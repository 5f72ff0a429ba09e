#include "verify/cli/eval_command.hpp"

#include <cstdio>
#include <iostream>

#include "nn/serialize.hpp"
#include "nn/train.hpp"
#include "verify/cli/util.hpp"

namespace verigrad::verify::cli {

CLI::App* add_eval_command(CLI::App& app, EvalOptions& o) {
  CLI::App* cmd = app.add_subcommand("eval", "Loss and accuracy of a saved model on a dataset");
  cmd->footer(
      "Examples:\n"
      "  verigrad train --save model.txt && verigrad eval --model model.txt --dataset moons --seed 2\n"
      "  verigrad train --data train.csv --save model.txt && verigrad eval --model model.txt --data "
      "test.csv");
  cmd->add_option("--model", o.model, "A model saved by 'verigrad train --save'")
      ->type_name("FILE")
      ->required();
  add_data_options(*cmd, o.data);
  cmd->add_option("--loss", o.loss, "svm|mse|bce|ce (the data loss, without the L2 term)")
      ->capture_default_str();
  cmd->add_flag("--json", o.json, "Print one JSON object");
  return cmd;
}

int run_eval(const EvalOptions& o) {
  const nn::Dataset data = make_data(o.data);
  const nn::LossKind loss = for_flag("--loss", [&] { return nn::parse_loss_kind(o.loss); });
  nn::MLP model = [&] {
    try {
      return nn::load(o.model);
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
  }();
  check_memory(static_cast<double>(data.size()), model.nin(), model.nouts());
  nn::Evaluation result;
  try {
    result = nn::evaluate(model, data, loss);
  } catch (const std::invalid_argument& e) {
    throw UsageError("--model " + o.model + " does not fit this data and loss: " + e.what());
  }
  if (o.json) {
    const nlohmann::ordered_json j = {{"model", o.model},
                                      {"dataset", data.name},
                                      {"samples", data.size()},
                                      {"loss", json_number(result.loss)},
                                      {"accuracy", json_number(result.accuracy)}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf("%s on %s: loss %.6f  accuracy %.1f%%\n", o.model.c_str(),
                describe_data(o.data, data, /*with_seed=*/true).c_str(), result.loss, 100 * result.accuracy);
  }
  return kExitAgree;
}

}  // namespace verigrad::verify::cli
