// GoogleTest helpers: EXPECT_MATCHES_TORCH(root) runs verify::check(root) and fails with its table.
//
//   Value x(0.5, "x");
//   EXPECT_MATCHES_TORCH((x * x).tanh());
//   EXPECT_MATCHES_TORCH_SEED(x.relu(), 0.0);   // with an upstream gradient
#pragma once

#include <gtest/gtest.h>

#include "verify/check.hpp"

namespace verigrad::verify {

inline ::testing::AssertionResult matches_torch(const char* expression, const char* /*seed_text*/,
                                                const Value& root, double seed) {
  CheckOptions options;
  options.seed = seed;
  const Report report = check(root, options);
  if (report.matches()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expression << " does not match torch:\n" << report.to_table();
}

}  // namespace verigrad::verify

#define EXPECT_MATCHES_TORCH(root) EXPECT_PRED_FORMAT2(::verigrad::verify::matches_torch, root, 1.0)
#define ASSERT_MATCHES_TORCH(root) ASSERT_PRED_FORMAT2(::verigrad::verify::matches_torch, root, 1.0)
#define EXPECT_MATCHES_TORCH_SEED(root, seed) \
  EXPECT_PRED_FORMAT2(::verigrad::verify::matches_torch, root, seed)
