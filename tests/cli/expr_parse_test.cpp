// The expression language: what programs mean (precedence, ops, leaves, rebinding, micrograd's README).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "engine/graph.hpp"
#include "expr_test_util.hpp"
#include "verify/expr/evaluate.hpp"
#include "verify/expr/parser.hpp"

namespace verigrad::verify {
namespace {

using testing::sexpr;

// The output's structure after the leaves x = 3, y = 2, z = 5.
std::string shape(const std::string& expression) {
  const Program p = parse_program("x = 3.0; y = 2.0; z = 5.0\nr = " + expression + "\nq = r + x + y + z\n");
  return sexpr(p.names.at("r"));
}

double value(const std::string& program) { return parse_program(program).root.data(); }

TEST(ExprParse, PowerBindsTighterThanUnaryMinus) {
  EXPECT_EQ(shape("-x**2"), "(neg (**2 x))");
  EXPECT_EQ(value("x = 3.0\nr = -x**2"), -9.0);
  EXPECT_EQ(shape("(-x)**2"), "(**2 (neg x))");
  EXPECT_EQ(shape("x**-y"), "(** x (neg y))");
  EXPECT_EQ(shape("x**-1"), "(**-1 x)");
  EXPECT_EQ(shape("-x*y"), "(* (neg x) y)");
}

TEST(ExprParse, PowerIsRightAssociative) {
  EXPECT_EQ(shape("x**y**z"), "(** x (** y z))");
  EXPECT_EQ(shape("x**y**2"), "(** x (**2 y))");
  EXPECT_EQ(shape("x**2**2"), "(**4 x)");  // 2**2 is a constant: folded first, as Python does
  EXPECT_EQ(value("r = 2**3**2"), 512.0);
  EXPECT_EQ(value("r = 2**-1"), 0.5);
  EXPECT_EQ(value("r = -2**2"), -4.0);
  EXPECT_EQ(value("r = (-2)**2"), 4.0);
  EXPECT_EQ(value("r = (-8)**3"), -512.0);
}

TEST(ExprParse, AdditiveAndMultiplicativeOperatorsAreLeftAssociative) {
  EXPECT_EQ(shape("x - y - z"), "(- (- x y) z)");
  EXPECT_EQ(shape("x / y / z"), "(/ (/ x y) z)");
  EXPECT_EQ(shape("x - y + z"), "(+ (- x y) z)");
  EXPECT_EQ(shape("x / y * z"), "(* (/ x y) z)");
  EXPECT_EQ(value("x = 3.0\ny = 2.0\nz = 5.0\nr = x - y - z"), -4.0);
  EXPECT_EQ(value("x = 3.0\ny = 2.0\nz = 5.0\nr = x / y / z"), 0.3);
  EXPECT_EQ(value("r = 7 - 2 - 1"), 4.0);
  EXPECT_EQ(value("r = 8 / 4 / 2"), 1.0);
}

TEST(ExprParse, MixedPrecedence) {
  EXPECT_EQ(shape("x + y * z ** 2 - x / y"), "(- (+ x (* y (**2 z))) (/ x y))");
  EXPECT_EQ(shape("(x + y) * z"), "(* (+ x y) z)");
  EXPECT_EQ(shape("x * -y ** 2 + -z"), "(+ (* x (neg (**2 y))) (neg z))");
  EXPECT_EQ(shape("+x * 2"), "(* x 2)");
  EXPECT_EQ(shape("--x"), "(neg (neg x))");
  EXPECT_EQ(shape("-+-x"), "(neg (neg x))");
  EXPECT_EQ(value("x = 3.0; y = 2.0; z = 5.0; r = x + y * z ** 2 - x / y"), 3.0 + 2.0 * 25.0 - 1.5);
}

TEST(ExprParse, ConstantSubexpressionsAreFolded) {
  EXPECT_EQ(shape("x * (1 + 2)"), "(* x 3)");
  EXPECT_EQ(shape("x ** (1 / 2)"), "(**0.5 x)");
  EXPECT_EQ(shape("x + 2 * 3"), "(+ x 6)");
  EXPECT_EQ(shape("x + 1 + 2"), "(+ (+ x 1) 2)");  // (x + 1) + 2: nothing constant to fold
  EXPECT_EQ(shape("2 ** x"), "(** 2 x)");
  EXPECT_EQ(shape("1 - x"), "(- 1 x)");  // operands stay in written order
  EXPECT_EQ(shape("x ** 0"), "(**0 x)");
}

TEST(ExprParse, ConstantsInExpressionsAreUnnamedLeaves) {
  const Program p = parse_program("x = 3.0\nr = x * 2 + 1");
  ASSERT_EQ(p.leaves.size(), 1U);
  EXPECT_EQ(p.leaves[0].first, "x");
  EXPECT_EQ(node_count(p.root), 5U);  // x, 2, x*2, 1, +
  EXPECT_TRUE(p.root.child(1).is_leaf());
  EXPECT_EQ(p.root.child(1).label(), "");
}

TEST(ExprParse, NumberForms) {
  EXPECT_EQ(value("a = -4.0"), -4.0);
  EXPECT_EQ(value("a = +2"), 2.0);
  EXPECT_EQ(value("w = 1e-3"), 1e-3);
  EXPECT_EQ(value("w = 1E+2"), 100.0);
  EXPECT_EQ(value("w = .5"), 0.5);
  EXPECT_EQ(value("w = 5."), 5.0);
  EXPECT_EQ(value("w = 1.5e3"), 1500.0);
  EXPECT_EQ(value("w = 12345678901234567890"), 12345678901234567890.0);
  EXPECT_EQ(value("w = 1e-400"), 0.0);  // underflows to 0, as in Python
  EXPECT_TRUE(std::signbit(value("w = -0.0")));
  EXPECT_EQ(value("w = 1.7976931348623157e308"), 1.7976931348623157e308);
}

TEST(ExprParse, EveryUnaryOpAsMethodAndFunction) {
  const struct {
    const char* name;
    Op op;
  } ops[] = {{"relu", Op::Relu}, {"tanh", Op::Tanh},       {"exp", Op::Exp},
             {"log", Op::Log},   {"sigmoid", Op::Sigmoid}, {"abs", Op::Abs}};
  for (const auto& o : ops) {
    SCOPED_TRACE(o.name);
    for (double x : {-0.7, 0.0, 0.5, 2.0}) {
      const std::string leaf = "x = " + format_double(x) + "\n";
      const Program m = parse_program(leaf + "y = x." + o.name + "()");
      const Program f = parse_program(leaf + "y = " + o.name + "(x)");
      EXPECT_EQ(m.root.op(), o.op);
      EXPECT_EQ(f.root.op(), o.op);
      EXPECT_TRUE(m.root.child(0).same_node(m.leaves[0].second));
      const double want = Value::unary(o.op, Value(x)).data();
      EXPECT_TRUE(testing::same_double(m.root.data(), want));
      EXPECT_TRUE(testing::same_double(f.root.data(), want));
    }
  }
}

TEST(ExprParse, EveryBinaryOp) {
  EXPECT_EQ(shape("x + y"), "(+ x y)");
  EXPECT_EQ(shape("x - y"), "(- x y)");
  EXPECT_EQ(shape("x * y"), "(* x y)");
  EXPECT_EQ(shape("x / y"), "(/ x y)");
  EXPECT_EQ(shape("x ** y"), "(** x y)");
  EXPECT_EQ(shape("x ** 3"), "(**3 x)");
  const Program p = parse_program("x = 3.0\ny = 2.0\nr = x ** y");
  EXPECT_EQ(p.root.op(), Op::Pow);
  EXPECT_EQ(p.root.data(), 9.0);
  const Program q = parse_program("x = 3.0\nr = x ** 3");
  EXPECT_EQ(q.root.op(), Op::PowConst);
  EXPECT_EQ(q.root.exponent(), 3.0);
}

TEST(ExprParse, PowFunction) {
  EXPECT_EQ(shape("pow(x, 3)"), "(**3 x)");
  EXPECT_EQ(shape("pow(x, y)"), "(** x y)");
  EXPECT_EQ(shape("pow(2, x)"), "(** 2 x)");
  EXPECT_EQ(shape("pow(x, 1 + 1,)"), "(**2 x)");  // trailing comma, as Python allows
  EXPECT_EQ(value("r = pow(2, 10)"), 1024.0);
}

TEST(ExprParse, MethodsChainOnAnyPrimary) {
  EXPECT_EQ(shape("(x + y).relu().exp()"), "(exp (relu (+ x y)))");
  EXPECT_EQ(shape("x.tanh().sigmoid().abs().log()"), "(log (abs (sigmoid (tanh x))))");
  EXPECT_EQ(shape("-x.relu()"), "(neg (relu x))");
  EXPECT_EQ(shape("x.relu()**2"), "(**2 (relu x))");
  EXPECT_EQ(shape("x * (2).exp()"), "(* x (exp 2))");
  EXPECT_EQ(shape("relu(x).tanh()"), "(tanh (relu x))");
  EXPECT_EQ(shape("tanh(relu(x + 1) * 2)"), "(tanh (* (relu (+ x 1)) 2))");
  EXPECT_EQ(shape("x * exp(1)"), "(* x (exp 1))");  // functions of constants are nodes, not folded
}

TEST(ExprParse, ValueConstructorMakesLeaves) {
  const Program p = parse_program(
      "a = Value(-4.0)\nb = Value(2.0, label='bee')\nc = Value(+1e-3,)\n"
      "y = a * b + c * Value(3)");
  ASSERT_EQ(p.leaves.size(), 3U);
  EXPECT_EQ(p.leaves[0].first, "a");
  EXPECT_EQ(p.leaves[0].second.data(), -4.0);
  EXPECT_EQ(p.leaves[0].second.label(), "a");
  EXPECT_EQ(p.leaves[1].first, "b");
  EXPECT_EQ(p.leaves[1].second.label(), "bee");
  EXPECT_EQ(p.leaves[2].second.data(), 1e-3);
  EXPECT_EQ(sexpr(p.root), "(+ (* a bee) (* c 3))");
  EXPECT_DOUBLE_EQ(p.root.data(), -8.0 + 3e-3);
}

TEST(ExprParse, ConstantExpressionAssignmentsAreLeaves) {
  const Program p = parse_program("h = 1 / 4\nk = 2 ** 0.5\ny = h * k");
  ASSERT_EQ(p.leaves.size(), 2U);
  EXPECT_EQ(p.leaves[0].second.data(), 0.25);
  EXPECT_EQ(p.leaves[1].second.data(), std::sqrt(2.0));
  // Arithmetic on a named number builds nodes: -x is Neg(x), 3.0 ** x is Pow(3, x), both in x's graph.
  const Program neg = parse_program("x = 3.0\ny = -x");
  EXPECT_EQ(neg.root.op(), Op::Neg);
  EXPECT_EQ(neg.root.data(), -3.0);
  ASSERT_EQ(neg.leaves.size(), 1U);
  EXPECT_TRUE(neg.root.child(0).same_node(neg.leaves[0].second));
  const Program pow = parse_program("x = 2.0\ny = 3.0 ** x");
  EXPECT_EQ(pow.root.op(), Op::Pow);
  EXPECT_EQ(pow.root.data(), 9.0);
  ASSERT_EQ(pow.leaves.size(), 1U);
  EXPECT_EQ(pow.leaves[0].first, "x");
}

TEST(ExprParse, MicrogradReadmeVerbatim) {
  const char* source = R"(from micrograd.engine import Value

a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
print(f'{g.data:.4f}') # prints 24.7041, the outcome of this forward pass
g.backward()
print(f'{a.grad:.4f}') # prints 138.8338, i.e. the numerical value of dg/da
print(f'{b.grad:.4f}') # prints 645.5773, i.e. the numerical value of dg/db
)";
  Program p = parse_program(source);
  EXPECT_EQ(p.output, "g");
  ASSERT_EQ(p.leaves.size(), 2U);
  EXPECT_EQ(p.leaves[0].first, "a");
  EXPECT_EQ(p.leaves[1].first, "b");
  ASSERT_EQ(p.backward_calls.size(), 1U);
  EXPECT_EQ(p.backward_calls[0], "g");
  EXPECT_NEAR(p.root.data(), 24.70408163265306, 1e-12);
  // g.backward() ran, with micrograd's semantics, so the grads are set and the prints saw them.
  EXPECT_NEAR(p.leaves[0].second.grad(), 138.8338192419825, 1e-12);
  EXPECT_NEAR(p.leaves[1].second.grad(), 645.5772594752186, 1e-12);
  EXPECT_EQ(p.printed, "24.7041\n138.8338\n645.5773\n");  // the numbers micrograd's README says it prints
  EXPECT_EQ(p.names.at("g").label(), "g");
  EXPECT_EQ(p.named_nodes.size(), 12U);  // a b c d c c d d e f g g
}

TEST(ExprParse, CompoundAssignmentRebindsToANewNode) {
  const Program p = parse_program("a = 2.0\nc = a + 1\nc += c + 1");
  EXPECT_EQ(p.root.data(), 3.0 + 4.0);  // c = c + (c + 1) with the old c
  EXPECT_EQ(p.root.op(), Op::Add);
  EXPECT_TRUE(p.root.child(0).same_node(p.named_nodes[1].second));
  EXPECT_EQ(p.root.child(1).op(), Op::Add);
  EXPECT_TRUE(p.root.child(1).child(0).same_node(p.named_nodes[1].second));
  ASSERT_EQ(p.named_nodes.size(), 3U);
  EXPECT_EQ(p.named_nodes[2].first, "c");
  EXPECT_TRUE(p.names.at("c").same_node(p.root));

  EXPECT_EQ(value("a = 2.0\nc = a * 1\nc -= 5"), -3.0);
  EXPECT_EQ(value("a = 2.0\nc = a * 1\nc *= c"), 4.0);
  EXPECT_EQ(value("a = 2.0\nc = a * 1\nc /= 8"), 0.25);
  EXPECT_EQ(sexpr(parse_program("a = 2.0\nc = a * 3\nc -= a / 2").root), "(- (* a 3) (/ a 2))");
}

TEST(ExprParse, PlainRebindingOfInnerNames) {
  const Program p = parse_program("a = 2.0\nt = a * 3\nt = t + a\ny = t.relu()");
  EXPECT_EQ(sexpr(p.root), "(relu (+ (* a 3) a))");
  EXPECT_EQ(p.named_nodes.size(), 4U);
}

TEST(ExprParse, AliasesShareTheNode) {
  const Program p = parse_program("a = 2.0\nb = a\nb += 1\ny = b * a");
  ASSERT_EQ(p.leaves.size(), 1U);
  EXPECT_EQ(sexpr(p.root), "(* (+ a 1) a)");
  EXPECT_EQ(p.leaves[0].second.label(), "a");  // the alias does not relabel the leaf
  // nor an inner node: its label stays the one it was given, or the name that first bound it
  const Program q =
      parse_program("a = Value(2.0)\nb = a * 3; b.label = 'bee'\nc = b\nd = a + 1\ne = d\ny = c + e");
  EXPECT_EQ(q.names.at("c").label(), "bee");
  EXPECT_EQ(q.names.at("e").label(), "d");
}

TEST(ExprParse, AssignedNodesAreLabelled) {
  const Program p = parse_program("a = 2.0\nb = a * 3 + 1\ny = b.exp()");
  EXPECT_EQ(p.names.at("b").label(), "b");
  EXPECT_EQ(p.root.label(), "y");
  EXPECT_EQ(p.names.at("b").child(0).label(), "");
}

TEST(ExprParse, OutputDefaultsToTheLastAssignmentOrIsChosen) {
  const char* source = "a = 2.0\nb = a * 3\nc = b + 1\nprint(c)\n";
  EXPECT_EQ(parse_program(source).output, "c");
  const Program p = parse_program(source, "b");
  EXPECT_EQ(p.output, "b");
  EXPECT_EQ(p.root.data(), 6.0);
  EXPECT_EQ(parse_program(source, "a").root.data(), 2.0);
}

TEST(ExprParse, StatementLayout) {
  const Program p = parse_program(
      "  # leading comment\r\n"
      "a = 1.0 ; b = 2.0;  # two on a line, trailing ';'\r\n"
      "\n\n"
      "\tc = a + \\\n    b\r"
      "d = (c)  \n");
  EXPECT_EQ(p.output, "d");
  EXPECT_EQ(p.root.data(), 3.0);
  // A call spans lines; a comment may hold a tab; "\r\n", a lone "\r" and a `\` continuation each
  // end one line, so an error further down names its true line.
  const Program call = parse_program("x1 = Value(\n  4.0,  # a\tcomment\n  label='x1'\n)\ny2 = x1 * 2\n");
  EXPECT_EQ(call.root.data(), 8.0);
  EXPECT_EQ(call.names.at("x1").label(), "x1");
  const auto error = [](const std::string& source) {
    try {
      parse_program(source);
    } catch (const ParseError& e) {
      return std::to_string(e.line()) + ":" + std::to_string(e.column());
    }
    return std::string("none");
  };
  EXPECT_EQ(error("a = 1.0\r\nb = 2.0\r\nc = a*)"), "3:7");
  EXPECT_EQ(error("a = 1.0\rb = 2.0\rc = a*)"), "3:7");
  EXPECT_EQ(error("a = 1.0 + \\\n  2.0\nc = a*)"), "3:7");
  EXPECT_EQ(error("a = 1.0 + \\\r\n  2.0\r\nc = a*)"), "3:7");
}

TEST(ExprParse, IgnoredStatements) {
  const Program p = parse_program(
      "import math\n"
      "from micrograd.engine import Value; from x import (a, b)\n"
      "x = 2.0\n"
      "print(x)\n"
      "print(f\"{x.data:.4f} ) (\", 'it''s', (x + 1) * 2, sep='', end=\"\\n\")\n"
      "print('%.3f' % x.grad, [1, 2], {3: 4})\n"
      "y = x * x; y.backward(); print()\n");
  EXPECT_EQ(p.output, "y");
  EXPECT_EQ(p.root.data(), 4.0);
  EXPECT_EQ(p.backward_calls, std::vector<std::string>{"y"});
}

TEST(ExprParse, FunctionNamesAndSpecialWordsCanBeVariables) {
  EXPECT_EQ(value("relu = -2.0\ny = relu(relu) + relu"), -2.0);
  EXPECT_EQ(value("nan = 1.5\ninf = 2.0\ny = nan * inf"), 3.0);
  EXPECT_EQ(value("Value = 3.0\nprint = 2.0\ny = Value * print + Value(1)"), 7.0);
}

TEST(ExprParse, NestingUpToTheLimitIsFine) {
  const std::size_t n = kMaxNesting;
  EXPECT_EQ(value("x = 2.0\ny = " + std::string(n, '(') + "x" + std::string(n, ')')), 2.0);
  EXPECT_EQ(value("x = 2.0\ny = " + std::string(n, '-') + "x"), 2.0);
  std::string chain = "x = 1.0\ny = x";
  for (std::size_t i = 0; i < n; ++i) chain += "**x";
  EXPECT_EQ(value(chain), 1.0);
}

TEST(ExprParse, LongFlatProgramsDoNotRecurse) {
  std::string sum = "x = 1.0\ny = x";
  for (int i = 0; i < 100000; ++i) sum += " + x";
  EXPECT_EQ(value(sum), 100001.0);

  std::string lines = "x = 1.0\nc = x * 1\n";
  for (int i = 0; i < 100000; ++i) lines += "c += x\n";
  Program p = parse_program(lines);
  EXPECT_EQ(p.root.data(), 100001.0);
  p.root.backward();
  EXPECT_EQ(p.leaves[0].second.grad(), 100001.0);

  std::string chain = "x = 0.5\ny = x";
  for (int i = 0; i < 100000; ++i) chain += ".tanh()";
  EXPECT_GT(value(chain), 0.0);
}

TEST(ExprParse, EvaluateReRunsTheForwardWithNewLeafValues) {
  const Program p = parse_program("a = Value(-4.0)\nb = Value(2.0)\ny = (a * b + b**3).tanh() - a / b");
  const double base = p.root.data();
  EXPECT_TRUE(testing::same_double(evaluate(p, {-4.0, 2.0}), base));
  const Program q = parse_program("a = Value(-3.5)\nb = Value(2.25)\ny = (a * b + b**3).tanh() - a / b");
  EXPECT_TRUE(testing::same_double(evaluate(p, {-3.5, 2.25}), q.root.data()));
  EXPECT_EQ(p.root.data(), base);  // the graph is left alone
  EXPECT_EQ(p.leaves[0].second.data(), -4.0);
  EXPECT_THROW(evaluate(p, {1.0}), std::invalid_argument);
}

// Labels are Python string literals: escapes \\n \\t \\\\ \\' are read, others kept, raw strings kept.
TEST(ExprParse, LabelEscapes) {
  const Program p =
      parse_program("a = Value(1.0, label='x\\ty\\nz\\\\\\'q\\d')\nb = Value(2.0, label=r'r\\n')\ny = a * b");
  EXPECT_EQ(p.leaves[0].second.label(), "x\ty\nz\\'q\\d");
  EXPECT_EQ(p.leaves[1].second.label(), "r\\n");
  // an escaped backslash before the closing quote ends the string there
  EXPECT_EQ(parse_program("a = Value(1.0, label='x\\\\')\ny = a * 2").leaves[0].second.label(), "x\\");
  EXPECT_THROW(parse_program("a = Value(1.0, label=f'x')\ny = a * 2"), ParseError);
}

}  // namespace
}  // namespace verigrad::verify
