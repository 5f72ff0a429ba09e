// Traversal, counting, DOT pictures and the program printer. Nothing here recurses.
#include "engine/graph.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <ostream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "engine/node.hpp"

namespace verigrad {

namespace detail {
namespace {

// Each traversal stamps the nodes it reaches with a fresh epoch instead of keeping a visited set.
thread_local std::uint32_t epoch = 0;
thread_local std::vector<Node*> order_buffer;

std::uint32_t next_epoch() {
  if (++epoch == 0) {  // wrapped after 2^32 traversals: clear every stale stamp once
    for_each_node_memory([](Node* n) { n->mark = 0; });
    epoch = 1;
  }
  return epoch;
}

// Buffers sized for a huge graph are given back rather than kept for the life of the thread.
template <typename T>
void trim(std::vector<T>& v) {
  v.clear();
  if (v.capacity() > (std::size_t{1} << 20)) v.shrink_to_fit();
}

// The DFS stack: a node and the operand to look at next. A plain growable array (no std::vector
// bookkeeping on the hot path); it lives for the thread and shrinks back after a huge graph.
struct Frame {
  Node* node;
  std::size_t next;
};
struct FrameStack {
  Frame* data = nullptr;
  std::size_t size = 0;
  std::size_t capacity = 0;
  FrameStack() = default;
  FrameStack(const FrameStack&) = delete;
  FrameStack& operator=(const FrameStack&) = delete;
  ~FrameStack() { std::free(data); }
  void grow() {
    const std::size_t want = capacity == 0 ? 256 : 2 * capacity;
    void* p = std::realloc(data, want * sizeof(Frame));
    if (p == nullptr) throw std::bad_alloc();
    data = static_cast<Frame*>(p);
    capacity = want;
  }
  void shrink() {
    if (capacity > (std::size_t{1} << 16)) {
      std::free(data);
      data = nullptr;
      capacity = 0;
    }
  }
};
thread_local FrameStack frames;

// Iterative post-order DFS, operands in index order, each node emitted once after all its operands:
// the order a recursive `visit(kids...); emit(self)` gives, without recursion (10^7-deep chains are
// fine). Each node is stamped with the epoch when first reached, so it is entered once; the node being
// scanned stays in registers and only its ancestors sit on the stack.
// kZeroGrads: also reset each listed node's grad (backward's "interior grads describe this call").
template <bool kWithLeaves, bool kZeroGrads>
void post_order(Node* root, std::vector<Node*>& order) {
  const std::uint32_t seen = next_epoch();
  order.clear();
  if (!kWithLeaves && root->op == Op::Leaf) return;
  // Without leaves, the op is tested first: most operands are leaves, and that settles them.
  auto wanted = [seen](const Node* c) { return (kWithLeaves || c->op != Op::Leaf) && c->mark != seen; };
  FrameStack& st = frames;
  Frame* stack = st.data;  // in locals: the compiler cannot keep thread_local fields in registers
  std::size_t capacity = st.capacity;
  root->mark = seen;
  if (kZeroGrads) root->grad = 0.0;
  Node* n = root;
  std::size_t next = 0;  // n's next operand to look at
  std::size_t depth = 0;
  for (;;) {
    Node* c = nullptr;
    if (n->op == Op::Dot) {
      Node* const* kids = n->kids;
      const std::size_t count = n->count;
      while (next < count) {
        Node* k = kids[next++];
        if (wanted(k)) {
          c = k;
          break;
        }
      }
    } else {  // operands inline in a and b
      const std::size_t count = n->inline_kids;
      if (next == 0 && count >= 1) {
        next = 1;
        if (wanted(n->a)) c = n->a;
      }
      if (c == nullptr && next == 1 && count == 2) {
        next = 2;
        if (wanted(n->b)) c = n->b;
      }
    }
    if (c != nullptr) {  // descend into c; n waits on the stack
      c->mark = seen;
      if (kZeroGrads) c->grad = 0.0;
      if (depth == capacity) {
        st.grow();
        stack = st.data;
        capacity = st.capacity;
      }
      stack[depth++] = {n, next};
      n = c;
      next = 0;
      continue;
    }
    order.push_back(n);  // every operand is ordered: so is n
    if (depth == 0) break;
    --depth;
    n = stack[depth].node;
    next = stack[depth].next;
  }
  st.shrink();
}

}  // namespace

std::vector<Node*>& topological_order(Node* root, bool with_leaves) {
  std::vector<Node*>& order = order_buffer;
  if (with_leaves) {
    post_order<true, false>(root, order);
  } else {
    post_order<false, false>(root, order);
  }
  return order;
}

std::vector<Node*>& backward_order(Node* root) {
  std::vector<Node*>& order = order_buffer;
  post_order<false, true>(root, order);
  return order;
}

void done_with_order(std::vector<Node*>& order) { trim(order); }

}  // namespace detail

namespace {

using detail::Access;
using detail::Node;

// Handles to every node in topological order. The shared buffer is copied out first, so callers may
// traverse again while they hold the result.
std::vector<Value> ordered_values(const Value& root) {
  std::vector<Node*>& order = detail::topological_order(Access::node(root));
  std::vector<Value> values;
  values.reserve(order.size());
  for (Node* n : order) values.push_back(Access::handle(n));
  detail::done_with_order(order);
  return values;
}

bool is_identifier(const std::string& s) {
  if (s.empty() || (std::isalpha(static_cast<unsigned char>(s[0])) == 0 && s[0] != '_')) return false;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') return false;
  }
  return true;
}

// Record fields in DOT must escape the characters that structure records.
std::string dot_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '{' || c == '}' || c == '|' || c == '<' || c == '>' || c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// The op as the picture and the program show it: "+", "tanh", "**2".
std::string op_label(const Value& v) {
  if (v.op() == Op::PowConst) return "**" + format_double(v.exponent());
  return op_name(v.op());
}

}  // namespace

