// The printer and the parser agree: engine's to_program output parses back into the same graph. And
// evaluate_forward recomputes any graph's forward exactly, with or without leaf overrides.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>

#include "engine/graph.hpp"
#include "expr_test_util.hpp"
#include "verify/expr/evaluate.hpp"
#include "verify/expr/parser.hpp"

namespace verigrad::verify {
namespace {

using testing::build;
using testing::random_leaf_values;
using testing::random_recipe;
using testing::Recipe;
using testing::same_double;

// The graph again, its nodes created in topological_order: the order to_program prints them in, and so
// the order in which a parsed program creates them. Same ops, operands, exponents and leaf values.
std::vector<Value> rebuilt_in_topological_order(const Value& root) {
  const std::vector<Value> order = topological_order(root);
  std::unordered_map<const void*, std::size_t> index;
  std::vector<Value> copy;
  for (const Value& v : order) {
    auto operand = [&](std::size_t c) { return copy[index.at(v.child(c).id())]; };
    switch (op_arity(v.op())) {
      case 0: copy.emplace_back(v.data()); break;
      case 1:
        copy.push_back(Value::unary(v.op(), operand(0), v.op() == Op::PowConst ? v.exponent() : 0.0));
        break;
      case 2: copy.push_back(Value::binary(v.op(), operand(0), operand(1))); break;
      default: {
        std::vector<Value> w, x;
        for (std::size_t c = 1; c < v.arity(); c += 2) {
          w.push_back(operand(c));
          x.push_back(operand(c + 1));
        }
        copy.push_back(Value::dot(operand(0), w, x));
      }
    }
    index.emplace(v.id(), copy.size() - 1);
  }
  return copy;
}

// Same ops, operands, exponents and values as `original`, node for node in topological order, and the
// same gradients bit for bit as the original graph built in that order. (backward sums a node's
// contributions newest user first, as PyTorch does, so gradients depend on the order nodes were
// created in, and a printed program creates them in topological order; its numbers reproduce that.)
void expect_same_graph(const Value& original, const Value& parsed) {
  const std::vector<Value> x = topological_order(original);
  const std::vector<Value> y = topological_order(parsed);
  ASSERT_EQ(x.size(), y.size());
  std::vector<Value> copy = rebuilt_in_topological_order(original);
  copy.back().backward();
  std::unordered_map<const void*, std::size_t> xi, yi;
  for (std::size_t i = 0; i < x.size(); ++i) {
    xi.emplace(x[i].id(), i);
    yi.emplace(y[i].id(), i);
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    SCOPED_TRACE("node " + std::to_string(i) + " " + op_kind_name(x[i].op()));
    ASSERT_EQ(x[i].op(), y[i].op());
    ASSERT_EQ(x[i].arity(), y[i].arity());
    for (std::size_t c = 0; c < x[i].arity(); ++c) {
      EXPECT_EQ(xi.at(x[i].child(c).id()), yi.at(y[i].child(c).id()));
    }
    if (x[i].op() == Op::PowConst) {
      EXPECT_TRUE(same_double(x[i].exponent(), y[i].exponent()));
    }
    EXPECT_TRUE(same_double(x[i].data(), y[i].data())) << x[i].data() << " vs " << y[i].data();
    EXPECT_TRUE(same_double(copy[i].grad(), y[i].grad())) << copy[i].grad() << " vs " << y[i].grad();
  }
}

TEST(ExprRoundTrip, HandWrittenGraph) {
  Value a(-4.0, "a"), b(2.0, "b");
  Value c = a + b;
  Value d = a * b + b.pow(3);
  c += c + 1;
  c += 1 + c + (-a);
  d += d * 2 + (b + a).relu();
  d += 3 * d + (b - a).relu();
  Value g = (c - d).pow(2) / 2.0;
  g += 10.0 / g.pow(-1.5) + pow(2.0, a.tanh()) + b.sigmoid().exp().log().abs();
  Program p = parse_program(to_program(g));
  g.backward();
  p.root.backward();
  expect_same_graph(g, p.root);
  ASSERT_EQ(p.leaves.size(), 9U);  // a, b and the constants 1, 1, 2, 3, 2, 10, 2: each its own leaf
  EXPECT_EQ(p.leaves[0].first, "a");
}

TEST(ExprRoundTrip, RandomGraphsWithoutDot) {
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 300; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const Recipe r = random_recipe(rng, 1 + rng() % 5, 1 + rng() % 40, false);
    std::vector<Value> nodes = build(r, random_leaf_values(rng, r.leaves), trial % 2 == 0);
    Value& root = nodes.back();
    const std::string text = to_program(root);
    Program p;
    ASSERT_NO_THROW(p = parse_program(text)) << text;
    root.backward();
    p.root.backward();
    expect_same_graph(root, p.root);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << text;
      return;
    }
  }
}

