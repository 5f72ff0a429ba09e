// Finite differences from forward evaluation only, and the classification of disagreements.
#include "verify/finite_diff.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <sstream>
#include <unordered_map>

#include "engine/graph.hpp"
#include "engine/ops.hpp"
#include "verify/expr/evaluate.hpp"

namespace verigrad::verify {

namespace {

constexpr double kMachineEps = std::numeric_limits<double>::epsilon();

// An op's forward on given operand values, from the op table's forward functions (never a derivative).
double op_forward(const Value& node, const std::vector<double>& in) {
  switch (op_arity(node.op())) {
    case 1: return unary_forward(node.op(), in[0], node.op() == Op::PowConst ? node.exponent() : 0.0);
    case 2: return binary_forward(node.op(), in[0], in[1]);
    default: {
      double sum = in[0];
      for (std::size_t i = 1; i + 1 < in.size(); i += 2) sum += in[i] * in[i + 1];
      return sum;
    }
  }
}

double threshold(Tolerance tolerance, double a, double b) {
  return tolerance.atol + tolerance.rtol * std::fmax(std::fabs(a), std::fabs(b));
}

// One-sided slopes of f at x disagree at step s and still at s/2 (a smooth function's gap halves),
// by more than the tolerance and the rounding noise of the quotients.
bool kink_at(const std::function<double(double)>& f, double x, double s, Tolerance tolerance, double noise) {
  const double f0 = f(x);
  double gaps[2] = {0.0, 0.0};
  double bound = 0.0;
  for (int i = 0; i < 2; ++i) {
    const double step = i == 0 ? s : s / 2;
    const double left = (f0 - f(x - step)) / step;
    const double right = (f(x + step) - f0) / step;
    if (!std::isfinite(left) || !std::isfinite(right)) return false;
    gaps[i] = std::fabs(left - right);
    bound = std::fmax(bound, threshold(tolerance, left, right) + 4.0 * noise / step);
  }
  return gaps[0] > bound && gaps[1] > bound && gaps[1] > 0.75 * gaps[0];
}

// Which nodes of `order` depend on `leaf` (the leaf included).
std::vector<bool> depends_on(const std::vector<Value>& order, const Value& leaf) {
  std::unordered_map<const void*, std::size_t> index;
  std::vector<bool> depends(order.size(), false);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Value& v = order[i];
    index.emplace(v.id(), i);
    bool d = v.same_node(leaf);
    for (std::size_t c = 0; c < v.arity() && !d; ++c) d = depends[index.at(v.child(c).id())];
    depends[i] = d;
  }
  return depends;
}

// A node depending on the leaf whose op sits at a non-differentiable point of one of its operands;
// returns its description, or "".
std::string internal_kink(const std::vector<Value>& order, const std::vector<bool>& depends, double eps,
                          Tolerance tolerance) {
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Value& v = order[i];
    if (!depends[i] || v.is_leaf()) continue;
    std::vector<double> in(v.arity());
    for (std::size_t c = 0; c < in.size(); ++c) in[c] = v.child(c).data();
    for (std::size_t m = 0; m < in.size(); ++m) {
      if (!std::isfinite(in[m])) continue;
      auto f = [&](double t) {
        std::vector<double> moved = in;
        moved[m] = t;
        return op_forward(v, moved);
      };
      const double noise = 4.0 * kMachineEps * std::fabs(v.data());
      if (kink_at(f, in[m], eps * std::fmax(1.0, std::fabs(in[m])), tolerance, noise)) {
        return std::string("node ") + op_kind_name(v.op()) + " is at a non-differentiable point of operand " +
               std::to_string(m) + " = " + format_double(in[m]);
      }
    }
  }
  return "";
}

// A node depending on the leaf whose value is not finite; returns its description, or "".
std::string non_finite_intermediate(const std::vector<Value>& order, const std::vector<bool>& depends) {
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (depends[i] && !std::isfinite(order[i].data())) {
      return std::string("intermediate ") + op_kind_name(order[i].op()) + " = " +
             format_double(order[i].data()) +
             ": the chain rule multiplies by an infinite or undefined local derivative there";
    }
  }
  return "";
}

double nudge(double x, int ulps) {
  const double toward =
      ulps > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  for (int i = 0; i < std::abs(ulps); ++i) x = std::nextafter(x, toward);
  return x;
}

}  // namespace

