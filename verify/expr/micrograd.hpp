// micrograd's backward semantics, for programs that run backprop step by step as its lecture does:
//
//   o.grad = 1.0        # set by hand
//   o._backward()       # adds o's local chain rule into n.grad
//   n._backward()       # ... and so on, in an order of the program's choosing
//   o.backward()        # micrograd's: o.grad = 1, then every node's _backward() from o down
//
// Every rule comes from the op table (engine/ops.hpp's unary_backward / binary_backward); nothing here
// knows a derivative. Unlike Value::backward (PyTorch's semantics: interior grads reset each call),
// micrograd_backward accumulates into every node, interior ones included, as micrograd's does.
#pragma once

#include <cstddef>

#include "engine/value.hpp"

namespace verigrad::verify {

// d(node)/d(operand `slot`) * g, by the op table at the node's and its operands' current data.
// Throws std::logic_error for Op::Dot (the fused neuron op; programs never build it) and for leaves.
double local_contribution(const Value& node, std::size_t slot, double g);

// micrograd's node._backward(): adds local_contribution(node, slot, node.grad) into each operand's
// grad. A leaf's _backward() does nothing.
void backward_step(const Value& node);

// micrograd's root.backward(): root.grad = 1 (set, not added), then backward_step on every node of
// root's graph from the root down (reverse topological order). Not recursive.
void micrograd_backward(const Value& root);

}  // namespace verigrad::verify
