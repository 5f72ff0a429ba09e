// A seeded random source whose streams are the same on every platform and standard library.
//
// std::mt19937_64 is specified bit for bit by the standard, but std::uniform_real_distribution and
// std::normal_distribution are not, so the conversions to doubles live here instead.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace verigrad::nn {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}

  std::uint64_t next() { return gen_(); }

  // Uniform on [0, 1) with 53 random bits: every result is an exact multiple of 2^-53.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }

  // Uniform on [lo, hi): lo + (hi - lo) * u, so uniform(-1, 1) is -1 + 2u.
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  // Standard normal by Box-Muller; the second value of each pair is kept for the next call.
  double gaussian() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1], so log(u1) is finite
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * kPi * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

  // An index in [0, n) (n > 0).
  std::size_t below(std::size_t n) {
    const auto i = static_cast<std::size_t>(uniform() * static_cast<double>(n));
    return i < n ? i : n - 1;
  }

  // Fisher-Yates shuffle of [0, n) (std::shuffle's algorithm is unspecified).
  std::vector<std::size_t> permutation(std::size_t n) {
    std::vector<std::size_t> p(n);
    for (std::size_t i = 0; i < n; ++i) p[i] = i;
    for (std::size_t i = n; i > 1; --i) {
      const std::size_t j = below(i);
      std::swap(p[i - 1], p[j]);
    }
    return p;
  }

  static constexpr double kPi = 3.14159265358979323846;

 private:
  std::mt19937_64 gen_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace verigrad::nn
