// The conform run's own promises, with engines made to order in process: the crash budget, the
// generator's sizes, re-runs and nondeterminism, the documented defaults, the probes' modes and the
// depth chain's op; and the C++ adapter's replies (intermediates, the values an error carries).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "examples/conform/verigrad_traits.hpp"
#include "verify/conform/in_process.hpp"

namespace verigrad::verify::conform {
namespace {

// Our engine through the C++ adapter's run_case, with a hook that may replace any response: what an
// adapter process would have answered.
class Scripted final : public Engine {
 public:
  using Hook = std::function<bool(const Case&, Response&)>;  // true: the hook answered
  explicit Scripted(Hook hook = {}) : hello_(hello_of<VerigradEngine>()), hook_(std::move(hook)) {}
  const Hello& hello() override { return hello_; }
  void run(const std::vector<Case>& cases, const Sink& sink, const RunOptions& /*options*/) override {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      seen.push_back(cases[i]);
      Response r;
      if (!hook_ || !hook_(cases[i], r)) r.reply = run_case<VerigradEngine>(cases[i]);
      sink(i, std::move(r));
    }
  }
  std::string kind() const override { return "scripted"; }
  Hello& edit_hello() { return hello_; }  // an adapter that announces less than it could

  std::vector<Case> seen;  // every case run, in order

 private:
  Hello hello_;
  Hook hook_;
};

Options quiet(int cases) {
  Options o;
  o.cases = cases;
  o.seed = 3;
  o.probes = false;
  o.shrink_seconds = 5;
  return o;
}

// Random cases have ids below the probes' (10^6) and the shrinking candidates' (10^7).
bool random_case(const Case& c) { return c.id < 1000000; }

TEST(ConformRun, CrashesStopTheRandomCasesAfterTheBudget) {
  // Exactly max_crashes crashes in the first batch of 128: the budget is spent, nothing more runs.
  Scripted engine([](const Case& c, Response& r) {
    if (!random_case(c) || c.id > 2) return false;
    r.status = Response::Status::crash;
    r.detail = "the adapter was killed by signal 11";
    return true;
  });
  Options o = quiet(300);
  o.max_crashes = 3;
  const ConformReport r = run_conform(engine, o);
  EXPECT_EQ(r.cases, 128);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_EQ(r.notes.back(), "stopped after 3 crashes and timeouts: 172 of 300 random cases were not run");
  ASSERT_EQ(r.findings.size(), 1U);
  EXPECT_EQ(r.findings[0].kind, Kind::crash);
  EXPECT_EQ(r.findings[0].count, 3);
  EXPECT_FALSE(r.conformant);
}

TEST(ConformRun, GeneratorSizeGrowsFromOneToMaxNodes) {
  Scripted engine;
  const ConformReport r = run_conform(engine, quiet(400));
  ASSERT_EQ(r.cases, 400);
  std::size_t early = 0, late = 0;
  for (const Case& c : engine.seen) {
    if (c.id < 40) early = std::max(early, c.ops.size());
    if (c.id >= 360) late = std::max(late, c.ops.size());
  }
  EXPECT_LE(early, 3U);  // sizes 1 to 10 of 100: at most 1 + 10 / 5 ops
  EXPECT_GE(late, 10U);  // sizes 90 to 100: up to 21 ops
}

// tanh that answers NaN: a wrong value, the same every time (NaN equals NaN for the re-run).
struct NanTanh : VerigradEngine {
  static Value apply(OpName op, const Arg& a, const Arg& b) {
    if (op == OpName::tanh) return Value(std::nan(""));
    return VerigradEngine::apply(op, a, b);
  }
};

TEST(ConformRun, ANanAnswerTwiceIsDeterministic) {
  Options o = quiet(300);
  const ConformReport r = check_engine<NanTanh>(o);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].kind, Kind::wrong_value);
  EXPECT_EQ(r.findings[0].op, OpName::tanh);
  for (const Finding& f : r.findings) EXPECT_FALSE(f.nondeterministic) << to_string(f.kind);
}

