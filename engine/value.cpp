// Value: handles, the op builders and backward. The op formulas themselves live in engine/ops.hpp.
#include "engine/value.hpp"

#include <cassert>
#include <ostream>
#include <stdexcept>
#include <utility>

#include "engine/graph.hpp"
#include "engine/node.hpp"

namespace verigrad {

using detail::Access;
using detail::Node;

// ---- handles -------------------------------------------------------------------------------------

Value::Value(double data) : node_(detail::new_node(Op::Leaf)) { node_->data = data; }

Value::Value(double data, std::string label) : Value(data) { detail::set_label(node_, std::move(label)); }

double& Value::data() { return node_->data; }
double Value::data() const { return node_->data; }
double& Value::grad() { return node_->grad; }
double Value::grad() const { return node_->grad; }

const std::string& Value::label() const { return detail::label_of(node_); }
Value& Value::set_label(std::string label) {
  detail::set_label(node_, std::move(label));
  return *this;
}

Op Value::op() const { return node_->op; }
std::size_t Value::arity() const { return detail::arity(node_); }

Value Value::child(std::size_t i) const {
  if (i >= arity()) {
    throw std::out_of_range("Value::child: index " + std::to_string(i) + " but the node has " +
                            std::to_string(arity()) + " operands");
  }
  Node* c = detail::child(node_, i);
  detail::retain(c);
  return Value(c);
}

double Value::exponent() const {
  if (node_->op != Op::PowConst) throw std::logic_error("Value::exponent: not a constant power node");
  return node_->k;
}

// ---- builders: forward ---------------------------------------------------------------------------

namespace {

// The builders, inlined into each operator below with the op known at compile time, so the
// op table's forward switch folds down to the one formula. Operands are not counted: a node's
// operands are older than it, and the arena keeps them while anything newer can reach them.
inline Node* make_unary(Op op, Node* a, double k) {
  Node* n = detail::new_node(op);
  n->a = a;
  if (op == Op::PowConst) n->k = k;
  n->data = unary_forward(op, a->data, k);
  return n;
}

inline Node* make_binary(Op op, Node* a, Node* b) {
  Node* n = detail::new_node(op);
  n->a = a;
  n->b = b;
  n->data = binary_forward(op, a->data, b->data);
  return n;
}

}  // namespace

Value Value::unary(Op op, const Value& a, double k) {
  if (op_arity(op) != 1)
    throw std::invalid_argument(std::string("Value::unary: ") + op_kind_name(op) + " is not a unary op");
  return Value(make_unary(op, a.node_, k));
}

Value Value::binary(Op op, const Value& a, const Value& b) {
  if (op_arity(op) != 2)
    throw std::invalid_argument(std::string("Value::binary: ") + op_kind_name(op) + " is not a binary op");
  return Value(make_binary(op, a.node_, b.node_));
}

// Dot: bias + w[0]*x[0] + w[1]*x[1] + ..., summed left to right (micrograd's sum(wi*xi, b) order).
Value Value::dot(const Value& bias, const std::vector<Value>& w, const std::vector<Value>& x) {
  if (w.size() != x.size()) {
    throw std::invalid_argument("Value::dot: " + std::to_string(w.size()) + " weights but " +
                                std::to_string(x.size()) + " inputs");
  }
  Node* n = detail::new_dot(1 + 2 * w.size());  // its operand array sits right below it
  Node** kids = n->kids;
  kids[0] = bias.node_;
  double sum = bias.node_->data;
  for (std::size_t i = 0; i < w.size(); ++i) {
    Node* wi = w[i].node_;
    Node* xi = x[i].node_;
    kids[1 + 2 * i] = wi;
    kids[2 + 2 * i] = xi;
    sum += wi->data * xi->data;
  }
  n->data = sum;
  return Value(n);
}

// ---- backward ------------------------------------------------------------------------------------
//
// micrograd sorts the graph topologically (a DFS from the root) and runs each node's _backward in
// reverse. Here no sort is needed: an operand is always created before the nodes that use it, so
// the arena's reverse creation order is already topological, and backward is one sweep down the
// arena from the root. Each node this call has reached passes its grad on to its operands; a node
// with several users receives their contributions newest user first, as PyTorch's engine runs nodes
// (by decreasing sequence number). Nodes the root does not reach are skipped, and the sweep stops at
// the last reached inner node, so it covers the root's graph, not the arena below it (leaves need no
// visit of their own: their users add to them).

namespace {

// One backward() call: the epoch that stamps what it reached, and how many reached inner nodes the
// sweep has still to visit.
struct Sweep {
  std::uint32_t epoch;
  std::size_t pending;
  // The first operand the last node added to, and that operand's grad afterwards. In a chain it is the
  // very next node the sweep visits, which then takes its grad from here: from a register rather than
  // back from memory just after the store (7% of a long chain's time).
  const Node* hot = nullptr;
  double hot_grad = 0.0;

