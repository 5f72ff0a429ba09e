// Every command's disagreement path, end to end: the test-only verigrad binary built on the faulty op
// table (VERIGRAD_FAULT picks the fault) must exit 1 and say where ours and torch part ways.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "run_shell.hpp"

namespace {

using verigrad::testing::Result;

// `VERIGRAD_FAULT=fault verigrad_faulty ARGS`, stdout and stderr together; an empty fault runs it
// without one.
Result faulty(const std::string& fault, const std::string& args) {
  return verigrad::testing::run_shell(
      (fault.empty() ? std::string("env -u VERIGRAD_FAULT ") : "env VERIGRAD_FAULT=" + fault + " ") +
      VERIGRAD_FAULTY_BINARY + " " + args + " 2>&1");
}

nlohmann::json json_of(const Result& r) {
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what() << "\n" << r.out;
    return {};
  }
}

constexpr const char* kProgram = "'a = 1.5; b = 2.0; c = a * b; d = c.tanh()'";

TEST(FaultCli, WithoutAFaultEverythingAgrees) {
  const Result r = faulty("", std::string("grad ") + kProgram);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("every value and gradient matches torch"), std::string::npos) << r.out;
}

// A wrong derivative: the gradient rows say MISMATCH, finite differences disagree with ours, the first
// mismatch named is the operand the faulty rule computed, and the exit code is 1.
TEST(FaultCli, GradReportsAWrongDerivative) {
  Result r = faulty("Tanh:d0:1e-2", "grad 'x = 0.5; y = x.tanh()'");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("dy/dx   0.7943122103"), std::string::npos) << r.out;  // 1.01 * (1 - tanh(0.5)^2)
  EXPECT_NE(r.out.find("MISMATCH (numeric: DISAGREE)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("first mismatch: x = 0.5 (torch's chain rule on our consumer grads gives"),
            std::string::npos)
      << r.out;
  // One op further from the leaves: the leaves inherit the wrong gradient of c, which is blamed.
  r = faulty("Tanh:d0:1e-2", std::string("grad ") + kProgram);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("inherited (numeric: DISAGREE)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verify::check: 4 nodes, seed 1.0, rtol 1e-12, atol 1e-300: MISMATCH"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("first mismatch: c = a * b (torch's chain rule on our consumer grads gives"),
            std::string::npos)
      << r.out;
}

TEST(FaultCli, GradJsonReportsTheFirstDivergence) {
  const Result r = faulty("Mul:forward", std::string("grad --json --nodes ") + kProgram);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const nlohmann::json j = json_of(r);
  EXPECT_FALSE(j.at("match").get<bool>());
  // a's gradient already differs (inherited through tanh), so a is the first row that diverges; the
  // report blames c, whose value is wrong.
  EXPECT_EQ(j.at("first_divergence"), "a = 1.5");
  const nlohmann::json& report = j.at("report");
  EXPECT_FALSE(report.at("matches").get<bool>());
  const std::size_t blamed = report.at("first_mismatch").get<std::size_t>();
  EXPECT_EQ(report.at("nodes").at(blamed).at("expression"), "c = a * b");
  EXPECT_EQ(report.at("nodes").at(blamed).at("value").at("verdict"), "MISMATCH");
  EXPECT_EQ(j.at("grads").at("a").at("status").get<std::string>().rfind("inherited", 0), 0u);
}

// A rounding-sized fault (1e-13, a tenth of the tolerance) is not a disagreement.
TEST(FaultCli, GradForgivesRoundingSizedDifferences) {
  EXPECT_EQ(faulty("Tanh:d0:1e-13", std::string("grad ") + kProgram).exit_code, 0);
  EXPECT_EQ(faulty("Tanh:d0:1e-11", std::string("grad ") + kProgram).exit_code, 1);
}

// Manual backprop on a wrong engine: a _backward() through tanh's faulty rule gives x a wrong gradient,
// which the manual check judges against torch (never against our engine, which agrees with the
// program here), names as the first wrong one, and explains with torch's local rule, not the faulty
// one; exit 1. The text and the JSON agree.
TEST(FaultCli, ManualBackpropIsJudgedAgainstTorch) {
  // x's row is wrong and explained by torch's rule; t's, set by the program, is right; exit 1.
  const auto expect_x_wrong = [](const Result& r, const std::string& yours) {
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("t     2                   2                   ok"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("first wrong gradient: x (yours " + yours +
                         ", torch 1.572895466): t = x.tanh(), so dy/dx = dy/dt * 0.786447733 = 2 * "
                         "0.786447733 = 1.572895466"),
              std::string::npos)
        << r.out;
  };
  const std::string steps =
      "'x = Value(0.5); t = x.tanh(); y = t * 2.0; y.grad = 1.0; y._backward(); t._backward()'";
  Result r = faulty("Tanh:d0:1e-2", "grad " + steps);
  expect_x_wrong(r, "1.588624421");
  EXPECT_NE(r.out.find("x     1.588624421         1.572895466         WRONG"), std::string::npos) << r.out;
  r = faulty("Tanh:d0:1e-2", "grad --json " + steps);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const nlohmann::json j = json_of(r);
  EXPECT_FALSE(j.at("manual_match").get<bool>());
  EXPECT_FALSE(j.at("manual").at("x").at("ok").get<bool>());
  EXPECT_TRUE(j.at("manual").at("t").at("ok").get<bool>());
  EXPECT_EQ(j.at("first_wrong").at("node"), "x");
  // The rule for a node uses torch's gradients of the nodes that use it, not our engine's: with
  // Mul's derivative wrong, our dy/dt is 2.02, torch's 2; the program set t's by hand, rightly.
  expect_x_wrong(faulty("Mul:d0:1e-2",
                        "grad 'x = Value(0.5); t = x.tanh(); y = t * 2.0; y.grad = 1.0; t.grad = 2.0; "
                        "x.grad = 0.5'"),
                 "0.5");
  // Without a fault the same steps are all right.
  EXPECT_EQ(faulty("", "grad " + steps).exit_code, 0);
}

// train --mirror: the twin's loss agrees at step 0 (the forward is right), the parameters after the
// first update do not; exit 1, the JSON names step 0, the text says so.
TEST(FaultCli, TrainMirrorReportsTheFirstStepBeyondTolerance) {
  Result r = faulty("Relu:d0", "train --mirror --steps 3 --json");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const nlohmann::json j = json_of(r);
  EXPECT_FALSE(j.at("mirror_match").get<bool>());
  EXPECT_EQ(j.at("first_exceeded"), 0);
  EXPECT_GT(j.at("max_param_diff").get<double>(), 1e-10);
  r = faulty("Relu:d0", "train --mirror --steps 3");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("(beyond tolerance)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("first beyond tolerance at step 0"), std::string::npos) << r.out;
  // Without --mirror there is no oracle: training a wrong engine succeeds.
  EXPECT_EQ(faulty("Relu:d0", "train --steps 3 --json").exit_code, 0);
}

// fuzz: the first failure is shrunk to a small program that `verigrad grad` runs and that fails there
// too; exit 1.
TEST(FaultCli, FuzzFindsShrinksAndReproduces) {
  const Result r = faulty("Sigmoid:d0", "fuzz --cases 40 --seed 3 --json");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const nlohmann::json j = json_of(r);
  EXPECT_GT(j.at("failures").get<int>(), 0);
  const nlohmann::json& first = j.at("first_failure");
  ASSERT_FALSE(first.is_null());
  const std::string program = first.at("program");
  if (first.at("kind") == "expression") {
    EXPECT_NE(program.find(".sigmoid()"), std::string::npos) << program;
    std::size_t lines = 0;
    for (char c : program) lines += c == '\n';
    EXPECT_LE(lines, 4u) << program;
    const std::string path =
        ::testing::TempDir() + "verigrad_fault_case_" + std::to_string(::getpid()) + ".py";
    std::ofstream(path) << program;
    EXPECT_EQ(faulty("Sigmoid:d0", "grad -f " + path).exit_code, 1);
    EXPECT_EQ(faulty("", "grad -f " + path).exit_code, 0);
  } else {
    EXPECT_EQ(first.at("kind"), "network");
  }
  const Result text = faulty("Sigmoid:d0", "fuzz --cases 40 --seed 3");
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("first failure (case "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("rerun:     verigrad fuzz --seed 3 --cases 40"), std::string::npos) << text.out;
}

}  // namespace
