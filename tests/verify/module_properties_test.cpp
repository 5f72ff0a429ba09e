// Random MLPs, batches and losses against torch::nn::Linear stacks, and lockstep training.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sstream>

#include "verify/generators.hpp"
#include "verify/lockstep.hpp"
#include "verify/module_mirror.hpp"

namespace verigrad::verify {
namespace {

void tag(const gen::MlpCase& c) {
  RC_TAG(to_string(c.loss.kind));
  RC_TAG(std::string("hidden ") + nn::to_string(c.options.hidden));
  RC_TAG(std::string("output ") + nn::to_string(c.options.output));
}

RC_GTEST_PROP(Modules, OutputsLossAndGradientsMatchTorch, ()) {
  const gen::MlpCase c = *gen::mlp_case();
  tag(c);
  const ModuleReport r = check_module(c.model(), c.batch, c.loss);
  if (!r.matches()) RC_FAIL(r.to_table());
}

RC_GTEST_PROP(Modules, OneLockstepStepMatchesTorch, ()) {
  const gen::MlpCase c = *gen::mlp_case();
  const OptimizerSpec o = *gen::optimizer();
  RC_TAG(o.kind == OptimizerKind::Sgd ? "SGD" : "Adam");
  const LockstepReport r = lockstep(c.model(), c.batch, c.loss, o, 1);
  if (!r.matches()) RC_FAIL(r.to_table());
}

// Two SGD steps: the second is the first to use the momentum buffer (buf = momentum * buf + g), and
// starts from parameters that differ only by the first step's rounding, which one step of SGD carries
// over with a factor of at most 1 + lr * L (L the curvature): far inside the tolerance.
RC_GTEST_PROP(Modules, TwoSgdStepsWithMomentumMatchTorch, ()) {
  const gen::MlpCase c = *gen::mlp_case();
  OptimizerSpec o = *gen::optimizer();
  o.kind = OptimizerKind::Sgd;
  o.momentum = 0.9;
  const LockstepReport r = lockstep(c.model(), c.batch, c.loss, o, 2);
  if (!r.matches()) RC_FAIL(r.to_table());
}

// Ten steps, reported rather than asserted: training amplifies rounding differences, exponentially
// when it diverges (lr 0.5 on an MSE with targets of 4 grows the loss 4000x in three steps) and at
// stationary points for Adam (lockstep.hpp). The classification shows how often ten steps stay within
// tolerance; the report gives the first step that exceeded it and the largest divergence.
RC_GTEST_PROP(Modules, TenLockstepStepsReportDrift, ()) {
  const gen::MlpCase c = *gen::mlp_case();
  const OptimizerSpec o = *gen::optimizer();
  RC_TAG(o.kind == OptimizerKind::Sgd ? "SGD" : "Adam");
  const LockstepReport r = lockstep(c.model(), c.batch, c.loss, o, 10);
  RC_ASSERT(r.steps.size() == 10u);
  RC_CLASSIFY(r.matches(), "in lockstep for 10 steps");
  RC_CLASSIFY(!r.matches(), "drifted apart after the first step");
  if (r.first_exceeded == 0) RC_FAIL(r.to_table());
}

TEST(Modules, MicrogradMoonsShapedNetworkMatches) {
  nn::MLP model(2, {16, 16, 1});
  Batch batch{{{0.5, -1.0}, {1.0, 2.0}, {-1.5, 0.25}}, {1.0, -1.0, 1.0}, {}};
  const ModuleReport r = check_module(model, batch, {LossKind::Svm, 1e-4});
  EXPECT_TRUE(r.matches()) << r;
  EXPECT_EQ(r.gradients.size(), model.num_parameters());
}

TEST(Modules, CheckModuleRestoresGrads) {
  nn::MLP model(2, {3, 1});
  for (Value p : model.parameters()) p.grad() = 5.0;
  Batch batch{{{0.5, -1.0}}, {1.0}, {}};
  check_module(model, batch, {LossKind::Mse});
  for (const Value& p : model.parameters()) EXPECT_EQ(p.grad(), 5.0);
}

TEST(Modules, LockstepLeavesTheModelAlone) {
  nn::MLP model(2, {4, 1});
  const double before = model.parameters()[0].data();
  Batch batch{{{0.5, -1.0}, {2.0, 1.0}}, {1.0, -1.0}, {}};
  const LockstepReport r = lockstep(model, batch, {LossKind::Mse}, {OptimizerKind::Adam, 0.01}, 5);
  EXPECT_TRUE(r.matches()) << r;
  EXPECT_EQ(model.parameters()[0].data(), before);
}

// clone() is a deep copy with the same architecture: activations, fused or chained neurons, values.
TEST(Modules, CloneIsADeepCopyWithTheSameArchitecture) {
  nn::MLPOptions options;
  options.hidden = nn::Activation::Tanh;
  options.output = nn::Activation::Sigmoid;
  options.fused = false;
  const nn::MLP model(2, {3, 1}, options);
  nn::MLP copy = clone(model);
  EXPECT_EQ(copy.to_string(), model.to_string());
  EXPECT_FALSE(copy.layers()[0].neurons()[0].fused());
  for (std::size_t i = 0; i < model.parameters().size(); ++i) {
    EXPECT_EQ(copy.parameters()[i].data(), model.parameters()[i].data());
    EXPECT_FALSE(copy.parameters()[i].same_node(model.parameters()[i]));
  }
}

// Reports print and serialise; a batch that does not fit the model or the loss is refused.
TEST(Modules, ReportsPrintAndBadBatchesAreRefused) {
  const nn::MLP model(2, {3, 1});
  const Batch batch{{{0.5, -1.0}, {2.0, 1.0}}, {1.0, -1.0}, {}};
  const ModuleReport m = check_module(model, batch, {LossKind::Mse});
  std::ostringstream os;
  os << m;
  EXPECT_NE(os.str().find("matches torch"), std::string::npos) << os.str();
  EXPECT_TRUE(m.to_json().at("matches").get<bool>());
  EXPECT_EQ(m.to_json().at("gradients").size(), model.num_parameters());
  const LockstepReport l = lockstep(model, batch, {LossKind::Mse}, {}, 2);
  std::ostringstream ls;
  ls << l;
  EXPECT_NE(ls.str().find("in lockstep"), std::string::npos) << ls.str();
  EXPECT_TRUE(l.to_json().at("first_exceeded").is_null());
  EXPECT_THROW(check_module(model, {{{0.5}}, {1.0}, {}}, {LossKind::Mse}), std::invalid_argument);
  EXPECT_THROW(check_module(model, {{{0.5, 1.0}}, {}, {}}, {LossKind::Mse}), std::invalid_argument);
  EXPECT_THROW(check_module(model, {{{0.5, 1.0}}, {}, {}}, {LossKind::CrossEntropy}), std::invalid_argument);
  EXPECT_THROW(check_module(model, {{}, {}, {}}, {LossKind::Mse}), std::invalid_argument);
}

}  // namespace
}  // namespace verigrad::verify
