// A C++ adapter's traits (verify/conform/adapter.hpp) run in process: the same conform run as the
// command, with the traits called directly instead of through a pipe. No timeout and no crash
// recovery in process: an engine that may hang or crash is better checked through its adapter binary.
// GoogleTest users want verify/conform/gtest.hpp (EXPECT_CONFORMS), which includes this.
#pragma once

#include <string>
#include <utility>
#include <vector>

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

}  // namespace verigrad::verify::conform
