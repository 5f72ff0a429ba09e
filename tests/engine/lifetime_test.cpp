// Lifetimes through the public API only (they must survive an engine rewrite): labels live in a
// per-thread side table that must shrink when graphs die, and a dead graph holds nothing. The test
// counts live heap allocations with a replaced global operator new/delete (for this executable only).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "engine/value.hpp"

namespace {
std::atomic<long> g_live_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  ++g_live_allocations;
  return p;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  --g_live_allocations;
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

namespace verigrad {
namespace {

// A label too long for the small-string buffer: every live label owns a heap allocation.
std::string long_label(int i) {
  return "a label long enough to live on the heap, number " + std::to_string(i);
}

// Builds and drops a graph of labelled nodes: leaves, a neuron-like Dot over them, and a labelled
// chain on top.
void labelled_graph(int n) {
  std::vector<Value> w, x;
  for (int i = 0; i < n; ++i) {
    w.emplace_back(0.5, long_label(i));
    x.emplace_back(-0.25, long_label(n + i));
  }
  Value y = Value::dot(Value(0.1, long_label(-1)), w, x);
  for (int i = 0; i < n; ++i)
    y = (y * w[static_cast<std::size_t>(i)]).tanh().set_label(long_label(2 * n + i));
  y.backward();
}

TEST(Lifetime, LabelsDieWithTheirNodes) {
  labelled_graph(200);  // warm-up: the side table exists, with buckets
  {
    std::vector<Value> plenty(5000, Value(0.0));
    for (Value& v : plenty) v = v + 1.0;  // the pool now has room for all that follows
  }
  // Nodes held across the measurement push the labelled ones onto slots no label has used yet, so
  // a label left behind by a dead node cannot be overwritten by a later one and go unnoticed.
  std::vector<Value> held;
  for (int i = 0; i < 1000; ++i) held.emplace_back(static_cast<double>(i));
  const long before = g_live_allocations.load();
  labelled_graph(300);
  EXPECT_LE(g_live_allocations.load() - before, 2) << "labels (or nodes) outlive the graphs that had them";
  for (int round = 0; round < 3; ++round) labelled_graph(200);
  EXPECT_LE(g_live_allocations.load() - before, 2);
}

// A node recycled after a labelled node died has no label.
TEST(Lifetime, RecycledNodesStartUnlabelled) {
  for (int i = 0; i < 1000; ++i) {
    { Value dead(1.0, long_label(i)); }
    const Value fresh(2.0);
    ASSERT_EQ(fresh.label(), "") << i;
  }
}

// Every operand of a dying node is released: a labelled operand of a Dot, of a binary and of a unary
// op, held by nothing else, takes its label with it.
TEST(Lifetime, GraphsFreeEveryNodeTheyHeld) {
  labelled_graph(3);
  const long before = g_live_allocations.load();
  {
    Value b(1.0, long_label(1)), w(2.0, long_label(2)), x(3.0, long_label(3));
    Value y = Value::dot(b, {w}, {x}) + Value(4.0, long_label(4));
    y = y.exp() * Value(5.0, long_label(5));
  }
  EXPECT_EQ(g_live_allocations.load(), before);
}

}  // namespace
}  // namespace verigrad
