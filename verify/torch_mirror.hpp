// The LibTorch side of the op-by-op check: our graph rebuilt with torch calls. This header is
// torch-free; torch_mirror.cpp holds the op switch, the only place besides engine/ops.hpp that lists
// the ops (the compiler flags a missing case there when an op is added to the table).
#pragma once

#include <string>
#include <vector>

#include "engine/value.hpp"

namespace verigrad::verify {

// Torch's forward value and gradient for each node of a graph, indexed like the topological order
// the graph was given in.
struct TorchNumbers {
  std::vector<double> value;
  std::vector<double> grad;
};

// The whole graph rebuilt in LibTorch: every leaf a 0-dim float64 tensor with requires_grad, every
// inner node the matching torch call (retain_grad so its gradient is kept), then one backward from the
// last node of `order` with upstream gradient `seed`. `order` must be the nodes the root reaches, in a
// topological order ending at the root; the tensors are created in the order our nodes were
// (verigrad::topological_order, which is creation order), so torch sums every gradient in our order.
// No recursion: any depth works.
TorchNumbers torch_mirror(const std::vector<Value>& order, double seed);

// One op alone, evaluated by torch on *our* operand values (node.child(i).data()): its forward value
// and the vector-Jacobian product for upstream gradient `upstream`, one entry per operand slot (a
// node using the same operand twice, like a + a, has two slots). This isolates an op from rounding
// differences upstream of it. Leaves have no op: value is their data, vjp is empty.
struct LocalOp {
  double value = 0.0;
  std::vector<double> vjp;
};
LocalOp torch_local(const Value& node, double upstream);
// The same for an op given by kind, constant exponent k (PowConst) and operand values: what another
// engine's numbers are judged with (verify::check_external), where the operands are that engine's.
LocalOp torch_local(Op op, double k, const std::vector<double>& operands, double upstream);

// How far torch's own vjp (per operand slot) moves over the inputs whose outputs lie within `ulps`
// ulps of this node's output: each operand is moved by ulps * ulp(out) / |d out / d operand| (torch's
// derivative) both ways. A derivative computed from the op's output (tanh: 1 - out^2, sigmoid:
// (1 - out) * out) is only as well determined as the output is; this measures that, using torch only.
// Slots whose operand has a zero or non-finite derivative get no allowance from this. When our output
// and torch's differ by at most `ulps` ulps, torch's gradient is also taken where torch's output
// reaches ours (tanh near saturation, where torch's derivative may be exactly 0 and ours not).
std::vector<double> torch_vjp_spread(const Value& node, double upstream, double ulps);
// The same for given operand values, with `ours` the output the judged engine computed from them.
std::vector<double> torch_vjp_spread(Op op, double k, const std::vector<double>& operands, double ours,
                                     double upstream, double ulps);

// Torch's vjp (per slot) at each point where torch's own output reaches `ours`, when our output and
// torch's differ by at most `ulps` ulps (else none). Unlike the spread, these may be infinite or NaN:
// an infinite upstream gradient times tanh's derivative is inf where torch's tanh is 1 - 2^-53 (ours)
// and NaN where it is 1.0 (torch's own), so only the gradient itself, not a distance, can say that
// ours is what torch computes from our output.
std::vector<std::vector<double>> torch_vjp_where_output_reaches(Op op, double k,
                                                                const std::vector<double>& operands,
                                                                double ours, double upstream, double ulps);

// A documented difference between torch's convention and ours at this node's operand values, or ""
// (see the table at the top of torch_mirror.cpp).
std::string torch_convention(const Value& node);
std::string torch_convention(Op op, double k, const std::vector<double>& operands);

}  // namespace verigrad::verify
