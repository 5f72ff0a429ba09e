// Datasets: geometry without noise, determinism per seed, label conversions and argument checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

#include "nn/datasets.hpp"
#include "nn/rng.hpp"

namespace verigrad::nn {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no std::invalid_argument thrown)";
}

int count(const Dataset& d, int label) { return static_cast<int>(std::count(d.y.begin(), d.y.end(), label)); }

bool contains(const Dataset& d, double x0, double x1, int label) {
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (std::fabs(d.X[i][0] - x0) < 1e-12 && std::fabs(d.X[i][1] - x1) < 1e-12 && d.y[i] == label)
      return true;
  }
  return false;
}

TEST(Datasets, MoonsWithoutNoiseLieOnTheTwoHalfCircles) {
  const Dataset d = make_moons(7, 0.0, 1);
  ASSERT_EQ(d.size(), 7U);
  EXPECT_EQ(d.nin, 2);
  EXPECT_EQ(d.nclasses, 2);
  EXPECT_EQ(d.name, "moons");
  EXPECT_EQ(count(d, 0), 3);  // 7 // 2 on the outer moon
  EXPECT_EQ(count(d, 1), 4);
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double x = d.X[i][0], y = d.X[i][1];
    if (d.y[i] == 0) {  // upper half of the unit circle
      EXPECT_NEAR(x * x + y * y, 1.0, 1e-12);
      EXPECT_GE(y, -1e-12);
    } else {  // lower half of the unit circle around (1, 0.5)
      EXPECT_NEAR((x - 1.0) * (x - 1.0) + (y - 0.5) * (y - 0.5), 1.0, 1e-12);
      EXPECT_LE(y, 0.5 + 1e-12);
    }
  }
  // linspace(0, pi, count) includes both ends of each moon; the outer one has t = pi/2 at the top.
  EXPECT_TRUE(contains(d, 1.0, 0.0, 0));
  EXPECT_TRUE(contains(d, 0.0, 1.0, 0));
  EXPECT_TRUE(contains(d, -1.0, 0.0, 0));
  EXPECT_TRUE(contains(d, 0.0, 0.5, 1));
  EXPECT_TRUE(contains(d, 2.0, 0.5, 1));
  EXPECT_TRUE(contains(d, 0.5, 0.5 - std::sqrt(0.75), 1));  // t = pi/3: (1 - 1/2, 1 - sin t - 0.5)
}

TEST(Datasets, MoonsAreShuffled) {
  const Dataset d = make_moons(100, 0.0, 3);
  // sklearn's order before shuffling is 50 zeros then 50 ones.
  EXPECT_FALSE(std::is_sorted(d.y.begin(), d.y.end()));
}

TEST(Datasets, NoiseMovesPointsOffTheMoonsByAboutItsScale) {
  const Dataset d = make_moons(2000, 0.1, 5);
  double sum_sq = 0.0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double x = d.X[i][0], y = d.X[i][1];
    const double r = d.y[i] == 0 ? std::hypot(x, y) : std::hypot(x - 1.0, y - 0.5);
    sum_sq += (r - 1.0) * (r - 1.0);
  }
  // Radial displacement of 2-D isotropic noise has standard deviation ~ noise (0.1).
  EXPECT_NEAR(std::sqrt(sum_sq / 2000.0), 0.1, 0.01);
}

TEST(Datasets, EveryDatasetIsDeterministicPerSeed) {
  for (const std::string& name : dataset_names()) {
    const Dataset a = make_dataset(name, 60, 0.1, 11);
    const Dataset b = make_dataset(name, 60, 0.1, 11);
    const Dataset c = make_dataset(name, 60, 0.1, 12);
    EXPECT_EQ(a.X, b.X) << name;
    EXPECT_EQ(a.y, b.y) << name;
    EXPECT_NE(a.X, c.X) << name;
    EXPECT_EQ(a.size(), 60U) << name;
    EXPECT_EQ(a.name, name);
  }
}

