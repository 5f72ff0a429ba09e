// Judging a foreign engine's responses against LibTorch (verify::check_external), and the hints: each
// given when the numbers show the mistake, and not otherwise.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "verify/conform/hints.hpp"
#include "verify/conform/judge.hpp"

namespace verigrad::verify::conform {
namespace {

NodeSpec leaf(double x) { return {Op::Leaf, {}, x}; }
NodeSpec number(double x) { return {Op::Leaf, {}, x, true}; }
NodeSpec node(Op op, std::vector<std::size_t> in, double k = 0.0) { return {op, std::move(in), k}; }

Program program(std::vector<NodeSpec> nodes, const std::vector<OpName>& left = {}) {
  return encode(GraphSpec{std::move(nodes)}, left);
}

Number n(double x) { return Number{x, "", ""}; }

// A result reply: the output's value, then name/grad and name/value pairs.
Response result(double value, const std::vector<std::pair<std::string, double>>& grads,
                const std::vector<std::pair<std::string, double>>& values = {}) {
  Response r;
  r.reply.type = Reply::Type::result;
  r.reply.value = n(value);
  for (const auto& [name, g] : grads) r.reply.grads.emplace_back(name, n(g));
  for (const auto& [name, v] : values) r.reply.values.emplace_back(name, n(v));
  return r;
}

Response error(const std::string& phase, const std::string& node, const std::string& exception,
               bool arithmetic, const std::string& kind = "exception") {
  Response r;
  r.reply.type = Reply::Type::error;
  r.reply.phase = phase;
  r.reply.kind = kind;
  r.reply.node = node;
  r.reply.exception = exception;
  r.reply.message = "m";
  r.reply.returned = kind == "exception" ? "" : "float";
  r.reply.arithmetic = arithmetic;
  return r;
}

TEST(ConformJudge, RightNumbersPassWrongOnesAreBlamedOnTheirOp) {
  const Program p = program({leaf(3.0), node(Op::Mul, {0, 0}), node(Op::Mul, {1, 0})});  // x * x * x
  EXPECT_TRUE(judge(p, Mode::once, result(27.0, {{"x1", 27.0}, {"t1", 3.0}, {"t2", 1.0}}, {{"t1", 9.0}}))
                  .outcome.passed());
  // Only the leaves' grads and the output, as an engine without intermediates reports them.
  EXPECT_TRUE(judge(p, Mode::once, result(27.0, {{"x1", 27.0}})).outcome.passed());
  const Outcome value = judge(p, Mode::once, result(27.0, {{"x1", 27.0}}, {{"t1", 10.0}})).outcome;
  EXPECT_EQ(value.kind, Kind::wrong_value);
  EXPECT_EQ(value.node, "t1");
  EXPECT_EQ(value.ops, std::vector<OpName>{OpName::mul});
  const Outcome grad = judge(p, Mode::once, result(27.0, {{"x1", 18.0}})).outcome;
  EXPECT_EQ(grad.kind, Kind::wrong_grad);
  EXPECT_EQ(grad.node, "x1");
  // Two wrong gradients: the one nearest the output is blamed (t1's, on add, its only user), not x1's.
  const Program q = program({leaf(2.0), leaf(3.0), node(Op::Mul, {0, 1}), node(Op::Add, {2, 0})});
  const Outcome near =
      judge(q, Mode::once, result(8.0, {{"x1", 100.0}, {"x2", 2.0}, {"t1", 5.0}, {"t2", 1.0}}, {{"t1", 6.0}}))
          .outcome;
  EXPECT_EQ(near.kind, Kind::wrong_grad);
  EXPECT_EQ(near.node, "t1");
  EXPECT_EQ(near.ops, std::vector<OpName>{OpName::add});
}

TEST(ConformJudge, ModesExpectTorchsAccumulation) {
  const Program p = program({leaf(3.0), node(Op::Mul, {0, 0}), node(Op::Mul, {1, 0})});
  EXPECT_TRUE(judge(p, Mode::twice, result(27.0, {{"x1", 54.0}, {"t1", 99.0}}))
                  .outcome.passed());  // inner: not judged
  EXPECT_TRUE(judge(p, Mode::two_graphs, result(27.0, {{"x1", 54.0}})).outcome.passed());
  EXPECT_TRUE(judge(p, Mode::zero_then_again, result(27.0, {{"x1", 27.0}})).outcome.passed());
  const Outcome twice = judge(p, Mode::twice, result(27.0, {{"x1", 72.0}})).outcome;
  EXPECT_EQ(twice.kind, Kind::wrong_grad);
  // The line people read quotes the totals the engine reported, not the per-call halves judged.
  EXPECT_EQ(twice.what, "grad of x1: engine 72.0, torch 54.0");
}

// A Python engine's math.tanh may differ from torch's SLEEF kernel in the last bit: at 19.02 glibc
// says 1 - 2^-53 and torch 1.0, so 1 - t*t is 2.2e-16 against 0. The verdicts call that rounding.
TEST(ConformJudge, ALastBitTanhAndItsDerivativePass) {
  const Program p = program({leaf(19.02), node(Op::Tanh, {0})});
  const double t = std::tanh(19.02);
  const Judgement j = judge(p, Mode::once, result(t, {{"x1", 1.0 - t * t}, {"t1", 1.0}}));
  EXPECT_TRUE(j.outcome.passed()) << j.outcome.what << "\n" << j.report.to_table();
}

TEST(ConformJudge, ArithmeticErrorsAreEdgesOnlyWhereTorchGivesInfOrNan) {
  const Program div = program({leaf(1.0), leaf(0.0), node(Op::Div, {0, 1})});
  EXPECT_EQ(judge(div, Mode::once, error("build", "t1", "ZeroDivisionError", true)).outcome.kind, Kind::edge);
  EXPECT_EQ(judge(div, Mode::once, error("build", "t1", "TypeError", false)).outcome.kind, Kind::raises);
  // sigmoid(-1000) is 0 in torch: an OverflowError there is a finding, not an edge
  const Program sigmoid = program({leaf(-1000.0), node(Op::Sigmoid, {0})});
  const Outcome o = judge(sigmoid, Mode::once, error("build", "t1", "OverflowError", true)).outcome;
  EXPECT_EQ(o.kind, Kind::raises);
  EXPECT_EQ(o.ops, std::vector<OpName>{OpName::sigmoid});
  // sqrt at 0: the value is finite, the gradient is inf; raising in backward is an edge
  const Program root = program({leaf(0.0), node(Op::PowConst, {0}, 0.5)});
  EXPECT_EQ(judge(root, Mode::once, error("backward", "t1", "ZeroDivisionError", true)).outcome.kind,
            Kind::edge);
  EXPECT_EQ(judge(root, Mode::once, error("build", "t1", "ZeroDivisionError", true)).outcome.kind,
            Kind::raises);
}

TEST(ConformJudge, NonIeeeNumbersNotValuesCrashesAndTimeouts) {
  const Program pow = program({leaf(-8.0), node(Op::PowConst, {0}, 0.5)});
  Response complex = error("build", "t1", "", false, "non_ieee");
  complex.reply.returned = "complex";
  EXPECT_EQ(judge(pow, Mode::once, complex).outcome.kind, Kind::edge);  // torch: nan
  const Program cube = program({leaf(-8.0), node(Op::PowConst, {0}, 3.0)});
  EXPECT_EQ(judge(cube, Mode::once, complex).outcome.kind, Kind::wrong_value);  // torch: -512
  Response odd = result(0.0, {{"x1", 0.0}});
  odd.reply.value = Number{0.0, "NoneType", "None"};
  EXPECT_EQ(judge(cube, Mode::once, odd).outcome.kind, Kind::wrong_value);
  const Outcome neg = judge(program({leaf(0.5), node(Op::Neg, {0})}), Mode::once,
                            error("build", "t1", "", false, "not_a_value"))
                          .outcome;
  EXPECT_EQ(neg.kind, Kind::not_a_value);
  EXPECT_EQ(neg.ops, std::vector<OpName>{OpName::neg});
  Response crash;
  crash.status = Response::Status::crash;
  EXPECT_EQ(judge(cube, Mode::once, crash).outcome.kind, Kind::crash);
  Response timeout;
  timeout.status = Response::Status::timeout;
  EXPECT_EQ(judge(cube, Mode::once, timeout).outcome.kind, Kind::timeout);
}

TEST(ConformJudge, AnErrorAfterAWrongValueIsTheWrongValue) {
  // log(1 - x) at x = 0 with 1 - x computed as x - 1: log(-1) raises, but the subtraction is the finding
  const Program p =
      program({leaf(0.0), number(1.0), node(Op::Sub, {1, 0}), node(Op::Log, {2})}, {OpName::sub});
  Response r = error("build", "t2", "ValueError", true);
  r.reply.values.emplace_back("t1", n(-1.0));
  const Outcome o = judge(p, Mode::once, r).outcome;
  EXPECT_EQ(o.kind, Kind::wrong_value);
  EXPECT_EQ(o.node, "t1");
}

TEST(ConformJudge, SameProblemKeepsKindOpAndException) {
  Outcome a{Kind::raises, {OpName::tanh}, "t1", "NameError", ""};
  EXPECT_TRUE(same_problem(a, Outcome{Kind::raises, {OpName::tanh, OpName::add}, "t3", "NameError", ""}));
  EXPECT_FALSE(same_problem(a, Outcome{Kind::raises, {OpName::exp}, "t1", "NameError", ""}));
  EXPECT_FALSE(same_problem(a, Outcome{Kind::raises, {OpName::tanh}, "t1", "TypeError", ""}));
  EXPECT_FALSE(same_problem(a, Outcome{Kind::edge, {OpName::tanh}, "t1", "NameError", ""}));
  // A wrong gradient of a node that sub and div both use: shrinking may keep either of them.
  const Outcome shared{Kind::wrong_grad, {OpName::sub, OpName::div}, "x1", "", ""};
  EXPECT_TRUE(same_problem(shared, Outcome{Kind::wrong_grad, {OpName::div}, "x1", "", ""}));
  EXPECT_TRUE(same_problem(shared, Outcome{Kind::wrong_grad, {OpName::sub}, "x2", "", ""}));
  EXPECT_FALSE(same_problem(shared, Outcome{Kind::wrong_grad, {OpName::mul}, "x1", "", ""}));
}

// ---- hints ------------------------------------------------------------------------------------

std::vector<std::string> hint_ids(const Program& p, Mode mode, const Response& r) {
  const Judgement j = judge(p, mode, r);
  std::vector<std::string> ids;
  for (const Hint& h : find_hints(p, mode, r, j)) ids.push_back(h.id);
  return ids;
}

std::optional<Hint> first_hint(const Program& p, Mode mode, const Response& r) {
  return find_hint(p, mode, r, judge(p, mode, r));
}

// An op that returns a plain number: the hint names the Python method the learner wrote.
TEST(ConformHints, NotAValueNamesTheMethod) {
  const struct {
    Op op;
    const char* method;
  } cases[] = {{Op::Add, "__add__"}, {Op::Sub, "__sub__"}, {Op::Mul, "__mul__"}, {Op::Div, "__truediv__"},
               {Op::Pow, "__pow__"}, {Op::Abs, "__abs__"}, {Op::Tanh, "tanh"}};
  for (const auto& c : cases) {
    const bool binary = op_arity(c.op) == 2;
    const Program p =
        binary ? program({leaf(0.5), leaf(2.0), node(c.op, {0, 1})}) : program({leaf(0.5), node(c.op, {0})});
    Response r = error("build", "t1", "", false, "not_a_value");
    r.reply.returned = "float";
    const std::optional<Hint> h = first_hint(p, Mode::once, r);
    ASSERT_TRUE(h) << c.method;
    EXPECT_EQ(h->id, "not_a_value");
    EXPECT_EQ(h->text.rfind(std::string(c.method) + " returned a float, not a Value", 0), 0U) << h->text;
  }
}

TEST(ConformHints, AssignInsteadOfAccumulate) {
  const Program p = program({leaf(1.5), node(Op::Add, {0, 0})});  // x + x
  const std::optional<Hint> h = first_hint(p, Mode::once, result(3.0, {{"x1", 1.0}, {"t1", 1.0}}));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, "assign_not_accumulate");
  EXPECT_EQ(h->op, OpName::add);
  // tanh(x) + x with tanh assigning: x keeps tanh's contribution alone
  const Program q = program({leaf(0.5), node(Op::Tanh, {0}), node(Op::Add, {1, 0})});
  const double t = std::tanh(0.5);
  const std::optional<Hint> g = first_hint(q, Mode::once, result(t + 0.5, {{"x1", 1.0 - t * t}}));
  ASSERT_TRUE(g);
  EXPECT_EQ(g->id, "assign_not_accumulate");
  EXPECT_EQ(g->op, OpName::tanh);
  // (x + x) * (x + x) at 1.5 with add assigning and mul accumulating: t1 gets 2 * t1 = 6, then x = 6
  // (torch: 12). Assigning in mul too would give 3: the hint names the one op whose `=` fits.
  const Program r = program({leaf(1.5), node(Op::Add, {0, 0}), node(Op::Mul, {1, 1})});
  const std::optional<Hint> a = first_hint(r, Mode::once, result(9.0, {{"x1", 6.0}}));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id, "assign_not_accumulate");
  EXPECT_EQ(a->op, OpName::add);
}

