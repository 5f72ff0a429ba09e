// verigrad conform, pointed at an engine that is wrong on purpose: our own engine, built on the faulty
// op table. In process (EXPECT_CONFORMS's check_engine, VerigradEngine's traits over the faulty
// engine) and through the C++ adapter process (examples/conform built on the faulty table, judged by
// the real verigrad binary), a wrong derivative or forward must come out as a finding of the right
// kind, about the right op, at the right node, shrunk to that op alone, with exit code 1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "examples/conform/verigrad_traits.hpp"
#include "fault.hpp"
#include "run_shell.hpp"
#include "verify/conform/gtest.hpp"

namespace verigrad::verify::conform {
namespace {

Options quick() {
  Options o;
  o.cases = 300;
  o.seed = 1;
  o.max_depth = 1000;
  return o;
}

// The findings that are not IEEE edges.
std::vector<const Finding*> real(const ConformReport& r) {
  std::vector<const Finding*> out;
  for (const Finding& f : r.findings) {
    if (f.kind != Kind::edge) out.push_back(&f);
  }
  return out;
}

TEST(FaultConform, WithoutAFaultOurEngineConforms) {
  fault::clear();
  EXPECT_CONFORMS_WITH(VerigradEngine, quick());
}

// tanh's derivative 1% too large: a wrong gradient, blamed on tanh, at the leaf feeding it, in a
// one-op program; the reuse probe (tanh(x) + x) fails too. No classic mistake fits a scaled derivative.
TEST(FaultConform, InProcessAWrongDerivativeIsAWrongGradInItsOp) {
  const fault::Scoped f(fault::parse("Tanh:d0:1e-2"));
  const ConformReport r = check_engine<VerigradEngine>(quick());
  EXPECT_FALSE(r.conformant);
  const std::vector<const Finding*> findings = real(r);
  ASSERT_EQ(findings.size(), 1U) << r.to_text();
  const Finding& finding = *findings[0];
  EXPECT_EQ(finding.kind, Kind::wrong_grad);
  EXPECT_EQ(finding.op, OpName::tanh);
  EXPECT_EQ(finding.judged.outcome.node, "x1");
  EXPECT_EQ(finding.program.op_count(), 1U) << finding.program.python();
  EXPECT_FALSE(finding.hint) << finding.hint->text;
  EXPECT_FALSE(finding.nondeterministic);
  EXPECT_EQ(finding.judged.outcome.what.rfind("grad of x1: engine ", 0), 0U) << finding.judged.outcome.what;
  for (const Probe& p : r.probes) {
    if (p.name == "reuse") {
      EXPECT_EQ(p.ok(), std::optional<bool>(false));
    }
  }
  const ::testing::AssertionResult verdict = conforms("VerigradEngine", r);
  EXPECT_FALSE(verdict);
  EXPECT_NE(std::string(verdict.message()).find("FINDING 1: wrong_grad in tanh"), std::string::npos)
      << verdict.message();
}

// A binary op's second derivative (d(a / b)/db) wrong: blamed on div, at the divisor.
TEST(FaultConform, InProcessTheRightOperandOfTheRightOp) {
  const fault::Scoped f(fault::parse("Div:d1:1e-3"));
  const ConformReport r = check_engine<VerigradEngine>(quick());
  const std::vector<const Finding*> findings = real(r);
  ASSERT_EQ(findings.size(), 1U) << r.to_text();
  EXPECT_EQ(findings[0]->kind, Kind::wrong_grad);
  EXPECT_EQ(findings[0]->op, OpName::div);
  EXPECT_EQ(findings[0]->program.op_count(), 1U) << findings[0]->program.python();
  const std::string& statement = findings[0]->program.statement(findings[0]->program.spec.nodes.size() - 1);
  const std::string divisor = statement.substr(statement.rfind(' ') + 1);
  EXPECT_EQ(findings[0]->judged.outcome.node, divisor) << statement;
}

// ---- through the adapter process and the real verigrad ------------------------------------------

nlohmann::json conform_json(const std::string& fault, const std::string& args) {
  const testing::Result r =
      testing::run_shell("env VERIGRAD_FAULT=" + fault + " " + VERIGRAD_BINARY + " conform --engine " +
                         CONFORM_EXAMPLE_FAULTY + " " + args + " --json 2>/dev/null");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  return nlohmann::json::parse(r.out, nullptr, false);
}

TEST(FaultConform, TheCommandFindsAWrongDerivative) {
  const nlohmann::json j = conform_json("Sigmoid:d0:1e-3", "--cases 300 --seed 2 --max-depth 1000");
  ASSERT_TRUE(j.is_object());
  EXPECT_FALSE(j.at("conformant").get<bool>());
  ASSERT_EQ(j.at("findings").size(), 1U) << j.at("findings").dump(2);
  const nlohmann::json& f = j.at("findings").at(0);
  EXPECT_EQ(f.at("kind"), "wrong_grad");
  EXPECT_EQ(f.at("op"), "sigmoid");
  EXPECT_EQ(f.at("node"), "x1");
  const std::string program = f.at("program");
  EXPECT_EQ(program.rfind("x1 = Value(", 0), 0U) << program;
  EXPECT_NE(program.find(")\nt1 = x1.sigmoid()\nt1.backward()\n"), std::string::npos) << program;
  EXPECT_EQ(std::count(program.begin(), program.end(), '\n'), 3) << program;
  EXPECT_TRUE(f.at("hint").is_null());
  // finite differences side with torch, not with the engine
  const double engine = f.at("engine").at("grads").at("x1").get<double>();
  const double torch = f.at("torch").at("grads").at("x1").get<double>();
  const double numeric = f.at("finite_differences").at("x1").get<double>();
  EXPECT_NEAR(engine / torch, 1.001, 1e-9);
  EXPECT_NEAR(numeric, torch, 1e-6 * std::fabs(torch) + 1e-9);
}

// exp's value 0.1% too large: a wrong value, at the exp node, the first wrong one in program order.
TEST(FaultConform, TheCommandFindsAWrongForwardAtItsNode) {
  const nlohmann::json j = conform_json("Exp:forward:1e-3", "--cases 300 --seed 2 --max-depth 1000");
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j.at("findings").size(), 1U) << j.at("findings").dump(2);
  const nlohmann::json& f = j.at("findings").at(0);
  EXPECT_EQ(f.at("kind"), "wrong_value");
  EXPECT_EQ(f.at("op"), "exp");
  EXPECT_EQ(f.at("node"), "t1");
  EXPECT_EQ(f.at("ops_after_shrinking"), 1);
  EXPECT_NE(f.at("what").get<std::string>().find("t1 = x1.exp(): engine "), std::string::npos) << f.dump(2);
  // the text report, and its verdict line
  const testing::Result text =
      testing::run_shell(std::string("env VERIGRAD_FAULT=Exp:forward:1e-3 ") + VERIGRAD_BINARY +
                         " conform --engine " + CONFORM_EXAMPLE_FAULTY + " --cases 300 --seed 2 --no-probes");
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("FINDING 1: wrong_value in exp"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("verdict: NOT CONFORMANT; 1 finding (wrong_value in exp)"), std::string::npos)
      << text.out;
}

}  // namespace
}  // namespace verigrad::verify::conform