std::size_t node_count(const Value& root) {
  std::vector<Node*>& order = detail::topological_order(Access::node(root));
  const std::size_t count = order.size();
  detail::done_with_order(order);
  return count;
}

std::vector<Value> topological_order(const Value& root) { return ordered_values(root); }

std::string format_fixed4(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", x);
  return buf;
}

std::string format_double(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";  // reads as a float, as in Python
  return s;
}

void write_dot(std::ostream& os, const Value& root, const DotOptions& options) {
  const std::vector<Value> nodes = ordered_values(root);
  std::unordered_map<const void*, std::size_t> index;
  for (std::size_t i = 0; i < nodes.size(); ++i) index.emplace(nodes[i].id(), i);

  os << "digraph verigrad {\n  graph [rankdir=" << options.rankdir << "];\n"
     << "  node [shape=record, fontname=\"Helvetica\"];\n";
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Value& v = nodes[i];
    os << "  n" << i << " [label=\"{ " << dot_escape(v.label()) << " | data " << format_fixed4(v.data())
       << " | grad " << format_fixed4(v.grad());
    if (options.extra_fields) {
      for (const std::string& field : options.extra_fields(v)) os << " | " << dot_escape(field);
    }
    os << " }\"";
    if (options.highlight && options.highlight(v)) os << ", color=red, fontcolor=red, penwidth=2";
    os << "];\n";
    if (!v.is_leaf()) {
      os << "  n" << i << "_op [label=\"" << dot_escape(op_label(v)) << "\", shape=ellipse];\n";
      os << "  n" << i << "_op -> n" << i << ";\n";
      for (std::size_t c = 0; c < v.arity(); ++c) {
        os << "  n" << index.at(v.child(c).id()) << " -> n" << i << "_op;\n";
      }
    }
  }
  os << "}\n";
}

std::string to_dot(const Value& root, const DotOptions& options) {
  std::ostringstream os;
  write_dot(os, root, options);
  return os.str();
}

std::vector<std::string> node_names(const std::vector<Value>& order) {
  std::vector<std::string> names(order.size());
  std::unordered_set<std::string> taken;
  for (const bool leaves : {true, false}) {  // inputs first: their names matter most
    for (std::size_t i = 0; i < order.size(); ++i) {
      const Value& v = order[i];
      if (v.is_leaf() == leaves && is_identifier(v.label()) && taken.insert(v.label()).second)
        names[i] = v.label();
    }
  }
  std::size_t next_leaf = 0;
  std::size_t next_inner = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (!names[i].empty()) continue;
    const bool leaf = order[i].is_leaf();
    std::string name;
    do {
      name = leaf ? "x" + std::to_string(++next_leaf) : "t" + std::to_string(++next_inner);
    } while (!taken.insert(name).second);
    names[i] = std::move(name);
  }
  return names;
}

std::string to_program(const Value& root) {
  const std::vector<Value> nodes = ordered_values(root);
  const std::vector<std::string> names = node_names(nodes);
  std::unordered_map<const void*, std::size_t> index;
  for (std::size_t i = 0; i < nodes.size(); ++i) index.emplace(nodes[i].id(), i);
  std::ostringstream os;
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    const Value& v = nodes[n];
    auto arg = [&](std::size_t i) { return names[index.at(v.child(i).id())]; };
    os << names[n] << " = ";
    switch (op_arity(v.op())) {
      case 0: os << format_double(v.data()); break;
      case 1:
        if (v.op() == Op::Neg) {
          os << "-" << arg(0);
        } else if (v.op() == Op::PowConst) {
          os << arg(0) << " ** " << format_double(v.exponent());
        } else {
          os << arg(0) << "." << op_name(v.op()) << "()";
        }
        break;
      case 2: os << arg(0) << " " << op_name(v.op()) << " " << arg(1); break;
      default:  // Dot, written out in its summation order
        os << arg(0);
        for (std::size_t i = 1; i < v.arity(); i += 2) os << " + " << arg(i) << " * " << arg(i + 1);
        break;
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace verigrad
