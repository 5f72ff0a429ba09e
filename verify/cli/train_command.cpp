#include "verify/cli/train_command.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "nn/datasets.hpp"
#include "nn/mlp.hpp"
#include "nn/optim.hpp"
#include "nn/serialize.hpp"
#include "nn/train.hpp"
#include "verify/cli/plot.hpp"
#include "verify/cli/util.hpp"
#include "verify/lockstep.hpp"
#include "verify/module_mirror.hpp"

namespace verigrad::verify::cli {

void add_data_options(CLI::App& cmd, DataOptions& o) {
  cmd.add_option("--dataset", o.dataset,
                 "moons|circles|xor|blobs|spiral, or toy (micrograd's lecture: 4 samples of 3 inputs, "
                 "targets +1/-1) [default: moons]");
  cmd.add_option("--data", o.file,
                 "A CSV file instead: a header row, then feature columns and a label column (+1/-1, 0/1 or "
                 "class indices)")
      ->type_name("FILE");
  cmd.add_option("--samples", o.samples, "Number of points of a generated dataset (>= 2)")
      ->capture_default_str();
  cmd.add_option("--noise", o.noise, "Gaussian noise on a generated dataset's points (>= 0)")
      ->capture_default_str();
  cmd.add_option("--seed", o.seed, "Seed for the data (train: and the initial weights)")
      ->capture_default_str();
}

nn::Dataset make_data(const DataOptions& o) {
  if (!o.file.empty()) {
    if (!o.dataset.empty()) throw UsageError("give --dataset or --data, not both");
    try {
      return nn::load_csv(o.file);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--data ") + e.what());
    }
  }
  if (o.samples < 2 || o.samples > 1000000) {
    throw UsageError("--samples must be from 2 to 1000000, got " + std::to_string(o.samples));
  }
  if (!(o.noise >= 0 && o.noise <= 100))
    throw UsageError("--noise must be from 0 to 100, got " + std::to_string(o.noise));
  const std::string name = o.dataset.empty() ? "moons" : o.dataset;
  return for_flag("--dataset", [&] { return nn::make_dataset(name, o.samples, o.noise, o.seed); });
}

std::string describe_data(const DataOptions& o, const nn::Dataset& data, bool with_seed) {
  const std::string size =
      std::to_string(data.size()) + " samples of " + std::to_string(data.nin) + " inputs";
  if (!o.file.empty()) return data.name + " (" + size + ", " + std::to_string(data.nclasses) + " classes)";
  if (data.name == "toy") return "toy (micrograd's lecture: " + size + ")";
  char noise[32];
  std::snprintf(noise, sizeof noise, "%g", o.noise);
  const std::string seed = with_seed ? ", seed " + std::to_string(o.seed) : "";
  return data.name + " (" + std::to_string(data.size()) + " samples, noise " + noise + seed + ")";
}

CLI::App* add_train_command(CLI::App& app, TrainOptions& o) {
  CLI::App* cmd = app.add_subcommand("train", "Train an MLP on a toy dataset (micrograd's demo by default)");
  cmd->footer(
      "Defaults reproduce micrograd's demo: moons, 100 samples, noise 0.1, MLP(2, [16, 16, 1]) with ReLU,\n"
      "max-margin loss + 1e-4 * sum(p^2), full-batch SGD with lr = 1 - 0.9 k / steps, 100 steps.\n"
      "With --dataset toy they reproduce micrograd's lecture: MLP(3, [4, 4, 1]) with tanh everywhere,\n"
      "squared error, plain gradient descent (lr 0.4 on the mean: the lecture's 0.1 on the sum), 20 "
      "steps.\n\n"
      "Examples:\n"
      "  verigrad train\n"
      "  verigrad train --mirror --plot out/\n"
      "  verigrad train --dataset circles --activation tanh --optimizer adam --lr 0.05 --json\n"
      "  verigrad train --dataset toy --hidden 4,4 --activation tanh --output-activation tanh --loss mse \\\n"
      "      --lr 0.4 --schedule constant --steps 20 --mirror      # micrograd's lecture network\n"
      "  verigrad train --data points.csv --loss ce --optimizer adam --lr 0.05");
  add_data_options(*cmd, o.data);
  // Remembers which flags were given, so that --dataset toy can fill in the lecture's for the others.
  auto given = [&o](const char* flag) { return [&o, flag](const std::string&) { o.given.insert(flag); }; };
  cmd->add_option("--hidden", o.hidden, "Hidden layer widths, comma-separated")
      ->capture_default_str()
      ->each(given("--hidden"));
  cmd->add_option("--activation", o.activation, "Hidden activation: relu|tanh|sigmoid")
      ->capture_default_str()
      ->each(given("--activation"));
  cmd->add_option("--output-activation", o.output_activation,
                  "Last layer's activation: linear|relu|tanh|sigmoid")
      ->capture_default_str()
      ->each(given("--output-activation"));
  cmd->add_option("--loss", o.loss, "svm|mse|bce (ce for multi-class data)")
      ->capture_default_str()
      ->each(given("--loss"));
  cmd->add_option("--optimizer", o.optimizer, "sgd|adam")->capture_default_str();
  cmd->add_option("--lr", o.lr,
                  "Learning rate [default: 1.0 for sgd, 0.01 for adam; 0.4 for sgd with --dataset toy]");
  cmd->add_option(
      "--schedule", o.schedule,
      "linear (lr * (1 - 0.9 k / steps)) | constant [default: linear for sgd; constant with --dataset toy]");
  cmd->add_option("--momentum", o.momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--l2", o.l2, "Weight of the alpha * sum(p^2) term [default: 1e-4 for svm, else 0]");
  cmd->add_option("--steps", o.steps, "Training steps (>= 1)")->capture_default_str()->each(given("--steps"));
  cmd->add_flag("--mirror", o.mirror, "Train the LibTorch twin in lockstep and compare every step");
  cmd->add_option("--csv", o.csv, "Write the per-step table to FILE")->type_name("FILE");
  cmd->add_option("--plot", o.plot, "Write loss.png and boundary.png into DIR (needs gnuplot)")
      ->type_name("DIR");
  cmd->add_option("--save", o.save, "Save the trained model to FILE")->type_name("FILE");
  cmd->add_flag("--json", o.json, "Print one JSON object instead of the table");
  return cmd;
}

namespace {

struct Setup {
  nn::Dataset data;
  nn::LossKind loss;
  nn::MLP model;
  double lr;
  bool linear_decay;
  double l2;
};

void check_ranges(const TrainOptions& o) {
  if (o.steps < 1 || o.steps > 10000000)
    throw UsageError("--steps must be from 1 to 10000000, got " + std::to_string(o.steps));
  if (o.lr && !(*o.lr > 0 && std::isfinite(*o.lr))) throw UsageError("--lr must be a positive number");
  if (!(o.momentum >= 0 && o.momentum < 1)) throw UsageError("--momentum must be in [0, 1)");
  if (o.l2 && !(*o.l2 >= 0 && std::isfinite(*o.l2))) throw UsageError("--l2 must be >= 0");
  if (o.optimizer != "sgd" && o.optimizer != "adam") {
    throw UsageError("--optimizer: unknown optimizer '" + o.optimizer + "' (expected sgd or adam)");
  }
  if (!o.schedule.empty() && o.schedule != "linear" && o.schedule != "constant") {
    throw UsageError("--schedule: unknown schedule '" + o.schedule + "' (expected linear or constant)");
  }
  if (o.activation == "linear") throw UsageError("--activation: hidden layers need relu, tanh or sigmoid");
}

}  // namespace

// A full-batch step keeps the whole graph: per sample and neuron a Dot node (48 bytes) with an
// operand array (8 bytes per operand), an activation node and the handles around them. Refuse what
// would not fit comfortably instead of letting the kernel kill us halfway.
constexpr double kMaxGraphBytes = 4.0 * (1ULL << 30);

void check_memory(double samples, int nin, const std::vector<int>& widths) {
  double per_sample = 0.0;
  int fan_in = nin;
  for (int w : widths) {
    per_sample += static_cast<double>(w) * (8.0 * (2.0 * fan_in + 1.0) + 3 * 48.0);
    fan_in = w;
  }
  const double bytes = samples * per_sample;
  if (bytes > kMaxGraphBytes) {
    char msg[200];
    std::snprintf(msg, sizeof msg,
                  "a training step would need about %.1f GiB for its graph (limit %.0f GiB); "
                  "use fewer --samples or narrower --hidden",
                  bytes / (1ULL << 30), kMaxGraphBytes / (1ULL << 30));
    throw UsageError(msg);
  }
}

namespace {

Setup make_setup(const TrainOptions& o) {
  check_ranges(o);
  nn::Dataset data = make_data(o.data);
  const nn::LossKind loss = for_flag("--loss", [&] { return nn::parse_loss_kind(o.loss); });
  if (data.nclasses > 2 && loss != nn::LossKind::CrossEntropy) {
    throw UsageError("--loss " + o.loss + " needs two classes, and " + data.name + " has " +
                     std::to_string(data.nclasses) + "; use --loss ce");
  }
  std::vector<int> widths = parse_int_list("--hidden", o.hidden);
  widths.push_back(loss == nn::LossKind::CrossEntropy ? data.nclasses : 1);
  check_memory(static_cast<double>(data.size()), data.nin, widths);
  nn::MLPOptions mo;
  mo.hidden = for_flag("--activation", [&] { return nn::parse_activation(o.activation); });
  mo.output = for_flag("--output-activation", [&] { return nn::parse_activation(o.output_activation); });
  mo.seed = o.data.seed;
  const bool sgd = o.optimizer == "sgd";
  const std::string schedule = o.schedule.empty() ? (sgd ? "linear" : "constant") : o.schedule;
  const int nin = data.nin;  // read before data moves into the Setup
  return {std::move(data),          loss,
          nn::MLP(nin, widths, mo), o.lr.value_or(sgd ? 1.0 : 0.01),
          schedule == "linear",     o.l2.value_or(loss == nn::LossKind::Svm ? 1e-4 : 0.0)};
}

std::unique_ptr<nn::Optimizer> make_optimizer(const TrainOptions& o, const Setup& s) {
  nn::LrSchedule schedule;
  if (s.linear_decay) {
    const double lr = s.lr;
    const int steps = o.steps;
    schedule = [lr, steps](int k) { return lr * (1.0 - 0.9 * k / steps); };
  }
  if (o.optimizer == "sgd") {
    nn::SGDOptions so;
    so.lr = s.lr;
    so.momentum = o.momentum;
    return std::make_unique<nn::SGD>(s.model.parameters(), so, schedule);
  }
  nn::AdamOptions ao;
  ao.lr = s.lr;
  return std::make_unique<nn::Adam>(s.model.parameters(), ao, schedule);
}

void save_model(const nn::MLP& model, const std::string& path) {
  try {
    nn::save(model, path);
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
}

std::string join_path(const std::string& dir, const std::string& file) {
  return dir.empty() || dir.back() == '/' ? dir + file : dir + "/" + file;
}

// "16, 16, " for the hidden layers of MLP(2, [16, 16, 1]).
std::string widths_text(const nn::MLP& model) {
  std::string text;
  const std::vector<int> widths = model.nouts();
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) text += std::to_string(widths[i]) + ", ";
  return text;
}

struct StepRow {
  int step;
  double loss, accuracy, lr;
  // With --mirror: torch's loss at the same step, and the largest |ours - torch| of any parameter so far.
  double torch_loss = 0.0, max_param_diff = 0.0;
  bool agree = true;
};

// The torch twin for --mirror: same data, loss and optimiser as ours.
std::unique_ptr<TorchTwin> make_twin(const TrainOptions& o, const Setup& s) {
  Batch batch;
  batch.inputs = s.data.X;
  LossSpec loss;
  switch (s.loss) {
    case nn::LossKind::Svm: loss.kind = LossKind::Svm, batch.targets = s.data.signed_labels(); break;
    case nn::LossKind::Mse: loss.kind = LossKind::Mse, batch.targets = s.data.signed_labels(); break;
    case nn::LossKind::Bce:
      loss.kind = LossKind::BceWithLogits, batch.targets = s.data.zero_one_labels();
      break;
    case nn::LossKind::CrossEntropy: loss.kind = LossKind::CrossEntropy, batch.classes = s.data.y; break;
  }
  loss.l2_alpha = s.l2;
  if (s.loss != nn::LossKind::Svm && s.l2 != 0.0)
    throw UsageError("--mirror supports --l2 with the svm loss only");
  OptimizerSpec spec;
  spec.kind = o.optimizer == "sgd" ? OptimizerKind::Sgd : OptimizerKind::Adam;
  spec.lr = s.lr;
  spec.momentum = o.momentum;
  return std::make_unique<TorchTwin>(s.model, batch, loss, spec);
}

std::string csv_table(const std::vector<StepRow>& rows, bool mirror) {
  std::ostringstream s;
  s.precision(17);
  s << "step,loss,accuracy,lr" << (mirror ? ",torch_loss,loss_diff,max_param_diff" : "") << "\n";
  for (const StepRow& r : rows) {
    s << r.step << "," << r.loss << "," << r.accuracy << "," << r.lr;
    if (mirror)
      s << "," << r.torch_loss << "," << std::fabs(r.loss - r.torch_loss) << "," << r.max_param_diff;
    s << "\n";
  }
  return s.str();
}

void print_row(const StepRow& r, bool mirror) {
  if (mirror) {
    std::printf("step %4d  loss %.9f  torch %.9f  |diff| %.1e  max param diff %.1e  accuracy %5.1f%%%s\n",
                r.step, r.loss, r.torch_loss, std::fabs(r.loss - r.torch_loss), r.max_param_diff,
                100 * r.accuracy, r.agree ? "" : "  (beyond tolerance)");
  } else {
    std::printf("step %4d  loss %.6f  accuracy %5.1f%%  lr %.4f\n", r.step, r.loss, 100 * r.accuracy, r.lr);
  }
}

void print_progress(int step, int steps, double loss, double accuracy) {
  const int width = 30;
  const int filled = (step + 1) * width / steps;
  std::printf("\r[%s%s] %d/%d  loss %.6f  accuracy %5.1f%%",
              std::string(static_cast<std::size_t>(filled), '#').c_str(),
              std::string(static_cast<std::size_t>(width - filled), '.').c_str(), step + 1, steps, loss,
              100 * accuracy);
  if (step + 1 == steps) std::printf("\n");
  std::fflush(stdout);
}

}  // namespace

TrainOptions with_dataset_defaults(TrainOptions o) {
  if (o.data.dataset != "toy") return o;
  auto fill = [&o](const char* flag, auto& field, const auto& value) {
    if (o.given.count(flag) == 0) field = value;
  };
  fill("--hidden", o.hidden, std::string("4,4"));
  fill("--activation", o.activation, std::string("tanh"));
  fill("--output-activation", o.output_activation, std::string("tanh"));
  fill("--loss", o.loss, std::string("mse"));
  fill("--steps", o.steps, 20);
  if (!o.lr && o.optimizer == "sgd") o.lr = 0.4;
  if (o.schedule.empty()) o.schedule = "constant";
  return o;
}

int run_train(const TrainOptions& options) {
  const TrainOptions o = with_dataset_defaults(options);
  Setup s = make_setup(o);
  if (!o.plot.empty()) {
    require_program("gnuplot", "--plot");
    make_directory(o.plot);
  }
  check_writable("--csv", o.csv);
  check_writable("--save", o.save);
  std::unique_ptr<nn::Optimizer> optimizer = make_optimizer(o, s);
  const bool terminal = !o.json && stdout_is_terminal();
  if (!o.json) {
    const std::string activation = o.output_activation == "linear"
                                       ? o.activation
                                       : o.activation + " (output " + o.output_activation + ")";
    std::printf("verigrad train: %s, MLP(%d, [%s%d]) with %s, %s loss, %s, %d steps, seed %llu\n",
                describe_data(o.data, s.data).c_str(), s.model.nin(), widths_text(s.model).c_str(),
                s.model.nout(), activation.c_str(), o.loss.c_str(), o.optimizer.c_str(), o.steps,
                static_cast<unsigned long long>(o.data.seed));
  }
  std::unique_ptr<TorchTwin> twin = o.mirror ? make_twin(o, s) : nullptr;
  std::optional<int> first_exceeded;
  double max_param_diff = 0.0, max_loss_diff = 0.0;
  std::vector<StepRow> rows;
  nn::TrainConfig config;
  config.loss = s.loss;
  config.steps = o.steps;
  config.l2 = s.l2;
  nn::train(s.model, s.data, config, *optimizer, [&](int step, double loss, double accuracy, double lr) {
    StepRow row{step, loss, accuracy, lr};
    if (twin) {
      const StepRecord r = twin->step(s.model, loss, lr);
      max_param_diff = std::fmax(max_param_diff, r.max_parameter_difference);
      max_loss_diff = std::fmax(max_loss_diff, r.loss.comparison.difference);
      row.torch_loss = r.loss.torch;
      row.max_param_diff = max_param_diff;
      row.agree = r.agree;
      if (!r.agree && !first_exceeded) first_exceeded = step;
    }
    rows.push_back(row);
    if (terminal) {
      print_progress(step, o.steps, loss, accuracy);
    } else if (!o.json && twin) {
      std::printf("step %4d  loss %.9f  torch %.9f  |diff| %.1e  max param diff %.1e  accuracy %5.1f%%%s\n",
                  step, loss, row.torch_loss, std::fabs(loss - row.torch_loss), max_param_diff,
                  100 * accuracy, row.agree ? "" : "  (beyond tolerance)");
    } else if (!o.json) {
      std::printf("step %4d  loss %.6f  accuracy %5.1f%%  lr %.4f\n", step, loss, 100 * accuracy, lr);
    }
  });
  // On a terminal the bar showed progress; now a short per-step table: the first steps, every tenth.
  if (terminal) {
    for (const StepRow& r : rows) {
      if (r.step < 5 || r.step % (o.steps >= 100 ? o.steps / 10 : 10) == 0 || r.step + 1 == o.steps)
        print_row(r, o.mirror);
    }
  }
  const nn::Evaluation final_eval = nn::evaluate(s.model, s.data, s.loss, s.l2);
  if (!o.csv.empty()) write_file_atomic(o.csv, csv_table(rows, o.mirror));
  if (!o.save.empty()) save_model(s.model, o.save);
  if (!o.plot.empty()) {
    std::vector<double> losses, torch_losses;
    for (const StepRow& r : rows) {
      losses.push_back(r.loss);
      if (o.mirror) torch_losses.push_back(r.torch_loss);
    }
    plot_loss(o.plot, losses, torch_losses);
    if (s.data.nin == 2) plot_boundary(o.plot, s.model, s.data);
  }
  if (o.json) {
    nlohmann::ordered_json j;
    j["steps"] = o.steps;
    // The last step's numbers (the forward pass it trained on, as micrograd prints), so that loss and
    // torch_loss are the same quantity; "final" is the model after that step's update.
    j["loss"] = json_number(rows.back().loss);
    j["accuracy"] = json_number(rows.back().accuracy);
    if (o.mirror) {
      j["torch_loss"] = json_number(rows.back().torch_loss);
      j["max_loss_diff"] = json_number(max_loss_diff);
      j["max_param_diff"] = json_number(max_param_diff);
      j["mirror_match"] = !first_exceeded.has_value();
      j["first_exceeded"] =
          first_exceeded ? nlohmann::ordered_json(*first_exceeded) : nlohmann::ordered_json(nullptr);
    }
    nlohmann::ordered_json per_step = nlohmann::ordered_json::array();
    for (const StepRow& r : rows) {
      nlohmann::ordered_json step = {
          {"step", r.step}, {"loss", json_number(r.loss)}, {"accuracy", r.accuracy}};
      if (o.mirror) step["torch_loss"] = json_number(r.torch_loss);
      per_step.push_back(std::move(step));
    }
    j["final"] = {{"loss", json_number(final_eval.loss)}, {"accuracy", json_number(final_eval.accuracy)}};
    j["history"] = per_step;
    std::cout << j.dump() << "\n";
  } else {
    std::printf("final: loss %.6f  accuracy %.1f%%\n", final_eval.loss, 100 * final_eval.accuracy);
    if (o.mirror) {
      const Tolerance t = kLockstepTolerance;
      std::printf(
          "mirror: LibTorch twin trained in lockstep; largest loss difference %.2e, largest parameter "
          "difference %.2e; %s (rtol %g, atol %g)\n",
          max_loss_diff, max_param_diff,
          first_exceeded ? ("first beyond tolerance at step " + std::to_string(*first_exceeded)).c_str()
                         : "every step within tolerance",
          t.rtol, t.atol);
    }
    if (!o.plot.empty() && s.data.nin == 2) {
      std::printf("pictures: %s %s\n", join_path(o.plot, "loss.png").c_str(),
                  join_path(o.plot, "boundary.png").c_str());
    } else if (!o.plot.empty()) {  // a decision boundary is a 2-D picture
      std::printf("pictures: %s (no boundary.png: the data has %d inputs)\n",
                  join_path(o.plot, "loss.png").c_str(), s.data.nin);
    }
    if (!o.csv.empty()) std::printf("table: %s\n", o.csv.c_str());
    if (!o.save.empty()) std::printf("model: %s\n", o.save.c_str());
  }
  return first_exceeded ? kExitDisagree : kExitAgree;
}

}  // namespace verigrad::verify::cli
