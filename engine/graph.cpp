// Traversal, counting, DOT pictures and the program printer. Nothing here recurses.
#include "engine/graph.hpp"

#include <algorithm>
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

thread_local std::vector<Node*> order_buffer;

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

void unmark(Node* n) { n->flags = static_cast<std::uint8_t>(n->flags & ~kReached); }

// Iterative post-order DFS, operands in index order, each node emitted once after all its operands:
// the order a recursive `visit(kids...); emit(self)` gives, without recursion (10^7-deep chains are
// fine). A node is flagged kReached when first reached, so it is entered once; the flags are cleared
// again before returning (also if the order cannot grow). The node being scanned stays in registers
// and only its ancestors sit on the stack.
void post_order(Node* root, std::vector<Node*>& order) {
  order.clear();
  FrameStack& st = frames;
  std::size_t depth = 0;
  Node* n = root;
  try {
    root->flags |= kReached;
    std::size_t next = 0;  // n's next operand to look at
    for (;;) {
      Node* c = nullptr;
      const std::size_t count = arity(n);
      while (next < count) {
        Node* k = child(n, next++);
        if ((k->flags & kReached) == 0) {
          c = k;
          break;
        }
      }
      if (c != nullptr) {  // descend into c; n waits on the stack
        c->flags |= kReached;
        if (depth == st.capacity) st.grow();
        st.data[depth++] = {n, next};
        n = c;
        next = 0;
        continue;
      }
      order.push_back(n);  // every operand is ordered: so is n
      n = nullptr;
      if (depth == 0) break;
      --depth;
      n = st.data[depth].node;
      next = st.data[depth].next;
    }
  } catch (...) {  // out of memory: leave no flag behind
    for (Node* x : order) unmark(x);
    for (std::size_t i = 0; i < depth; ++i) unmark(st.data[i].node);
    if (n != nullptr) unmark(n);
    // A child flagged but not yet entered is n's operand `next - 1`; unflagging every operand of the
    // nodes above covers it (none of them is in the order yet, or it would be unflagged already).
    for (std::size_t i = 0; i < depth; ++i) for_each_operand(st.data[i].node, unmark);
    if (n != nullptr) for_each_operand(n, unmark);
    st.shrink();
    throw;
  }
  for (Node* x : order) unmark(x);
  st.shrink();
}

}  // namespace

std::vector<Node*>& topological_order(Node* root) {
  std::vector<Node*>& order = order_buffer;
  post_order(root, order);
  return order;
}

void done_with_order(std::vector<Node*>& order) { trim(order); }

}  // namespace detail

namespace {

using detail::Access;
using detail::Node;

// Handles to every node reachable from root, in the order they were created (oldest first): a
// topological order, and the one backward runs in reverse. Listing nodes in creation order is what lets a
// printed program rebuild the graph in the same order, so its gradients come out bit for bit the same
// (a node with several users sums their contributions newest first). The shared buffer is copied out
// first, so callers may traverse again while they hold the result.
std::vector<Value> ordered_values(const Value& root) {
  std::vector<Node*>& order = detail::topological_order(Access::node(root));
  std::sort(order.begin(), order.end(),
            [](const Node* x, const Node* y) { return detail::creation_rank(x) < detail::creation_rank(y); });
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