  // Called before each contribution to an operand. The first time this call reaches an inner node,
  // its grad from an earlier call is reset (interior grads describe the latest call; leaves, whose
  // mark is above every epoch, accumulate).
  void reach(Node* c) {
    if (c->mark < epoch) {
      c->mark = epoch;
      c->grad = 0.0;
      ++pending;
    }
  }
};

// Adds this node's contribution to its operands' grads: the chain rule, one op at a time. One switch
// over the op, each case the op table's formula with the op known at compile time.
inline void propagate(const Node* n, Sweep& s) {
  const double g = n == s.hot ? s.hot_grad : n->grad;
  switch (n->op) {
#define VERIGRAD_PROPAGATE_UNARY(kind, ...)                            \
  case Op::kind: {                                                     \
    const double k = Op::kind == Op::PowConst ? n->k : 0.0;            \
    s.reach(n->a);                                                     \
    n->a->grad += unary_backward(Op::kind, g, n->a->data, k, n->data); \
    s.hot = n->a;                                                      \
    s.hot_grad = n->a->grad;                                           \
    break;                                                             \
  }
#define VERIGRAD_PROPAGATE_BINARY(kind, ...)                                             \
  case Op::kind: {                                                                       \
    const BinaryGrads d = binary_backward(Op::kind, g, n->a->data, n->b->data, n->data); \
    s.reach(n->a);                                                                       \
    n->a->grad += d.da;                                                                  \
    const double a_grad = n->a->grad;                                                    \
    s.reach(n->b);                                                                       \
    n->b->grad += d.db;                                                                  \
    s.hot = n->a;                                                                        \
    s.hot_grad = n->b == n->a ? n->b->grad : a_grad;                                     \
    break;                                                                               \
  }
    VERIGRAD_UNARY_OPS(VERIGRAD_PROPAGATE_UNARY)
    VERIGRAD_BINARY_OPS(VERIGRAD_PROPAGATE_BINARY)
#undef VERIGRAD_PROPAGATE_UNARY
#undef VERIGRAD_PROPAGATE_BINARY
    case Op::Dot: {
      s.hot = nullptr;  // (its operands' grads stay in memory)
      Node* const* c = n->kids;
      s.reach(c[0]);
      c[0]->grad += g;
      for (std::uint32_t i = 1; i < n->count; i += 2) {
        s.reach(c[i]);
        s.reach(c[i + 1]);
        c[i]->grad += g * c[i + 1]->data;
        c[i + 1]->grad += g * c[i]->data;
      }
      break;
    }
    case Op::Leaf: break;  // nothing below it
  }
}

}  // namespace

void Value::backward(double seed) {
  Node* const root = node_;
  if (root->op == Op::Leaf) {  // a leaf root accumulates like any leaf
    root->grad += seed;
    return;
  }
  Sweep s{detail::next_epoch(), 0};
  s.reach(root);
  root->grad += seed;
  detail::Region* r = detail::region_of(root);
  for (Node* n = root;; n = detail::older_node(n, r)) {
    if (n->mark != s.epoch) continue;  // not reached by this call: another graph, garbage or a leaf
    propagate(n, s);
    if (--s.pending == 0) break;  // every reached inner node is done; older nodes were not reached
  }
}

// ---- operators -----------------------------------------------------------------------------------

Value Value::pow(double exponent) const { return Value(make_unary(Op::PowConst, node_, exponent)); }
Value Value::pow(const Value& exponent) const { return Value(make_binary(Op::Pow, node_, exponent.node_)); }
Value Value::exp() const { return Value(make_unary(Op::Exp, node_, 0.0)); }
Value Value::log() const { return Value(make_unary(Op::Log, node_, 0.0)); }
Value Value::tanh() const { return Value(make_unary(Op::Tanh, node_, 0.0)); }
Value Value::relu() const { return Value(make_unary(Op::Relu, node_, 0.0)); }
Value Value::sigmoid() const { return Value(make_unary(Op::Sigmoid, node_, 0.0)); }
Value Value::abs() const { return Value(make_unary(Op::Abs, node_, 0.0)); }

// Compound assignment rebinds this handle to a new node, as `c += c + 1` does in micrograd.
Value& Value::operator+=(const Value& other) { return *this = *this + other; }
Value& Value::operator-=(const Value& other) { return *this = *this - other; }
Value& Value::operator*=(const Value& other) { return *this = *this * other; }
Value& Value::operator/=(const Value& other) { return *this = *this / other; }

Value operator+(const Value& a, const Value& b) {
  return Access::adopt(make_binary(Op::Add, Access::node(a), Access::node(b)));
}
Value operator-(const Value& a, const Value& b) {
  return Access::adopt(make_binary(Op::Sub, Access::node(a), Access::node(b)));
}
Value operator*(const Value& a, const Value& b) {
  return Access::adopt(make_binary(Op::Mul, Access::node(a), Access::node(b)));
}
Value operator/(const Value& a, const Value& b) {
  return Access::adopt(make_binary(Op::Div, Access::node(a), Access::node(b)));
}
Value operator-(const Value& a) { return Access::adopt(make_unary(Op::Neg, Access::node(a), 0.0)); }
Value operator+(const Value& a) { return a; }

Value pow(const Value& base, double exponent) { return base.pow(exponent); }
Value pow(const Value& base, const Value& exponent) { return base.pow(exponent); }
Value exp(const Value& x) { return x.exp(); }
Value log(const Value& x) { return x.log(); }
Value tanh(const Value& x) { return x.tanh(); }
Value relu(const Value& x) { return x.relu(); }
Value sigmoid(const Value& x) { return x.sigmoid(); }
Value abs(const Value& x) { return x.abs(); }

std::ostream& operator<<(std::ostream& os, const Value& v) {
  return os << "Value(data=" << format_double(v.data()) << ", grad=" << format_double(v.grad()) << ")";
}

}  // namespace verigrad