TEST(ConformRun, AFindingThatPassesWhenShrunkIsNondeterministic) {
  // Wrong (the output's value off by one) on the random cases and their re-run, right afterwards.
  Scripted engine([](const Case& c, Response& r) {
    if (!random_case(c) || c.id != 5) return false;
    r.reply = run_case<VerigradEngine>(c);
    r.reply.value.value += 1.0;
    return true;
  });
  const ConformReport r = run_conform(engine, quiet(20));
  ASSERT_EQ(r.findings.size(), 1U);
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.kind, Kind::wrong_value);
  EXPECT_TRUE(f.nondeterministic);
  EXPECT_EQ(f.first_case, 5);
  EXPECT_EQ(f.program.op_count(), f.original_ops);  // the random case, as it failed
}

TEST(ConformRun, DefaultsAreTheDocumentedOnes) {
  Scripted engine;
  const Options o;
  // As `verigrad conform --help` shows them (its defaults are these fields) and the README's sample run.
  EXPECT_EQ(o.cases, 1000);
  EXPECT_EQ(o.seed, 0U);
  EXPECT_EQ(o.max_nodes, 100);
  EXPECT_TRUE(o.probes);
  EXPECT_FALSE(o.strict);
  EXPECT_EQ(o.shrink_seconds, 60.0);
  EXPECT_EQ(o.max_crashes, 20);
  EXPECT_EQ(o.max_depth, 100000U);
  const ConformReport r = run_conform(engine, o);
  EXPECT_EQ(r.cases, 1000);
  EXPECT_EQ(r.seed, 0U);
  EXPECT_FALSE(r.strict);
  EXPECT_TRUE(r.conformant);
  std::size_t largest = 0;
  for (const Case& c : engine.seen) largest = std::max(largest, c.ops.size());
  EXPECT_GE(largest, 15U);  // max_nodes 100: up to 21 ops
  ASSERT_EQ(r.probes.size(), 6U);
  EXPECT_EQ(r.probes.back().name, "depth");
  EXPECT_EQ(r.probes.back().max_depth, 100000U);
}

// tanh throwing one exception below zero and another above: two problems, two findings.
struct TwoWaysTanh : VerigradEngine {
  static Value apply(OpName op, const Arg& a, const Arg& b) {
    if (op == OpName::tanh && !a.is_number()) {
      if (a.value->data() < 0) throw std::domain_error("tanh of a negative");
      throw std::range_error("tanh of a non-negative");
    }
    return VerigradEngine::apply(op, a, b);
  }
};

TEST(ConformRun, OneOpTwoExceptionsAreTwoFindings) {
  const ConformReport r = check_engine<TwoWaysTanh>(quiet(300));
  std::vector<std::string> exceptions;
  for (const Finding& f : r.findings) {
    EXPECT_EQ(f.kind, Kind::raises);
    EXPECT_EQ(f.op, OpName::tanh);
    exceptions.push_back(f.exception);
  }
  std::sort(exceptions.begin(), exceptions.end());
  EXPECT_EQ(exceptions, (std::vector<std::string>{"std::domain_error", "std::range_error"}));
}

// The first tanh or exp raises NameError for `math`: one mistake (a missing import) that two ops show.
// Its groups (raises in tanh, raises in exp) merge into one finding that counts every case.
const Instruction* math_op(const Case& c) {
  for (const Instruction& i : c.ops) {
    if (i.op == OpName::tanh || i.op == OpName::exp) return &i;
  }
  return nullptr;
}