TEST(ConformHints, SignLostAndMissingGradient) {
  const Program sub = program({leaf(2.0), leaf(0.5), node(Op::Sub, {0, 1})});
  const std::optional<Hint> s = first_hint(sub, Mode::once, result(1.5, {{"x1", 1.0}, {"x2", 1.0}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "sign_lost");
  EXPECT_EQ(s->op, OpName::sub);
  const Program pow = program({leaf(2.0), leaf(3.0), node(Op::Pow, {0, 1})});
  const std::optional<Hint> m = first_hint(pow, Mode::once, result(8.0, {{"x1", 12.0}, {"x2", 0.0}}));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->id, "missing_gradient");
  EXPECT_EQ(m->op, OpName::pow);
  EXPECT_NE(m->text.find("exponent"), std::string::npos);
}

TEST(ConformHints, NoTopologicalOrder) {
  // t1 = -x; t2 = t1 + t1: a backward that recurses runs t1's backward twice, each time with grad 2
  const Program p = program({leaf(0.5), node(Op::Neg, {0}), node(Op::Add, {1, 1})});
  EXPECT_EQ(hint_ids(p, Mode::once, result(-1.0, {{"x1", -4.0}, {"t1", 2.0}, {"t2", 1.0}})),
            std::vector<std::string>{"no_topological_order"});
}

// micrograd's _prev is a set: a recursive backward then visits a repeated operand once per parent,
// yet a node with two parents still twice. t1 = -x, t2 = t1 + t1, t3 = t2 * t1 at 0.5: t3's backward
// gives t1 -1 and t2 -0.5; t2's gives t1 -1 more and recurses into t1 once (x: +2 with t1 at -2), then
// t3's own visit of t1 adds 2 again: x 4 (torch: d(2x^2)/dx = 2). Operands last to first: 3 (x sees t1
// at -1 first). Without the set, t2 would recurse into t1 twice: 6 and 5, which fit no hint here.
TEST(ConformHints, NoTopologicalOrderWithASetOfChildren) {
  const Program p = program({leaf(0.5), node(Op::Neg, {0}), node(Op::Add, {1, 1}), node(Op::Mul, {2, 1})});
  for (const double x : {4.0, 3.0}) {
    EXPECT_EQ(hint_ids(p, Mode::once, result(0.5, {{"x1", x}, {"t1", -2.0}, {"t2", -0.5}, {"t3", 1.0}})),
              std::vector<std::string>{"no_topological_order"})
        << x;
  }
}

TEST(ConformHints, IntermediateGradsKeptAndNoAccumulation) {
  const Program p = program({leaf(3.0), node(Op::Mul, {0, 0}), node(Op::Mul, {1, 0})});
  std::optional<Hint> h = first_hint(p, Mode::twice, result(27.0, {{"x1", 72.0}}));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, "intermediate_grads_kept");
  h = first_hint(p, Mode::zero_then_again, result(27.0, {{"x1", 45.0}}));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, "intermediate_grads_kept");
  h = first_hint(p, Mode::two_graphs, result(27.0, {{"x1", 27.0}}));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, "no_accumulation");
  EXPECT_NE(h->text.find("2x after two graphs)"), std::string::npos) << h->text;
  // the same number after two backward() calls on one graph: the text says calls
  h = first_hint(p, Mode::twice, result(27.0, {{"x1", 27.0}}));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, "no_accumulation");
  EXPECT_NE(h->text.find("2x after two calls)"), std::string::npos) << h->text;
}

