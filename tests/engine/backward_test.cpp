// backward(): micrograd's own tests, accumulation rules, handle semantics and very deep graphs.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "engine/graph.hpp"
#include "engine/node.hpp"
#include "engine/value.hpp"

namespace verigrad {
namespace {

// micrograd's test_sanity_check, with the values worked by hand: z = -10, q = 40, h = 100, y = -20,
// dy/dx = dh/dx + dq/dx + (dq/dx * x + q) = -60 - 22 + 88 + 40 = 46.
TEST(Micrograd, SanityCheck) {
  Value x(-4.0);
  Value z = 2 * x + 2 + x;
  Value q = z.relu() + z * x;
  Value h = (z * z).relu();
  Value y = h + q + q * x;
  y.backward();
  EXPECT_EQ(y.data(), -20.0);
  EXPECT_EQ(x.grad(), 46.0);
}

// micrograd's test_more_ops, against the values micrograd publishes (computed there by PyTorch).
TEST(Micrograd, MoreOps) {
  Value a(-4.0), b(2.0);
  Value c = a + b;
  Value d = a * b + b.pow(3);
  c += c + 1;
  c += 1 + c + (-a);
  d += d * 2 + (b + a).relu();
  d += 3 * d + (b - a).relu();
  Value e = c - d;
  Value f = e.pow(2);
  Value g = f / 2.0;
  g += 10.0 / f;
  g.backward();
  EXPECT_NEAR(g.data(), 24.70408163265306, 1e-12);
  EXPECT_NEAR(a.grad(), 138.8338192419825, 1e-12);
  EXPECT_NEAR(b.grad(), 645.5772594752186, 1e-12);
}

TEST(Accumulation, BackwardTwiceDoublesLeafGrads) {
  // Python micrograd gives 45 here, because the interior grads of the first call linger.
  Value x(3.0);
  Value y = x * x * x;
  y.backward();
  EXPECT_EQ(x.grad(), 27.0);
  y.backward();
  EXPECT_EQ(x.grad(), 54.0);
}

TEST(Accumulation, InteriorGradsDescribeTheLatestCall) {
  Value x(3.0);
  Value t = x * x;
  Value y = t * 2.0;
  y.backward();
  y.backward();
  EXPECT_EQ(t.grad(), 2.0);  // dy/dt, not 4
  EXPECT_EQ(y.grad(), 1.0);
  EXPECT_EQ(x.grad(), 24.0);
}

TEST(Accumulation, SharedOperands) {
  Value a(5.0);
  (a + a).backward();
  EXPECT_EQ(a.grad(), 2.0);
  Value b(5.0);
  (b * b).backward();
  EXPECT_EQ(b.grad(), 10.0);
  Value c(2.0);
  Value s = c.tanh();
  (s * s + s).backward();  // diamond: s reached twice
  const double t = std::tanh(2.0);
  EXPECT_DOUBLE_EQ(c.grad(), (2 * t + 1) * (1 - t * t));
}

TEST(Accumulation, SeedScalesEveryGradient) {
  Value x(3.0);
  Value y = x * x;
  y.backward(0.5);
  EXPECT_EQ(x.grad(), 3.0);
  EXPECT_EQ(y.grad(), 0.5);
}

TEST(Accumulation, BackwardOnALeaf) {
  Value x(1.5);
  x.backward();
  x.backward();
  EXPECT_EQ(x.grad(), 2.0);
}

TEST(Accumulation, LeafGradCanBeResetByHand) {
  Value p(1.0);
  Value y = p * 4.0;
  y.backward();
  p.data() -= 0.1 * p.grad();
  p.grad() = 0;
  EXPECT_DOUBLE_EQ(p.data(), 0.6);
  EXPECT_EQ(p.grad(), 0.0);
}

TEST(Handles, CompoundAssignmentRebinds) {
  Value c(1.0);
  Value before = c;
  c += c + 1;  // c = c + (c + 1)
  EXPECT_EQ(c.data(), 3.0);
  EXPECT_EQ(before.data(), 1.0);
  EXPECT_FALSE(c.same_node(before));
  c -= 1.0;
  c *= 2.0;
  c /= 4.0;
  EXPECT_EQ(c.data(), 1.0);
  c.backward();
  EXPECT_EQ(before.grad(), 1.0);  // c = ((2b + 1) - 1) * 2 / 4 = b
}

TEST(Handles, CopiesShareTheNode) {
  Value a(2.0);
  Value b = a;
  b.data() = 7.0;
  EXPECT_EQ(a.data(), 7.0);
  EXPECT_TRUE(a.same_node(b));
}

TEST(Handles, LabelsAreOptional) {
  Value a(2.0, "a");
  Value b(3.0);
  EXPECT_EQ(a.label(), "a");
  EXPECT_EQ(b.label(), "");
  b.set_label("b");
  EXPECT_EQ(b.label(), "b");
  b.set_label("");
  EXPECT_EQ(b.label(), "");
}

TEST(Handles, ReprIsMicrogradsOwn) {
  Value a(2.0);
  std::ostringstream os;
  os << a;
  EXPECT_EQ(os.str(), "Value(data=2.0, grad=0.0)");
}

TEST(Handles, ChildOutOfRangeThrows) {
  Value a(1.0);
  EXPECT_THROW(a.child(0), std::out_of_range);
  EXPECT_THROW(a.exponent(), std::logic_error);
}

TEST(Handles, BuildersRejectTheWrongArity) {
  Value x(1.0), y(2.0);
  EXPECT_THROW(Value::unary(Op::Add, x), std::invalid_argument);
  EXPECT_THROW(Value::unary(Op::Dot, x), std::invalid_argument);
  EXPECT_THROW(Value::binary(Op::Tanh, x, y), std::invalid_argument);
  EXPECT_THROW(Value::binary(Op::Leaf, x, y), std::invalid_argument);
  EXPECT_EQ(Value::unary(Op::Exp, x).op(), Op::Exp);
  EXPECT_EQ(Value::binary(Op::Pow, x, y).data(), 1.0);
}

TEST(Memory, GraphsAreFreedWithTheirLastHandle) {
  const std::size_t before = detail::live_nodes();
  {
    Value x(1.0);
    Value y = x;
    for (int i = 0; i < 1000; ++i) y = (y * 0.5 + x).tanh();
    Value z = Value::dot(y, {x, y}, {y, x});
    z.set_label("z");
    z.backward();
    EXPECT_GT(detail::live_nodes(), before + 3000);
  }
  EXPECT_EQ(detail::live_nodes(), before);
}

TEST(Memory, SelfAssignmentKeepsTheNode) {
  Value a(2.0);
  Value& alias = a;
  a = alias;
  EXPECT_EQ(a.data(), 2.0);
  Value b = std::move(a);
  EXPECT_EQ(b.data(), 2.0);
}

// A million-node chain: backward, traversal and destruction must not recurse.
TEST(DeepGraph, MillionNodeChain) {
  const std::size_t before = detail::live_nodes();
  {
    Value x(0.5);
    Value y = x;
    const int n = 1000000;
    for (int i = 0; i < n; ++i) y = y * 0.999999;
    EXPECT_EQ(node_count(y), 2 * static_cast<std::size_t>(n) + 1);  // each step adds a constant
    y.backward();
    EXPECT_NEAR(x.grad(), std::pow(0.999999, n), 1e-12);
    EXPECT_EQ(topological_order(y).back().id(), y.id());
    EXPECT_FALSE(to_program(y).empty());
  }
  EXPECT_EQ(detail::live_nodes(), before);
}

}  // namespace
}  // namespace verigrad
