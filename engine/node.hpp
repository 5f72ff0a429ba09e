// The graph node behind a Value handle, and the arena that holds the nodes. Internal to the engine:
// users see only Value (engine/value.hpp).
//
// Why an arena in creation order, and how a graph still lives exactly while something can reach it:
//  * A node's operands exist before it and never change, so every edge points from a newer node to
//    older ones: reverse creation order is a topological order. backward() is one sweep down the
//    arena from the root, with no sort (value.cpp).
//  * Only handles are counted (Value objects), not edges. Nodes above the newest node that has a
//    handle are unreachable (only newer nodes can refer to a node), so when the newest node loses its
//    last handle the whole tail above the next handled node is popped at once: a training step's
//    graph sits on top of the parameters and dies in one pass at the end of the step.
//  * Garbage below a live node (a `loss` declared outside the loop and rebound each step leaves the
//    previous step's graph under the new one) is found by an occasional mark sweep from newest to
//    oldest (live: has a handle, or is an operand of a live node), amortised against allocation; it
//    gives whole dead regions back, and a reused region takes a new place at the end of the order.
//  * So the last handle anywhere is always on the newest node, and when it goes the arena is empty.
//
// Nodes live in 64 KiB regions, aligned to their size (a node finds its region by masking its
// address), linked from oldest to newest. A Dot's operand array sits right below its node, so it dies
// with it. Nodes are never moved: a handle is a plain pointer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "engine/ops.hpp"
#include "engine/value.hpp"

namespace verigrad::detail {

struct Node {
  std::uint32_t handles;  // Value handles on this node (edges are not counted); first: see value.hpp
  std::uint32_t mark;     // inner nodes: the last backward() epoch that reached it; leaves: kLeafMark
  double data;
  double grad;
  union {
    Node* a;      // first operand (unary and binary ops)
    Node** kids;  // Dot: its operands, `count` of them
  };
  union {
    Node* b;              // second operand (binary ops)
    double k;             // PowConst: the constant exponent
    std::uint32_t count;  // Dot: number of operands
  };
  Op op;
  std::uint8_t flags;   // kLabelled, kHeapKids, kReached
  std::uint16_t below;  // 8-byte words of this node's entry below it (a Dot's operand array)
};

static_assert(sizeof(Node) == 48, "a binary node should stay 48 bytes (issue 11's memory goal)");
static_assert(std::is_standard_layout_v<Node> && offsetof(Node, handles) == 0,
              "value.hpp's inline handle code reads the count at the node's address");

inline constexpr std::uint8_t kLabelled = 1;  // has an entry in the label side table
inline constexpr std::uint8_t kHeapKids = 2;  // a Dot whose operand array is on the heap (too big)
inline constexpr std::uint8_t kReached = 4;   // set during one traversal (collection, listing), then cleared
inline constexpr std::uint8_t kExtras = kLabelled | kHeapKids;

// A leaf's mark: above every epoch, so "not yet reached in this backward" (mark < epoch) is false for
// leaves, which need no reset: the one test in backward's inner loop serves leaves and inner nodes.
inline constexpr std::uint32_t kLeafMark = UINT32_MAX;

// Operands of any node: a Dot's array, or the one or two inline operand slots.
inline std::size_t arity(const Node* n) {
  return n->op == Op::Dot ? n->count : static_cast<std::size_t>(op_arity(n->op));
}
inline Node* child(const Node* n, std::size_t i) {
  if (n->op == Op::Dot) return n->kids[i];
  return i == 0 ? n->a : n->b;
}
template <typename F>
void for_each_operand(const Node* n, F&& f) {
  if (n->op == Op::Dot) {
    for (std::uint32_t i = 0; i < n->count; ++i) f(n->kids[i]);
    return;
  }
  const int count = op_arity(n->op);
  if (count >= 1) f(n->a);
  if (count == 2) f(n->b);
}

// ---- the arena -------------------------------------------------------------------------------------

inline constexpr std::size_t kRegionBytes = std::size_t{1} << 16;

struct Region {
  Region* older;  // the region before this one in creation order (nullptr: the oldest)
  Region* newer;
  char* end;            // one past its newest entry (the arena's `bump` while this is the top region)
  std::uint64_t order;  // position in creation order: larger is newer (a reused region gets a new one)
  // Its nodes that have a handle, counted on either side of `mark`, the newest handled node the last
  // tail pop through this region stopped at (nullptr: none yet). When nothing above the mark has a
  // handle, the next pop goes straight to it: a step's graph built on top of the parameters' region
  // is popped without visiting its nodes one by one. With no handled node at all, the region goes whole.
  Node* mark;
  std::uint32_t above;         // handled nodes newer than `mark` (every new node starts here)
  std::uint32_t below;         // handled nodes at `mark` or older
  std::uint32_t extras;        // its nodes with a label or a heap operand array (freed node by node)
  std::uint32_t extras_above;  // those of them newer than `mark`

