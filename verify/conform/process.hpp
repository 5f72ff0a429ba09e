// An adapter as a child process speaking the conform protocol over its standard input and output.
//
// verigrad never hangs or crashes on anything the adapter does: every wait is a poll() with a deadline;
// the adapter runs in its own process group, which is killed (SIGKILL) on a timeout and at the end;
// lines are bounded (kMaxLine); stderr is drained all along (its tail explains crashes); a dead adapter
// is restarted. Cases are pipelined: up to `window` cases are written ahead, so the adapter computes
// the next ones while verigrad judges the last.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "verify/conform/engine.hpp"

namespace verigrad::verify::conform {

struct ProcessOptions {
  std::vector<std::string> argv;  // the adapter's command; argv[0] is looked up on PATH
  std::string kind = "process";   // for the report: "python" or "process"
  double timeout = 5.0;           // seconds a case may take once the adapter is on it (and as much
                                  // again per 50,000 instructions, for the depth probe's chains)
  double handshake_timeout = 15.0;
  std::size_t window = 64;            // cases in flight
  std::size_t max_line = 64u << 20;   // longest protocol line accepted (a 10^5-node reply is ~10 MiB)
  std::size_t max_print_line = 4096;  // engine output lines are cut to this
  std::size_t max_kept_prints = 200;  // engine output lines kept per run (the rest are counted)
};

class ProcessEngine final : public Engine {
 public:
  explicit ProcessEngine(ProcessOptions options);
  ~ProcessEngine() override;  // closes the adapter's input, waits briefly, then kills its group

  const Hello& hello() override;
  void run(const std::vector<Case>& cases, const Sink& sink, const RunOptions& options) override;
  std::vector<std::string> startup_output() const override;
  std::string kind() const override;

  std::size_t restarts() const;       // adapters started after the first
  std::size_t printed_lines() const;  // engine output lines seen in all (kept or not)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace verigrad::verify::conform