TEST(Datasets, CirclesWithoutNoiseHaveRadiusOneAndFactor) {
  const Dataset d = make_circles(40, 0.0, 2, 0.5);
  EXPECT_EQ(count(d, 0), 20);
  EXPECT_EQ(count(d, 1), 20);
  for (std::size_t i = 0; i < d.size(); ++i) {
    EXPECT_NEAR(std::hypot(d.X[i][0], d.X[i][1]), d.y[i] == 0 ? 1.0 : 0.5, 1e-12);
  }
  EXPECT_TRUE(contains(d, 1.0, 0.0, 0));
  EXPECT_TRUE(contains(d, 0.0, 1.0, 0));  // angle 2 pi * 5 / 20, endpoint excluded
  EXPECT_FALSE(contains(d, 1.0, 0.0, 1));
  EXPECT_THROW(make_circles(10, 0.0, 1, 1.0), std::invalid_argument);
}

TEST(Datasets, XorLabelsTellWhetherTheSignsDiffer) {
  const Dataset d = make_xor(200, 0.0, 4);
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double x0 = d.X[i][0], x1 = d.X[i][1];
    EXPECT_LE(std::fabs(x0), 1.0);
    EXPECT_LE(std::fabs(x1), 1.0);
    EXPECT_EQ(d.y[i], (x0 > 0) != (x1 > 0) ? 1 : 0);
  }
  EXPECT_GT(count(d, 1), 50);
  EXPECT_GT(count(d, 0), 50);
}

TEST(Datasets, BlobsWithoutNoiseSitOnTheirCentres) {
  const Dataset d = make_blobs(30, 0.0, 6, 3);
  EXPECT_EQ(d.nclasses, 3);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(count(d, k), 10);
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double angle = 2.0 * Rng::kPi * d.y[i] / 3.0;
    EXPECT_NEAR(d.X[i][0], 3.0 * std::cos(angle), 1e-12);
    EXPECT_NEAR(d.X[i][1], 3.0 * std::sin(angle), 1e-12);
  }
  EXPECT_THROW(d.signed_labels(), std::invalid_argument);
}

TEST(Datasets, SpiralArmsStayInTheUnitDisc) {
  const Dataset d = make_spiral(31, 0.2, 8, 3);
  EXPECT_EQ(count(d, 0), 11);
  EXPECT_EQ(count(d, 1), 10);
  EXPECT_EQ(count(d, 2), 10);
  for (const auto& x : d.X) EXPECT_LE(std::hypot(x[0], x[1]), 1.0 + 1e-12);
  // Without noise, class k's outermost point is at angle 4k + 4: (sin, cos) of it.
  const Dataset clean = make_spiral(30, 0.0, 8, 3);
  EXPECT_TRUE(contains(clean, std::sin(8.0), std::cos(8.0), 1));
  EXPECT_TRUE(contains(clean, 0.0, 0.0, 2));
}

TEST(Datasets, MicrogradToySet) {
  const Dataset d = micrograd_toy();
  EXPECT_EQ(d.X, (std::vector<std::vector<double>>{{2, 3, -1}, {3, -1, 0.5}, {0.5, 1, 1}, {1, 1, -1}}));
  EXPECT_EQ(d.signed_labels(), (std::vector<double>{1, -1, -1, 1}));
  EXPECT_EQ(d.zero_one_labels(), (std::vector<double>{1, 0, 0, 1}));
  EXPECT_EQ(d.nin, 3);
}

TEST(Datasets, LabelConversions) {
  const Dataset d = make_moons(10, 0.1, 1);
  const std::vector<double> s = d.signed_labels();
  const std::vector<double> z = d.zero_one_labels();
  for (std::size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(s[i], d.y[i] == 1 ? 1.0 : -1.0);
    EXPECT_EQ(z[i], static_cast<double>(d.y[i]));
  }
}

