// Shared by the benchmark binaries: the demo job (issue 5) and small helpers. Torch-free.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <vector>

#include "nn/datasets.hpp"

namespace verigrad::bench {

// micrograd's demo job: moons, 100 points, noise 0.1; MLP(2, {16, 16, 1}); svm loss + 1e-4 L2; full
// batch SGD. A constant learning rate keeps every benchmark iteration the same amount of work.
inline constexpr int kSamples = 100;
inline constexpr double kNoise = 0.1;
inline constexpr unsigned kSeed = 1337;
inline constexpr double kAlpha = 1e-4;
inline constexpr double kLr = 0.01;
inline constexpr int kHidden = 16;
inline constexpr int kDemoSteps = 100;  // micrograd's demo trains this long; the floor then restarts

inline const nn::Dataset& demo_data() {
  static const nn::Dataset data = nn::make_moons(kSamples, kNoise, kSeed);
  return data;
}

// The scalar chain of issue 5: y = tanh(y * a + b), three ops per step.
inline constexpr double kChainA = 0.9;
inline constexpr double kChainB = 0.1;
inline constexpr double kChainY0 = 0.5;

// Peak resident set of this process so far, in bytes.
inline std::size_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::size_t>(usage.ru_maxrss) * 1024;
}

// Current resident set, in bytes (/proc/self/statm's second field, in pages).
inline std::size_t current_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0;
  unsigned long resident = 0;
  const int got = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return got == 2 ? static_cast<std::size_t>(resident) * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace verigrad::bench
