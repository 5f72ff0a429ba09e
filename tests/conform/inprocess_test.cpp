// The conform check in process, as a C++ user runs it from a GoogleTest suite: verigrad's own engine
// conforms; a copy with a classic mistake fails with a report that names it.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "examples/conform/verigrad_traits.hpp"
#include "verify/conform/gtest.hpp"

namespace {

using verigrad::Value;
using verigrad::verify::conform::ConformReport;
using verigrad::verify::conform::Kind;
using verigrad::verify::conform::OpName;
using verigrad::verify::conform::Options;

TEST(ConformInProcess, OurEngineConforms) { EXPECT_CONFORMS(VerigradEngine); }

// 2 - x computed as x - 2, as a reflected operator written backwards does.
struct SwappedSub : VerigradEngine {
  static Value apply(OpName op, const Arg& a, const Arg& b) {
    if (op == OpName::sub && a.is_number()) return *b.value - a.number;
    return VerigradEngine::apply(op, a, b);
  }
};

// tanh that throws for negative inputs: a finding of kind raises, with the C++ exception's type.
struct ThrowingTanh : VerigradEngine {
  static Value apply(OpName op, const Arg& a, const Arg& b) {
    if (op == OpName::tanh && !a.is_number() && a.value->data() < 0)
      throw std::domain_error("tanh of a negative");
    return VerigradEngine::apply(op, a, b);
  }
};

// exp that throws something that is not a std::exception (an int): still a finding, never a crash.
struct ThrowingAnInt : VerigradEngine {
  static Value apply(OpName op, const Arg& a, const Arg& b) {
    if (op == OpName::exp) throw 42;
    return VerigradEngine::apply(op, a, b);
  }
};

Options quick() {
  Options o;
  o.cases = 300;
  o.seed = 4;
  o.max_depth = 1000;
  return o;
}

TEST(ConformInProcess, ASwappedReflectedOperatorIsFoundNamedAndShrunk) {
  const ConformReport r = verigrad::verify::conform::check_engine<SwappedSub>(quick());
  EXPECT_FALSE(r.conformant);
  ASSERT_FALSE(r.findings.empty());
  const auto& f = r.findings.front();
  EXPECT_EQ(f.kind, Kind::wrong_value);
  EXPECT_EQ(f.op, OpName::sub);
  ASSERT_TRUE(f.hint);
  EXPECT_EQ(f.hint->id, "swapped_reflected");
  EXPECT_EQ(f.program.op_count(), 1U);
  const ::testing::AssertionResult result = verigrad::verify::conform::conforms("SwappedSub", r);
  EXPECT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("FINDING 1: wrong_value in sub"), std::string::npos)
      << result.message();
}

TEST(ConformInProcess, TheMacroFailsWithTheReport) {
  EXPECT_NONFATAL_FAILURE(EXPECT_CONFORMS_WITH(SwappedSub, quick()), "SwappedSub does not conform to torch");
}

TEST(ConformInProcess, ExceptionsAreFindingsWithTheirType) {
  const ConformReport r = verigrad::verify::conform::check_engine<ThrowingTanh>(quick());
  EXPECT_FALSE(r.conformant);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings.front().kind, Kind::raises);
  EXPECT_EQ(r.findings.front().op, OpName::tanh);
  EXPECT_EQ(r.findings.front().exception, "std::domain_error");
  EXPECT_EQ(r.findings.front().program.op_count(), 1U);
}

TEST(ConformInProcess, ANonStdExceptionIsAFindingOfUnknownType) {
  const ConformReport r = verigrad::verify::conform::check_engine<ThrowingAnInt>(quick());
  EXPECT_FALSE(r.conformant);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings.front().kind, Kind::raises);
  EXPECT_EQ(r.findings.front().op, OpName::exp);
  EXPECT_EQ(r.findings.front().exception, "unknown");
  EXPECT_EQ(r.findings.front().program.op_count(), 1U);
}

}  // namespace