TEST(ConformRun, AMistakeOfNoSingleOpIsOneFindingCountingEveryCase) {
  Scripted engine([](const Case& c, Response& r) {
    const Instruction* it = math_op(c);
    if (it == nullptr) return false;
    r.reply.type = Reply::Type::error;
    r.reply.phase = "build";
    r.reply.kind = "exception";
    r.reply.node = it->name;
    r.reply.op = to_string(it->op);
    r.reply.exception = "NameError";
    r.reply.message = "name 'math' is not defined";
    return true;
  });
  const ConformReport r = run_conform(engine, quiet(300));
  int tanh_cases = 0, exp_cases = 0;
  std::set<std::int64_t> counted;  // failing cases are run twice (the re-run), with their id
  for (const Case& c : engine.seen) {
    const Instruction* it = math_op(c);
    if (!random_case(c) || it == nullptr || !counted.insert(c.id).second) continue;
    ++(it->op == OpName::tanh ? tanh_cases : exp_cases);
  }
  ASSERT_GT(tanh_cases, 0);
  ASSERT_GT(exp_cases, 0);
  EXPECT_EQ(r.failed, tanh_cases + exp_cases);
  EXPECT_EQ(r.edge, 0);
  ASSERT_EQ(r.findings.size(), 1U);
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.kind, Kind::raises);
  ASSERT_TRUE(f.hint);
  EXPECT_EQ(f.hint->id, "missing_import");
  EXPECT_EQ(f.count, tanh_cases + exp_cases);
  EXPECT_EQ(f.seen_in.size(), 2U);
  // The per-op table blames each case on the op it raised in: failed, not edge.
  for (const OpStats& s : r.per_op) {
    EXPECT_EQ(s.failed, s.op == OpName::tanh  ? tanh_cases
                        : s.op == OpName::exp ? exp_cases
                                              : 0)
        << to_string(s.op);
    EXPECT_EQ(s.edge, 0) << to_string(s.op);
  }
}

// Every leaf's gradient doubled in programs that multiply: a wrong gradient, shown beside central
// differences of the forward pass, which agree with torch's gradient.
TEST(ConformRun, AWrongGradientComesWithFiniteDifferences) {
  Scripted engine([](const Case& c, Response& r) {
    if (std::none_of(c.ops.begin(), c.ops.end(), [](const Instruction& i) { return i.op == OpName::mul; }))
      return false;
    r.reply = run_case<VerigradEngine>(c);
    for (auto& [name, g] : r.reply.grads) {
      if (name.front() == 'x') g.value *= 2.0;
    }
    return true;
  });
  const ConformReport r = run_conform(engine, quiet(300));
  bool seen = false;
  for (const Finding& f : r.findings) {
    if (f.kind != Kind::wrong_grad) continue;
    seen = true;
    std::size_t leaves = 0;
    for (std::size_t i = 0; i < f.program.spec.nodes.size(); ++i) {
      if (f.program.spec.nodes[i].op != Op::Leaf || f.program.is_number(i)) continue;
      ASSERT_LT(leaves, f.fd.size());
      EXPECT_EQ(f.fd[leaves].leaf, f.program.names[i]);
      const double torch = f.judged.report.rows[i].grad.torch;
      EXPECT_NEAR(f.fd[leaves].central, torch, 1e-6 * std::max(1.0, std::fabs(torch))) << f.program.python();
      ++leaves;
    }
    EXPECT_GT(leaves, 0U);
    EXPECT_EQ(f.fd.size(), leaves);
  }
  EXPECT_TRUE(seen);
}

