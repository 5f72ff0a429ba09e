// A conform report's three forms (text, JSON, JUnit XML) from reports built by hand: every number
// lands in its own column and key, the verdict says what was left untested, and XML stays well formed.
#include <gtest/gtest.h>

#include <string>

#include "verify/conform/conform.hpp"

namespace verigrad::verify::conform {
namespace {

// A report with one op's statistics and the run's totals, no two counts of a kind equal.
ConformReport stats_report() {
  ConformReport r;
  r.hello.engine = "hand-built";
  r.adapter = "process";
  r.tested = {OpName::add};
  OpStats s;
  s.op = OpName::add;
  s.cases = 9;
  s.passed = 5;
  s.failed = 3;
  s.edge = 1;
  r.per_op = {s};
  r.cases = 9;
  r.failed = 3;
  r.edge = 1;
  return r;
}

TEST(ConformOutput, TheTextTableHasEachCountInItsColumn) {
  const std::string text = stats_report().to_text();
  // op padded to 10, then cases right-aligned in 7, passed, failed and edge in 8 each
  EXPECT_NE(text.find("\n  op          cases  passed  failed    edge\n"
                      "  add             9       5       3       1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n9 random cases in 0.00 s (0 cases/s): 3 failed, 1 at IEEE edges\n"),
            std::string::npos)
      << text;
}

TEST(ConformOutput, TheJsonHasEachCountUnderItsKey) {
  const auto j = stats_report().to_json();
  EXPECT_EQ(j.at("cases"), 9);
  EXPECT_EQ(j.at("failed"), 3);
  EXPECT_EQ(j.at("edge"), 1);
  ASSERT_EQ(j.at("per_op").size(), 1U);
  const auto& add = j.at("per_op").at(0);
  EXPECT_EQ(add.at("op"), "add");
  EXPECT_EQ(add.at("cases"), 9);
  EXPECT_EQ(add.at("passed"), 5);
  EXPECT_EQ(add.at("failed"), 3);
  EXPECT_EQ(add.at("edge"), 1);
}

TEST(ConformOutput, TheVerdictCountsTheOpsNotTested) {
  ConformReport r;
  r.conformant = true;
  r.unsupported = {{OpName::div, "no __truediv__"}, {OpName::log, ""}};
  EXPECT_EQ(r.verdict(), "verdict: CONFORMANT; 2 of 13 ops not tested");
  r.unsupported.clear();
  EXPECT_EQ(r.verdict(), "verdict: CONFORMANT");
}

// An unsupported op is a skipped test case, its reason escaped: '<', '&' and quotes are XML syntax.
TEST(ConformOutput, JunitSkipsTheUnsupportedOpsWithTheirReasonEscaped) {
  ConformReport r;
  r.unsupported = {{OpName::pow, "raises for x < 0 & \"y\" <b>"}, {OpName::abs, ""}};
  const std::string xml = r.to_junit();
  EXPECT_NE(xml.find("<testcase classname=\"conform.ops\" name=\"pow\">\n"
                     "      <skipped message=\"raises for x &lt; 0 &amp; &quot;y&quot; &lt;b&gt;\"/>\n"
                     "    </testcase>\n"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase classname=\"conform.ops\" name=\"abs\">\n"
                     "      <skipped message=\"unsupported\"/>\n"
                     "    </testcase>\n"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase classname=\"conform.ops\" name=\"add\">\n    </testcase>\n"),
            std::string::npos)
      << xml;
  EXPECT_EQ(xml.find("<b>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testsuite name=\"conform.ops\" tests=\"13\" failures=\"0\">"), std::string::npos)
      << xml;
}

// log(x) at x = 0, as an edge finding seen in `count` random cases.
Finding log_edge(int count) {
  GraphSpec spec;
  spec.nodes = {{Op::Leaf, {}, 0.0}, {Op::Log, {0}}};
  Finding f;
  f.kind = Kind::edge;
  f.op = OpName::log;
  f.exception = "ValueError";
  f.count = count;
  f.program = encode(spec, {});
  return f;
}

TEST(ConformOutput, AnEdgeSaysCaseOrCasesAsItsCountNeeds) {
  ConformReport r;
  r.findings = {log_edge(1)};
  std::string text = r.to_text();
  EXPECT_NE(text.find("EDGE 1: log, ValueError (1 case): "), std::string::npos) << text;
  r.findings = {log_edge(2)};
  text = r.to_text();
  EXPECT_NE(text.find("EDGE 1: log, ValueError (2 cases): "), std::string::npos) << text;
}

}  // namespace
}  // namespace verigrad::verify::conform
