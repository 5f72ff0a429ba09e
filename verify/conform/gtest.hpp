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

#include "verify/conform/adapter.hpp"
#include "verify/conform/conform.hpp"

namespace verigrad::verify::conform {

template <typename Traits>
class InProcessEngine final : public Engine {
 public:
  InProcessEngine() : hello_(hello_of<Traits>()) {}
  const Hello& hello() override { return hello_; }
  void run(const std::vector<Case>& cases, const Sink& sink, const RunOptions& /*options*/) override {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      Response r;
      r.reply = run_case<Traits>(cases[i]);
      sink(i, std::move(r));
    }
  }
  std::string kind() const override { return "in-process"; }

 private:
  Hello hello_;
};

// The whole check for an engine given by its adapter traits.
template <typename Traits>
ConformReport check_engine(const Options& options = {}) {
  InProcessEngine<Traits> engine;
  return run_conform(engine, options);
}

inline ::testing::AssertionResult conforms(const char* name, const ConformReport& report) {
  if (report.conformant) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << name << " does not conform to torch:\n" << report.to_text();
}

}  // namespace verigrad::verify::conform

// EXPECT_CONFORMS(Traits): 1,000 random cases and every probe, seed 0; the report on failure.
// EXPECT_CONFORMS_WITH(Traits, options): with your own conform::Options (cases, seed, ...).
#define EXPECT_CONFORMS_WITH(Traits, options) \
  EXPECT_TRUE(::verigrad::verify::conform::conforms(#Traits, ::verigrad::verify::conform::check_engine<Traits>(options)))
#define EXPECT_CONFORMS(Traits) EXPECT_CONFORMS_WITH(Traits, ::verigrad::verify::conform::Options{})
#define ASSERT_CONFORMS(Traits) \
  ASSERT_TRUE(::verigrad::verify::conform::conforms(#Traits, ::verigrad::verify::conform::check_engine<Traits>({})))
