// Properties of random expression graphs, checked against live LibTorch and finite differences.
// RC_PARAMS (scripts/test sets max_success=1000) controls the number of cases.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <unordered_map>

#include "engine/graph.hpp"
#include "verify/check.hpp"
#include "verify/finite_diff.hpp"
#include "verify/generators.hpp"
#include "verify/graph_spec.hpp"

namespace verigrad::verify {
namespace {

bool same_bits_or_nan(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// Coverage: which ops the case contains, and what the numbers did.
void tag_ops(const GraphSpec& spec) {
  for (const NodeSpec& node : spec.nodes) {
    if (node.op != Op::Leaf) RC_TAG(op_kind_name(node.op));
  }
}

void classify(const Report& r) {
  bool nan = false, inf = false;
  for (const NodeRow& row : r.rows) {
    for (double x : {row.value.ours, row.grad.ours}) {
      nan = nan || std::isnan(x);
      inf = inf || std::isinf(x);
    }
  }
  RC_CLASSIFY(nan, "NaN somewhere");
  RC_CLASSIFY(inf, "infinity somewhere");
  RC_CLASSIFY(r.exact(), "exact match");
  RC_CLASSIFY(r.count(Verdict::Inherited) > 0, "inherited rounding");
  RC_CLASSIFY(r.count(Verdict::Rounding) > 0, "rounding-level gradient");
  RC_CLASSIFY(r.count(Verdict::Convention) > 0, "torch convention");
}

void fail_with(const Report& r, const GraphSpec& spec) {
  RC_FAIL(r.to_table() + "\nprogram:\n" + to_program(spec));
}

RC_GTEST_PROP(Expressions, ValuesAndGradientsMatchTorch, ()) {
  const GraphSpec spec = *gen::expression();
  const double seed = *rc::gen::element(1.0, -2.5, 0.125, 1e10);
  const BuiltGraph g = build(spec);
  tag_ops(spec);
  const Report r = check(g.root, {seed, kOpTolerance});
  classify(r);
  if (!r.matches()) fail_with(r, spec);
}

// Leaves accumulate and inner nodes are reset: a second backward adds the same contributions again.
// A leaf fed by one operand slot receives one contribution per call, so its grad is exactly doubled;
// a leaf fed by several receives a sum, whose rounding on top of a non-zero grad may differ, so only
// the single-slot leaves are held to exactness (inner nodes must be bit-identical after each call).
RC_GTEST_PROP(Expressions, BackwardTwiceDoublesLeafGradients, ()) {
  const GraphSpec spec = *gen::expression();
  BuiltGraph g = build(spec);
  std::vector<std::size_t> slots(spec.nodes.size(), 0);
  for (const NodeSpec& node : spec.nodes) {
    for (std::size_t operand : node.operands) ++slots[operand];
  }
  g.root.backward();
  std::vector<double> first(g.nodes.size());
  for (std::size_t i = 0; i < g.nodes.size(); ++i) first[i] = g.nodes[i].grad();
  g.root.backward();
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const double second = g.nodes[i].grad();
    if (spec.nodes[i].op != Op::Leaf) {
      RC_ASSERT(same_bits_or_nan(second, first[i]));
    } else if (slots[i] <= 1) {
      RC_ASSERT(same_bits_or_nan(second, first[i] + first[i]));
    }
  }
}

// A zero upstream gradient. Each contribution is g * (local derivative), so with g = 0 it is exactly
// zero wherever the local derivative is finite, and NaN where it is infinite or NaN (0 * inf). The
// precise statement: if backward(1) leaves every node's grad finite, then no local derivative on the
// way was infinite or NaN (it would have produced inf or NaN), so backward(0) leaves every grad exactly
// zero. In every case the result matches torch's with seed 0.
RC_GTEST_PROP(Expressions, ZeroSeedGivesZeroGradients, ()) {
  const GraphSpec spec = *gen::expression();
  const BuiltGraph g = build(spec);
  const std::vector<Value> order = topological_order(g.root);
  const std::vector<double> unit = fresh_gradients(order, 1.0);
  const std::vector<double> zero = fresh_gradients(order, 0.0);
  const bool all_finite = std::all_of(unit.begin(), unit.end(), [](double x) { return std::isfinite(x); });
  RC_CLASSIFY(all_finite, "finite local derivatives");
  if (all_finite) {
    for (double z : zero) RC_ASSERT(z == 0.0);
  }
  const Report r = check(g.root, {0.0, kOpTolerance});
  if (!r.matches()) fail_with(r, spec);
}

// Our gradients against central differences of the forward alone, away from kinks and from points
// where finite differences cannot resolve the gradient (both defined precisely in finite_diff.hpp).
RC_GTEST_PROP(Expressions, FiniteDifferencesAgreeAwayFromKinks, ()) {
  const GraphSpec spec = *gen::expression();
  const BuiltGraph g = build(spec);
  const FdReport r = finite_differences(g.root);
  RC_CLASSIFY(r.count(FdVerdict::Kink) > 0, "kink");
  RC_CLASSIFY(r.count(FdVerdict::Unstable) > 0, "unstable point");
  RC_CLASSIFY(r.count(FdVerdict::Agree) == r.leaves.size(), "all leaves agree");
  if (!r.ok()) RC_FAIL(r.to_table() + "\nprogram:\n" + to_program(spec));
}

// Generated graphs are what they claim: every spec node is a distinct reachable node, operands come
// before their users, and the root is last.
RC_GTEST_PROP(Expressions, GeneratedGraphsAreValid, ()) {
  const GraphSpec spec = *gen::expression();
  const BuiltGraph g = build(spec);
  RC_ASSERT(node_count(g.root) == spec.nodes.size());
  const std::vector<Value> order = topological_order(g.root);
  std::unordered_map<const void*, std::size_t> position;
  for (std::size_t i = 0; i < order.size(); ++i) position.emplace(order[i].id(), i);
  RC_ASSERT(position.size() == spec.nodes.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (std::size_t c = 0; c < order[i].arity(); ++c) RC_ASSERT(position.at(order[i].child(c).id()) < i);
  }
  RC_ASSERT(order.back().same_node(g.root));
  for (std::size_t i = 0; i < spec.nodes.size(); ++i) {
    for (std::size_t operand : spec.nodes[i].operands) RC_ASSERT(operand < i);
  }
}

// Shrinking ends at small cases: every shrink candidate is a valid, pruned spec, strictly smaller or
// with simpler numbers.
RC_GTEST_PROP(Expressions, ShrinksAreValidAndNoLarger, ()) {
  const GraphSpec spec = *gen::expression();
  const std::string original = to_program(spec);
  for (const GraphSpec& s : shrinks(spec)) {
    RC_ASSERT(s.nodes.size() <= spec.nodes.size());
    RC_ASSERT(to_program(s) != original);  // strictly simpler, or shrinking would never end
    RC_ASSERT(prune(s).nodes.size() == s.nodes.size());
    build(s);
  }
}

// The generators reach what the README promises: every op, Dot included, shared operands (a + a), and
// the edge values 0, -0, +-1, 5e-324, 1e-300 and 1e300.
TEST(Generators, ReachEveryOpAndEdgeValue) {
  std::set<Op> ops;
  bool shared = false;
  int binary = 0, shared_binary = 0;
  for (int i = 0; i < 3000; ++i) {
    const GraphSpec spec =
        gen::expression()(rc::Random(rc::Random::Key{1, 2, 3, static_cast<std::uint64_t>(i)}), 100).value();
    for (const NodeSpec& node : spec.nodes) {
      ops.insert(node.op);
      shared = shared || (node.operands.size() == 2 && node.operands[0] == node.operands[1]);
      binary += node.operands.size() == 2 && node.op != Op::Dot ? 1 : 0;
      shared_binary +=
          node.operands.size() == 2 && node.op != Op::Dot && node.operands[0] == node.operands[1] ? 1 : 0;
    }
  }
  EXPECT_EQ(ops.size(), std::size(kAllOps));
  EXPECT_TRUE(shared);
  // a + a, x * x: a third of the binary nodes (10% forced, the rest by chance; without the forcing 26%)
  EXPECT_GT(shared_binary * 10, binary * 3) << shared_binary << " of " << binary;
  std::vector<double> values;
  for (int i = 0; i < 20000; ++i)
    values.push_back(
        gen::leaf_value()(rc::Random(rc::Random::Key{4, 5, 6, static_cast<std::uint64_t>(i)}), 100).value());
  for (double edge : {0.0, 1.0, -1.0, 5e-324, -5e-324, 1e-300, 1e300, -1e300}) {
    EXPECT_NE(std::find(values.begin(), values.end(), edge), values.end()) << edge;
  }
  EXPECT_NE(std::find_if(values.begin(), values.end(), [](double v) { return v == 0.0 && std::signbit(v); }),
            values.end());
}

// Every shrink is strictly simpler than its spec, or rapidcheck would shrink forever. A plain test (no
// shrinking of its own), so that a broken shrink fails here at once instead of hanging a property.
TEST(Generators, EveryShrinkIsStrictlySimpler) {
  for (int i = 0; i < 500; ++i) {
    const GraphSpec spec =
        gen::expression()(rc::Random(rc::Random::Key{7, 8, 9, static_cast<std::uint64_t>(i)}), 100).value();
    const std::string original = to_program(spec);
    for (const GraphSpec& s : shrinks(spec)) ASSERT_NE(to_program(s), original) << original;
  }
}

}  // namespace
}  // namespace verigrad::verify
