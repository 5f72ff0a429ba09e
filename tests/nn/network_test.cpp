// Neuron, Layer and MLP: shapes, parameter order, forward values and gradients worked by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include "engine/ops.hpp"
#include "nn/losses.hpp"
#include "nn/mlp.hpp"

namespace verigrad::nn {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no std::invalid_argument thrown)";
}

TEST(Activation, NamesRoundTripAndBadNameListsValidOnes) {
  for (Activation a : {Activation::Linear, Activation::Relu, Activation::Tanh, Activation::Sigmoid}) {
    EXPECT_EQ(parse_activation(to_string(a)), a);
  }
  EXPECT_EQ(to_string(Activation::Relu), "relu");
  EXPECT_EQ(to_string(Activation::Sigmoid), "sigmoid");
  const std::string msg = message_of([] { parse_activation("gelu"); });
  EXPECT_NE(msg.find("'gelu'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("linear, relu, tanh, sigmoid"), std::string::npos) << msg;
}

TEST(MLP, MicrogradDemoNetworkHas337Parameters) {
  MLP model(2, {16, 16, 1});
  // (2+1)*16 + (16+1)*16 + (16+1)*1
  EXPECT_EQ(model.parameters().size(), 337U);
  EXPECT_EQ(model.num_parameters(), 337U);
  EXPECT_EQ(model.nin(), 2);
  EXPECT_EQ(model.nout(), 1);
  EXPECT_EQ(model.nouts(), (std::vector<int>{16, 16, 1}));
  EXPECT_EQ(model.layers().size(), 3U);
  EXPECT_EQ(model.layers()[1].neurons().size(), 16U);
  EXPECT_EQ(model.layers()[1].nin(), 16);
}

TEST(MLP, ParametersAreLayerByLayerNeuronByNeuronWeightsThenBias) {
  MLP model(2, {3, 2});
  const std::vector<Value> params = model.parameters();
  ASSERT_EQ(params.size(), 3U * 3U + 2U * 4U);
  const Neuron& first = model.layers()[0].neurons()[0];
  EXPECT_TRUE(params[0].same_node(first.weights()[0]));
  EXPECT_TRUE(params[1].same_node(first.weights()[1]));
  EXPECT_TRUE(params[2].same_node(first.bias()));
  // Every neuron's weights then its bias, in order, with nothing left out.
  std::size_t k = 0;
  for (const Layer& layer : model.layers()) {
    for (const Neuron& n : layer.neurons()) {
      for (const Value& w : n.weights()) EXPECT_TRUE(params[k++].same_node(w));
      EXPECT_TRUE(params[k++].same_node(n.bias()));
    }
  }
  EXPECT_EQ(k, params.size());
  // A layer's own parameters() lists the same nodes as its slice of the model's.
  const std::vector<Value> second = model.layers()[1].parameters();
  ASSERT_EQ(second.size(), 2U * 4U);
  for (std::size_t i = 0; i < second.size(); ++i) EXPECT_TRUE(second[i].same_node(params[3U * 3U + i])) << i;
}

TEST(MLP, ParametersFromGivenWeightsComeOutInOrder) {
  Layer hidden({Neuron({1.0, 2.0}, 3.0), Neuron({4.0, 5.0}, 6.0)});
  Layer out({Neuron({7.0, 8.0}, 9.0, Activation::Linear)});
  MLP model({hidden, out});
  std::vector<double> data;
  for (const Value& p : model.parameters()) data.push_back(p.data());
  EXPECT_EQ(data, (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(MLP, BiasesGetGradientsAndZeroGradClearsThem) {
  Neuron n({0.5, -0.5}, 0.25, Activation::Linear);
  Value y = n({2.0, 4.0});  // 0.25 + 1 - 2
  EXPECT_DOUBLE_EQ(y.data(), -0.75);
  y.backward();
  EXPECT_DOUBLE_EQ(n.weights()[0].grad(), 2.0);
  EXPECT_DOUBLE_EQ(n.weights()[1].grad(), 4.0);
  EXPECT_DOUBLE_EQ(n.bias().grad(), 1.0);
  n.zero_grad();
  for (const Value& p : n.parameters()) EXPECT_EQ(p.grad(), 0.0);
  EXPECT_EQ(n.bias().grad(), 0.0);

  MLP model(2, {4, 1});
  for (Value& p : model.parameters()) p.grad() = 7.0;
  model.zero_grad();
  for (const Layer& layer : model.layers()) {
    for (const Neuron& neuron : layer.neurons()) EXPECT_EQ(neuron.bias().grad(), 0.0);
  }
}

TEST(MLP, InitIsUniformMinusOneToOneFromTheSeedWithZeroBiases) {
  MLPOptions options;
  options.seed = 42;
  MLP model(3, {4, 2}, options);
  // The documented draw: -1 + 2u with u = (mt19937_64() >> 11) * 2^-53, neuron by neuron.
  std::mt19937_64 gen(42);
  for (const Layer& layer : model.layers()) {
    for (const Neuron& n : layer.neurons()) {
      for (const Value& w : n.weights()) {
        const double u = static_cast<double>(gen() >> 11) * 0x1p-53;
        EXPECT_EQ(w.data(), -1.0 + 2.0 * u);
      }
      EXPECT_EQ(n.bias().data(), 0.0);
    }
  }
}

TEST(MLP, SameSeedSameWeightsDifferentSeedDifferentWeights) {
  MLPOptions a, b;
  a.seed = b.seed = 7;
  MLPOptions c;
  c.seed = 8;
  const auto data = [](const MLP& m) {
    std::vector<double> d;
    for (const Value& p : m.parameters()) d.push_back(p.data());
    return d;
  };
  EXPECT_EQ(data(MLP(2, {5, 1}, a)), data(MLP(2, {5, 1}, b)));
  EXPECT_NE(data(MLP(2, {5, 1}, a)), data(MLP(2, {5, 1}, c)));
  EXPECT_EQ(data(MLP(2, {16, 16, 1})), data(MLP(2, {16, 16, 1})));  // the default seed too
}

TEST(MLP, WrongInputSizeNamesExpectedAndActual) {
  MLP model(2, {3, 1});
  const std::string msg = message_of([&] { model({1.0, 2.0, 3.0}); });
  EXPECT_NE(msg.find("expected 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("got 3"), std::string::npos) << msg;
  EXPECT_THROW(model(std::vector<Value>{Value(1.0)}), std::invalid_argument);
  EXPECT_THROW(model.layers()[0](std::vector<double>{}), std::invalid_argument);
  EXPECT_THROW(model.layers()[0].neurons()[0]({1.0}), std::invalid_argument);
}

TEST(MLP, BadShapesThrow) {
  EXPECT_THROW(MLP(0, {1}), std::invalid_argument);
  EXPECT_THROW(MLP(2, {}), std::invalid_argument);
  EXPECT_THROW(MLP(2, {3, 0}), std::invalid_argument);
  Layer a({Neuron({1.0, 2.0}, 0.0)});
  Layer b({Neuron({1.0, 2.0}, 0.0)});  // takes 2 inputs but a gives 1
  EXPECT_THROW(MLP({a, b}), std::invalid_argument);
  EXPECT_THROW(Layer({Neuron({1.0}, 0.0), Neuron({1.0, 2.0}, 0.0)}), std::invalid_argument);
}

TEST(MLP, ToStringIsMicrogradsRepr) {
  EXPECT_EQ(MLP(2, {2, 1}).to_string(),
            "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]");
  MLPOptions options;
  options.hidden = Activation::Tanh;
  options.output = Activation::Sigmoid;
  MLP model(3, {1, 2}, options);
  EXPECT_EQ(model.to_string(),
            "MLP of [Layer of [TanhNeuron(3)], Layer of [SigmoidNeuron(1), SigmoidNeuron(1)]]");
  EXPECT_EQ(model.activations(), (std::vector<Activation>{Activation::Tanh, Activation::Sigmoid}));
  EXPECT_EQ(model.layers()[0].neurons()[0].to_string(), "TanhNeuron(3)");
}

TEST(MLP, ForwardWorkedByHand) {
  // hidden: relu(1 + 2*x0 - 3*x1), relu(-1 + x0 + x1); out: 0.5 + 2*h0 - h1
  Layer hidden({Neuron({2.0, -3.0}, 1.0), Neuron({1.0, 1.0}, -1.0)});
  Layer out({Neuron({2.0, -1.0}, 0.5, Activation::Linear)});
  MLP model({hidden, out});
  // x = (3, 1): h0 = relu(4) = 4, h1 = relu(3) = 3, out = 0.5 + 8 - 3
  std::vector<Value> y = model({3.0, 1.0});
  ASSERT_EQ(y.size(), 1U);
  EXPECT_DOUBLE_EQ(y[0].data(), 5.5);
  y[0].backward();
  const std::vector<Value> p = model.parameters();
  // dout/dw_h0 = 2 * x, dout/db_h0 = 2; dout/dw_h1 = -1 * x, dout/db_h1 = -1; dout/dw_out = h, db = 1
  const std::vector<double> expected = {6, 2, 2, -3, -1, -1, 4, 3, 1};
  for (std::size_t i = 0; i < p.size(); ++i) EXPECT_DOUBLE_EQ(p[i].grad(), expected[i]) << i;
  // x = (1, 2): h0 = relu(-3) = 0 (no gradient through it), h1 = relu(2) = 2, out = 0.5 - 2
  model.zero_grad();
  y = model({1.0, 2.0});
  EXPECT_DOUBLE_EQ(y[0].data(), -1.5);
  y[0].backward();
  EXPECT_EQ(p[0].grad(), 0.0);
  EXPECT_EQ(p[2].grad(), 0.0);
  EXPECT_DOUBLE_EQ(p[3].grad(), -1.0);
  EXPECT_DOUBLE_EQ(p[6].grad(), 0.0);
  EXPECT_DOUBLE_EQ(p[7].grad(), 2.0);
}

TEST(MLP, ActivationsApplyTheEnginesOps) {
  const double z = 0.5 + 0.25 * 2.0;  // b + w*x = 1
  EXPECT_DOUBLE_EQ(Neuron({0.25}, 0.5, Activation::Tanh)({2.0}).data(), std::tanh(1.0));
  EXPECT_DOUBLE_EQ(Neuron({0.25}, 0.5, Activation::Sigmoid)({2.0}).data(), 1.0 / (1.0 + std::exp(-1.0)));
  EXPECT_DOUBLE_EQ(Neuron({0.25}, 0.5, Activation::Linear)({2.0}).data(), z);
  EXPECT_DOUBLE_EQ(Neuron({0.25}, -1.5, Activation::Relu)({2.0}).data(), 0.0);
}

TEST(MLP, UnfusedNeuronIsMicrogradsChainOfMulAndAdd) {
  Neuron n({2.0, -3.0}, 1.0, Activation::Relu, /*fused=*/false);
  Value x0(1.0), x1(2.0);
  Value y = n({x0, x1});
  ASSERT_EQ(y.op(), Op::Relu);
  const Value outer = y.child(0);  // (b + w0*x0) + w1*x1
  ASSERT_EQ(outer.op(), Op::Add);
  const Value inner = outer.child(0);  // b + w0*x0
  ASSERT_EQ(inner.op(), Op::Add);
  EXPECT_TRUE(inner.child(0).same_node(n.bias()));
  ASSERT_EQ(inner.child(1).op(), Op::Mul);
  EXPECT_TRUE(inner.child(1).child(0).same_node(n.weights()[0]));
  EXPECT_TRUE(inner.child(1).child(1).same_node(x0));
  ASSERT_EQ(outer.child(1).op(), Op::Mul);
  EXPECT_TRUE(outer.child(1).child(0).same_node(n.weights()[1]));
  EXPECT_TRUE(outer.child(1).child(1).same_node(x1));

  Neuron fused({2.0, -3.0}, 1.0);
  EXPECT_EQ(fused({x0, x1}).child(0).op(), Op::Dot);
}

TEST(MLP, FusedAndUnfusedGiveBitIdenticalValuesAndGradients) {
  MLPOptions fused_options, chain_options;
  fused_options.seed = chain_options.seed = 99;
  chain_options.fused = false;
  MLP fused(2, {16, 16, 1}, fused_options);
  MLP chain(2, {16, 16, 1}, chain_options);
  const std::vector<std::vector<double>> xs = {{0.3, -1.2}, {1.7, 0.4}, {-0.9, 0.05}, {2.5, -2.5}};
  const std::vector<double> ys = {1, -1, 1, -1};
  const auto run = [&](const MLP& model) {
    std::vector<Value> scores;
    for (const auto& x : xs) scores.push_back(model(x)[0]);
    Value loss = svm_loss(scores, ys, model.parameters(), 1e-4);
    loss.backward();
    std::vector<double> out = {loss.data()};
    for (const Value& s : scores) out.push_back(s.data());
    for (const Value& p : model.parameters()) out.push_back(p.grad());
    return out;
  };
  const std::vector<double> a = run(fused);
  const std::vector<double> b = run(chain);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "entry " << i;  // bitwise, not near
}

TEST(MLP, InputGradientsMatchToo) {
  Neuron fused({0.1, 0.2, 0.3}, 0.4, Activation::Tanh, true);
  Neuron chain({0.1, 0.2, 0.3}, 0.4, Activation::Tanh, false);
  std::vector<Value> xa = {Value(0.7), Value(-0.2), Value(1.1)};
  std::vector<Value> xb = {Value(0.7), Value(-0.2), Value(1.1)};
  fused(xa).backward();
  chain(xb).backward();
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(xa[i].grad(), xb[i].grad());
}

TEST(MLP, DeepNarrowNetworkNeedsNoRecursion) {
  MLPOptions options;
  options.hidden = Activation::Linear;
  MLP model(1, std::vector<int>(20000, 1), options);
  std::vector<Value> y = model({1.0});
  y[0].backward();  // 40000 nodes deep
  EXPECT_TRUE(std::isfinite(y[0].data()));
}

TEST(MLP, CopiesShareParameters) {
  MLP a(2, {2, 1});
  MLP b = a;
  b.parameters()[0].data() = 123.0;
  EXPECT_EQ(a.parameters()[0].data(), 123.0);
}

// micrograd's MLP(nin, nouts): ReLU hidden layers, a linear last layer, seed 1337, fused neurons.
TEST(MLP, DefaultsAreMicrogradsDemo) {
  const MLP model(2, {3, 3, 1});
  EXPECT_EQ(model.activations(),
            (std::vector<Activation>{Activation::Relu, Activation::Relu, Activation::Linear}));
  MLPOptions seeded;
  seeded.seed = 1337;
  const MLP same(2, {3, 3, 1}, seeded);
  for (std::size_t i = 0; i < model.parameters().size(); ++i)
    EXPECT_EQ(model.parameters()[i].data(), same.parameters()[i].data()) << i;
  for (const Layer& layer : model.layers()) {
    for (const Neuron& n : layer.neurons()) EXPECT_TRUE(n.fused());
  }
  // A fused neuron is one Dot node under its activation.
  EXPECT_EQ(model.layers()[0].neurons()[0]({1.0, 2.0}).child(0).op(), Op::Dot);
}

TEST(MLP, StreamsPrintTheRepr) {
  const MLP model(2, {1, 1});
  std::ostringstream os;
  os << model.layers()[0].neurons()[0] << "; " << model.layers()[1] << "; " << model;
  EXPECT_EQ(os.str(), "ReLUNeuron(2); Layer of [LinearNeuron(1)]; " + model.to_string());
}

}  // namespace
}  // namespace verigrad::nn