TEST(ConformHints, SwappedReflectedOperator) {
  const Program p = program({leaf(0.5), number(3.0), node(Op::Sub, {1, 0})}, {OpName::sub});
  const std::optional<Hint> h = first_hint(p, Mode::once, result(-2.5, {{"x1", 1.0}}));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, "swapped_reflected");
  EXPECT_NE(h->text.find("__rsub__"), std::string::npos);
  // the same wrong number without a number on the left: no reflected operator to blame
  const Program q = program({leaf(0.5), leaf(3.0), node(Op::Sub, {1, 0})});
  EXPECT_FALSE(first_hint(q, Mode::once, result(-2.5, {{"x1", -1.0}, {"x2", 1.0}})));
  // 3.0 / x at 0.5 computed as x / 3.0: Python's reflected division is __rtruediv__ (not Python 2's
  // __rdiv__)
  const Program d = program({leaf(0.5), number(3.0), node(Op::Div, {1, 0})}, {OpName::div});
  const std::optional<Hint> g = first_hint(d, Mode::once, result(0.5 / 3.0, {{"x1", 1.0 / 3.0}}));
  ASSERT_TRUE(g);
  EXPECT_EQ(g->id, "swapped_reflected");
  EXPECT_EQ(g->op, OpName::div);
  EXPECT_NE(g->text.find("__rtruediv__(self, other) must compute other / self"), std::string::npos)
      << g->text;
}

