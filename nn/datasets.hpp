// Small seeded 2-D classification sets for demos and tests. The same (n, noise, seed) gives the same
// points on every platform (nn::Rng: mt19937_64 with our own uniform and Box-Muller gaussian).
//
// Labels are class indices 0..nclasses-1; binary sets convert with signed_labels() (+1/-1, class 1 is
// +1, for svm and mse) or zero_one_labels() (for bce). Invalid arguments (n <= 0, negative or NaN
// noise, ...) throw std::invalid_argument naming the offending value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace verigrad::nn {

struct Dataset {
  std::vector<std::vector<double>> X;  // one row of nin features per sample
  std::vector<int> y;                  // class index per sample
  int nin = 0;
  int nclasses = 0;
  std::string name;

  std::size_t size() const { return X.size(); }
  // Class 1 -> +1.0, class 0 -> -1.0 (micrograd's y*2 - 1). Throws unless nclasses == 2.
  std::vector<double> signed_labels() const;
  // Class index as a double, 0.0 or 1.0. Throws unless nclasses == 2.
  std::vector<double> zero_one_labels() const;
};

// scikit-learn's make_moons: n/2 points (rounded down) on the outer moon (cos t, sin t), class 0, the
// rest on the inner moon (1 - cos t, 1 - sin t - 0.5), class 1, t = linspace(0, pi, count); shuffled,
// then gaussian noise of standard deviation `noise` added to each coordinate.
Dataset make_moons(int n, double noise, std::uint64_t seed);

// scikit-learn's make_circles: n/2 points on the unit circle (class 0) and the rest on a circle of
// radius factor (class 1), angles linspace(0, 2 pi) without the endpoint; shuffled, then noise.
// factor must be in [0, 1).
Dataset make_circles(int n, double noise, std::uint64_t seed, double factor = 0.8);

// Points uniform on [-1, 1]^2, class 1 where the signs of x0 and x1 differ; noise is added after
// labelling, so noisy points may cross the axes.
Dataset make_xor(int n, double noise, std::uint64_t seed);

// nclasses gaussian blobs of standard deviation `noise` around centres evenly spaced on a circle of
// radius 3 (centre k at angle 2 pi k / nclasses); class k gets every nclasses-th sample; shuffled.
Dataset make_blobs(int n, double noise, std::uint64_t seed, int nclasses = 3);

// CS231n's spiral: class k's points at radius r = linspace(0, 1) and angle 4k + 4r + noise * N(0, 1),
// (r sin a, r cos a); n split as evenly as possible; shuffled.
Dataset make_spiral(int n, double noise, std::uint64_t seed, int nclasses = 3);

// The micrograd lecture's four samples: xs = [[2,3,-1],[3,-1,0.5],[0.5,1,1],[1,1,-1]],
// ys = [1,-1,-1,1] (signed_labels() gives ys back; y holds 1, 0, 0, 1).
Dataset micrograd_toy();

// "moons", "circles", "xor", "blobs", "spiral" with their default extra arguments.
const std::vector<std::string>& dataset_names();
// One of dataset_names(), or "toy" (micrograd_toy(): n, noise and seed do not apply). Throws
// std::invalid_argument naming the bad name and the valid ones.
Dataset make_dataset(const std::string& name, int n, double noise, std::uint64_t seed);

// A dataset from CSV text: a header row naming the columns, then one row per sample, the feature
// columns first and the label column last. Labels are +1/-1 or 0/1 (two classes: 1 is class 1, -1 and
// 0 class 0) or class indices 0, 1, 2, ... (at most 1000 classes). Fields are separated by ',' and may
// be padded with spaces or double-quoted; blank lines are skipped, "\r\n" line ends are fine.
// Anything else throws std::invalid_argument naming the line and the column (with its header name):
// "line 5, column 2 (x2): 'abc' is not a number". name becomes Dataset::name.
Dataset parse_csv(const std::string& text, const std::string& name);

// parse_csv of a file's contents, named after the path; errors start with the path. Throws
// std::invalid_argument also when the file cannot be read.
Dataset load_csv(const std::string& path);

}  // namespace verigrad::nn
