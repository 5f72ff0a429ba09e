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

#include "engine/ops.hpp"
#include "verify/graph_spec.hpp"

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
    spec.nodes.push_back(NodeSpec{Op::Leaf, {}, leaf_value(rng)});
    return n;
  }
  if (chance(rng, 0.5)) return n - 1 - below(rng, std::min<std::size_t>(n, 2));
  return below(rng, n);
}

inline GraphSpec random_spec(Rng& rng, int size) {
  GraphSpec spec;
  const std::size_t leaves = 1 + below(rng, 4);
  for (std::size_t i = 0; i < leaves; ++i) spec.nodes.push_back(NodeSpec{Op::Leaf, {}, leaf_value(rng)});
  const std::size_t ops = 1 + below(rng, 1 + static_cast<std::size_t>(std::max(size, 0)) / 5);
  constexpr std::size_t kOpCount = std::size(kAllOps) - 1;  // every op but Leaf
  for (std::size_t i = 0; i < ops; ++i) {
    NodeSpec node;
    node.op = kAllOps[1 + below(rng, kOpCount)];
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

// Leaf values: bounded (|x| <= 1e300, no NaN or infinity), hitting 0, -0, +-1, 1e-300, 5e-324 and 1e300.
inline rc::Gen<double> leaf_value() {
  return rc::gen::map(rc::gen::arbitrary<std::uint64_t>(), [](std::uint64_t seed) {
    detail::Rng rng(seed);
    return detail::leaf_value(rng);
  });
}

// Random expression DAGs over every op (Dot included), with shared subexpressions, constants on either
// side and exponents from torch's special set plus random ones. The number of ops grows with the size
// (1 to 21); every node is reachable from the root. Shrinks with verify::shrinks, toward a leaf.
inline rc::Gen<GraphSpec> expression() {
  return rc::Gen<GraphSpec>([](const rc::Random& random, int size) {
    rc::Random r = random;
    detail::Rng rng(r.next());
    return rc::shrinkable::shrinkRecur(detail::random_spec(rng, size), [](const GraphSpec& spec) {
      return rc::seq::fromContainer(shrinks(spec));
    });
  });
}

}  // namespace verigrad::verify::gen