const char* to_string(FdVerdict verdict) {
  switch (verdict) {
    case FdVerdict::Agree: return "agree";
    case FdVerdict::Kink: return "kink";
    case FdVerdict::Unstable: return "unstable";
    case FdVerdict::Disagree: return "DISAGREE";
  }
  return "?";
}

namespace {

// The probe at one step size h.
FdProbe probe_at(const Value& root, const Value& leaf, double analytic, double h, const FdOptions& options) {
  const Tolerance tol = options.tolerance;
  auto f = [&](double t) { return evaluate_forward(root, {{leaf.id(), t}}); };
  FdProbe p;
  p.x = leaf.data();
  p.analytic = analytic;
  p.step = h;
  const double f0 = f(p.x), fm = f(p.x - h), fp = f(p.x + h), fm2 = f(p.x - h / 2), fp2 = f(p.x + h / 2);
  p.central = (fp - fm) / (2 * h);
  p.left = (f0 - fm) / h;
  p.right = (fp - f0) / h;
  const double central_half = (fp2 - fm2) / h;
  double noise = 4.0 * kMachineEps * std::fmax(std::fabs(f0), std::fmax(std::fabs(fm), std::fabs(fp)));
  for (int k : {-3, -2, -1, 1, 2, 3}) noise = std::fmax(noise, std::fabs(f(nudge(p.x, k)) - f0));
  // Rounding that swallows the perturbation entirely ((x + 1e156) - 1e156) moves nothing across a few
  // ulps; the propagated forward error bound sees it.
  noise = std::fmax(noise, forward_error_bounds(topological_order(root)).back());
  const double rounding = 2.0 * noise / h;
  const double truncation = std::fabs(p.central - central_half);
  p.error_bound = rounding + truncation;

  const bool finite =
      std::isfinite(f0) && std::isfinite(fm) && std::isfinite(fp) && std::isfinite(fm2) && std::isfinite(fp2);
  if (finite && compare(analytic, p.central, tol).agree) return p;
  if (!finite) {
    p.verdict = FdVerdict::Unstable;
    p.reason = "the forward value is not finite within one step of x";
    return p;
  }
  if (kink_at(f, p.x, h, tol, noise)) {
    p.verdict = FdVerdict::Kink;
    p.reason = "one-sided differences disagree at steps h and h/2";
    return p;
  }
  const std::vector<Value> order = topological_order(root);
  const std::vector<bool> depends = depends_on(order, leaf);
  const std::string overflow = non_finite_intermediate(order, depends);
  if (!overflow.empty()) {
    p.verdict = FdVerdict::Unstable;
    p.reason = overflow;
    return p;
  }
  if (!std::isfinite(analytic)) {
    p.verdict = FdVerdict::Unstable;
    p.reason = "the analytic gradient is not finite: the derivative is infinite or undefined here";
    return p;
  }
  const std::string inner = internal_kink(order, depends, options.eps, tol);
  if (!inner.empty()) {
    p.verdict = FdVerdict::Kink;
    p.reason = inner;
    return p;
  }
  const std::vector<double> ad_bounds = gradient_error_bounds(order, 1.0);
  double ad_bound = 0.0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i].same_node(leaf)) ad_bound = ad_bounds[i];
  }
  if (!(std::fabs(analytic - p.central) > threshold(tol, analytic, p.central) + ad_bound)) {
    p.verdict = FdVerdict::Unstable;
    p.reason = "the chain rule cannot resolve this gradient in doubles (rounding bound " +
               format_double(ad_bound) + "): its contributions cancel";
    return p;
  }
  // The gradient claims a change of |analytic| * h over one step, more than the function's own size
  // there: f cannot be linear over the step (tanh(2.39 * (x * 1e272 + 6.3)) at x = 0 varies on a scale
  // of 1e-272), so D(h) says nothing about the derivative.
  const double size =
      std::fmax(std::fmax(std::fabs(f0), std::fabs(fm)), std::fmax(std::fabs(fp), std::fabs(fm2)));
  if (std::fabs(analytic) * h > std::fmax(size, std::fabs(fp2)) + noise) {
    p.verdict = FdVerdict::Unstable;
    p.reason = "the step is far larger than the scale the function varies on (|gradient| * h exceeds |f|)";
    return p;
  }
  // Not converged: halving the step moved the estimate by more than the tolerance of the estimate
  // itself (the function varies on a scale below h: tanh(1e75 * log(x)) steps from 1 to -1 at x = 1).
  if (rounding > threshold(tol, analytic, p.central) ||
      truncation > threshold(tol, p.central, central_half)) {
    p.verdict = FdVerdict::Unstable;
    p.reason = "finite differences cannot resolve the gradient here (error bound " +
               format_double(p.error_bound) + ")";
    return p;
  }
  p.verdict = FdVerdict::Disagree;
  p.reason = "analytic " + format_double(analytic) + " vs central difference " + format_double(p.central);
  return p;
}

}  // namespace

