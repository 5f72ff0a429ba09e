// Value: a scalar in a dynamically built computation graph, as in micrograd.
//
//   Value a(-4.0, "a"), b(2.0, "b");
//   Value c = a + b;
//   Value d = a * b + b.pow(3);
//   c += c + 1;            // rebinds c to a new node, as micrograd's Python does
//   Value g = d.tanh() + c.relu();
//   g.backward();          // a.grad() and b.grad() now hold dg/da and dg/db
//   a.data() -= 0.01 * a.grad();
//
// A Value is a cheap handle (one pointer). Copies share the node; the graph is freed when the last
// handle that can reach a node goes away. Handles are not thread-safe: a graph belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "engine/ops.hpp"

namespace verigrad {

namespace detail {
struct Node;
struct Access;

// A node's handle count is its first field (engine/node.hpp), so copying and dropping a handle is a
// few inline instructions; only a node's first and last handle reach the engine.
inline std::uint32_t& handle_count(Node* n) { return *reinterpret_cast<std::uint32_t*>(n); }
void first_handle(Node* n);  // a node without a handle gets one
void last_handle(Node* n);   // a node's last handle is gone: maybe its graph (engine/arena.cpp)
inline void retain(Node* n) {
  if (handle_count(n)++ == 0) first_handle(n);
}
inline void release(Node* n) {
  if (--handle_count(n) == 0) last_handle(n);
}
}  // namespace detail

class Value {
 public:
  Value(double data = 0.0);  // NOLINT(google-explicit-constructor): a double is a leaf, as in micrograd
  Value(double data, std::string label);

  Value(const Value& other) noexcept : node_(other.node_) {
    if (node_ != nullptr) detail::retain(node_);
  }
  Value(Value&& other) noexcept : node_(other.node_) { other.node_ = nullptr; }
  Value& operator=(const Value& other) noexcept {
    if (this == &other) return *this;
    if (other.node_ != nullptr) detail::retain(other.node_);  // first: other may be held only by us
    if (node_ != nullptr) detail::release(node_);
    node_ = other.node_;
    return *this;
  }
  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      if (node_ != nullptr) detail::release(node_);
      node_ = other.node_;
      other.node_ = nullptr;
    }
    return *this;
  }
  ~Value() {
    if (node_ != nullptr) detail::release(node_);
  }

  // The node's value and gradient, writable: `p.data() -= lr * p.grad(); p.grad() = 0;`
  double& data();
  double data() const;
  double& grad();
  double grad() const;

  // An optional name for tables and pictures; "" when unset.
  const std::string& label() const;
  Value& set_label(std::string label);

  // Structure, for printers, mirrors and generators.
  Op op() const;
  std::size_t arity() const;
  Value child(std::size_t i) const;
  double exponent() const;  // the constant exponent of a PowConst node
  bool is_leaf() const { return op() == Op::Leaf; }
  bool same_node(const Value& other) const { return node_ == other.node_; }
  const void* id() const { return node_; }

  // Adds d(this)/d(leaf) * seed into every leaf this node depends on. Interior nodes' grads are reset
  // and then hold d(this)/d(node) * seed from this call.
  void backward(double seed = 1.0);

  // Operations (also available as free functions below).
  Value pow(double exponent) const;
  Value pow(const Value& exponent) const;
  Value exp() const;
  Value log() const;
  Value tanh() const;
  Value relu() const;
  Value sigmoid() const;
  Value abs() const;

  Value& operator+=(const Value& other);
  Value& operator-=(const Value& other);
  Value& operator*=(const Value& other);
  Value& operator/=(const Value& other);

  // Builders the engine and nn use; most code wants the operators instead.
  static Value unary(Op op, const Value& a, double k = 0.0);
  static Value binary(Op op, const Value& a, const Value& b);
  // out = bias + w[0]*x[0] + w[1]*x[1] + ... as one node (a neuron's pre-activation).
  static Value dot(const Value& bias, const std::vector<Value>& w, const std::vector<Value>& x);

 private:
  friend struct detail::Access;
  explicit Value(detail::Node* adopted) noexcept : node_(adopted) {}
  detail::Node* node_;
};

// Both operand orders come from the implicit conversion: Value + double, double + Value.
Value operator+(const Value& a, const Value& b);
Value operator-(const Value& a, const Value& b);
Value operator*(const Value& a, const Value& b);
Value operator/(const Value& a, const Value& b);
Value operator-(const Value& a);
Value operator+(const Value& a);

Value pow(const Value& base, double exponent);
Value pow(const Value& base, const Value& exponent);  // also double base: pow(2.0, x)
Value exp(const Value& x);
Value log(const Value& x);
Value tanh(const Value& x);
Value relu(const Value& x);
Value sigmoid(const Value& x);
Value abs(const Value& x);

// micrograd's repr: Value(data=..., grad=...)
std::ostream& operator<<(std::ostream& os, const Value& v);

}  // namespace verigrad
