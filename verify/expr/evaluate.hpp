// Forward evaluation of a Value graph without touching it: the finite-difference oracle re-evaluates
// a graph with one leaf nudged. Iterative (topological order), so any depth is fine.
#pragma once

#include <unordered_map>
#include <vector>

#include "engine/value.hpp"
#include "verify/expr/parser.hpp"

namespace verigrad::verify {

// The value root would have if each leaf whose id() is a key took the mapped value instead of its
// data() (other leaves keep theirs). Node values are recomputed from the op table
// (verigrad::unary_forward / binary_forward, Dot as c0 + c1*c2 + ... left to right), so with no
// overrides the result is bit-identical to root.data(). Keys that are not leaves of root are ignored.
double evaluate_forward(const Value& root,
                        const std::unordered_map<const void*, double>& leaf_overrides = {});

// program.root evaluated with program.leaves[i] set to leaf_values[i]. Throws std::invalid_argument
// unless there is exactly one value per leaf. The graph itself is not modified.
double evaluate(const Program& program, const std::vector<double>& leaf_values);

}  // namespace verigrad::verify
