// The training loop: micrograd's moons demo, step order, callbacks and memory over many steps.
#include <gtest/gtest.h>

#include <cstdio>
#include <stdexcept>

#include "engine/node.hpp"
#include "nn/mlp.hpp"

namespace verigrad::nn {
namespace {

// A copy with its own parameter leaves (an MLP copy shares them).
MLP clone_of(const MLP& model) {
  std::vector<Layer> layers;
  for (const Layer& layer : model.layers()) {
    std::vector<Neuron> neurons;
    for (const Neuron& n : layer.neurons()) {
      std::vector<double> w;
      for (const Value& wi : n.weights()) w.push_back(wi.data());
      neurons.emplace_back(w, n.bias().data(), n.activation());
    }
    layers.emplace_back(std::move(neurons));
  }
  return MLP(std::move(layers));
}

LrSchedule micrograd_schedule() {
  return [](int k) { return 1.0 - 0.9 * k / 100; };
}

TEST(MicrogradDemo, ReachesNinetyFivePercentOnFiveSeeds) {
  for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
    const Dataset data = make_moons(100, 0.1, seed);
    MLPOptions options;
    options.seed = seed;
    MLP model(2, {16, 16, 1}, options);
    SGD opt(model.parameters(), {}, micrograd_schedule());
    train(model, data, LossKind::Svm, opt, 100);
    // The accuracy of the trained model (the returned one is from before the last update).
    const Evaluation after = evaluate(model, data, LossKind::Svm, 1e-4);
    std::printf("seed %d: accuracy %.2f, loss %.4f\n", static_cast<int>(seed), after.accuracy, after.loss);
    EXPECT_GE(after.accuracy, 0.95) << "seed " << seed;
  }
}

TEST(Train, CallbackSeesEveryStepWithScheduledLr) {
  const Dataset data = micrograd_toy();
  MLP model(3, {4, 4, 1});
  SGD opt(model.parameters(), {}, [](int k) { return 0.05 / (1 + k); });
  std::vector<int> steps;
  std::vector<double> lrs, losses;
  const Evaluation last =
      train(model, data, LossKind::Mse, opt, 5, [&](int step, double loss, double, double lr) {
        steps.push_back(step);
        losses.push_back(loss);
        lrs.push_back(lr);
      });
  EXPECT_EQ(steps, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(lrs, (std::vector<double>{0.05, 0.025, 0.05 / 3, 0.0125, 0.01}));
  EXPECT_EQ(last.loss, losses.back());
  EXPECT_EQ(opt.step_count(), 5);
}

TEST(Train, OneStepIsForwardLossZeroGradBackwardUpdate) {
  // Stale grads from before the step must not leak into the update: micrograd zeroes them first.
  const Dataset data = micrograd_toy();
  MLP model(3, {4, 1});
  MLP twin(3, {4, 1});  // same default seed, same weights
  for (Value& p : model.parameters()) p.grad() = 1e6;
  SGD opt(model.parameters(), {0.1});
  TrainConfig config;
  config.loss = LossKind::Svm;
  config.steps = 1;
  train(model, data, config, opt);

  std::vector<Value> scores;
  for (const auto& x : data.X) scores.push_back(twin(x)[0]);
  Value loss = max_margin_loss(scores, data.signed_labels()) + l2_penalty(twin.parameters(), 1e-4);
  loss.backward();
  const std::vector<Value> a = model.parameters(), b = twin.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].data(), b[i].data() - 0.1 * b[i].grad()) << i;
}

TEST(Train, MicrogradLectureToySetLearnsWithMse) {
  const Dataset data = micrograd_toy();
  MLPOptions options;
  options.hidden = Activation::Tanh;
  options.output = Activation::Tanh;
  MLP model(3, {4, 4, 1}, options);
  SGD opt(model.parameters(), {0.05});
  const double before = evaluate(model, data, LossKind::Mse).loss;
  train(model, data, LossKind::Mse, opt, 200);
  const Evaluation after = evaluate(model, data, LossKind::Mse);
  EXPECT_LT(after.loss, before);
  EXPECT_LT(after.loss, 0.05);
  EXPECT_EQ(after.accuracy, 1.0);
}