  char* begin() { return reinterpret_cast<char*>(this + 1); }
  char* limit() { return reinterpret_cast<char*>(this) + kRegionBytes; }
};
static_assert(sizeof(Region) % alignof(Node) == 0);

inline Region* region_of(const Node* n) {
  // Regions are aligned to their size: masking the address is the whole lookup.
  return reinterpret_cast<Region*>(  // NOLINT(performance-no-int-to-ptr)
      reinterpret_cast<std::uintptr_t>(n) & ~(kRegionBytes - 1));
}

// The node just older than n, stepping into the older region when n is the first of its own (r is
// n's region and follows the step). Only for n above the arena's oldest node.
inline Node* older_node(const Node* n, Region*& r) {
  const char* start = reinterpret_cast<const char*>(n) - 8 * std::size_t{n->below};
  if (start != r->begin()) return reinterpret_cast<Node*>(const_cast<char*>(start)) - 1;
  r = r->older;
  return reinterpret_cast<Node*>(r->end) - 1;
}

struct Arena {
  char* bump = nullptr;     // where the next entry goes, in the top region; the newest node ends here
  char* limit = nullptr;    // end of the top region
  Region* top = nullptr;    // newest region (nullptr: no node alive)
  Region* spare = nullptr;  // regions kept for reuse, linked through `older`
  std::size_t spares = 0;
  std::size_t regions = 0;     // in use
  std::size_t collect_at = 0;  // run a collection when `regions` reaches this (set by grow)
  std::uint64_t next_order = 0;
  std::uint32_t epoch = 0;      // of the latest backward()
  bool exiting = false;         // the thread is ending: give everything back when the arena empties
  bool guarded = false;         // the thread-exit guard is registered
  std::size_t heap_arrays = 0;  // Dot operand arrays too big for a region, on the heap
  std::unordered_map<const Node*, std::string>* labels = nullptr;  // the few nodes that have one
};

// A function-local thread_local with a constant initialiser: the compiler reaches it with one
// %fs-relative load, where an `extern thread_local` would cost a call per access. Trivially
// destructible on purpose, so it stays usable while a user's global Values are destroyed at exit.
inline Arena& arena() {
  static thread_local Arena state;
  return state;
}

char* grow(std::size_t bytes);  // a new top region (collecting first when due); `bytes` of it

// `bytes` (a multiple of 8, at most a region's payload) at the top of the arena.
inline char* allocate(std::size_t bytes) {
  Arena& p = arena();
  char* at = p.bump;
  if (static_cast<std::size_t>(p.limit - at) < bytes) return grow(bytes);
  p.bump = at + bytes;
  return at;
}

// A node with one handle (the Value that will hold it), grad 0, no operands set.
inline Node* init_node(char* at, Op op) {
  auto* n = reinterpret_cast<Node*>(at);
  ++region_of(n)->above;  // a new node is the region's newest
  n->grad = 0.0;
  n->handles = 1;
  n->mark = op == Op::Leaf ? kLeafMark : 0;
  n->op = op;
  n->flags = 0;
  n->below = 0;
  return n;
}

inline Node* new_node(Op op) { return init_node(allocate(sizeof(Node)), op); }

Node* new_heap_dot(std::size_t count);  // a Dot whose operand array is too big for a region

// A Dot of `count` operands with its operand array right below it (on the heap when too big).
inline Node* new_dot(std::size_t count) {
  const std::size_t array_bytes = count * sizeof(Node*);  // NOLINT(bugprone-sizeof-expression): pointers
  if (array_bytes + sizeof(Node) > kRegionBytes - sizeof(Region)) return new_heap_dot(count);
  char* at = allocate(array_bytes + sizeof(Node));
  Node* n = init_node(at + array_bytes, Op::Dot);
  n->kids = reinterpret_cast<Node**>(at);
  n->count = static_cast<std::uint32_t>(count);
  n->below = static_cast<std::uint16_t>(count);
  return n;
}

void pop_tail();  // the newest node has no handle left: frees it and every unreachable node above the next
                  // handled one

// Sets or clears kLabelled or kHeapKids, keeping the region's counts of such nodes.
inline void add_extra(Node* n, std::uint8_t flag) {
  if ((n->flags & kExtras) == 0) {
    Region* r = region_of(n);
    ++r->extras;
    if (n > r->mark) ++r->extras_above;
  }
  n->flags |= flag;
}
inline void drop_extra(Node* n, std::uint8_t flag) {
  if ((n->flags & flag) == 0) return;
  n->flags = static_cast<std::uint8_t>(n->flags & ~flag);
  if ((n->flags & kExtras) == 0) {
    Region* r = region_of(n);
    --r->extras;
    if (n > r->mark) --r->extras_above;
  }
}

// Mark sweep over the whole arena: frees every node nothing can reach and gives dead regions back.
// Returns the number of live nodes.
std::size_t collect();

// Live nodes on this thread: nodes some handle can reach (runs a collection first; for leak tests and
// memory reports).
std::size_t live_nodes();
// Regions in use on this thread (64 KiB each), for memory reports.
std::size_t regions_in_use();
// Labels and heap operand arrays held on this thread (tests check that dead nodes give theirs back).
std::size_t labels_held();
std::size_t heap_operand_arrays();

// A fresh backward epoch (after 2^32 - 2 of them every inner node's stale mark is cleared once).
std::uint32_t next_epoch();
void set_epoch_for_testing(std::uint32_t epoch);

// Position in creation order: a's < b's exactly when a was created before b (for as long as both live).
inline std::uint64_t creation_rank(const Node* n) {
  return (region_of(n)->order << 16) | (reinterpret_cast<std::uintptr_t>(n) & (kRegionBytes - 1));
}

// Nodes reachable from root, operands before the nodes that use them (operand-first DFS, operands in
// index order), root last. Iterative (no recursion, so 10^7-deep chains are fine). Returns a per-thread
// buffer: call done_with_order after.
std::vector<Node*>& topological_order(Node* root);
void done_with_order(std::vector<Node*>& order);

// The engine's own way past Value's privacy: the node behind a handle, and a new handle to a node.
struct Access {
  static Node* node(const Value& v) { return v.node_; }
  static Value handle(Node* n) {
    retain(n);
    return Value(n);
  }
  static Value adopt(Node* n) { return Value(n); }  // takes over the handle a new node starts with
};

// Labels live in a side table: most nodes have none, and a string would double a node's size.
const std::string& label_of(const Node* n);
void set_label(Node* n, std::string label);
void erase_label(Node* n);

}  // namespace verigrad::detail