TEST(ConformRun, ProbesRunInTheirModes) {
  Scripted engine;
  Options o;
  o.max_depth = 100;
  const std::vector<Probe> probes = run_probes(engine, o);
  const std::pair<const char*, Mode> modes[] = {{"twice", Mode::twice},
                                                {"zero_then_again", Mode::zero_then_again},
                                                {"two_graphs", Mode::two_graphs},
                                                {"reuse", Mode::once},
                                                {"constant_left", Mode::once}};
  ASSERT_EQ(probes.size(), 6U);
  for (std::size_t i = 0; i < std::size(modes); ++i) {
    EXPECT_EQ(probes[i].name, modes[i].first);
    ASSERT_FALSE(probes[i].checks.empty());
    for (const ProbeCheck& c : probes[i].checks) EXPECT_EQ(c.mode, modes[i].second) << probes[i].name;
    EXPECT_EQ(probes[i].ok(), std::optional<bool>(true)) << probes[i].name;
  }
  EXPECT_EQ(probes[5].title, "the deepest chain the engine survives (10 to 100 ops), a chain of neg");
  EXPECT_EQ(probes[5].max_depth, 100U);
  // A case per check, in its mode: 3 programs in each of three modes, 5 reuse, 9 constant_left.
  std::size_t twice = 0;
  for (const Case& c : engine.seen) twice += c.mode == Mode::twice ? 1 : 0;
  EXPECT_EQ(twice, 3U);
}

TEST(ConformRun, TheDepthChainAvoidsOpsWithFindings) {
  Scripted engine;
  Options o;
  o.max_depth = 10;
  EXPECT_EQ(run_probes(engine, o, {OpName::neg}).back().title,
            "the deepest chain the engine survives (10 to 10 ops), a chain of tanh");
  EXPECT_EQ(run_probes(engine, o, {OpName::neg, OpName::tanh, OpName::relu}).back().title,
            "the deepest chain the engine survives (10 to 10 ops), a chain of abs");
}

// An engine with neg alone: the probes that need other ops run nothing, and say so (not "ok").
TEST(ConformRun, AProbeWithNothingToRunIsNotApplicable) {
  Scripted engine;
  engine.edit_hello().ops = {OpName::neg};
  engine.edit_hello().constant_left.clear();
  Options o;
  o.max_depth = 10;
  const std::vector<Probe> probes = run_probes(engine, o);
  ASSERT_EQ(probes.size(), 6U);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(probes[i].ok(), std::nullopt) << probes[i].name;
    for (const ProbeCheck& c : probes[i].checks) EXPECT_FALSE(c.unsupported.empty()) << c.label;
  }
  EXPECT_EQ(probes[0].checks.at(0).unsupported, "needs mul");  // x * x * x
  EXPECT_EQ(probes[5].ok(), std::optional<bool>(true));        // a chain of neg
  for (const Case& c : engine.seen) EXPECT_GE(c.id, 2000000) << "only depth chains ran";
}

// An adapter that leaves an op out of constant_left gets no `3 OP x` for it, and is told why.
TEST(ConformRun, ANumberOnTheLeftOnlyWhereTheAdapterAnnouncedIt) {
  Scripted engine;
  engine.edit_hello().constant_left = {OpName::mul};
  Options o;
  o.max_depth = 10;
  const Probe p = run_probes(engine, o).at(4);
  ASSERT_EQ(p.name, "constant_left");
  ASSERT_EQ(p.checks.size(), 9U);  // 3 OP x and x OP 3 for add, sub, mul, div; 2 ** x
  for (const ProbeCheck& c : p.checks) {
    const bool left = c.label.front() != 'x';
    const bool expect_run = !left || c.label == "3.0 * x";
    EXPECT_EQ(c.unsupported.empty(), expect_run) << c.label << ": " << c.unsupported;
    if (left && !expect_run) {
      EXPECT_EQ(c.unsupported.rfind("no number on the left of ", 0), 0U) << c.unsupported;
      EXPECT_NE(c.unsupported.find("(the adapter did not list it in constant_left)"), std::string::npos);
    }
  }
  EXPECT_EQ(p.checks[2].unsupported,
            "no number on the left of sub (the adapter did not list it in constant_left)");
  EXPECT_EQ(p.ok(), std::optional<bool>(true));
}

