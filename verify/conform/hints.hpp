// Hints for the classic mistakes of hand-written autograd engines, each given only when the numbers
// show it. A hint is a hypothesis: the mistake is replayed on the failing program (torch computes
// every local derivative; only the way they are combined is changed, as the mistake would change it)
// and the hint is given when the replay reproduces every gradient the engine reported while the
// correct chain rule does not. Torch-free header.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "verify/conform/judge.hpp"

namespace verigrad::verify::conform {

struct Hint {
  // A contract for --json: swapped_reflected, assign_not_accumulate, sign_lost, missing_gradient,
  // no_topological_order, recursion, intermediate_grads_kept, no_accumulation, not_a_value,
  // missing_import, unwrapped_number.
  std::string id;
  std::string text;
  std::optional<OpName> op;  // the op the mistake is in, when the hint names one
};

// Every hint whose replay fits the judged response of `program` run in `mode`, the likeliest first.
// A small program can fit two mistakes by coincidence: verigrad conform then prefers the one that
// fits the most of the run's findings.
std::vector<Hint> find_hints(const Program& program, Mode mode, const Response& response,
                             const Judgement& judged);
// The first of them, if any.
std::optional<Hint> find_hint(const Program& program, Mode mode, const Response& response,
                              const Judgement& judged);

// The recursion hint for an engine that fails on a chain `depth` deep and not on shallower ones.
Hint recursion_hint(std::size_t depth, const std::string& how);

}  // namespace verigrad::verify::conform
