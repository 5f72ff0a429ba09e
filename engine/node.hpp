// The graph node behind a Value handle, and the pool that recycles them. Internal to the engine: users
// see only Value (engine/value.hpp).
//
// A node is 48 bytes: value, grad, two operand pointers (or a Dot's operand array, or a constant
// exponent), a reference count, a traversal mark and the op. Nodes are reference counted by their
// Value handles and by their parents, so a graph lives exactly as long as something can reach it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/ops.hpp"
#include "engine/value.hpp"

namespace verigrad::detail {

struct Node {
  double data = 0.0;
  union {
    double grad = 0.0;
    Node* pending;  // while being destroyed: the next node waiting to be freed (no allocation)
  };
  union {
    Node* a;      // first operand (unary and binary ops)
    Node** kids;  // Dot: its operands, `count` of them
    Node* next;   // while free: the pool's free list
  };
  union {
    Node* b;              // second operand (binary ops)
    double k;             // PowConst: the constant exponent
    std::uint32_t count;  // Dot: number of operands
  };
  std::uint32_t refs = 1;  // handles + parents holding this node
  std::uint32_t mark = 0;  // traversal epoch, see graph.cpp
  Op op = Op::Leaf;
  std::uint8_t inline_kids = 0;  // operands held in a and b (0, 1 or 2); a Dot keeps `count` in kids
  bool labelled = false;         // has an entry in the label side table

  Node() : a(nullptr), b(nullptr) {}
};

static_assert(sizeof(Node) == 48, "a node should stay 48 bytes: see issue 5's memory goal");

// Operands of any node, as a pointer range (Dot's array, or the one or two inline operand slots).
inline std::size_t arity(const Node* n) { return n->op == Op::Dot ? n->count : n->inline_kids; }

inline Node* child(const Node* n, std::size_t i) {
  if (n->op == Op::Dot) return n->kids[i];
  return i == 0 ? n->a : n->b;
}

// Allocation: a per-thread free list of fixed-size nodes carved from large chunks, so creating a node
// costs a few instructions and freeing one costs fewer. Chunks go back to the system when the thread
// ends with no node alive. A graph belongs to the thread that built it.
struct Chunk;
// A Dot's operand arrays come from the pool too, one free list per operand count up to this many
// (a neuron with up to 127 inputs); longer arrays are rare enough for new[].
inline constexpr std::size_t kPooledKids = 256;
struct PoolState {
  Node* free = nullptr;
  Chunk* chunks = nullptr;
  Node** kid_free[kPooledKids + 1] = {};  // free operand arrays by length; each links through slot 0
  char* kid_bump = nullptr;               // unused tail of the newest operand chunk
  char* kid_end = nullptr;
  Chunk* kid_chunks = nullptr;
  std::size_t live = 0;
  std::size_t next_chunk = 1024;
  bool exiting = false;
  std::unordered_map<const Node*, std::string>* labels = nullptr;  // the few nodes that have one
};

// A function-local thread_local with a constant initialiser: the compiler reaches it with one
// %fs-relative load, where an `extern thread_local` would cost a call per access. Trivially
// destructible on purpose, so it stays usable while a user's global Values are destroyed at exit.
inline PoolState& pool() {
  static thread_local PoolState state;
  return state;
}

Node* grow();  // adds a chunk of free nodes and returns the first of them

inline Node* new_node() {
  PoolState& p = pool();
  Node* n = p.free != nullptr ? p.free : grow();
  p.free = n->next;
  ++p.live;
  n->grad = 0.0;
  n->a = nullptr;
  n->b = nullptr;
  n->refs = 1;
  n->mark = 0;
  n->op = Op::Leaf;
  n->inline_kids = 0;
  n->labelled = false;
  return n;
}

Node** grow_kids(std::size_t count);  // a fresh operand array of count <= kPooledKids slots

// Operand array for a Dot of `count` operands: popped from its length's free list when possible.
inline Node** new_kids(std::size_t count) {
  if (count > kPooledKids) return new Node*[count];
  PoolState& p = pool();
  Node** k = p.kid_free[count];
  if (k == nullptr) return grow_kids(count);
  p.kid_free[count] = reinterpret_cast<Node**>(k[0]);
  return k;
}

inline void free_kids(Node** kids, std::size_t count) {
  if (count > kPooledKids) {
    delete[] kids;
    return;
  }
  PoolState& p = pool();
  kids[0] = reinterpret_cast<Node*>(p.kid_free[count]);
  p.kid_free[count] = kids;
}

void destroy(Node* n);  // frees n and every node that becomes unreachable with it, iteratively

inline void retain(Node* n) { ++n->refs; }
inline void release(Node* n) {
  if (--n->refs == 0) destroy(n);
}

// Live nodes on this thread (for leak tests and memory reports).
std::size_t live_nodes();

// Every node slot this thread's pool owns, alive or free (to reset traversal marks on wrap-around).
void for_each_node_memory(void (*fn)(Node*));

// Nodes reachable from root, operands before the nodes that use them, root last. Iterative (no
// recursion, so 10^7-deep chains are fine). Returns a per-thread buffer: call done_with_order after.
// With with_leaves = false only inner nodes are listed (what backward needs), which is cheaper.
std::vector<Node*>& topological_order(Node* root, bool with_leaves = true);
// The inner nodes backward visits (topological_order(root, false)), with their grads reset to 0.
std::vector<Node*>& backward_order(Node* root);
void done_with_order(std::vector<Node*>& order);

// The engine's own way past Value's privacy: the node behind a handle, and a new handle to a node.
struct Access {
  static Node* node(const Value& v) { return v.node_; }
  static Value handle(Node* n) {
    retain(n);
    return Value(n);
  }
  static Value adopt(Node* n) { return Value(n); }  // takes over the reference new_node() made
};

// Labels live in a side table: most nodes have none, and a string would double a node's size.
const std::string& label_of(const Node* n);
void set_label(Node* n, std::string label);
void erase_label(Node* n);

}  // namespace verigrad::detail
