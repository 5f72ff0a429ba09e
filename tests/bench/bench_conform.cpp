// verigrad conform throughput, end to end: random cases generated, sent to the Python adapter running
// the correct micrograd-sized test engine (tests/conform/engines/correct_engine.py), answered, judged
// against LibTorch node by node, with the adapter kept alive and cases pipelined. No probes, no
// shrinking (the engine is correct, so there is nothing to shrink): the random-case loop alone.
//
//   Conform/PythonAdapter   1,000 cases through python3 (issue 9's goal: >= 1,000 cases/s)
//   Conform/InProcess       the same 1,000 cases through verigrad's own engine in process: the
//                           judging side alone, for the ratio
#include <benchmark/benchmark.h>

#include "examples/conform/verigrad_traits.hpp"
#include "verify/conform/conform.hpp"
#include "verify/conform/in_process.hpp"
#include "verify/conform/process.hpp"

// Google Benchmark's `for (auto _ : state)` idiom reads as a dead store to the analyzer.
// NOLINTBEGIN(clang-analyzer-deadcode.DeadStores)
namespace {

namespace conform = verigrad::verify::conform;

constexpr int kCases = 1000;

conform::Options options() {
  conform::Options o;
  o.cases = kCases;
  o.seed = 42;
  o.probes = false;
  o.shrink_seconds = 0;
  return o;
}

void report(benchmark::State& state, int cases, int failed) {
  state.counters["cases_per_s"] =
      benchmark::Counter(static_cast<double>(cases), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["cases"] = cases;
  state.counters["failed"] = failed;
}

void BM_ConformPython(benchmark::State& state) {
  conform::ProcessOptions p;
  p.argv = {"python3", "-B", VERIGRAD_SOURCE_DIR "/verify/conform/verigrad_adapter.py",
            VERIGRAD_SOURCE_DIR "/tests/conform/engines/correct_engine.py"};
  p.kind = "python";
  conform::ProcessEngine engine(p);
  engine.hello();  // python's start-up is not part of a run's throughput
  int failed = 0;
  for (auto _ : state) {
    const conform::ConformReport r = conform::run_conform(engine, options());
    failed = r.failed;
  }
  report(state, kCases, failed);
}
BENCHMARK(BM_ConformPython)->Name("Conform/PythonAdapter")->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ConformInProcess(benchmark::State& state) {
  int failed = 0;
  for (auto _ : state) {
    const conform::ConformReport r = conform::check_engine<VerigradEngine>(options());
    failed = r.failed;
  }
  report(state, kCases, failed);
}
BENCHMARK(BM_ConformInProcess)->Name("Conform/InProcess")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
// NOLINTEND(clang-analyzer-deadcode.DeadStores)

BENCHMARK_MAIN();
