// The arena's lifetime rules (engine/node.hpp): only handles are counted, the dead tail pops at once,
// garbage below live nodes is collected, dead nodes give back their labels and operand arrays, and
// backward sweeps in reverse creation order (PyTorch's newest-first order) without recursion.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "engine/graph.hpp"
#include "engine/node.hpp"
#include "engine/value.hpp"

namespace verigrad {
namespace {

using detail::live_nodes;
using detail::regions_in_use;

// A small graph over x: tanh(x * w + b) * x, 5 inner nodes and 3 leaves (w and b made here).
Value small_graph(const Value& x, double w, double b) { return (x * w + b).tanh() * x; }

TEST(Lifetime, TheTailPopsWhenTheNewestNodeLosesItsLastHandle) {
  const std::size_t before = live_nodes();
  Value x(0.5);
  {
    Value y = small_graph(x, 2.0, 0.1);
    EXPECT_EQ(live_nodes(), before + node_count(y));  // x and the 6 nodes made over it
  }
  EXPECT_EQ(live_nodes(), before + 1);
}

// (Value() is a leaf holding 0, as micrograd's Value(0): these tests let handles go by scope.)
TEST(Lifetime, AHandleOnAnInnerNodeKeepsItsGraph) {
  const std::size_t before = live_nodes();
  Value x(0.5);
  {
    std::vector<Value> inner;
    {
      Value y = small_graph(x, 2.0, 0.1);
      inner.push_back(y.child(0));  // the tanh node
    }
    EXPECT_EQ(live_nodes(), before + node_count(inner[0]));
    inner[0].backward();
    EXPECT_DOUBLE_EQ(x.grad(), 2.0 * (1.0 - std::pow(std::tanh(1.1), 2.0)));
  }
  EXPECT_EQ(live_nodes(), before + 1);
}

TEST(Lifetime, HandlesCountCopiesMovesAndSelfAssignment) {
  const std::size_t before = live_nodes();
  Value a(1.0);
  {
    std::vector<Value> holder;
    {
      Value y = a * 3.0;
      Value copy = y;
      Value moved = std::move(copy);
      Value& alias = moved;
      moved = alias;
      moved = std::move(alias);
      holder.push_back(std::move(moved));
    }
    EXPECT_EQ(live_nodes(), before + 3);  // a, 3.0 and a * 3.0, held by `holder` alone
    EXPECT_EQ(holder[0].data(), 3.0);
  }
  EXPECT_EQ(live_nodes(), before + 1);
}

// The training-loop pattern that leaves garbage *below* the live graph: `loss` declared outside the
// loop and rebound each step. Memory must stay flat, and what is unreachable must go.
TEST(Lifetime, GarbageBelowALiveGraphIsCollectedAndMemoryStaysFlat) {
  const std::size_t before = live_nodes();
  std::vector<Value> params;
  params.reserve(16);
  for (int i = 0; i < 16; ++i) params.emplace_back(0.1 * i);
  Value loss;
  std::size_t most_regions = 0;
  for (int step = 0; step < 10000; ++step) {
    Value sum = 0.0;
    for (const Value& p : params) sum = sum + (p * p).tanh();
    loss = sum * 0.5;  // the previous step's graph is now unreachable, under this one
    loss.backward();
    for (Value& p : params) p.data() -= 1e-3 * p.grad();
    most_regions = std::max(most_regions, regions_in_use());
  }
  // 10^4 steps of 51 nodes (24 MiB in all) in at most 65 regions of 64 KiB: a collection runs when
  // 64 are in use and frees every region of old steps.
  EXPECT_LE(most_regions, 65U);
  EXPECT_EQ(live_nodes(), before + node_count(loss));  // the params and the last step's graph
}

TEST(Lifetime, ACollectionKeepsWhatHandlesReachAndFreesTheRest) {
  const std::size_t before = live_nodes();
  Value x(0.25);
  Value kept = small_graph(x, 1.5, -0.5);
  std::vector<Value> dead{small_graph(x, 3.0, 0.5)};
  Value newer = x * 7.0;  // keeps `dead`'s nodes out of the tail
  dead.clear();
  EXPECT_EQ(live_nodes(), before + node_count(kept) + 2);  // kept's graph with x; newer and its 7.0
  kept.backward();
  Value x2(0.25);
  Value alone = small_graph(x2, 1.5, -0.5);
  alone.backward();
  EXPECT_EQ(x.grad(), x2.grad());
  EXPECT_EQ(kept.data(), alone.data());
}

TEST(Lifetime, DeadNodesGiveBackTheirLabels) {
  const std::size_t labels = detail::labels_held();
  Value x(1.0, "x");
  {
    Value y = (x * 2.0).set_label("twice");
    EXPECT_EQ(detail::labels_held(), labels + 2);
  }
  EXPECT_EQ(detail::labels_held(), labels + 1);  // popped with the tail
  Value middle = (x + 1.0).set_label("middle");
  Value newer = x * 3.0;
  middle = Value();
  EXPECT_EQ(detail::labels_held(), labels + 2);  // garbage, not yet collected
  live_nodes();                                  // collects
  EXPECT_EQ(detail::labels_held(), labels + 1);
  EXPECT_EQ(x.label(), "x");
}

TEST(Lifetime, DotOperandArraysDieWithTheirNode) {
  const std::size_t before = live_nodes();
  const std::size_t heap = detail::heap_operand_arrays();
  Value bias(0.0);
  std::vector<Value> w(10000, Value(0.5));
  std::vector<Value> x(10000, Value(2.0));
  {
    Value big = Value::dot(bias, w, x);  // 20001 operands: too big for a region, so on the heap
    EXPECT_EQ(detail::heap_operand_arrays(), heap + 1);
    EXPECT_EQ(big.data(), 10000.0);
    EXPECT_EQ(big.arity(), 20001U);
    big.backward();
    EXPECT_EQ(w[0].grad(), 20000.0);  // one shared weight node, 10000 slots of 2.0
  }
  EXPECT_EQ(detail::heap_operand_arrays(), heap);
  {
    std::vector<Value> big{Value::dot(bias, w, x)};
    Value newer = bias * 2.0;
    big.clear();   // garbage under `newer`
    live_nodes();  // a collection frees it too
    EXPECT_EQ(detail::heap_operand_arrays(), heap);
    Value small = Value::dot(bias, {w[0], w[1]}, {x[0], x[1]});  // in the arena, beside its node
    EXPECT_EQ(detail::heap_operand_arrays(), heap);
    EXPECT_EQ(small.child(3).id(), w[1].id());
  }
  w.clear();
  x.clear();
  EXPECT_EQ(live_nodes(), before + 1);
}

// A Dot's operand array sits right below its node when both fit in a region's payload; one operand
// pair more and the array goes to the heap. Checked on both sides of the boundary, with the current
// region part-used so the entry needs a fresh one: an entry bigger than a region would overrun it.
TEST(Lifetime, ADotAtTheRegionBoundaryFitsOrGoesToTheHeap) {
  const std::size_t payload = detail::kRegionBytes - sizeof(detail::Region);
  const std::size_t fits = (payload - sizeof(detail::Node)) / sizeof(detail::Node*);  // operands
  const std::size_t pairs_that_fit = (fits - 1) / 2;  // a Dot has 1 + 2 * pairs operands
  const std::size_t heap = detail::heap_operand_arrays();
  Value bias(1.0);
  for (std::size_t pairs = pairs_that_fit - 1; pairs <= pairs_that_fit + 2; ++pairs) {
    SCOPED_TRACE("pairs = " + std::to_string(pairs) +
                 ", the most that fit = " + std::to_string(pairs_that_fit));
    const Value part_used = bias * 3.0;  // the region is no longer empty
    std::vector<Value> w(pairs, Value(0.5));
    std::vector<Value> x(pairs, Value(2.0));
    const Value d = Value::dot(bias, w, x);
    EXPECT_EQ(detail::heap_operand_arrays(), heap + (pairs > pairs_that_fit ? 1 : 0));
    EXPECT_EQ(d.data(), 1.0 + static_cast<double>(pairs));
    EXPECT_EQ(d.arity(), 1 + 2 * pairs);
    Value y = d * part_used;
    y.backward();
    EXPECT_EQ(w[0].grad(), 3.0 * 2.0 * static_cast<double>(pairs));  // one shared weight node
    EXPECT_EQ(x[0].grad(), 3.0 * 0.5 * static_cast<double>(pairs));
    w[0].grad() = 0.0;
  }
  EXPECT_EQ(detail::heap_operand_arrays(), heap);
}

TEST(Lifetime, ADotWithMismatchedSizesThrowsAndLeavesNothing) {
  const std::size_t before = live_nodes();
  Value b(0.0);
  EXPECT_THROW(Value::dot(b, {Value(1.0)}, {}), std::invalid_argument);
  EXPECT_EQ(live_nodes(), before + 1);  // b; the argument's Value(1.0) went with the call
}

// A graph built by another thread is freed as soon as its last handle goes, on that thread: not at
// thread exit. And a thread may end with nodes still alive (here in a thread_local).
TEST(Lifetime, GraphsAreFreedWhenUnreachableNotAtThreadExit) {
  std::size_t during = 0;
  std::size_t after = 0;
  std::thread t([&] {
    Value x(1.0);
    {
      Value y = x;
      for (int i = 0; i < 100000; ++i) y = (y * 0.5 + x).tanh();
      during = live_nodes();
    }
    after = live_nodes();
    thread_local Value outlives_the_body(3.0);
    (void)outlives_the_body;
  });
  t.join();
  EXPECT_EQ(during, 1 + 4 * 100000U);  // x; each step a leaf 0.5, *, + and tanh
  EXPECT_EQ(after, 1U);
}

// backward runs nodes newest first and adds a shared node's contributions in that order, as PyTorch
// does. Three contributions chosen so the order shows: 1 + 2^53 rounds back to 2^53, so
// (1 + 2^53) - 2^53 = 0 while (-2^53 + 2^53) + 1 = 1. The users are created u1, u2, u3; the root
// reaches u3 first in a depth-first search, so the old operand-first order summed u2, u1, u3 (0).
TEST(Order, ASharedNodeSumsItsContributionsNewestUserFirst) {
  const double big = std::ldexp(1.0, 53);
  Value x(1.0);
  Value u1 = x * 1.0;
  Value u2 = x * big;
  Value u3 = x * -big;
  Value root = u3 + (u1 + u2);
  root.backward();
  EXPECT_EQ(x.grad(), 1.0);  // ((0 + -2^53) + 2^53) + 1: u3, u2, u1
}

TEST(Order, TopologicalOrderListsReachedNodesAsTheyWereMade) {
  Value a(1.0, "a"), b(2.0, "b"), c(3.0, "c");
  Value unrelated = a * 5.0;
  Value ab = a + b;
  Value root = ab + c;
  const std::vector<Value> order = topological_order(root);
  ASSERT_EQ(order.size(), 5U);
  EXPECT_TRUE(order[0].same_node(a));
  EXPECT_TRUE(order[1].same_node(b));
  EXPECT_TRUE(order[2].same_node(c));  // created before a + b, though a depth-first search meets it later
  EXPECT_TRUE(order[3].same_node(ab));
  EXPECT_TRUE(order[4].same_node(root));
}

// Regions freed by a collection are reused at the end of the creation order: graphs built in them on
// top of older live nodes still run backward in a valid order, with the same results.
TEST(Order, ReusedRegionsTakeANewPlaceInTheCreationOrder) {
  Value x(0.3);
  Value keep = (x * 2.0).exp();  // older live nodes, used again below
  Value loss;
  for (int step = 0; step < 200; ++step) {  // garbage under live graphs: collections free regions
    Value s = keep;
    for (int i = 0; i < 500; ++i) s = s * 0.999 + x;
    loss = s;
  }
  loss = Value();
  live_nodes();
  Value y = keep;
  for (int i = 0; i < 5000; ++i) y = (y * 0.999 + x).tanh() + keep * 1e-3;
  x.grad() = 0.0;
  y.backward();
  const double in_reused = x.grad();
  // Every operand ranks before its user: reverse creation order is still a topological order.
  for (const Value& v : topological_order(y)) {
    for (std::size_t i = 0; i < v.arity(); ++i) {
      ASSERT_LT(detail::creation_rank(detail::Access::node(v.child(i))),
                detail::creation_rank(detail::Access::node(v)));
    }
  }
  // The same computation in a fresh thread (fresh arena) gives the same bits.
  double fresh = 0.0;
  std::thread([&] {
    Value x2(0.3);
    Value keep2 = (x2 * 2.0).exp();
    Value y2 = keep2;
    for (int i = 0; i < 5000; ++i) y2 = (y2 * 0.999 + x2).tanh() + keep2 * 1e-3;
    y2.backward();
    fresh = x2.grad();
  }).join();
  EXPECT_EQ(in_reused, fresh);
}

// The sweep runs from the root down to the oldest inner node the root reaches. Here that node is
// older than a large unrelated live graph: the sweep passes through it, skips its nodes and leaves
// their grads alone.
TEST(Sweep, UnrelatedGraphsOnTheWayAreSkippedAndLeftAlone) {
  Value x(0.5);
  Value early = (x * 2.0).exp();  // an inner node older than `other`
  Value other = x;
  for (int i = 0; i < 1000; ++i) other = other * 1.0001;
  other.backward();
  const double other_interior = other.child(0).grad();
  Value z = early + (x * 3.0).tanh();
  x.grad() = 0.0;
  z.backward();
  EXPECT_DOUBLE_EQ(x.grad(), 2.0 * std::exp(1.0) + 3.0 * (1.0 - std::pow(std::tanh(1.5), 2.0)));
  EXPECT_EQ(early.grad(), 1.0);
  EXPECT_EQ(other.child(0).grad(), other_interior);
  EXPECT_EQ(other.grad(), 1.0);
}

TEST(Sweep, InterleavedGraphsGiveTheSameBitsAsSeparateOnes) {
  Value a(0.7), b(-1.3);
  Value f = a, g = b;
  for (int i = 0; i < 300; ++i) {  // f's and g's nodes alternate in the arena
    f = (f * b + 0.1).tanh();
    g = (g * a - 0.2).sigmoid();
  }
  f.backward();
  const double fa = a.grad(), fb = b.grad();
  a.grad() = 0.0;
  b.grad() = 0.0;
  Value a2(0.7), b2(-1.3);
  Value f2 = a2;
  for (int i = 0; i < 300; ++i) f2 = (f2 * b2 + 0.1).tanh();
  f2.backward();
  EXPECT_EQ(fa, a2.grad());
  EXPECT_EQ(fb, b2.grad());
}

// After 2^32 - 2 backward calls the epoch wraps and every stale mark is cleared once.
TEST(Sweep, TheEpochWrapsWithoutLosingTheResetOfInteriorGrads) {
  Value x(3.0);
  Value t = x * x;
  Value y = t * 2.0;
  detail::set_epoch_for_testing(UINT32_MAX - 3);
  for (int call = 0; call < 6; ++call) {
    y.backward();
    EXPECT_EQ(t.grad(), 2.0);  // reset each call, across the wrap
    EXPECT_EQ(y.grad(), 1.0);
  }
  EXPECT_EQ(x.grad(), 6 * 12.0);
}

// 10^7 nodes: built, swept by backward, swept by a collection, listed and freed, all without
// recursion (a recursive walk would overflow the stack long before this depth).
TEST(DeepGraph, TenMillionNodeChain) {
  const std::size_t before = live_nodes();
  {
    Value x(0.5);
    Value c(0.9999999);
    Value y = x;
    const int n = 10000000;
    for (int i = 0; i < n; ++i) y = y * c;
    EXPECT_EQ(live_nodes(), before + 2 + static_cast<std::size_t>(n));
    y.backward();
    EXPECT_NEAR(x.grad(), std::pow(0.9999999, n), 1e-8);
    EXPECT_EQ(node_count(y), static_cast<std::size_t>(n) + 2);
  }
  EXPECT_EQ(live_nodes(), before);
}

}  // namespace
}  // namespace verigrad
