// rapidcheck generators for verigrad: random expression graphs (as GraphSpec, which shrinks to small
// programs) and the numbers they are made of. Header-only; link rapidcheck to use it.
//
//   RC_GTEST_PROP(MyOps, MatchTorch, ()) {
//     const GraphSpec spec = *verigrad::verify::gen::expression();
//     const BuiltGraph g = build(spec);
//     RC_ASSERT(verify::check(g.root).matches());
//   }
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "engine/ops.hpp"
#include "verify/graph_spec.hpp"
#ifdef VERIGRAD_VERIFY_HAS_NN
#include <ostream>

#include "verify/lockstep.hpp"
#include "verify/module_mirror.hpp"
#endif

namespace verigrad::verify::gen {

namespace detail {

using Rng = std::mt19937_64;

inline double uniform(Rng& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
inline std::size_t below(Rng& rng, std::size_t n) {
  return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}
inline bool chance(Rng& rng, double p) { return uniform(rng, 0.0, 1.0) < p; }

// Values that sit on conventions and limits: kinks (0, -0), identities (+-1), the smallest subnormal
// and a tiny normal, and magnitudes whose products overflow.
inline constexpr double kSpecialValues[] = {0.0, -0.0,   1.0,     -1.0,   0.5,     -0.5,  2.0,   -2.0,
                                            3.0, 1e-300, -1e-300, 5e-324, -5e-324, 1e300, -1e300};
// torch special-cases these exponents in its pow kernel; 1 and 0 are identities and pow_backward's
// zero case.
inline constexpr double kSpecialExponents[] = {0.0, 1.0, 2.0, 3.0, 0.5, -1.0, -2.0, -0.5};

inline double leaf_value(Rng& rng) {
  const double pick = uniform(rng, 0.0, 1.0);
  if (pick < 0.25) return kSpecialValues[below(rng, std::size(kSpecialValues))];
  if (pick < 0.35) return static_cast<double>(static_cast<int>(below(rng, 11)) - 5);
  if (pick < 0.45) return (chance(rng, 0.5) ? -1.0 : 1.0) * std::pow(10.0, uniform(rng, -300.0, 300.0));
  return uniform(rng, -3.0, 3.0);
}

inline double exponent(Rng& rng) {
  if (chance(rng, 0.6)) return kSpecialExponents[below(rng, std::size(kSpecialExponents))];
  return uniform(rng, -4.0, 4.0);
}

// An operand for a new node: usually a recent node (deep graphs, everything used), sometimes any
// earlier one (sharing), sometimes a fresh constant leaf on this side.
inline std::size_t operand(Rng& rng, GraphSpec& spec) {
  const std::size_t n = spec.nodes.size();
  if (chance(rng, 0.15)) {
    spec.nodes.push_back(NodeSpec{Op::Leaf, {}, leaf_value(rng), true});
    return n;
  }
  if (chance(rng, 0.5)) return n - 1 - below(rng, std::min<std::size_t>(n, 2));
  return below(rng, n);
}

// Every op but Leaf: what expression() draws from by default.
inline std::vector<Op> all_ops() { return std::vector<Op>(std::begin(kAllOps) + 1, std::end(kAllOps)); }

// ops: the ops to draw from (not empty, no Leaf).
inline GraphSpec random_spec(Rng& rng, int size, const std::vector<Op>& ops_to_use = all_ops()) {
  GraphSpec spec;
  const std::size_t leaves = 1 + below(rng, 4);
  for (std::size_t i = 0; i < leaves; ++i) spec.nodes.push_back(NodeSpec{Op::Leaf, {}, leaf_value(rng)});
  const std::size_t ops = 1 + below(rng, 1 + static_cast<std::size_t>(std::max(size, 0)) / 5);
  for (std::size_t i = 0; i < ops; ++i) {
    NodeSpec node;
    node.op = ops_to_use[below(rng, ops_to_use.size())];
    const int arity = op_arity(node.op);
    const std::size_t count = arity >= 0 ? static_cast<std::size_t>(arity) : 1 + 2 * below(rng, 4);
    for (std::size_t slot = 0; slot < count; ++slot) {
      // Operand 0 of a node usually continues the chain, so most nodes end up reachable.
      node.operands.push_back(slot == 0 && chance(rng, 0.6) ? spec.nodes.size() - 1 : operand(rng, spec));
    }
    if (chance(rng, 0.1) && count == 2) node.operands[1] = node.operands[0];  // a + a, x * x
    if (node.op == Op::PowConst) node.constant = exponent(rng);
    spec.nodes.push_back(std::move(node));
  }
  return prune(spec);
}

}  // namespace detail

// The random source of case `index` of a run seeded with `seed` (verigrad fuzz, verigrad conform):
// every case is reproducible on its own, so a failing one can be generated again to be shrunk.
inline rc::Random case_random(std::uint64_t seed, std::uint64_t index) {
  return rc::Random(rc::Random::Key{seed, index, 0x7665726967726164ULL, 0});
}

// Leaf values: bounded (|x| <= 1e300, no NaN or infinity), hitting 0, -0, +-1, 1e-300, 5e-324 and 1e300.
inline rc::Gen<double> leaf_value() {
  return rc::gen::map(rc::gen::arbitrary<std::uint64_t>(), [](std::uint64_t seed) {
    detail::Rng rng(seed);
    return detail::leaf_value(rng);
  });
}

// Random expression DAGs over the given ops (what `verigrad conform` generates for an engine that
// announced only these), as expression() below. A leaf made as a constant on one side of an op has
// NodeSpec::plain set.
inline rc::Gen<GraphSpec> expression(std::vector<Op> ops) {
  if (ops.empty()) throw std::invalid_argument("gen::expression: no ops to draw from");
  return rc::Gen<GraphSpec>([ops = std::move(ops)](const rc::Random& random, int size) {
    rc::Random r = random;
    detail::Rng rng(r.next());
    return rc::shrinkable::shrinkRecur(detail::random_spec(rng, size, ops), [](const GraphSpec& spec) {
      return rc::seq::fromContainer(shrinks(spec));
    });
  });
}

// Random expression DAGs over every op (Dot included), with shared subexpressions, constants on either
// side and exponents from torch's special set plus random ones. The number of ops grows with the size
// (1 to 21); every node is reachable from the root. Shrinks with verify::shrinks, toward a leaf.
inline rc::Gen<GraphSpec> expression() { return expression(detail::all_ops()); }

#ifdef VERIGRAD_VERIFY_HAS_NN

// A random network, batch and loss: input 1..8, 1..4 layers of width 1..16 (the last has one output,
// or 2..4 classes for cross-entropy), every activation for hidden and output layers, fused or chained
// neurons, batch 1..8 with inputs in [-4, 4] (0 included), every loss. Shrinks through rapidcheck's
// own generators (fewer layers, narrower, smaller batch, simpler numbers).
struct MlpCase {
  int nin = 1;
  std::vector<int> nouts;
  nn::MLPOptions options;
  Batch batch;
  LossSpec loss;