TEST(Train, BceAndCrossEntropyTrain) {
  const Dataset moons = make_moons(60, 0.1, 3);
  MLP binary(2, {8, 8, 1});
  Adam adam(binary.parameters(), {0.05});
  train(binary, moons, LossKind::Bce, adam, 150);
  EXPECT_GE(evaluate(binary, moons, LossKind::Bce).accuracy, 0.95);

  const Dataset blobs = make_blobs(60, 0.5, 3);
  MLP multi(2, {8, 3});
  AdamW adamw(multi.parameters(), {0.05});
  train(multi, blobs, LossKind::CrossEntropy, adamw, 100);
  EXPECT_GE(evaluate(multi, blobs, LossKind::CrossEntropy).accuracy, 0.95);
}

TEST(Train, MismatchedModelAndDataThrow) {
  const Dataset data = make_moons(10, 0.1, 1);
  MLP wrong_in(3, {4, 1});
  MLP wrong_out(2, {4, 2});
  SGD opt(wrong_in.parameters());
  EXPECT_THROW(train(wrong_in, data, LossKind::Svm, opt, 1), std::invalid_argument);
  EXPECT_THROW(evaluate(wrong_out, data, LossKind::Mse), std::invalid_argument);
  EXPECT_THROW(evaluate(MLP(2, {4, 1}), make_blobs(9, 0.1, 1), LossKind::Svm), std::invalid_argument);
}

TEST(Train, LossKindNames) {
  for (LossKind k : {LossKind::Svm, LossKind::Mse, LossKind::Bce, LossKind::CrossEntropy}) {
    EXPECT_EQ(parse_loss_kind(to_string(k)), k);
  }
  EXPECT_EQ(parse_loss_kind("svm"), LossKind::Svm);
  EXPECT_THROW(parse_loss_kind("hinge"), std::invalid_argument);
}

TEST(Train, TenThousandStepsDoNotGrowLiveNodes) {
  const Dataset data = micrograd_toy();
  MLP model(3, {4, 1});
  SGD opt(model.parameters(), {0.01});
  const std::size_t before = verigrad::detail::live_nodes();
  train(model, data, LossKind::Svm, opt, 10000);
  EXPECT_EQ(verigrad::detail::live_nodes(), before);
}

// micrograd's demo adds 1e-4 * sum(p^2) to the svm loss; the other losses have no L2 unless asked, and
// evaluate() has none by default. mse trains on +1/-1 targets.
TEST(Train, L2DefaultsToMicrogradsForSvmOnly) {
  const Dataset data = make_moons(12, 0.1, 4);
  for (LossKind kind : {LossKind::Svm, LossKind::Mse, LossKind::Bce}) {
    MLP model(2, {4, 1});
    const MLP before = clone_of(model);
    SGD opt(model.parameters(), {0.0});
    TrainConfig config;
    config.loss = kind;
    config.steps = 1;
    double first = 0.0;
    train(model, data, config, opt, [&](int, double loss, double, double) { first = loss; });
    const double l2 = kind == LossKind::Svm ? 1e-4 : 0.0;
    EXPECT_EQ(first, compute_loss(before, data, kind, l2).loss.data()) << to_string(kind);
  }
  const MLP model(2, {4, 1});
  std::vector<Value> scores;
  for (const auto& x : data.X) scores.push_back(model(x)[0]);
  EXPECT_EQ(evaluate(model, data, LossKind::Svm).loss, max_margin_loss(scores, data.signed_labels()).data());
  EXPECT_EQ(evaluate(model, data, LossKind::Mse).loss, mse_loss(scores, data.signed_labels()).data());
}

// TrainConfig{}: svm loss, 100 steps (micrograd's demo).
TEST(Train, DefaultConfigIsMicrogradsDemo) {
  const Dataset data = micrograd_toy();
  MLP model(3, {2, 1});
  SGD opt(model.parameters(), {0.001});
  const TrainConfig config;
  EXPECT_EQ(config.loss, LossKind::Svm);
  train(model, data, config, opt);
  EXPECT_EQ(opt.step_count(), 100);
}

TEST(Train, NegativeStepsThrow) {
  MLP model(3, {1});
  SGD opt(model.parameters());
  EXPECT_THROW(train(model, micrograd_toy(), LossKind::Mse, opt, -1), std::invalid_argument);
}

}  // namespace
}  // namespace verigrad::nn