TEST(ConformHints, NumbersThatFitNoMistakeGetNone) {
  const Program p = program({leaf(2.0), leaf(3.0), node(Op::Mul, {0, 1})});
  EXPECT_TRUE(hint_ids(p, Mode::once, result(6.0, {{"x1", 5.0}, {"x2", 2.0}})).empty());
  EXPECT_TRUE(hint_ids(p, Mode::twice, result(6.0, {{"x1", 7.0}, {"x2", 4.0}})).empty());
  // Right numbers get no hint, even where a mistake would give the same ones (with no node used
  // twice, '=' and '+=' agree): a hint is for numbers that are wrong.
  EXPECT_TRUE(hint_ids(p, Mode::once, result(6.0, {{"x1", 3.0}, {"x2", 2.0}})).empty());
  // No usable number at all (the leaves' grads are None): no replay is confirmed by nothing.
  Response none = result(6.0, {{"x1", 0.0}, {"x2", 0.0}});
  for (auto& [name, g] : none.reply.grads) g = Number{0.0, "NoneType", "None"};
  for (const Mode mode : {Mode::once, Mode::twice, Mode::zero_then_again, Mode::two_graphs}) {
    ASSERT_EQ(judge(p, mode, none).outcome.kind, Kind::wrong_grad);
    EXPECT_TRUE(hint_ids(p, mode, none).empty()) << static_cast<int>(mode);
  }
}

