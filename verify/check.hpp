// verify::check: our graph against the same graph in LibTorch, node by node.
//
//   Value x(0.5, "x"), y(-2.0, "y");
//   Value z = (x * y).tanh() + x.pow(2);
//   verify::Report r = verify::check(z);
//   std::cout << r;                // a table, every node side by side
//   r.matches();                   // false if any node is a real mismatch
//
// How a node is judged. Torch's numbers come from the whole graph rebuilt in LibTorch ("global"). If
// they agree with ours under the tolerance, the node matches. If not, the op is re-run by torch alone
// on *our* operand values and with *our* upstream gradients ("local"), which separates three causes:
//   inherited   local agrees: the op is right, its inputs already differed by rounding upstream and
//               the op amplified that (cancellation in a - b, a kink flipped by a 1-ulp difference).
//   rounding    local differs, but by no more than torch's own gradient moves when the op's output
//               moves by kRoundingUlps ulps (torch_vjp_spread): a derivative computed from a rounded
//               output, near saturation (tanh' = 1 - out^2 at |x| > 5).
//   convention  a documented difference in torch's convention (torch_mirror.cpp's table).
//   mismatch    anything else: an engine bug, or an undocumented convention difference.
//
// Our side: check() runs root.backward(seed) itself on zeroed leaf grads, reads every node's value
// and grad, then restores every grad it found, so calling check() leaves the graph exactly as it was
// (it neither clobbers grads a user has accumulated nor leaves ours behind).
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/graph.hpp"
#include "engine/value.hpp"
#include "verify/compare.hpp"

namespace verigrad::verify {

enum class Verdict { Match, Inherited, Rounding, Convention, Mismatch };
const char* to_string(Verdict verdict);

// How many ulps of an op's output a local gradient may be taken to be uncertain by (see "rounding"
// above): our output and torch's differ by <= 2 ulps (SLEEF and glibc are each within 1 ulp), and our
// formula rounds out*out where torch's FMA does not (another half ulp). 4 covers both.
inline constexpr double kRoundingUlps = 4.0;

struct Side {
  double ours = 0.0;  // our number, or the judged engine's (check_external)
  double torch = 0.0;
  Comparison comparison;
  Verdict verdict = Verdict::Match;
  bool reported = true;  // false: the judged engine gave no number here, so `ours` is torch's
};

struct NodeRow {
  std::size_t index = 0;     // position in topological order
  const void* id = nullptr;  // Value::id() of the node (valid while the graph lives)
  std::string name;          // as in to_program: the leaf's label, x1.., or t1..
  Op op = Op::Leaf;
  double exponent = 0.0;              // PowConst only
  std::vector<std::size_t> operands;  // indices of the operands (rows before this one)
  Side value;
  Side grad;
  std::string note;  // convention text, or why a node was judged as it was

  bool diverges() const { return value.verdict != Verdict::Match || grad.verdict != Verdict::Match; }
  // "t3 = t1 * t2", "x1 = 0.5"
  std::string expression(const std::vector<NodeRow>& rows) const;
};

struct Report {
  std::vector<NodeRow> rows;  // topological order, root last
  double seed = 1.0;
  Tolerance tolerance = kOpTolerance;
  std::optional<std::size_t> first_divergence;  // first row (topological order) not a plain match
  std::optional<std::size_t> first_mismatch;    // first row with a Verdict::Mismatch

  // No node is a mismatch (inherited rounding, rounding-level gradients and conventions are allowed).
  bool matches() const { return !first_mismatch.has_value(); }
  // Every node agrees with torch's whole-graph numbers under the tolerance.
  bool exact() const { return !first_divergence.has_value(); }
  std::size_t count(Verdict verdict) const;  // nodes with this verdict for value or grad

  std::string summary() const;   // one line
  std::string to_table() const;  // summary, the first mismatch explained, every node side by side
  nlohmann::json to_json() const;
};

std::ostream& operator<<(std::ostream& os, const Report& report);

struct CheckOptions {
  double seed = 1.0;  // upstream gradient of the root
  Tolerance tolerance = kOpTolerance;
};

Report check(const Value& root, const CheckOptions& options = {});

// Another engine's numbers for the nodes of a graph built here: what `verigrad conform` judges. One
// entry per node of the order; nullopt where that engine reported nothing (an engine may report only
// the output's value and the leaves' grads). A leaf's value is the input both engines were given.
struct ExternalNumbers {
  std::vector<std::optional<double>> value;
  std::vector<std::optional<double>> grad;
};

// check() with the judged side's numbers taken from `engine` instead of from our own backward: the
// same torch mirror, tolerance and verdicts (the local oracle runs torch on the engine's own operand
// values and consumer grads). `order` is a topological order ending at the root, as torch_mirror
// takes; rows keep that order. Unreported numbers are torch's, marked Side::reported = false.
Report check_external(const std::vector<Value>& order, const ExternalNumbers& engine,
                      const CheckOptions& options = {});

// Our gradient of every node of `order` (a topological order ending at the root) after
// root.backward(seed) on zeroed leaf grads. Every grad in the graph is restored before returning.
std::vector<double> fresh_gradients(const std::vector<Value>& order, double seed = 1.0);

// A first-order bound on the rounding error of our gradient at every node of `order` for
// root.backward(seed): each node's error is carried to its operands through torch's vjp (|vjp(err)|),
// plus 4 ulps of every contribution for its own rounding, plus (|upstream| + 1) * DBL_MIN for an
// intermediate that underflows, plus 2 ulps of the sum of |contributions| for the accumulation. A gradient
// summed from contributions that cancel (1e-300 + 1 - 1) and then multiplied by 1e300 has a bound far above
// its value: the chain rule cannot resolve it in doubles.
std::vector<double> gradient_error_bounds(const std::vector<Value>& order, double seed = 1.0);

// A first-order bound on the absolute rounding error of every node's forward value: each op's local
// derivatives (torch's, on our operand values) carry its operands' errors, plus 4 ulps of the larger of
// |value| and the sum of |operand * derivative| (what a cancelling a + b or a dot product loses), plus
// DBL_MIN for underflow. x
// swallowed by (x + 1e156) - 1e156 shows up here as an error of ~1e140, which is what makes a finite
// difference of that function meaningless.
std::vector<double> forward_error_bounds(const std::vector<Value>& order);

// DOT options for engine/graph.hpp's to_dot: each record gains torch's value and grad, and nodes that
// are mismatches are drawn in red. The report must come from check() on the same, still living graph.
DotOptions dot_options(const Report& report);

}  // namespace verigrad::verify
