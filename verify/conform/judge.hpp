// Judging one response of a foreign engine: its numbers against LibTorch under the project's one
// comparison policy and verdicts (verify::check_external: inherited rounding and rounding-level
// gradients pass), or its error, crash or timeout, classified into the finding kinds of the report.
// Torch-free header.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "verify/check.hpp"
#include "verify/conform/engine.hpp"
#include "verify/conform/program.hpp"

namespace verigrad::verify::conform {

// The finding kinds (a contract: `--json` prints these names).
//   wrong_value  a value differs from torch's, beyond what inherited rounding explains
//   wrong_grad   a gradient differs from torch's, beyond inherited rounding and rounding-level spread
//   raises       the engine raised where torch gives a number
//   edge         the engine raised an arithmetic error, or returned a non-IEEE number (a Python
//                complex), where torch gives inf or nan: what plain Python floats do, reported apart
//   not_a_value  an op returned something that is not the engine's Value
//   crash        the adapter died on the case, twice
//   timeout      no reply within --timeout
enum class Kind : std::uint8_t { pass, wrong_value, wrong_grad, raises, edge, not_a_value, crash, timeout };
const char* to_string(Kind kind);

struct Outcome {
  Kind kind = Kind::pass;
  std::vector<OpName> ops;  // the op(s) blamed, most likely first; empty when the evidence names none
  std::string node;         // where it went wrong: a node's name ("" unknown)
  std::string exception;    // raises, edge: the exception type, or the non-IEEE type
  std::string what;         // one line for people

  bool passed() const { return kind == Kind::pass; }
};

// Everything judged about one response.
struct Judgement {
  Outcome outcome;
  Report report;  // the engine's numbers (Side::ours) against torch's, every node, program order
  // Non-IEEE numbers the engine reported, per node (Report holds NaN there): their text, else "".
  std::vector<std::string> odd_value, odd_grad;
};

// Judges the engine's response to `program` run in `mode`. In modes other than once only the values
// and the leaves' gradients are judged (torch keeps no inner gradients across calls); twice and
// two_graphs expect the leaves' gradients doubled, as torch accumulates them.
Judgement judge(const Program& program, Mode mode, const Response& response);

// How many backward() calls a mode's leaf gradients add up (2 in twice and two_graphs, else 1). A
// Judgement holds gradients per call; anything shown to people multiplies them back by this.
double grad_factor(Mode mode);

// Whether `candidate` shows the same problem as `original` (the shrinking predicate): the same kind,
// the same exception type, and one of the ops originally blamed among the candidate's. A wrong gradient
// of a node that several ops use blames all of them (the engine reports the sum of their
// contributions); shrinking may move to a program where only one of them is left, which then says
// which it was (x / x - x with div's backward wrong shrinks to x / x, a finding about div, not sub).
bool same_problem(const Outcome& original, const Outcome& candidate);

}  // namespace verigrad::verify::conform
