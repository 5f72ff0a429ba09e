// The conform traits of verigrad's own engine: what examples/conform/verigrad_adapter.cpp runs as an
// adapter process, and what tests/conform runs in process with EXPECT_CONFORMS. A template for your
// own engine: replace Value and the calls, keep the shape.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "engine/value.hpp"
#include "verify/conform/adapter.hpp"

struct VerigradEngine {
  using value_type = verigrad::Value;
  using Arg = verigrad::verify::conform::Arg<value_type>;
  using OpName = verigrad::verify::conform::OpName;

  static std::string name() { return "verigrad (C++ engine)"; }

  // Every protocol op (Dot, our fused neuron, is not one of them).
  static std::vector<OpName> ops() {
    return {std::begin(verigrad::verify::conform::kOpNames), std::end(verigrad::verify::conform::kOpNames)};
  }
  // A double converts to a Value, so 2.0 - x works for every binary op.
  static std::vector<OpName> constant_left() {
    return {OpName::add, OpName::sub, OpName::mul, OpName::div, OpName::pow};
  }

  static value_type leaf(double x) { return value_type(x); }

  static value_type apply(OpName op, const Arg& a, const Arg& b) {
    const value_type x = operand(a);
    switch (op) {
      case OpName::add: return x + operand(b);
      case OpName::sub: return x - operand(b);
      case OpName::mul: return x * operand(b);
      case OpName::div: return x / operand(b);
      case OpName::pow: return verigrad::pow(x, operand(b));
      case OpName::pow_const: return x.pow(b.number);
      case OpName::neg: return -x;
      case OpName::relu: return x.relu();
      case OpName::tanh: return x.tanh();
      case OpName::exp: return x.exp();
      case OpName::log: return x.log();
      case OpName::sigmoid: return x.sigmoid();
      case OpName::abs: return x.abs();
    }
    throw std::invalid_argument("unknown op");
  }

  static void backward(value_type& root) { root.backward(); }
  static double data(const value_type& v) { return v.data(); }
  static double grad(const value_type& v) { return v.grad(); }
  static void set_grad(value_type& v, double g) { v.grad() = g; }

 private:
  static value_type operand(const Arg& a) { return a.is_number() ? value_type(a.number) : *a.value; }
};
