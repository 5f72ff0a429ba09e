#include "nn/datasets.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "nn/rng.hpp"

namespace verigrad::nn {

namespace {

constexpr double kPi = Rng::kPi;

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

void check_args(const char* what, int n, double noise) {
  if (n <= 0)
    throw std::invalid_argument(std::string(what) + ": n must be positive, got " + std::to_string(n));
  if (!(noise >= 0.0) || std::isinf(noise)) {
    throw std::invalid_argument(std::string(what) + ": noise must be finite and >= 0, got " + number(noise));
  }
}

void check_classes(const char* what, int nclasses) {
  if (nclasses < 2) {
    throw std::invalid_argument(std::string(what) + ": nclasses must be at least 2, got " +
                                std::to_string(nclasses));
  }
}

// numpy.linspace(start, stop, count, endpoint): i * step + start, with the endpoint set exactly.
double linspace(double start, double stop, int count, int i, bool endpoint = true) {
  const int div = endpoint ? count - 1 : count;
  if (div <= 0) return start;
  if (endpoint && i == count - 1) return stop;
  return static_cast<double>(i) * ((stop - start) / static_cast<double>(div)) + start;
}

Dataset empty(std::string name, int nclasses) {
  Dataset d;
  d.nin = 2;
  d.nclasses = nclasses;
  d.name = std::move(name);
  return d;
}

void add(Dataset& d, double x0, double x1, int label) {
  d.X.push_back({x0, x1});
  d.y.push_back(label);
}

void shuffle(Dataset& d, Rng& rng) {
  const std::vector<std::size_t> p = rng.permutation(d.X.size());
  Dataset out = empty(d.name, d.nclasses);
  for (std::size_t i : p) add(out, d.X[i][0], d.X[i][1], d.y[i]);
  d = std::move(out);
}

// Gaussian noise on every coordinate, row by row (as numpy fills an (n, 2) array).
void add_noise(Dataset& d, Rng& rng, double noise) {
  if (noise == 0.0) return;
  for (std::vector<double>& row : d.X) {
    for (double& x : row) x += noise * rng.gaussian();
  }
}

std::vector<double> binary_labels(const Dataset& d, double negative) {
  if (d.nclasses != 2) {
    throw std::invalid_argument("dataset '" + d.name + "' has " + std::to_string(d.nclasses) +
                                " classes; binary labels need 2");
  }
  std::vector<double> out;
  out.reserve(d.y.size());
  for (int label : d.y) out.push_back(label == 1 ? 1.0 : negative);
  return out;
}

}  // namespace

std::vector<double> Dataset::signed_labels() const { return binary_labels(*this, -1.0); }
std::vector<double> Dataset::zero_one_labels() const { return binary_labels(*this, 0.0); }

Dataset make_moons(int n, double noise, std::uint64_t seed) {
  check_args("make_moons", n, noise);
  Rng rng(seed);
  Dataset d = empty("moons", 2);
  const int n_out = n / 2;
  const int n_in = n - n_out;
  for (int i = 0; i < n_out; ++i) {
    const double t = linspace(0.0, kPi, n_out, i);
    add(d, std::cos(t), std::sin(t), 0);
  }
  for (int i = 0; i < n_in; ++i) {
    const double t = linspace(0.0, kPi, n_in, i);
    add(d, 1.0 - std::cos(t), 1.0 - std::sin(t) - 0.5, 1);
  }
  shuffle(d, rng);
  add_noise(d, rng, noise);
  return d;
}

Dataset make_circles(int n, double noise, std::uint64_t seed, double factor) {
  check_args("make_circles", n, noise);
  if (!(factor >= 0.0 && factor < 1.0)) {
    throw std::invalid_argument("make_circles: factor must be in [0, 1), got " + number(factor));
  }
  Rng rng(seed);
  Dataset d = empty("circles", 2);
  const int n_out = n / 2;
  const int n_in = n - n_out;
  for (int i = 0; i < n_out; ++i) {
    const double t = linspace(0.0, 2.0 * kPi, n_out, i, false);
    add(d, std::cos(t), std::sin(t), 0);
  }
  for (int i = 0; i < n_in; ++i) {
    const double t = linspace(0.0, 2.0 * kPi, n_in, i, false);
    add(d, std::cos(t) * factor, std::sin(t) * factor, 1);
  }
  shuffle(d, rng);
  add_noise(d, rng, noise);
  return d;
}

Dataset make_xor(int n, double noise, std::uint64_t seed) {
  check_args("make_xor", n, noise);
  Rng rng(seed);
  Dataset d = empty("xor", 2);
  for (int i = 0; i < n; ++i) {
    const double x0 = rng.uniform(-1.0, 1.0);
    const double x1 = rng.uniform(-1.0, 1.0);
    add(d, x0, x1, (x0 > 0.0) != (x1 > 0.0) ? 1 : 0);
  }
  add_noise(d, rng, noise);
  return d;
}

Dataset make_blobs(int n, double noise, std::uint64_t seed, int nclasses) {
  check_args("make_blobs", n, noise);
  check_classes("make_blobs", nclasses);
  Rng rng(seed);
  Dataset d = empty("blobs", nclasses);
  for (int i = 0; i < n; ++i) {
    const int k = i % nclasses;
    const double angle = 2.0 * kPi * k / nclasses;
    add(d, 3.0 * std::cos(angle), 3.0 * std::sin(angle), k);
  }
  shuffle(d, rng);
  add_noise(d, rng, noise);
  return d;
}

Dataset make_spiral(int n, double noise, std::uint64_t seed, int nclasses) {
  check_args("make_spiral", n, noise);
  check_classes("make_spiral", nclasses);
  Rng rng(seed);
  Dataset d = empty("spiral", nclasses);
  for (int k = 0; k < nclasses; ++k) {
    const int count = n / nclasses + (k < n % nclasses ? 1 : 0);
    for (int i = 0; i < count; ++i) {
      const double r = linspace(0.0, 1.0, count, i);
      const double a = 4.0 * k + 4.0 * r + noise * rng.gaussian();
      add(d, r * std::sin(a), r * std::cos(a), k);
    }
  }
  shuffle(d, rng);
  return d;
}

Dataset micrograd_toy() {
  Dataset d;
  d.X = {{2.0, 3.0, -1.0}, {3.0, -1.0, 0.5}, {0.5, 1.0, 1.0}, {1.0, 1.0, -1.0}};
  d.y = {1, 0, 0, 1};
  d.nin = 3;
  d.nclasses = 2;
  d.name = "toy";
  return d;
}

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names = {"moons", "circles", "xor", "blobs", "spiral"};
  return names;
}

Dataset make_dataset(const std::string& name, int n, double noise, std::uint64_t seed) {
  if (name == "moons") return make_moons(n, noise, seed);
  if (name == "circles") return make_circles(n, noise, seed);
  if (name == "xor") return make_xor(n, noise, seed);
  if (name == "blobs") return make_blobs(n, noise, seed);
  if (name == "spiral") return make_spiral(n, noise, seed);
  if (name == "toy") return micrograd_toy();
  std::string valid;
  for (const std::string& v : dataset_names()) valid += v + ", ";
  valid += "toy";
  throw std::invalid_argument("unknown dataset '" + name + "' (expected one of: " + valid + ")");
}

}  // namespace verigrad::nn