// to_program writes a Dot node as `c0 + c1 * c2 + ...`, which reads back as Adds and Muls in the same
// order: the forward values agree bit for bit, and so do the leaves' gradients.
TEST(ExprRoundTrip, DotReadsBackAsItsSumWithTheSameValues) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const Recipe r = random_recipe(rng, 1 + rng() % 5, 1 + rng() % 30, true);
    std::vector<Value> nodes = build(r, random_leaf_values(rng, r.leaves), true);
    Value& root = nodes.back();
    const std::string text = to_program(root);
    Program p;
    ASSERT_NO_THROW(p = parse_program(text)) << text;
    EXPECT_TRUE(same_double(root.data(), p.root.data())) << text;
    root.backward();
    p.root.backward();
    for (const auto& [name, leaf] : p.leaves) {
      for (std::size_t i = 0; i < r.leaves; ++i) {
        if (nodes[i].label() == name) {
          const double want = nodes[i].grad();
          const double got = leaf.grad();
          // Dot sums its operands' contributions in one step; the Adds reach them one by one.
          EXPECT_TRUE(same_double(want, got) || std::fabs(want - got) <= 1e-12 * std::fabs(want)) << name;
        }
      }
    }
  }
}

TEST(ExprEvaluate, MatchesTheEnginesForwardOnRandomGraphs) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const Recipe r = random_recipe(rng, 1 + rng() % 6, 1 + rng() % 60, true);
    const std::vector<Value> nodes = build(r, random_leaf_values(rng, r.leaves), false);
    for (const Value& v : nodes) {
      ASSERT_TRUE(same_double(evaluate_forward(v), v.data())) << evaluate_forward(v) << " vs " << v.data();
    }
  }
}

TEST(ExprEvaluate, OverriddenLeavesGiveTheForwardOfTheRebuiltGraph) {
  std::mt19937 rng(8);
  for (int trial = 0; trial < 300; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const Recipe r = random_recipe(rng, 1 + rng() % 6, 1 + rng() % 60, true);
    const std::vector<double> before = random_leaf_values(rng, r.leaves);
    std::vector<double> after = before;
    after[rng() % after.size()] += 1e-6;  // one leaf nudged, as the finite-difference oracle does
    if (trial % 3 == 0) after = random_leaf_values(rng, r.leaves);
    const std::vector<Value> original = build(r, before, false);
    const std::vector<Value> rebuilt = build(r, after, false);
    std::unordered_map<const void*, double> overrides;
    for (std::size_t i = 0; i < r.leaves; ++i) overrides[original[i].id()] = after[i];
    ASSERT_TRUE(same_double(evaluate_forward(original.back(), overrides), rebuilt.back().data()));
    EXPECT_TRUE(same_double(original.back().data(), build(r, before, false).back().data()));  // untouched
    for (std::size_t i = 0; i < r.leaves; ++i) EXPECT_EQ(original[i].data(), before[i]);
  }
}

TEST(ExprEvaluate, DeepChainsDoNotRecurse) {
  Value x(0.5, "x");
  Value y = x;
  for (int i = 0; i < 1000000; ++i) y = (i % 2 == 0) ? y.tanh() : y + 0.25;
  EXPECT_TRUE(same_double(evaluate_forward(y), y.data()));
  EXPECT_TRUE(same_double(evaluate_forward(y, {{x.id(), 0.5}}), y.data()));
}

TEST(ExprEvaluate, LeafRootAndIgnoredKeys) {
  Value a(3.0, "a");
  Value other(1.0);
  EXPECT_EQ(evaluate_forward(a), 3.0);
  EXPECT_EQ(evaluate_forward(a, {{a.id(), 5.0}}), 5.0);
  EXPECT_EQ(evaluate_forward(a * 2, {{other.id(), 5.0}}), 6.0);
}

}  // namespace
}  // namespace verigrad::verify
