// `verigrad conform` end to end, through the real binary: our deliberately broken Python engines (one
// classic mistake each) are found, named, hinted at and shrunk; the correct one and verigrad's own C++
// adapter come out conformant; misbehaving adapters get a clear exit 2 or a finding, never a hang.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

using nlohmann::json;

struct Outcome {  // NOLINT(bugprone-exception-escape): a json member default-constructs to null
  int exit_code = -1;
  std::string out;
  std::string err;
  double seconds = 0.0;
  json j;  // stdout parsed, when it is JSON
};

// A file of this test process's own: ctest runs the tests of this binary in parallel processes.
std::string temp(const std::string& name) {
  return ::testing::TempDir() + "conform_" + std::to_string(::getpid()) + "_" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `verigrad conform ARGS` (quoted by the caller), stdout and stderr apart; JSON parsed if it is.
// `verigrad conform ARGS`, with ENV (NAME=VALUE ...) set for it when given.
Outcome conform(const std::string& args, const std::string& env = "") {
  const std::string err_file = temp("stderr.txt");
  const std::string command = (env.empty() ? "" : "env " + env + " ") + std::string(VERIGRAD_BINARY) +
                              " conform " + args + " 2>" + err_file;
  Outcome r;
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = slurp(err_file);
  std::remove(err_file.c_str());
  if (!r.out.empty() && r.out[0] == '{') r.j = json::parse(r.out, nullptr, false);
  return r;
}

std::string engine(const std::string& name) {
  return std::string(CONFORM_TESTS_DIR) + "/engines/" + name + ".py";
}

std::string misbehave(const std::string& mode) {
  return "--engine 'python3 " + std::string(CONFORM_TESTS_DIR) + "/adapters/misbehave.py " + mode + "'";
}

// The non-edge findings of a --json run.
std::vector<json> real_findings(const json& j) {
  std::vector<json> out;
  for (const json& f : j.at("findings")) {
    if (f.at("kind") != "edge") out.push_back(f);
  }
  return out;
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The one finding about `op`, checked to be of `kind` with hint `hint_id` and shrunk to a program of
// at most `max_lines` lines (leaves, ops and the backward() call).
void expect_finding(const json& j, const std::string& kind, const std::string& op, const std::string& hint_id,
                    std::size_t max_lines) {
  bool found = false;
  for (const json& f : real_findings(j)) {
    if (f.at("op") != op) continue;
    found = true;
    EXPECT_EQ(f.at("kind"), kind) << f.dump(2);
    EXPECT_EQ(f.at("hint_id"), hint_id) << f.dump(2);
    EXPECT_TRUE(f.at("hint").is_string()) << f.dump(2);
    EXPECT_LE(lines(f.at("program").get<std::string>()), max_lines) << f.at("program").get<std::string>();
    EXPECT_GE(f.at("count").get<int>(), 1);
    EXPECT_TRUE(f.at("engine").is_object());
    EXPECT_TRUE(f.at("torch").contains("value")) << f.dump(2);
  }
  EXPECT_TRUE(found) << "no finding about " << op << " in " << j.at("findings").dump(2);
}

constexpr const char* kFast = " --json --seed 7 --max-depth 2000";

// ---- our own Python engines -----------------------------------------------------------------

TEST(ConformPython, CorrectEngineIsConformantApartFromEdges) {
  const Outcome r = conform("--python " + engine("correct_engine") + " --json --seed 11");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const json& j = r.j;
  for (const char* key :
       {"engine", "protocol", "ops", "cases", "failed", "findings", "semantics", "conformant"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.at("engine"), "correct_engine.py:Value");
  EXPECT_EQ(j.at("protocol"), 1);
  EXPECT_EQ(j.at("ops").at("tested").size(), 13U);
  EXPECT_TRUE(j.at("ops").at("unsupported").empty());
  EXPECT_EQ(j.at("cases"), 1000);
  EXPECT_EQ(j.at("failed"), 0);
  EXPECT_TRUE(j.at("conformant").get<bool>());
  EXPECT_TRUE(real_findings(j).empty()) << j.at("findings").dump(2);
  EXPECT_FALSE(j.at("findings").empty()) << "Python floats raise where IEEE gives inf: some edge is expected";
  for (const char* probe : {"twice", "zero_then_again", "two_graphs", "reuse", "constant_left", "depth"}) {
    EXPECT_EQ(j.at("semantics").at(probe).at("ok"), true) << probe << j.at("semantics").at(probe).dump(2);
  }
  EXPECT_EQ(j.at("semantics").at("max_depth"), 100000);
  EXPECT_EQ(j.at("semantics").at("twice").at("engine").at("grads").at("x1"), 54.0);
  EXPECT_EQ(j.at("semantics").at("twice").at("torch").at("grads").at("x1"), 54.0);
}

// One classic mistake per engine: found, blamed on the right op, hinted at, shrunk to a few lines,
// and (where a probe is built for it) failing that probe too.
struct Mistake {
  const char* engine;
  const char* kind;
  const char* op;
  const char* hint;
  std::size_t max_lines;
  const char* probe;  // a probe that must fail, or nullptr
};

class ConformMistake : public ::testing::TestWithParam<Mistake> {};

TEST_P(ConformMistake, IsFoundNamedHintedAndShrunk) {
  const Mistake& m = GetParam();
  const Outcome r = conform("--python " + engine(m.engine) + kFast);
  ASSERT_EQ(r.exit_code, 1) << r.err << r.out;
  EXPECT_FALSE(r.j.at("conformant").get<bool>());
  expect_finding(r.j, m.kind, m.op, m.hint, m.max_lines);
  EXPECT_EQ(real_findings(r.j).size(), 1U) << "one mistake, one finding: " << r.j.at("findings").dump(2);
  if (m.probe != nullptr) {
    EXPECT_EQ(r.j.at("semantics").at(m.probe).at("ok"), false) << m.probe;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Engines, ConformMistake,
    ::testing::Values(Mistake{"swapped_rsub", "wrong_value", "sub", "swapped_reflected", 3, "constant_left"},
                      Mistake{"assign_add", "wrong_grad", "add", "assign_not_accumulate", 3, "reuse"},
                      Mistake{"sub_sign", "wrong_grad", "sub", "sign_lost", 4, "constant_left"},
                      Mistake{"tanh_assign", "wrong_grad", "tanh", "assign_not_accumulate", 5, "reuse"},
                      Mistake{"neg_float", "not_a_value", "neg", "not_a_value", 3, nullptr},
                      Mistake{"pow_no_exponent_grad", "wrong_grad", "pow", "missing_gradient", 4,
                              "constant_left"}),
    [](const ::testing::TestParamInfo<Mistake>& param) { return std::string(param.param.engine); });

TEST(ConformPython, RecursiveBackwardWithoutTopologicalOrder) {
  const Outcome r = conform("--python " + engine("recursive_backward") + kFast);
  ASSERT_EQ(r.exit_code, 1) << r.err << r.out;
  const std::vector<json> findings = real_findings(r.j);
  ASSERT_EQ(findings.size(), 1U) << r.j.at("findings").dump(2);  // one mistake, whichever ops showed it
  EXPECT_EQ(findings[0].at("kind"), "wrong_grad");
  EXPECT_EQ(findings[0].at("hint_id"), "no_topological_order");
  EXPECT_TRUE(findings[0].at("op").is_string());
  EXPECT_GE(findings[0].at("seen_in").size(), 3U);
  EXPECT_LE(lines(findings[0].at("program").get<std::string>()), 5U);
  const json& depth = r.j.at("semantics").at("depth");
  EXPECT_EQ(depth.at("ok"), false);
  EXPECT_GT(depth.at("failed_at").get<int>(), 900);  // Python's recursion limit, 1000 frames
  EXPECT_LE(depth.at("failed_at").get<int>(), 1000);
  EXPECT_EQ(depth.at("max_depth").get<int>() + 1, depth.at("failed_at").get<int>());
  EXPECT_EQ(depth.at("hint_id"), "recursion");
  EXPECT_NE(depth.at("how").get<std::string>().find("RecursionError"), std::string::npos);
}

// add assigning, and a topological order that follows set iteration: the same program passes or fails
// depending on memory addresses. The re-run of failing cases notices.
TEST(ConformPython, ASetOrderedTopologicalSortIsFlaggedNondeterministic) {
  const Outcome r = conform("--python " + engine("set_order") + " --json --seed 7 --no-probes");
  ASSERT_EQ(r.exit_code, 1) << r.err << r.out;
  const std::vector<json> findings = real_findings(r.j);
  ASSERT_EQ(findings.size(), 1U) << r.j.at("findings").dump(2);
  EXPECT_EQ(findings[0].at("op"), "add");
  EXPECT_EQ(findings[0].at("nondeterministic"), true);
  EXPECT_NE(r.out.find("\"nondeterministic\": true"), std::string::npos);
}

TEST(ConformPython, PrintsInBackwardAreKeptAsOutput) {
  const Outcome r = conform("--python " + engine("print_backward") + kFast);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_TRUE(real_findings(r.j).empty());
  EXPECT_GT(r.j.at("engine_output").at("lines").get<int>(), 1000);
  EXPECT_NE(r.j.at("engine_output").at("first").at(0).get<std::string>().find("backward from Value(data="),
            std::string::npos);
}

TEST(ConformPython, TrainingCodeAtTheBottomIsNotRun) {
  const Outcome r = conform("--python " + engine("training_at_bottom") + kFast);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_LT(r.seconds, 60.0);
  // model = MLP(...) on line 49 calls code: not run either, only names, constants and definitions are
  const std::string skipped =
      "3 top-level statements not run (lines 49-50, 59): only imports, definitions and constants are "
      "loaded, so training code and prints at the bottom of the file do not run";
  EXPECT_NE(std::find(r.j.at("notes").begin(), r.j.at("notes").end(), skipped), r.j.at("notes").end())
      << r.j.at("notes").dump();
}

TEST(ConformPython, IntermediateGradsKeptAcrossCallsFailTheProbes) {
  const Outcome r = conform("--python " + engine("kept_grads") + kFast);
  ASSERT_EQ(r.exit_code, 1) << r.err << r.out;
  EXPECT_TRUE(real_findings(r.j).empty()) << "one backward per graph is right";
  for (const char* probe : {"twice", "zero_then_again"}) {
    const json& p = r.j.at("semantics").at(probe);
    EXPECT_EQ(p.at("ok"), false) << probe;
    EXPECT_EQ(p.at("checks").at(0).at("hint_id"), "intermediate_grads_kept") << p.dump(2);
  }
  EXPECT_EQ(r.j.at("semantics").at("twice").at("engine").at("grads").at("x1"), 72.0);  // x*x*x at 3
  EXPECT_EQ(r.j.at("semantics").at("twice").at("torch").at("grads").at("x1"), 54.0);
  EXPECT_EQ(r.j.at("semantics").at("two_graphs").at("ok"), true);
}

TEST(ConformPython, ALectureStyleFileBecomesFindingsAndUnsupportedOps) {
  const Outcome r = conform("--python " + engine("lecture_style") + kFast);
  ASSERT_EQ(r.exit_code, 1) << r.err << r.out;
  const json& ops = r.j.at("ops");
  for (const char* op : {"div", "pow", "relu", "log", "sigmoid", "abs"}) {
    EXPECT_NE(std::find(ops.at("unsupported").begin(), ops.at("unsupported").end(), op),
              ops.at("unsupported").end())
        << op;
  }
  EXPECT_NE(ops.at("reasons").at("div").get<std::string>().find("__div__"), std::string::npos);
  EXPECT_NE(ops.at("reasons").at("pow").get<std::string>().find("AssertionError"), std::string::npos);
  EXPECT_EQ(ops.at("constant_left"), json::array({"mul"}));  // no __radd__, __rsub__
  // tanh and exp both use math: one finding (a missing import is no single op's), seen in both
  const std::vector<json> findings = real_findings(r.j);
  const auto import = std::find_if(findings.begin(), findings.end(),
                                   [](const json& f) { return f.at("hint_id") == "missing_import"; });
  ASSERT_NE(import, findings.end()) << r.j.at("findings").dump(2);
  EXPECT_EQ(import->at("kind"), "raises");
  EXPECT_NE(import->at("hint").get<std::string>().find("import math"), std::string::npos);
  EXPECT_EQ(import->at("seen_in").size(), 2U);
  EXPECT_LE(lines(import->at("program").get<std::string>()), 3U);
  EXPECT_EQ(r.j.at("semantics").at("depth").at("hint_id"), "recursion");
  bool graphviz = false;
  for (const json& note : r.j.at("notes"))
    graphviz = graphviz || note.get<std::string>().find("graphviz") != std::string::npos;
  EXPECT_TRUE(graphviz) << r.j.at("notes").dump();
}

TEST(ConformPython, TextReportHasTheTableFindingsSemanticsAndVerdict) {
  const Outcome r = conform("--python " + engine("swapped_rsub") + " --seed 7 --max-depth 100");
  ASSERT_EQ(r.exit_code, 1) << r.err;
  for (const char* text : {"op          cases  passed  failed    edge", "FINDING 1: wrong_value in sub",
                           "hint: operands swapped in a reflected operator", "semantics",
                           "constant_left    FAIL", "verdict: NOT CONFORMANT"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
}

TEST(ConformPython, JunitHasATestCasePerOpAndPerProbe) {
  const std::string xml_path = temp("junit.xml");
  const Outcome r =
      conform("--python " + engine("swapped_rsub") + " --seed 7 --max-depth 100 --junit " + xml_path);
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const std::string xml = slurp(xml_path);
  EXPECT_EQ(xml.rfind("<?xml", 0), 0U);
  EXPECT_NE(xml.find("<testcase classname=\"conform.ops\" name=\"sub\">\n      <failure"), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase classname=\"conform.ops\" name=\"add\">\n    </testcase>"), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("name=\"constant_left\">\n      <failure"), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"depth\">\n    </testcase>"), std::string::npos) << xml;
  std::remove(xml_path.c_str());
}

TEST(ConformPython, ClassNameAfterAColon) {
  const Outcome r = conform("--python " + engine("correct_engine") + ":Nope --cases 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no class 'Nope'"), std::string::npos) << r.err;
}

// A file whose own name ends in ":Identifier" is that file (class Value), not FILE:CLASS.
TEST(ConformPython, AColonInAFileNameThatExistsIsPartOfTheName) {
  const std::string path = temp("engine:Scalar");
  std::ofstream(path) << slurp(engine("correct_engine"));
  const Outcome r = conform("--python " + path + " --cases 20 --no-probes --json --seed 1");
  std::remove(path.c_str());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.j.at("cases"), 20);
  EXPECT_EQ(r.j.at("engine").get<std::string>().rfind(":Value"),
            r.j.at("engine").get<std::string>().size() - 6)
      << r.j.at("engine");
}

// --strict: the edges count. The correct engine becomes non-conformant for its edges alone, and the
// JUnit report fails the ops they are in.
TEST(ConformPython, StrictCountsTheEdges) {
  const std::string xml_path = temp("strict.xml");
  const Outcome r = conform("--python " + engine("correct_engine") +
                            " --strict --cases 300 --seed 11 --no-probes --junit " + xml_path);
  ASSERT_EQ(r.exit_code, 1) << r.err << r.out;
  EXPECT_NE(r.out.find("IEEE edges (counted: --strict)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verdict: NOT CONFORMANT; "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" (counted: --strict)\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("FINDING"), std::string::npos) << "edges only: " << r.out;
  const std::string xml = slurp(xml_path);
  EXPECT_NE(xml.find("name=\"log\">\n      <failure type=\"finding\" message=\"edge in log\">"),
            std::string::npos)
      << xml;
  std::remove(xml_path.c_str());
}

TEST(ConformPython, NoProbesSkipsTheSemantics) {
  const Outcome r =
      conform("--python " + engine("correct_engine") + " --no-probes --cases 50 --json --seed 2");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.j.at("semantics"), json({{"max_depth", 0}}));
  EXPECT_EQ(r.j.at("cases"), 50);
}

// ---- verigrad's own engine through the C++ adapter -------------------------------------------

TEST(ConformCpp, OurEngineIsFullyConformantEveryProbeIncluded) {
  const Outcome r = conform(std::string("--engine ") + CONFORM_EXAMPLE + " --json --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_TRUE(r.j.at("findings").empty()) << r.j.at("findings").dump(2);
  EXPECT_EQ(r.j.at("cases"), 1000);
  EXPECT_EQ(r.j.at("edge"), 0);
  for (const auto& [name, probe] : r.j.at("semantics").items()) {
    if (name != "max_depth") {
      EXPECT_EQ(probe.at("ok"), true) << name;
    }
  }
  EXPECT_EQ(r.j.at("semantics").at("max_depth"), 100000);
  EXPECT_EQ(r.j.at("ops").at("constant_left").size(), 5U);
}

// --max-depth bounds the depth probe (and --cases 0 runs the probes alone).
TEST(ConformCpp, MaxDepthBoundsTheDepthProbe) {
  const Outcome r =
      conform(std::string("--engine ") + CONFORM_EXAMPLE + " --cases 0 --max-depth 100 --json --seed 1");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.j.at("cases"), 0);
  EXPECT_EQ(r.j.at("semantics").at("max_depth"), 100);
  EXPECT_EQ(r.j.at("semantics").at("depth").at("title"),
            "the deepest chain the engine survives (10 to 100 ops), a chain of neg");
}

// Without --seed every run picks its own, and prints it so that the run can be repeated.
TEST(ConformUsage, WithoutASeedEachRunPicksOneAndPrintsIt) {
  const std::string args = std::string("--engine ") + CONFORM_EXAMPLE + " --cases 0 --no-probes";
  const Outcome a = conform(args + " --json");
  const Outcome b = conform(args + " --json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(a.j.at("seed"), b.j.at("seed"));  // 32 random bits: equal once in 4 billion runs
  const Outcome text = conform(args + " --seed 123");
  EXPECT_NE(text.out.find("(process adapter, protocol 1), seed 123\n"), std::string::npos) << text.out;
}

// The adapter answers a hello of another protocol version with an error, as docs/conform.md says.
TEST(ConformCpp, TheAdapterRefusesAnotherProtocol) {
  const std::string command =
      "printf '{\"type\":\"hello\",\"protocol\":2}\\n{\"type\":\"hello\",\"protocol\":1}\\n' | " +
      std::string(CONFORM_EXAMPLE);
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  EXPECT_EQ(::pclose(pipe), 0);
  const std::size_t newline = out.find('\n');
  ASSERT_NE(newline, std::string::npos) << out;
  const json refusal = json::parse(out.substr(0, newline));
  EXPECT_EQ(refusal.at("type"), "error");
  EXPECT_EQ(refusal.at("phase"), "hello");
  EXPECT_EQ(refusal.at("message"), "this adapter speaks protocol 1");
  EXPECT_EQ(json::parse(out.substr(newline + 1)).at("type"), "hello");
}

// ---- misbehaving adapters ---------------------------------------------------------------------

struct Misbehaviour {
  const char* mode;
  const char* message;  // part of the error verigrad prints
};

class ConformMisbehaving : public ::testing::TestWithParam<Misbehaviour> {};

TEST_P(ConformMisbehaving, ExitsTwoQuotingWhatItGot) {
  const Outcome r = conform(misbehave(GetParam().mode) + " --cases 20 --no-probes --timeout 1 --seed 3");
  EXPECT_EQ(r.exit_code, 2) << r.err << r.out;
  EXPECT_NE(r.err.find(GetParam().message), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, 30.0);
}

INSTANTIATE_TEST_SUITE_P(
    Protocol, ConformMisbehaving,
    ::testing::Values(Misbehaviour{"silent", "did not answer the handshake within 3 s"},
                      Misbehaviour{"exit_at_start",
                                   "exited with status 3 before answering the handshake; its "
                                   "stderr ends: 'misbehave: giving up before the handshake'"},
                      Misbehaviour{"bad_hello_json", "not JSON"},
                      Misbehaviour{"wrong_protocol", "the adapter speaks protocol 2; this verigrad speaks 1"},
                      Misbehaviour{"hello_error", "could not load the engine: 'ImportError: no engine here'"},
                      Misbehaviour{"unknown_op", "\"ops\" has \"matmul\", not a protocol op name"},
                      Misbehaviour{"garbage_reply",
                                   "'{\"type\":\"result\",\"id\":2,\"value\":\"Infinity\",\"grads\":{}}'"},
                      Misbehaviour{"invalid_utf8", "\"grads\":{\"x1\":\"\\xFF\\xFE\"}}'"},
                      Misbehaviour{"huge_line", "a protocol line longer than 67108864 bytes"},
                      Misbehaviour{"nested", "no \"type\" string"},
                      Misbehaviour{"wrong_id", "a reply for case 7 while case 2 was the next to answer"},
                      Misbehaviour{"missing_grad", "no grad for leaf \"x1\""},
                      Misbehaviour{"unknown_name", "\"grads\" names \"zz\", not in the case"}),
    [](const ::testing::TestParamInfo<Misbehaviour>& param) { return std::string(param.param.mode); });

TEST(ConformMisbehavingFindings, AHangingCaseIsATimeoutAndTheRunGoesOn) {
  for (const char* mode : {"hang_on_case", "partial_then_hang", "close_stdout"}) {
    const Outcome r = conform(misbehave(mode) + " --cases 40 --no-probes --timeout 1 --json --seed 3");
    ASSERT_EQ(r.exit_code, 1) << mode << r.err << r.out;
    EXPECT_EQ(r.j.at("cases"), 40) << mode;
    const std::vector<json> findings = real_findings(r.j);
    ASSERT_EQ(findings.size(), 1U) << mode << r.j.at("findings").dump(2);
    EXPECT_EQ(findings[0].at("kind"), "timeout") << mode;
    EXPECT_LT(r.seconds, 30.0) << mode;
  }
}

TEST(ConformMisbehavingFindings, AnAdapterThatDiesIsACrashShrunkToTheOp) {
  const Outcome r = conform(misbehave("die_on tanh") + " --cases 15 --no-probes --timeout 2 --json --seed 3");
  ASSERT_EQ(r.exit_code, 1) << r.err << r.out;
  const std::vector<json> findings = real_findings(r.j);
  ASSERT_EQ(findings.size(), 1U) << r.j.at("findings").dump(2);
  EXPECT_EQ(findings[0].at("kind"), "crash");
  EXPECT_EQ(findings[0].at("op"), "tanh");
  EXPECT_LE(lines(findings[0].at("program").get<std::string>()), 3U);
  EXPECT_NE(findings[0].at("engine").at("crash").get<std::string>().find("exited with status 7"),
            std::string::npos);
}

TEST(ConformMisbehavingFindings, AnAdapterThatDiesOnceIsRestartedAndTheCaseRunAgain) {
  const std::string marker = temp("died_once");
  std::remove(marker.c_str());
  const Outcome r = conform(misbehave("die_once " + marker) + " --cases 40 --no-probes --json --seed 3");
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_TRUE(real_findings(r.j).empty());
  EXPECT_TRUE(std::ifstream(marker).good()) << "the adapter did die once";
  std::remove(marker.c_str());
}

TEST(ConformMisbehavingFindings, PrintsOnStandardOutputAreKeptNotErrors) {
  const Outcome r = conform(misbehave("prints") + " --cases 40 --no-probes --json --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.j.at("engine_output").at("lines"), 120);  // 3 non-blank lines per case
  EXPECT_EQ(r.j.at("engine_output").at("first").at(1), "[1, 2, 3]");
  EXPECT_EQ(r.j.at("engine_output").at("first").at(2), "Value(data=1.0, grad=0.0)");  // "\r\n" ended
}

TEST(ConformMisbehavingFindings, AHugePrintLineIsCutNotFatal) {
  const Outcome r = conform(misbehave("huge_print") + " --cases 10 --no-probes --json --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.j.at("engine_output").at("lines"), 1);
  EXPECT_LT(r.j.at("engine_output").at("first").at(0).get<std::string>().size(), 5000U);
}

// A case is given --timeout seconds, and as much again per 50,000 instructions: the depth probe's
// 10^5-op chain, answered after 4.5 s, is honest work under --timeout 3 (9 s for it), not a hang.
TEST(ConformMisbehavingFindings, TimeoutsGrowWithTheCase) {
  const Outcome r = conform(misbehave("slow_deep 4.5") + " --cases 0 --timeout 3 --json --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.j.at("semantics").at("depth").at("ok"), true) << r.j.at("semantics").at("depth").dump(2);
  EXPECT_EQ(r.j.at("semantics").at("max_depth"), 100000);
}

// Gone, or a zombie waiting for an init that does not reap (as in some containers): not running.
bool not_running(const std::string& pid) {
  const std::string stat = slurp("/proc/" + pid + "/stat");
  const std::size_t paren = stat.rfind(')');
  const char state = paren == std::string::npos || paren + 2 >= stat.size() ? 'X' : stat[paren + 2];
  return state == 'Z' || state == 'X';
}

// The adapter's process group is killed on a timeout: a child it started does not outlive the run.
TEST(ConformMisbehavingFindings, ATimeoutKillsTheAdaptersChildrenToo) {
  const std::string pid_file = temp("child_pid");
  std::remove(pid_file.c_str());
  const Outcome r =
      conform(misbehave("child_holds_pipe " + pid_file) + " --cases 10 --no-probes --timeout 1 --seed 3");
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  const std::string pid = slurp(pid_file);
  ASSERT_FALSE(pid.empty());
  EXPECT_TRUE(not_running(pid)) << "child " << pid << " is still running";
  std::remove(pid_file.c_str());
}

// The adapter runs in a process group of its own, out of reach of the terminal's Ctrl-C: a verigrad
// that is interrupted or terminated kills it (and what it started) on the way out.
TEST(ConformMisbehavingFindings, TerminatingVerigradKillsTheAdapter) {
  const std::string pid_file = temp("orphan_pid");
  std::remove(pid_file.c_str());
  const std::string command = "exec " + std::string(VERIGRAD_BINARY) + " conform " +
                              misbehave("child_holds_pipe " + pid_file) +
                              " --cases 10 --no-probes --timeout 100 --seed 3 >/dev/null 2>&1";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_GT(pid, 0);
  std::string child;
  for (int i = 0; i < 300 && child.empty(); ++i) {  // up to 30 s for the adapter to reach case 3
    ::usleep(100000);
    child = slurp(pid_file);
  }
  ASSERT_FALSE(child.empty()) << "the adapter never started its child";
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  ::usleep(200000);
  EXPECT_TRUE(not_running(child)) << "the adapter's child " << child << " outlived verigrad";
  std::remove(pid_file.c_str());
}

TEST(ConformUsage, ErrorsExitTwo) {
  EXPECT_EQ(conform("--cases 3").exit_code, 2);
  EXPECT_EQ(conform("--python a.py --engine b").exit_code, 2);
  const Outcome missing = conform("--python /nonexistent/engine.py");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read '/nonexistent/engine.py'"), std::string::npos) << missing.err;
  const Outcome command = conform("--engine 'no_such_adapter_command --x'");
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_NE(command.err.find("exited with status 127 before answering the handshake"), std::string::npos)
      << command.err;
  const std::string broken = temp("syntax_error.py");
  std::ofstream(broken) << "class Value:\n    def __init__(self, data)\n        self.data = data\n";
  const Outcome syntax = conform("--python " + broken);
  EXPECT_EQ(syntax.exit_code, 2);
  EXPECT_NE(syntax.err.find("could not load the engine: 'SyntaxError"), std::string::npos) << syntax.err;
  EXPECT_NE(syntax.err.find("line 2"), std::string::npos) << syntax.err;
  std::remove(broken.c_str());
  EXPECT_EQ(conform("--python " + engine("correct_engine") + " --timeout 0").exit_code, 2);
  EXPECT_EQ(conform("--python " + engine("correct_engine") + " --cases -1").exit_code, 2);
  const std::string quick = std::string("--engine ") + CONFORM_EXAMPLE + " --cases 0 --no-probes";
  EXPECT_EQ(conform(quick + " --max-depth 9").exit_code, 2);
  EXPECT_EQ(conform(quick + " --max-depth 10").exit_code, 0);
  const Outcome shrink = conform(quick + " --shrink-seconds -1");
  EXPECT_EQ(shrink.exit_code, 2);
  EXPECT_NE(shrink.err.find("--shrink-seconds must be from 0 to 1000000"), std::string::npos) << shrink.err;
}

// VERIGRAD_PYTHON_ADAPTER chooses the Python adapter; one that cannot be read is named.
TEST(ConformUsage, AnUnreadableAdapterInTheEnvironmentIsNamed) {
  const std::string args = "--python " + engine("correct_engine") + " --cases 3 --no-probes";
  const Outcome r = conform(args, "VERIGRAD_PYTHON_ADAPTER=/nonexistent/adapter.py");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("VERIGRAD_PYTHON_ADAPTER: cannot read '/nonexistent/adapter.py'"), std::string::npos)
      << r.err;
  const std::string shipped = std::string(CONFORM_TESTS_DIR) + "/../../verify/conform/verigrad_adapter.py";
  EXPECT_EQ(conform(args, "VERIGRAD_PYTHON_ADAPTER=" + shipped).exit_code, 0);  // a readable one is used
}

// A Python that cannot be started is named, with the system's reason: exit 2, not a crash or a hang.
TEST(ConformUsage, APythonThatCannotStartIsNamed) {
  const Outcome r =
      conform("--python " + engine("correct_engine") + " --cases 5", "VERIGRAD_PYTHON=/no/such/python");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("cannot start the adapter '/no/such/python': No such file or directory"),
            std::string::npos)
      << r.err;
}

}  // namespace