TEST(Datasets, LookupByNameRejectsUnknownNames) {
  EXPECT_EQ(make_dataset("circles", 10, 0.0, 1).name, "circles");
  const std::string msg = message_of([] { make_dataset("swirl", 10, 0.1, 1); });
  EXPECT_NE(msg.find("'swirl'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("moons, circles, xor, blobs, spiral"), std::string::npos) << msg;
}

TEST(Datasets, BadArgumentsNameTheOffendingValue) {
  EXPECT_NE(message_of([] { make_moons(0, 0.1, 1); }).find("got 0"), std::string::npos);
  EXPECT_NE(message_of([] { make_moons(-5, 0.1, 1); }).find("-5"), std::string::npos);
  EXPECT_NE(message_of([] { make_moons(10, -0.1, 1); }).find("-0.1"), std::string::npos);
  EXPECT_THROW(make_circles(10, std::nan(""), 1), std::invalid_argument);
  EXPECT_THROW(make_xor(-1, 0.1, 1), std::invalid_argument);
  EXPECT_THROW(make_blobs(10, 0.1, 1, 1), std::invalid_argument);
  EXPECT_THROW(make_spiral(10, -1.0, 1), std::invalid_argument);
}

TEST(Rng, UniformAndGaussianMoments) {
  Rng rng(2024);
  double su = 0, sg = 0, sg2 = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    const double g = rng.gaussian();
    sg += g;
    sg2 += g * g;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sg / n, 0.0, 0.01);
  EXPECT_NEAR(sg2 / n, 1.0, 0.02);
  std::vector<std::size_t> p = Rng(1).permutation(50);
  std::sort(p.begin(), p.end());
  for (std::size_t i = 0; i < p.size(); ++i) EXPECT_EQ(p[i], i);
}

// numpy's linspace sets the endpoint exactly: every moon ends at t = pi, bit for bit, for any count.
TEST(Datasets, MoonsEndExactlyAtPi) {
  for (int n = 4; n <= 80; ++n) {
    const Dataset d = make_moons(n, 0.0, 1);
    EXPECT_TRUE(contains(d, std::cos(Rng::kPi), std::sin(Rng::kPi), 0)) << n;
    bool exact = false;
    for (std::size_t i = 0; i < d.size(); ++i)
      exact = exact || (d.y[i] == 0 && d.X[i][1] == std::sin(Rng::kPi));
    EXPECT_TRUE(exact) << n;
  }
}

// make_dataset's documented extra arguments: circles factor 0.8, blobs and spiral 3 classes.
TEST(Datasets, MakeDatasetUsesTheDocumentedDefaults) {
  const Dataset circles = make_dataset("circles", 20, 0.0, 1);
  for (std::size_t i = 0; i < circles.size(); ++i)
    EXPECT_NEAR(std::hypot(circles.X[i][0], circles.X[i][1]), circles.y[i] == 0 ? 1.0 : 0.8, 1e-12);
  EXPECT_EQ(make_dataset("blobs", 30, 0.1, 1).nclasses, 3);
  EXPECT_EQ(make_dataset("spiral", 30, 0.1, 1).nclasses, 3);
  EXPECT_EQ(make_blobs(30, 0.1, 1).nclasses, 3);
}

// Without noise, each point of class k sits at radius r and angle 4k + 4r: (r sin a, r cos a).
TEST(Datasets, SpiralPointsSitAtAngleFourKPlusFourR) {
  const Dataset d = make_spiral(30, 0.0, 2, 3);
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double r = std::hypot(d.X[i][0], d.X[i][1]);
    const double a = 4.0 * d.y[i] + 4.0 * r;
    EXPECT_NEAR(d.X[i][0], r * std::sin(a), 1e-12) << i;
    EXPECT_NEAR(d.X[i][1], r * std::cos(a), 1e-12) << i;
  }
}

// Fisher-Yates gives every permutation of three items with probability 1/6 (Sattolo's variant, one
// index off, only the two cycles).
TEST(Rng, PermutationsAreUniform) {
  Rng rng(99);
  std::map<std::vector<std::size_t>, int> seen;
  const int n = 60000;
  for (int i = 0; i < n; ++i) ++seen[rng.permutation(3)];
  ASSERT_EQ(seen.size(), 6u);
  for (const auto& [p, count] : seen) EXPECT_NEAR(count, n / 6.0, 0.05 * n / 6.0);
}

// Box-Muller's pair is (r cos t, r sin t): consecutive draws are independent, not copies.
TEST(Rng, ConsecutiveGaussiansAreUncorrelated) {
  Rng rng(7);
  double sum = 0.0;
  const int n = 50000;
  for (int i = 0; i < n; ++i) sum += rng.gaussian() * rng.gaussian();
  EXPECT_NEAR(sum / n, 0.0, 0.03);
}

}  // namespace
}  // namespace verigrad::nn
