#include "verify/compare.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace verigrad::verify {

namespace {

// Maps a double to an integer that is monotonic in the double's value, so that adjacent doubles map
// to adjacent integers and +0/-0 both map to 0.
std::int64_t ordered(double x) {
  std::int64_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  return bits < 0 ? -(bits & std::numeric_limits<std::int64_t>::max()) : bits;
}

// The special cases shared by compare and compare_scaled; returns true if they decided.
bool compare_special(double ours, double theirs, Comparison& result) {
  const bool nan_ours = std::isnan(ours);
  const bool nan_theirs = std::isnan(theirs);
  if (nan_ours || nan_theirs) {
    result.agree = nan_ours && nan_theirs;
    result.difference = result.agree ? 0.0 : std::numeric_limits<double>::quiet_NaN();
    result.ulps = result.agree ? 0 : std::numeric_limits<std::uint64_t>::max();
    return true;
  }
  result.ulps = ulp_distance(ours, theirs);
  if (std::isinf(ours) || std::isinf(theirs)) {
    result.agree = ours == theirs;
    result.difference = result.agree ? 0.0 : std::numeric_limits<double>::infinity();
    return true;
  }
  result.difference = std::fabs(ours - theirs);
  return false;
}

}  // namespace

std::uint64_t ulp_distance(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) {
    return std::isnan(a) && std::isnan(b) ? 0 : std::numeric_limits<std::uint64_t>::max();
  }
  const std::int64_t ia = ordered(a);
  const std::int64_t ib = ordered(b);
  // Unsigned subtraction: the distance between the extremes (-inf, +inf) does not fit in int64.
  return ia > ib ? static_cast<std::uint64_t>(ia) - static_cast<std::uint64_t>(ib)
                 : static_cast<std::uint64_t>(ib) - static_cast<std::uint64_t>(ia);
}

Comparison compare(double ours, double theirs, Tolerance tolerance) {
  return compare_scaled(ours, theirs, std::fmax(std::fabs(ours), std::fabs(theirs)), 0.0, tolerance);
}

Comparison compare_scaled(double ours, double theirs, double scale, double slack, Tolerance tolerance) {
  Comparison result;
  if (compare_special(ours, theirs, result)) return result;
  const double allowed = tolerance.atol + tolerance.rtol * scale + slack;
  result.agree = result.difference <= allowed;
  return result;
}

}  // namespace verigrad::verify
