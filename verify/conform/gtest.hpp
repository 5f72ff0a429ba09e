// `verigrad conform` in process, from your own GoogleTest suite: the same random programs, LibTorch
// checks, shrinking, hints and probes as the command, with the traits of a C++ adapter
// (verify/conform/adapter.hpp) called directly instead of through a pipe.
//
//   #include "verify/conform/gtest.hpp"
//   TEST(MyEngine, ConformsToTorch) { EXPECT_CONFORMS(MyEngineTraits); }
//
// On failure the test prints the whole report (findings with their minimal programs, probes).
// In process there is no timeout and no crash recovery: an engine that may hang or crash is better
// checked through its adapter binary with `verigrad conform --engine`. Link verigrad::conform.
#pragma once

#include <gtest/gtest.h>

#include "verify/conform/in_process.hpp"

namespace verigrad::verify::conform {

inline ::testing::AssertionResult conforms(const char* name, const ConformReport& report) {
  if (report.conformant) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << name << " does not conform to torch:\n" << report.to_text();
}

}  // namespace verigrad::verify::conform

// EXPECT_CONFORMS(Traits): 1,000 random cases and every probe, seed 0; the report on failure.
// EXPECT_CONFORMS_WITH(Traits, options): with your own conform::Options (cases, seed, ...).
#define EXPECT_CONFORMS_WITH(Traits, options)        \
  EXPECT_TRUE(::verigrad::verify::conform::conforms( \
      #Traits, ::verigrad::verify::conform::check_engine<Traits>(options)))
#define EXPECT_CONFORMS(Traits) EXPECT_CONFORMS_WITH(Traits, ::verigrad::verify::conform::Options{})
#define ASSERT_CONFORMS(Traits) \
  ASSERT_TRUE(                  \
      ::verigrad::verify::conform::conforms(#Traits, ::verigrad::verify::conform::check_engine<Traits>({})))
