// The report's formats: table, JSON, the first divergence, and the DOT decorations.
#include <gtest/gtest.h>

#include <sstream>

#include "engine/graph.hpp"
#include "verify/check.hpp"
#include "verify/finite_diff.hpp"
#include "verify/gtest.hpp"

namespace verigrad::verify {
namespace {

TEST(Report, MicrogradExampleMatchesExactly) {
  Value a(-4.0, "a"), b(2.0, "b");
  Value c = a + b;
  Value d = a * b + b.pow(3);
  c += c + 1;
  c += 1 + c + (-a);
  d += d * 2 + (b + a).relu();
  d += 3 * d + (b - a).relu();
  Value e = c - d;
  Value f = e.pow(2);
  Value g = f / 2.0;
  g += 10.0 / f;
  EXPECT_MATCHES_TORCH(g);
  const Report r = check(g);
  EXPECT_TRUE(r.exact());
  EXPECT_EQ(r.rows.back().value.ours, r.rows.back().value.torch);
}

TEST(Report, TableAndJsonNameEveryNode) {
  Value x(0.5, "x"), y(-2.0, "y");
  const Value t = (x * y).tanh();  // named: nodes are listed in creation order
  Value z = t + x.pow(2);
  const Report r = check(z);
  const std::string table = r.to_table();
  EXPECT_NE(table.find("t1 = x * y"), std::string::npos) << table;
  EXPECT_NE(table.find("t2 = t1.tanh()"), std::string::npos) << table;
  const nlohmann::json j = r.to_json();
  EXPECT_EQ(j["nodes"].size(), 6u);
  EXPECT_EQ(j["nodes"][2]["op"], "Mul");
  EXPECT_TRUE(j["matches"].get<bool>());
  EXPECT_TRUE(j["first_divergence"].is_null());
}

TEST(Report, DotOptionsAddTorchNumbers) {
  Value x(0.5, "x");
  Value y = x.exp();
  const Report r = check(y);
  const std::string dot = to_dot(y, dot_options(r));
  EXPECT_NE(dot.find("torch grad"), std::string::npos) << dot;
  // Each record shows torch's own value and gradient of that node: y = x ** 3 at 2 is 8 with gradient
  // 1; x is 2 with gradient 12.
  Value x2(2.0, "x");
  const Value cube = x2.pow(3.0);
  const std::string cubed = to_dot(cube, dot_options(check(cube)));
  EXPECT_NE(cubed.find("| torch data 2.0000 | torch grad 12.0000 }"), std::string::npos) << cubed;
  EXPECT_NE(cubed.find("| torch data 8.0000 | torch grad 1.0000 }"), std::string::npos) << cubed;
}

TEST(Report, NonFiniteNumbersAreStringsInJson) {
  Value x(0.0, "x");
  const Report r = check(x.log());
  const nlohmann::json j = r.to_json();
  EXPECT_EQ(j["nodes"][1]["value"]["ours"], "-inf");
  EXPECT_EQ(j["nodes"][0]["grad"]["torch"], "inf");
}

// No recursion anywhere: a chain of 10^6 nodes (half of them constants) is mirrored in torch and compared
// node by node.
TEST(Report, MillionNodeChainMatches) {
  Value x(0.5, "x");
  Value y = x;
  for (int i = 0; i < 500000; ++i) y = (i % 2 == 0) ? y * 0.999999 : y + 1e-7;
  const Report r = check(y);
  EXPECT_TRUE(r.matches()) << r.summary();
  EXPECT_EQ(r.rows.size(), 1000001u);  // x, 500000 constants, 500000 ops
}

TEST(FiniteDifferences, AgreeOnASmoothFunction) {
  Value x(0.7, "x"), y(-1.3, "y");
  Value z = (x * y).tanh() + x.pow(3) / y.exp() + (x - y).sigmoid().log();
  const FdReport r = finite_differences(z);
  EXPECT_TRUE(r.ok()) << r.to_table();
  EXPECT_EQ(r.count(FdVerdict::Agree), 2u) << r.to_table();
}

TEST(FiniteDifferences, ReluAtZeroIsAKink) {
  Value x(0.0, "x");
  const FdReport r = finite_differences(x.relu() + x * 0.25);
  EXPECT_EQ(r.leaves.at(0).probe.verdict, FdVerdict::Kink) << r.to_table();
}

// relu(t) - relu(-t) is t, smooth, but AD applies relu's convention at 0 twice and gets 0: the kink
// is inside the graph.
TEST(FiniteDifferences, InternalKinkIsFoundAtNodes) {
  Value x(0.0, "x");
  const FdReport r = finite_differences(x.relu() - (-x).relu());
  EXPECT_EQ(r.leaves.at(0).probe.verdict, FdVerdict::Kink) << r.to_table();
}

TEST(FiniteDifferences, SqrtAtZeroIsUnstable) {
  Value x(0.0, "x");
  const FdReport r = finite_differences(x.pow(0.5));
  EXPECT_EQ(r.leaves.at(0).probe.verdict, FdVerdict::Unstable) << r.to_table();
}

TEST(FiniteDifferences, WrongGradientDisagrees) {
  Value x(0.3, "x");
  Value y = x.tanh();
  const FdProbe p = probe_gradient(y, x, 1.0);
  EXPECT_EQ(p.verdict, FdVerdict::Disagree);
}

// A Dot row reads as its sum, a PowConst row carries its exponent, and the verdicts have their names.
TEST(Report, DotAndPowerRowsAndVerdictNames) {
  Value b(0.5, "b"), w(2.0, "w"), x(-1.0, "x");
  const Value y = Value::dot(b, {w}, {x}).pow(3.0);
  const Report r = check(y);
  EXPECT_TRUE(r.exact()) << r;
  EXPECT_EQ(r.rows[3].expression(r.rows), "t1 = b + w * x");
  const nlohmann::json j = r.to_json();
  EXPECT_EQ(j["nodes"][4]["op"], "PowConst");
  EXPECT_EQ(j["nodes"][4]["exponent"], 3.0);
  EXPECT_EQ(j["nodes"][4]["expression"], "t2 = t1 ** 3.0");
  std::ostringstream os;
  os << r;
  EXPECT_EQ(os.str(), r.to_table());
  EXPECT_STREQ(to_string(Verdict::Match), "match");
  EXPECT_STREQ(to_string(Verdict::Inherited), "inherited");
  EXPECT_STREQ(to_string(Verdict::Rounding), "rounding");
  EXPECT_STREQ(to_string(Verdict::Convention), "convention");
  EXPECT_STREQ(to_string(FdVerdict::Kink), "kink");
  EXPECT_STREQ(to_string(FdVerdict::Unstable), "unstable");
}

}  // namespace
}  // namespace verigrad::verify
