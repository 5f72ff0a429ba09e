// Our graphs rebuilt in LibTorch, op by op. Oracle independence: each op maps to the torch call that
// computes it (torch::tanh, torch::pow, ...), and every derivative comes from torch's autograd. Nothing
// here uses the engine's derivative formulas.
//
// Known convention differences: none. (The engine's x ** k once used C pow throughout and differed
// from torch at -0 and -inf for k = +-0.5; it now follows torch's kernel dispatch, pow_like_torch in
// engine/ops.hpp, and tests/verify/pinned_test.cpp pins the agreement.) torch_convention() is where
// a future documented difference goes: check() then reports it as a convention, not a mismatch.
#include "verify/torch_mirror.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "engine/graph.hpp"
#include "engine/ops.hpp"

namespace verigrad::verify {

namespace {

torch::TensorOptions float64() { return torch::dtype(torch::kFloat64); }

// Scalar graphs gain nothing from threads, and two cores are shared: keep torch on one thread.
void configure_torch() {
  static std::once_flag once;
  std::call_once(once, [] { torch::set_num_threads(1); });
}

torch::Tensor leaf_tensor(double x) { return torch::scalar_tensor(x, float64().requires_grad(true)); }

// Dot as torch ops: c0 + c1*c2 + c3*c4 + ..., summed left to right like the engine. The products are
// created last to first: torch's engine runs the ready node created latest first, so this makes the
// gradient contributions reach shared operands in the same order as our backward delivers them
// (c0, then each pair in order), and sums of contributions round identically. The products are exact
// single roundings, so their creation order does not change any forward value.
torch::Tensor dot_chain(const std::vector<torch::Tensor>& in) {
  const std::size_t pairs = (in.size() - 1) / 2;
  std::vector<torch::Tensor> products(pairs);
  for (std::size_t i = pairs; i-- > 0;) products[i] = torch::mul(in[1 + 2 * i], in[2 + 2 * i]);
  torch::Tensor sum = in[0];
  for (const torch::Tensor& p : products) sum = torch::add(sum, p);
  // A Dot with no pairs is its bias alone; give it its own node as the engine does.
  return pairs == 0 ? torch::mul(sum, 1.0) : sum;
}

// THE op switch: the torch call for each op of engine/ops.hpp. No default, so -Wswitch names any op
// added to the table but not here.
torch::Tensor apply_op(Op op, const std::vector<torch::Tensor>& in, double k) {
  switch (op) {
    case Op::Leaf: break;
    case Op::Neg: return torch::neg(in[0]);
    case Op::Exp: return torch::exp(in[0]);
    case Op::Log: return torch::log(in[0]);
    case Op::Tanh: return torch::tanh(in[0]);
    case Op::Relu: return torch::relu(in[0]);
    case Op::Sigmoid: return torch::sigmoid(in[0]);
    case Op::Abs: return torch::abs(in[0]);
    case Op::PowConst: return torch::pow(in[0], k);  // Scalar exponent: torch's special-cased kernels
    case Op::Add: return torch::add(in[0], in[1]);
    case Op::Sub: return torch::sub(in[0], in[1]);
    case Op::Mul: return torch::mul(in[0], in[1]);
    case Op::Div: return torch::div(in[0], in[1]);
    case Op::Pow: return torch::pow(in[0], in[1]);
    case Op::Dot: return dot_chain(in);
  }
  throw std::logic_error("verify: no torch op for a leaf");
}

double exponent_of(const Value& node) { return node.op() == Op::PowConst ? node.exponent() : 0.0; }

double item(const torch::Tensor& t) { return t.item<double>(); }

// Torch on given operand values: forward, and the vjp per slot for `upstream`.
LocalOp local_op(Op op, double k, const std::vector<double>& operands, double upstream) {
  std::vector<torch::Tensor> in;
  in.reserve(operands.size());
  for (double x : operands) in.push_back(leaf_tensor(x));
  const torch::Tensor out = apply_op(op, in, k);
  out.backward(torch::scalar_tensor(upstream, float64()));
  LocalOp result;
  result.value = item(out);
  for (const torch::Tensor& t : in) result.vjp.push_back(t.grad().defined() ? item(t.grad()) : 0.0);
  return result;
}

std::vector<double> operand_values(const Value& node) {
  std::vector<double> values(node.arity());
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = node.child(i).data();
  return values;
}

// a and b are within `ulps` representable doubles of each other.
bool ulp_distance_small(double a, double b, double ulps) {
  double x = b;
  for (int i = 0; i < static_cast<int>(ulps) && x != a; ++i) x = std::nextafter(x, a);
  return x == a;
}

double ulp_of(double x) {
  const double m = std::fabs(x);
  return std::nextafter(m, std::numeric_limits<double>::infinity()) - m;
}

}  // namespace

TorchNumbers torch_mirror(const std::vector<Value>& order, double seed) {
  configure_torch();
  std::unordered_map<const void*, std::size_t> index;
  index.reserve(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) index.emplace(order[i].id(), i);
  // Built in the order our nodes were created, so torch's sequence numbers follow ours: torch's engine
  // then runs the nodes in the order our backward does (newest first) and sums a shared node's
  // contributions in the same order, as it would for the same code written with torch tensors.
  const std::vector<Value> build = topological_order(order.back());  // creation order
  if (build.size() != order.size() || index.size() != order.size()) {
    throw std::invalid_argument("torch_mirror: order has " + std::to_string(order.size()) +
                                " nodes, but its last node reaches " + std::to_string(build.size()));
  }
  std::vector<torch::Tensor> tensors(order.size());
  std::vector<torch::Tensor> in;
  for (const Value& v : build) {
    const std::size_t i = index.at(v.id());
    if (v.is_leaf()) {
      tensors[i] = leaf_tensor(v.data());
      continue;
    }
    in.clear();
    for (std::size_t c = 0; c < v.arity(); ++c) in.push_back(tensors[index.at(v.child(c).id())]);
    tensors[i] = apply_op(v.op(), in, exponent_of(v));
    tensors[i].retain_grad();
  }
  tensors.back().backward(torch::scalar_tensor(seed, float64()));
  TorchNumbers numbers;
  numbers.value.resize(order.size());
  numbers.grad.resize(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    numbers.value[i] = item(tensors[i]);
    const torch::Tensor& g = tensors[i].grad();
    numbers.grad[i] = g.defined() ? item(g) : 0.0;
  }
  return numbers;
}

LocalOp torch_local(const Value& node, double upstream) {
  if (node.is_leaf()) return {node.data(), {}};
  return torch_local(node.op(), exponent_of(node), operand_values(node), upstream);
}

LocalOp torch_local(Op op, double k, const std::vector<double>& operands, double upstream) {
  configure_torch();
  return local_op(op, k, operands, upstream);
}

std::vector<double> torch_vjp_spread(const Value& node, double upstream, double ulps) {
  if (node.is_leaf()) return {};
  return torch_vjp_spread(node.op(), exponent_of(node), operand_values(node), node.data(), upstream, ulps);
}

namespace {

// The operand values, moved from x, at which torch's output of the op reaches `ours` (our output, within
// `ulps` ulps of torch's but not equal: tanh near saturation), trying each operand in turn by doubling
// steps of at most max(1, |x|) / 16 both ways; one entry per operand that gets there.
std::vector<std::vector<double>> where_output_reaches(Op op, double k, const std::vector<double>& x,
                                                      double base, double ours, double ulps) {
  std::vector<std::vector<double>> points;
  if (ours == base || !std::isfinite(ours) || !ulp_distance_small(ours, base, ulps)) return points;
  for (std::size_t m = 0; m < x.size(); ++m) {
    if (!std::isfinite(x[m])) continue;
    const double cap = std::fmax(1.0, std::fabs(x[m])) / 16.0;
    for (double sign : {-1.0, 1.0}) {
      for (double step = ulp_of(x[m]); step <= cap; step *= 2.0) {
        std::vector<double> moved = x;
        moved[m] += sign * step;
        const double value = local_op(op, k, moved, 1.0).value;
        if ((value - base) * (ours - base) >= (ours - base) * (ours - base)) {
          points.push_back(std::move(moved));
          break;
        }
      }
    }
  }
  return points;
}

}  // namespace

std::vector<double> torch_vjp_spread(Op op, double k, const std::vector<double>& x, double ours,
                                     double upstream, double ulps) {
  configure_torch();
  std::vector<double> spread(x.size(), 0.0);
  if (op == Op::Leaf) return spread;
  const LocalOp base = local_op(op, k, x, upstream);
  const LocalOp unit = local_op(op, k, x, 1.0);  // d out / d operand, per slot
  auto widen = [&](const std::vector<double>& moved) {
    const LocalOp near = local_op(op, k, moved, upstream);
    for (std::size_t j = 0; j < spread.size(); ++j) {
      // A move that leaves the domain (NaN) or overflows proves nothing: it grants no allowance.
      const double d = std::fabs(near.vjp[j] - base.vjp[j]);
      if (std::isfinite(d)) spread[j] = std::fmax(spread[j], d);
    }
  };
  for (std::size_t m = 0; m < x.size(); ++m) {
    if (!std::isfinite(x[m])) continue;
    const double delta = ulps * ulp_of(base.value) / std::fabs(unit.vjp[m]);
    if (std::isfinite(delta) && delta != 0.0) {
      for (double sign : {-1.0, 1.0}) {
        std::vector<double> moved = x;
        moved[m] += sign * delta;
        widen(moved);
      }
    }
  }
  // Our output and torch's differ by rounding (tanh(19.02): glibc 1 - 2^-53, SLEEF 1.0, where torch's
  // derivative is exactly 0): also take torch's gradient where torch's own output reaches ours.
  for (const std::vector<double>& moved : where_output_reaches(op, k, x, base.value, ours, ulps))
    widen(moved);
  return spread;
}

std::vector<std::vector<double>> torch_vjp_where_output_reaches(Op op, double k, const std::vector<double>& x,
                                                                double ours, double upstream, double ulps) {
  configure_torch();
  std::vector<std::vector<double>> vjps;
  if (op == Op::Leaf) return vjps;
  const double base = local_op(op, k, x, 1.0).value;
  for (const std::vector<double>& moved : where_output_reaches(op, k, x, base, ours, ulps))
    vjps.push_back(local_op(op, k, moved, upstream).vjp);
  return vjps;
}

std::string torch_convention(const Value& node) {
  return torch_convention(node.op(), exponent_of(node), operand_values(node));
}

std::string torch_convention(Op /*op*/, double /*k*/, const std::vector<double>& /*operands*/) { return ""; }

}  // namespace verigrad::verify