// An adapter that dies on every chain deeper than 50 ops: the depth probe bisects to 51 and blames
// recursion (it passed at 10, so a crash further down is depth, not the op).
TEST(ConformRun, AChainThatCrashesPastFiftyOpsIsRecursion) {
  Scripted engine([](const Case& c, Response& r) {
    if (c.id < 2000000 || c.ops.size() <= 50) return false;
    r.status = Response::Status::crash;
    r.detail = "the adapter was killed by signal 11";
    return true;
  });
  Options o;
  o.max_depth = 1000;
  const Probe p = run_probes(engine, o).back();
  ASSERT_EQ(p.name, "depth");
  EXPECT_EQ(p.ok(), std::optional<bool>(false));
  EXPECT_EQ(p.max_depth, 50U);
  EXPECT_EQ(p.failed_at, 51U);
  ASSERT_TRUE(p.hint);
  EXPECT_EQ(p.hint->id, "recursion");
  EXPECT_NE(
      p.hint->text.find("fails on a graph 51 nodes deep (the adapter crashed: probably a stack overflow)"),
      std::string::npos)
      << p.hint->text;
}

// backward() twice answered as once (grads set, not accumulated): the probe's table shows torch's
// numbers after both calls, x * x * x at 3: 27 per call, 54 in all.
TEST(ConformRun, TheTwiceProbeTableShowsTorchAfterBothCalls) {
  Scripted engine([](const Case& c, Response& r) {
    if (c.mode != Mode::twice) return false;
    Case once = c;
    once.mode = Mode::once;
    r.reply = run_case<VerigradEngine>(once);
    return true;
  });
  Options o;
  o.max_depth = 10;
  ConformReport report;
  report.probes = run_probes(engine, o);
  ASSERT_EQ(report.probes[0].name, "twice");
  EXPECT_EQ(report.probes[0].ok(), std::optional<bool>(false));
  const std::string text = report.to_text();
  EXPECT_NE(text.find("\n      grad x1     27.0                      54.0\n"), std::string::npos) << text;
}

// ---- the C++ adapter's replies -------------------------------------------------------------

Case tanh_of_product() {
  Case c;
  c.id = 7;
  c.leaves = {{"x1", 0.5}};
  c.ops = {{"t1", OpName::mul, {{"x1", 0.0}, {"", 2.0}}}, {"t2", OpName::tanh, {{"t1", 0.0}}}};
  c.output = "t2";
  return c;
}

TEST(ConformAdapter, IntermediatesFalseReportsLeavesOnly) {
  Case c = tanh_of_product();
  Reply r = run_case<VerigradEngine>(c);
  EXPECT_EQ(r.grads.size(), 3U);
  EXPECT_EQ(r.values.size(), 2U);
  c.intermediates = false;
  r = run_case<VerigradEngine>(c);
  ASSERT_EQ(r.grads.size(), 1U);
  EXPECT_EQ(r.grads[0].first, "x1");
  EXPECT_TRUE(r.values.empty());
  EXPECT_EQ(r.value.value, std::tanh(1.0));
}

struct ThrowingTanh : VerigradEngine {
  static Value apply(OpName op, const Arg& a, const Arg& b) {
    if (op == OpName::tanh) throw std::range_error("no tanh today");
    return VerigradEngine::apply(op, a, b);
  }
};

TEST(ConformAdapter, AnErrorCarriesTheValuesBuiltBeforeIt) {
  const Reply r = run_case<ThrowingTanh>(tanh_of_product());
  ASSERT_EQ(r.type, Reply::Type::error);
  EXPECT_EQ(r.phase, "build");
  EXPECT_EQ(r.node, "t2");
  EXPECT_EQ(r.op, "tanh");
  EXPECT_EQ(r.exception, "std::range_error");
  EXPECT_EQ(r.message, "no tanh today");
  ASSERT_EQ(r.values.size(), 1U);
  EXPECT_EQ(r.values[0].first, "t1");
  EXPECT_EQ(r.values[0].second.value, 1.0);
}

}  // namespace
}  // namespace verigrad::verify::conform
