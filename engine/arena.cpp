// The arena: regions, the tail pop, the collection of garbage below live nodes, labels. See node.hpp
// for why nodes live in creation order and how their lifetime works without per-edge counts.
//
// Nothing here recurses: popping, collecting and clearing marks are loops over the regions, so graphs
// of 10^7 nodes and more are fine.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <utility>

#include "engine/node.hpp"

namespace verigrad::detail {

namespace {

// Collections start once this many regions (4 MiB) are in use, and then whenever the count doubles
// since the last one: a collection costs a pass over the arena, so this keeps it O(1) per node
// allocated, and garbage below live nodes never exceeds about the live size.
constexpr std::size_t kMinCollectRegions = 64;
// Free regions kept for reuse (4 MiB); beyond this they go back to the system.
constexpr std::size_t kMaxSpares = 64;

void free_all() {
  Arena& p = arena();
  while (p.spare != nullptr) {
    Region* next = p.spare->older;
    std::free(p.spare);
    p.spare = next;
  }
  p.spares = 0;
  delete p.labels;
  p.labels = nullptr;
}

// At thread exit: give everything back if no node is alive; otherwise the last handle's pop does it
// (the last handle anywhere is always on the newest node, so that pop empties the arena).
struct ExitGuard {
  ExitGuard() = default;
  ExitGuard(const ExitGuard&) = delete;
  ExitGuard& operator=(const ExitGuard&) = delete;
  ~ExitGuard() {
    Arena& p = arena();
    p.exiting = true;
    if (p.top == nullptr) free_all();
  }
};

Region* take_region() {
  Arena& p = arena();
  if (p.spare != nullptr) {
    Region* r = p.spare;
    p.spare = r->older;
    --p.spares;
    return r;
  }
  void* memory = std::aligned_alloc(kRegionBytes, kRegionBytes);
  if (memory == nullptr) throw std::bad_alloc();
  return static_cast<Region*>(memory);
}

// Unlinks r from the creation order and keeps it for reuse (or frees it).
void give_back(Region* r) {
  Arena& p = arena();
  if (r->newer != nullptr) r->newer->older = r->older;
  if (r->older != nullptr) r->older->newer = r->newer;
  if (p.top == r) p.top = r->older;
  --p.regions;
  if (p.spares < kMaxSpares) {
    r->older = p.spare;
    p.spare = r;
    ++p.spares;
  } else {
    std::free(r);
  }
}

// A dead node's belongings outside its entry: its label, a heap operand array.
void release_extras(Node* n) {
  if ((n->flags & kLabelled) != 0) erase_label(n);
  if ((n->flags & kHeapKids) != 0) {
    delete[] n->kids;
    drop_extra(n, kHeapKids);
    --arena().heap_arrays;
  }
}

// Every node of region r, newest first.
template <typename F>
void for_each_node_in(Region* r, F&& f) {
  char* const begin = r->begin();
  auto* n = reinterpret_cast<Node*>(r->end) - 1;
  for (;;) {
    f(n);
    char* start = reinterpret_cast<char*>(n) - 8 * std::size_t{n->below};
    if (start == begin) return;
    n = reinterpret_cast<Node*>(start) - 1;
  }
}

// The top region is empty (or holds only unreachable nodes without extras): the one below becomes
// the top, or the arena is empty (and at thread exit, everything is given back).
void drop_top_region() {
  Arena& p = arena();
  Region* r = p.top;
  if (r == nullptr) return;
  give_back(r);
  // The arena shrank: the next collection is due at twice its size now, not at twice what a big graph
  // that has since gone once held (garbage would pile up to that size before anyone looked).
  if (2 * p.regions < p.collect_at / 2) p.collect_at = std::max(kMinCollectRegions, 2 * p.regions);
  if (p.top == nullptr) {
    p.bump = nullptr;
    p.limit = nullptr;
    if (p.exiting) free_all();
    return;
  }
  p.bump = p.top->end;
  p.limit = p.top->limit();
}

}  // namespace

char* grow(std::size_t bytes) {
  Arena& p = arena();
  if (!p.guarded) {  // reached once per thread, so the guard is never touched after its destruction
    thread_local ExitGuard guard;
    p.guarded = true;
  }
  if (p.top != nullptr) p.top->end = p.bump;
  if (p.regions >= p.collect_at) {
    if (p.top != nullptr) collect();
    p.collect_at = std::max(kMinCollectRegions, 2 * p.regions);
  }
  Region* r = take_region();
  r->older = p.top;
  r->newer = nullptr;
  r->order = p.next_order++;
  r->mark = nullptr;
  r->above = 0;
  r->below = 0;
  r->extras = 0;
  r->extras_above = 0;
  if (p.top != nullptr) p.top->newer = r;
  p.top = r;
  ++p.regions;
  char* at = r->begin();
  p.bump = at + bytes;
  p.limit = r->limit();
  return at;
}

Node* new_heap_dot(std::size_t count) {
  std::unique_ptr<Node*[]> kids(new Node*[count]);  // freed again if the node cannot be made
  Node* n = new_node(Op::Dot);
  n->kids = kids.release();
  n->count = static_cast<std::uint32_t>(count);
  add_extra(n, kHeapKids);
  ++arena().heap_arrays;
  return n;
}

void pop_tail() {
  Arena& p = arena();
  for (;;) {
    Region* r = p.top;  // never null here: pop_tail runs on the newest node, and stops when none is left
    if (r == nullptr) return;
    if (r->above + r->below == 0 && r->extras == 0) {  // nothing in r is reachable or owns anything
      drop_top_region();
      if (p.top == nullptr) return;
      continue;
    }
    // Node by node from the newest (which has no handle) down to the newest node with a handle, or
    // straight to the region's mark when nothing above it has a handle or anything to free.
    auto* n = reinterpret_cast<Node*>(p.bump) - 1;
    if (r->above == 0 && r->extras_above == 0 && r->mark != nullptr) n = r->mark;
    char* const begin = r->begin();
    for (;;) {
      if (n->handles != 0) {  // everything above it was unreachable
        p.bump = reinterpret_cast<char*>(n + 1);
        r->mark = n;  // nothing above it is left: what was counted above it is at it or below now
        r->below += r->above;
        r->above = 0;
        r->extras_above = 0;
        return;
      }
      if ((n->flags & kExtras) != 0) release_extras(n);
      char* start = reinterpret_cast<char*>(n) - 8 * std::size_t{n->below};
      if (start == begin) break;  // r is empty now
      n = reinterpret_cast<Node*>(start) - 1;
    }
    drop_top_region();
    if (p.top == nullptr) return;
  }
}

std::size_t collect() {
  Arena& p = arena();
  if (p.top == nullptr) return 0;
  p.top->end = p.bump;
  std::size_t live = 0;
  for (Region* r = p.top; r != nullptr;) {
    Region* older = r->older;
    std::size_t here = 0;
    for_each_node_in(r, [&here](Node* n) {
      if (n->handles != 0 || (n->flags & kReached) != 0) {  // live: its operands are too
        n->flags = static_cast<std::uint8_t>(n->flags & ~kReached);
        ++here;
        for_each_operand(n, [](Node* c) { c->flags |= kReached; });
      } else if ((n->flags & kExtras) != 0) {
        release_extras(n);
      }
    });
    if (here == 0 && r != p.top) give_back(r);  // (the top one always has: its newest node has a handle)
    live += here;
    r = older;
  }
  return live;
}

void first_handle(Node* n) {
  Region* r = region_of(n);
  ++(n > r->mark ? r->above : r->below);
}

void last_handle(Node* n) {
  Region* r = region_of(n);
  --(n > r->mark ? r->above : r->below);
  if (reinterpret_cast<char*>(n + 1) == arena().bump) pop_tail();  // the newest node: its tail goes
}

std::size_t live_nodes() { return collect(); }

std::size_t regions_in_use() { return arena().regions; }

std::size_t labels_held() {
  const auto* labels = arena().labels;
  return labels == nullptr ? 0 : labels->size();
}

std::size_t heap_operand_arrays() { return arena().heap_arrays; }

std::uint32_t next_epoch() {
  Arena& p = arena();
  if (++p.epoch == kLeafMark) {  // wrapped after 2^32 - 2 backward calls: clear every stale mark once
    if (p.top != nullptr) p.top->end = p.bump;
    for (Region* r = p.top; r != nullptr; r = r->older) {
      for_each_node_in(r, [](Node* n) {
        if (n->op != Op::Leaf) n->mark = 0;
      });
    }
    p.epoch = 1;
  }
  return p.epoch;
}

void set_epoch_for_testing(std::uint32_t epoch) { arena().epoch = epoch; }

const std::string& label_of(const Node* n) {
  static const std::string empty;
  const auto* labels = arena().labels;
  if ((n->flags & kLabelled) == 0 || labels == nullptr) return empty;
  return labels->at(n);
}

void set_label(Node* n, std::string label) {
  if (label.empty()) {
    if ((n->flags & kLabelled) != 0) erase_label(n);
    return;
  }
  Arena& p = arena();
  if (p.labels == nullptr) p.labels = new std::unordered_map<const Node*, std::string>();
  (*p.labels)[n] = std::move(label);
  add_extra(n, kLabelled);
}

void erase_label(Node* n) {
  if (auto* labels = arena().labels; labels != nullptr) labels->erase(n);
  drop_extra(n, kLabelled);
}

}  // namespace verigrad::detail