TEST(ConformHints, ExceptionsThatNameTheirCause) {
  const Program p = program({leaf(0.5), node(Op::Tanh, {0})});
  Response name = error("build", "t1", "NameError", false);
  name.reply.message = "name 'math' is not defined";
  std::optional<Hint> h = first_hint(p, Mode::once, name);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, "missing_import");
  EXPECT_NE(h->text.find("import math"), std::string::npos);
  Response unwrapped = error("build", "t1", "AttributeError", false);
  unwrapped.reply.message = "'float' object has no attribute 'data'";
  h = first_hint(p, Mode::once, unwrapped);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, "unwrapped_number");
  Response deep = error("backward", "", "RecursionError", false);
  deep.reply.message = "maximum recursion depth exceeded";
  h = first_hint(p, Mode::once, deep);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, "recursion");
  // The graph that failed: x1 and tanh(x1), two nodes deep.
  EXPECT_NE(h->text.find("on a graph 2 nodes deep (RecursionError in backward)"), std::string::npos)
      << h->text;
  // Python before 3.5 (and some engines' own wrappers) raise RuntimeError with the same message.
  Response old = error("backward", "", "RuntimeError", false);
  old.reply.message = "maximum recursion depth exceeded while calling a Python object";
  h = first_hint(p, Mode::once, old);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, "recursion");
  // An int reaching code that expects a Value, as x + 1 does in an engine that never wraps.
  unwrapped.reply.message = "'int' object has no attribute 'data'";
  h = first_hint(p, Mode::once, unwrapped);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, "unwrapped_number");
  EXPECT_FALSE(first_hint(p, Mode::once, error("build", "t1", "KeyError", false)));
}

}  // namespace
}  // namespace verigrad::verify::conform