// Two step scales: gradcheck's eps * max(1, |x|), and for |x| < 1 also the relative eps * |x| (a leaf
// of 1e-229 dividing another lives on the scale of 1e-229; a step of 1e-6 jumps right over it). The
// gradient agrees if it agrees at either scale; it disagrees only if every scale resolved it and
// disagreed; otherwise the first kink / unstable classification stands.
FdProbe probe_gradient(const Value& root, const Value& leaf, double analytic, const FdOptions& options) {
  const double x = leaf.data();
  std::vector<double> steps = {options.eps * std::fmax(1.0, std::fabs(x))};
  const double relative = options.eps * std::fabs(x);
  if (std::fabs(x) < 1.0 && relative >= std::numeric_limits<double>::min()) steps.push_back(relative);
  std::vector<FdProbe> probes;
  for (double h : steps) {
    probes.push_back(probe_at(root, leaf, analytic, h, options));
    if (probes.back().verdict == FdVerdict::Agree) return probes.back();
  }
  for (const FdProbe& p : probes) {
    if (p.verdict != FdVerdict::Disagree) return p;
  }
  return probes.front();
}

bool FdReport::ok() const { return count(FdVerdict::Disagree) == 0; }

std::size_t FdReport::count(FdVerdict verdict) const {
  std::size_t n = 0;
  for (const FdLeaf& leaf : leaves) n += leaf.probe.verdict == verdict ? 1 : 0;
  return n;
}

std::string FdReport::to_table() const {
  std::ostringstream os;
  os << "finite differences: " << leaves.size() << " leaves, " << count(FdVerdict::Agree) << " agree, "
     << count(FdVerdict::Kink) << " kink, " << count(FdVerdict::Unstable) << " unstable, "
     << count(FdVerdict::Disagree) << " disagree\n";
  os << "leaf  x                        analytic                 central                  verdict   reason\n";
  for (const FdLeaf& leaf : leaves) {
    const FdProbe& p = leaf.probe;
    char line[256];
    std::snprintf(line, sizeof line, "%-5zu %-24s %-24s %-24s %-9s ", leaf.index, format_double(p.x).c_str(),
                  format_double(p.analytic).c_str(), format_double(p.central).c_str(), to_string(p.verdict));
    os << line << p.reason << "\n";
  }
  return os.str();
}

FdReport finite_differences(const Value& root, const FdOptions& options) {
  const std::vector<Value> order = topological_order(root);
  const std::vector<double> grads = fresh_gradients(order, 1.0);
  FdReport report;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i].is_leaf()) report.leaves.push_back({i, probe_gradient(root, order[i], grads[i], options)});
  }
  return report;
}

std::vector<Arbitration> arbitrate(const Value& root, const Report& report, const FdOptions& options) {
  const std::vector<Value> order = topological_order(root);
  std::vector<Arbitration> result;
  for (const NodeRow& row : report.rows) {
    if (row.op != Op::Leaf || row.grad.verdict == Verdict::Match) continue;
    // The report's gradients are for report.seed; finite differences give d root / d leaf.
    const double seed = report.seed;
    Arbitration a;
    a.index = row.index;
    a.ours = probe_gradient(root, order[row.index], row.grad.ours / seed, options);
    a.torch = probe_gradient(root, order[row.index], row.grad.torch / seed, options);
    const bool ours_ok = a.ours.verdict == FdVerdict::Agree;
    const bool torch_ok = a.torch.verdict == FdVerdict::Agree;
    if (ours_ok || torch_ok) {
      a.winner = ours_ok && torch_ok ? "both" : ours_ok ? "ours" : "torch";
    } else if (a.ours.verdict == FdVerdict::Kink || a.torch.verdict == FdVerdict::Kink) {
      a.winner = "undecided (kink)";
    } else if (a.ours.verdict == FdVerdict::Unstable || a.torch.verdict == FdVerdict::Unstable) {
      a.winner = "undecided (unstable)";
    } else {
      a.winner = "neither";
    }
    result.push_back(std::move(a));
  }
  return result;
}

}  // namespace verigrad::verify