  nn::MLP model() const { return nn::MLP(nin, nouts, options); }
};

inline std::ostream& operator<<(std::ostream& os, const MlpCase& c) {
  os << "MLP(" << c.nin << ", {";
  for (std::size_t i = 0; i < c.nouts.size(); ++i) os << (i ? ", " : "") << c.nouts[i];
  os << "}) hidden " << nn::to_string(c.options.hidden) << ", output " << nn::to_string(c.options.output)
     << ", seed " << c.options.seed << (c.options.fused ? ", fused" : ", chained") << "; loss "
     << to_string(c.loss.kind) << " (l2 " << c.loss.l2_alpha << ")\n";
  for (std::size_t s = 0; s < c.batch.inputs.size(); ++s) {
    os << "  x[" << s << "] = {";
    for (std::size_t i = 0; i < c.batch.inputs[s].size(); ++i) os << (i ? ", " : "") << c.batch.inputs[s][i];
    os << "}";
    if (s < c.batch.targets.size()) os << " target " << c.batch.targets[s];
    if (s < c.batch.classes.size()) os << " class " << c.batch.classes[s];
    os << "\n";
  }
  return os;
}

inline rc::Gen<nn::Activation> activation() {
  return rc::gen::element(nn::Activation::Linear, nn::Activation::Relu, nn::Activation::Tanh,
                          nn::Activation::Sigmoid);
}

inline rc::Gen<double> input_value() {
  return rc::gen::oneOf(rc::gen::just(0.0),
                        rc::gen::map(rc::gen::inRange(-4000, 4001), [](int i) { return i / 1000.0; }),
                        rc::gen::map(rc::gen::arbitrary<std::uint32_t>(),
                                     [](std::uint32_t u) { return -4.0 + 8.0 * (u / 4294967296.0); }));
}

inline rc::Gen<MlpCase> mlp_case() {
  return rc::gen::exec([] {
    MlpCase c;
    c.loss.kind =
        *rc::gen::element(LossKind::Mse, LossKind::Svm, LossKind::BceWithLogits, LossKind::CrossEntropy);
    if (c.loss.kind == LossKind::Svm) c.loss.l2_alpha = *rc::gen::element(0.0, 1e-4, 0.5);
    c.nin = *rc::gen::inRange(1, 9);
    const int layers = *rc::gen::inRange(1, 5);
    for (int l = 0; l + 1 < layers; ++l) c.nouts.push_back(*rc::gen::inRange(1, 17));
    const int classes = c.loss.kind == LossKind::CrossEntropy ? *rc::gen::inRange(2, 5) : 1;
    c.nouts.push_back(classes);
    c.options.hidden = *activation();
    c.options.output = *activation();
    c.options.fused = *rc::gen::arbitrary<bool>();
    c.options.seed = *rc::gen::inRange<std::uint64_t>(0, 1000);
    const int batch = *rc::gen::inRange(1, 9);
    for (int s = 0; s < batch; ++s) {
      c.batch.inputs.push_back(
          *rc::gen::container<std::vector<double>>(static_cast<std::size_t>(c.nin), input_value()));
      switch (c.loss.kind) {
        case LossKind::Mse: c.batch.targets.push_back(*input_value()); break;
        case LossKind::Svm: c.batch.targets.push_back(*rc::gen::element(1.0, -1.0)); break;
        case LossKind::BceWithLogits: c.batch.targets.push_back(*rc::gen::element(0.0, 1.0, 0.25)); break;
        case LossKind::CrossEntropy: c.batch.classes.push_back(*rc::gen::inRange(0, classes)); break;
      }
    }
    return c;
  });
}

inline rc::Gen<OptimizerSpec> optimizer() {
  return rc::gen::exec([] {
    OptimizerSpec o;
    o.kind = *rc::gen::element(OptimizerKind::Sgd, OptimizerKind::Adam);
    o.lr = *rc::gen::element(0.1, 0.01, 0.5);
    o.momentum = *rc::gen::element(0.0, 0.9);
    o.weight_decay = *rc::gen::element(0.0, 1e-3);
    return o;
  });
}

#endif  // VERIGRAD_VERIFY_HAS_NN

}  // namespace verigrad::verify::gen
