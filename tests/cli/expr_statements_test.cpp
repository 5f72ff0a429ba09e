// The statements micrograd's lecture writes, with Python's and micrograd's meaning: labels set after
// ';', Value(data=...), .data and .grad read as numbers, print(...) writing what Python writes,
// draw_dot, backward() and _backward(), functions, rebound names, unused leaves, changed data.
// (Their error cases are in expr_error_test.cpp.)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/graph.hpp"
#include "expr_test_util.hpp"
#include "verify/expr/micrograd.hpp"
#include "verify/expr/parser.hpp"

namespace verigrad::verify {
namespace {

std::string printed(const std::string& source) { return parse_program(source).printed; }

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Value>>& entries) {
  std::vector<std::string> names;
  names.reserve(entries.size());
  for (const auto& e : entries) names.push_back(e.first);
  return names;
}
using Names = std::vector<std::string>;

TEST(ExprStatements, LabelsAreSetAfterASemicolon) {
  const Program p = parse_program(
      "x1 = Value(2.0, label='x1'); w1 = Value(-3.0, label='w1')\n"
      "x1w1 = x1*w1; x1w1.label = 'x1*w1'\n"
      "q = x1w1 + 1; q.label = \"it's \\\"q\\\"\"\n"
      "r = q * 2; r.label = r'raw\\n'\n");
  EXPECT_EQ(p.names.at("x1w1").label(), "x1*w1");
  EXPECT_EQ(p.names.at("q").label(), "it's \"q\"");
  EXPECT_EQ(p.names.at("r").label(), "raw\\n");
  EXPECT_EQ(p.names.at("x1").label(), "x1");
  EXPECT_EQ(p.output, "r");
}

TEST(ExprStatements, ValueConstructorForms) {
  const Program p = parse_program(
      "a = Value(data=2.0)\nb = Value(-3.0, label='bee')\nc = Value(label='c', data=-1)\nd = Value(2)\n"
      "y = a * b + c * d\n");
  ASSERT_EQ(names_of(p.leaves), (Names{"a", "b", "c", "d"}));
  EXPECT_EQ(p.leaves[0].second.data(), 2.0);
  EXPECT_EQ(p.leaves[1].second.label(), "bee");
  EXPECT_EQ(p.leaves[2].second.data(), -1.0);
  EXPECT_EQ(p.root.data(), -8.0);
  // A trailing comma, as Python allows.
  EXPECT_EQ(parse_program("a = Value(2.0,)\nb = Value(3.0, label='b',)\ny = a * b").root.data(), 6.0);
}

TEST(ExprStatements, DataAndGradReadAsPlainNumbers) {
  const Program p = parse_program(
      "a = Value(2.0, label='a')\nb = Value(-3.0, label='b')\nL = a * b; L.label = 'L'\n"
      "L1 = L.data\nk = a.grad\nprint(L1, k, L.data * 2)\n");
  EXPECT_EQ(p.printed, "-6.0 0.0 -12.0\n");  // a grad read before any backward is 0.0
  EXPECT_EQ(p.output, "L");                  // L1 and k are numbers, not Values
  EXPECT_EQ(names_of(p.leaves), (Names{"a", "b"}));
  EXPECT_TRUE(p.unused_leaves.empty());
  // A named number reads its leaf's current data; data is set with = += -= *= /=, Python's way round.
  EXPECT_EQ(printed("x = 3.0\nx.data = 5.0\nprint(x, x * 2)\n"), "5.0 10.0\n");
  EXPECT_EQ(printed("a = Value(2.0)\na.data -= 0.5\nb = Value(2.0)\nb.data /= 4\nc = Value(2.0)\n"
                    "c.grad -= 3\nc.grad *= 2\nprint(a.data, b.data, c.grad)\n"),
            "1.5 0.5 -6.0\n");
  // A number read from a node, and arithmetic on it, is a plain number: no leaf, reported or unused.
  const Program q = parse_program("a = Value(2.0)\nL = a * 3\nL1 = L.data\ny = L.data + 1.0\n");
  EXPECT_EQ(q.output, "L");
  EXPECT_EQ(names_of(q.leaves), (Names{"a"}));
  EXPECT_TRUE(q.unused_leaves.empty());
}

TEST(ExprStatements, NumericalGradientAsTheLectureComputesIt) {
  const Program p = parse_program(
      "h = 0.001\n"
      "a = Value(2.0, label='a'); b = Value(-3.0, label='b'); c = Value(10.0, label='c')\n"
      "e = a*b; e.label = 'e'\nd = e + c; d.label = 'd'\nf = Value(-2.0, label='f')\nL = d * f; L.label = "
      "'L'\n"
      "L1 = L.data\n"
      "a = Value(2.0 + h, label='a'); b = Value(-3.0, label='b'); c = Value(10.0, label='c')\n"
      "e = a*b; e.label = 'e'\nd = e + c; d.label = 'd'\nf = Value(-2.0, label='f')\nL = d * f; L.label = "
      "'L'\n"
      "L2 = L.data\n"
      "print((L2 - L1)/h)\n");
  EXPECT_EQ(p.printed, "6.000000000000227\n");  // CPython prints the same for these statements
  EXPECT_EQ(p.output, "L");
  EXPECT_EQ(p.root.data(), -7.994);
  // The second graph's leaves keep their names; the first graph's are unused, named by line.
  EXPECT_EQ(names_of(p.leaves), (Names{"a", "b", "c", "f"}));
  EXPECT_EQ(names_of(p.unused_leaves), (Names{"a (line 2)", "b (line 2)", "c (line 2)", "f (line 5)"}));
  EXPECT_EQ(p.leaves[0].second.data(), 2.001);  // h is only a number: it is not reported
}

TEST(ExprStatements, ReportNamesOfReboundNodes) {
  EXPECT_EQ(names_of(parse_program("a = Value(1.0); a = a * 2\ny = a + 1\n").node_names),
            (Names{"a (line 1, column 1)", "a", "y"}));  // two on one line: the column tells them apart
  // A function called three times binds three leaves at one place: each keeps a name of its own.
  EXPECT_EQ(names_of(parse_program("def f():\n  a = Value(1.0)\n  y = a * 2\nf()\nf()\nf()\n").unused_leaves),
            (Names{"a (line 2, column 3, run 1)", "a (line 2, column 3, run 2)"}));
  const Program p = parse_program("a = Value(1.0)\na = a * 2\nb = a\ny = a + 1\n");
  ASSERT_EQ(p.node_names.size(), 3U);
  EXPECT_EQ(p.node_names[0].first, "a (line 1)");
  EXPECT_EQ(p.node_names[1].first, "a");  // the latest node a name bound keeps it; b is only an alias
  EXPECT_EQ(p.node_names[2].first, "y");
  EXPECT_EQ(names_of(p.leaves), (Names{"a (line 1)"}));
  EXPECT_EQ(testing::sexpr(p.root), "(+ (* a 2) 1)");
}

TEST(ExprStatements, BackwardRunsWithMicrogradsSemantics) {
  // micrograd's backward() sets the root's grad to 1 and adds into every other node, interior ones
  // included: called twice, c.grad is 2 and a.grad counts c's doubled grad again (6 + 12).
  EXPECT_EQ(printed("a = Value(3.0)\nc = a * a\nd = c + 1\nd.backward()\nprint(a.grad, c.grad, d.grad)\n"
                    "d.backward()\nprint(a.grad, c.grad, d.grad)\n"),
            "6.0 1.0 1.0\n18.0 2.0 1.0\n");
  const Program p = parse_program("a = Value(3.0)\nc = a * a\nc.backward()\n");
  EXPECT_EQ(p.backward_calls, std::vector<std::string>{"c"});
  EXPECT_FALSE(p.manual);
}

TEST(ExprStatements, GradAssignmentsAreManual) {
  const Program p =
      parse_program("a = Value(2.0)\nb = a * 3\nb.grad = 1.0\na.grad = 2.0\na.grad += 1\na.grad *= 2\n");
  EXPECT_TRUE(p.manual);
  EXPECT_EQ(p.leaves[0].second.grad(), 6.0);
  EXPECT_EQ(p.root.grad(), 1.0);
}

// The lecture's neuron, backpropagated with _backward() in the lecture's order: every gradient equals
// the engine's own backward, bit for bit (each node has one consumer, so no sum can round differently).
TEST(ExprStatements, BackwardStepsMatchTheEngine) {
  const std::string cell =
      "x1 = Value(2.0, label='x1'); x2 = Value(0.0, label='x2')\n"
      "w1 = Value(-3.0, label='w1'); w2 = Value(1.0, label='w2')\n"
      "b = Value(6.8813735870195432, label='b')\n"
      "x1w1 = x1*w1; x1w1.label = 'x1*w1'\nx2w2 = x2*w2; x2w2.label = 'x2*w2'\n"
      "x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'\n"
      "n = x1w1x2w2 + b; n.label = 'n'\no = n.tanh(); o.label = 'o'\n";
  const Program manual = parse_program(cell +
                                       "o.grad = 1.0\no._backward()\nn._backward()\nb._backward()\n"
                                       "x1w1x2w2._backward()\nx2w2._backward()\nx1w1._backward()\n");
  EXPECT_TRUE(manual.manual);
  EXPECT_TRUE(parse_program(cell + "o._backward()\n").manual);  // a _backward() alone is manual too
  EXPECT_FALSE(parse_program(cell + "o.backward()\n").manual);
  Program engine = parse_program(cell);
  engine.root.backward();
  const std::vector<Value> a = topological_order(manual.root);
  const std::vector<Value> b = topological_order(engine.root);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(testing::same_double(a[i].grad(), b[i].grad())) << a[i].label() << ": " << a[i].grad();
  }
  EXPECT_EQ(manual.names.at("w2").grad(), 0.0);
  EXPECT_NE(manual.names.at("x1").grad(), 0.0);
}

// Every op's _backward() is the op table's rule: a*b's adds b*g into a, and so on, checked against
// the engine's backward for one node of each kind.
TEST(ExprStatements, BackwardStepOfEveryOp) {
  const char* exprs[] = {"-x",   "x.exp()", "x.log()", "x.tanh()", "x.relu()", "x.sigmoid()", "x.abs()",
                         "x**3", "x + y",   "x - y",   "x * y",    "x / y",    "x ** y"};
  for (const char* e : exprs) {
    SCOPED_TRACE(e);
    const std::string leaves = "x = Value(0.7)\ny = Value(1.3)\n";
    Program manual = parse_program(leaves + "z = " + e + "\nz.grad = 2.5\nz._backward()\n");
    Program engine = parse_program(leaves + "z = " + e + "\n");
    engine.root.backward(2.5);
    for (std::size_t i = 0; i < engine.leaves.size(); ++i) {
      EXPECT_TRUE(testing::same_double(manual.leaves[i].second.grad(), engine.leaves[i].second.grad()))
          << manual.leaves[i].first;
    }
  }
}

TEST(ExprStatements, PrintWritesWhatPythonWould) {
  EXPECT_EQ(printed("a = Value(2.0)\nprint(a)\n"), "Value(data=2.0, grad=0.0)\n");
  EXPECT_EQ(printed("a = Value(-4.0)\nprint(f'{a.data:.4f}', a.data, 'x', sep='|', end='!\\n')\n"),
            "-4.0000|-4.0|x!\n");
  EXPECT_EQ(
      printed("a = Value(0.0)\nprint(2 * 3, 2 ** 10, 7 / 2, -4, 2 ** -1, 1 + 2.0, 0.1 + 0.2, 1e16, 1e-5)\n"),
      "6 1024 3.5 -4 0.5 3.0 0.30000000000000004 1e+16 1e-05\n");
  EXPECT_EQ(
      printed(
          "a = Value(3.0, label='a')\nprint(f'{a.label}={a.data!r} {a.data:>8.3f} {{}} {a.grad:+.1e}')\n"),
      "a=3.0    3.000 {} +0.0e+00\n");
  EXPECT_EQ(printed("a = Value(3.0)\nprint('%.4f and %d' % (a.data, 7), '%s' % a.data, 'a' + 'b')\n"),
            "3.0000 and 7 3.0 ab\n");
  EXPECT_EQ(printed("a = Value(0.0)\nprint()\nprint('a', end='')\nprint('b')\n"), "\nab\n");
  EXPECT_EQ(printed("x = 3.0\ny = x * x\nprint(y, x, f'{x}')\n"),
            "9.0 3.0 3.0\n");  // named numbers print as numbers
  EXPECT_EQ(printed("a = Value(1.0)\nprint(a.data,\n      a.grad)\n"), "1.0 0.0\n");  // lines join inside ( )
  EXPECT_EQ(printed("a = Value(1.0)\nprint(f'{a!r}')\n"), "Value(data=1.0, grad=0.0)\n");
  EXPECT_EQ(printed("a = Value(0.0)\nprint(1E3, 2e0, 10, 8 / 4)\n"), "1000.0 2.0 10 2.0\n");
  EXPECT_EQ(printed("a = Value(0.0)\nprint(r'a\\nb', 'c\\td', flush=False)\nprint('e', flush=True)\n"),
            "a\\nb c\td\ne\n");
  EXPECT_EQ(printed("a = Value(2.5, label='a')\nprint(f'{a.data!a} {a.data!s} {a.label!r} {a.label}')\n"),
            "2.5 2.5 'a' a\n");
}

// A print whose arguments leave the language writes a note instead and the program goes on: a print
// never changes a gradient.
TEST(ExprStatements, PrintOfWhatTheLanguageLacksLeavesANote) {
  const Program p = parse_program(
      "a = Value(1.0)\nprint([a.data, 2])\nprint(round(a.data, 2))\nprint(f'{a:.2f}')\nprint(q)\nb = a * "
      "2\nprint(b.data)\n");
  EXPECT_EQ(p.printed,
            "[verigrad: print(...) on line 2 skipped: line 2, column 7: lists are not supported]\n"
            "[verigrad: print(...) on line 3 skipped: line 3, column 7: unknown function 'round']\n"
            "[verigrad: print(...) on line 4 skipped: line 4, column 9: unsupported format string passed to "
            "Value.__format__ (format its .data)]\n"
            "[verigrad: print(...) on line 5 skipped: line 5, column 7: unknown name 'q']\n"
            "2.0\n");
  EXPECT_EQ(p.output, "b");
  EXPECT_EQ(printed("a = Value(1.0)\nprint(f'x{ }y')\n"),
            "[verigrad: print(...) on line 2 skipped: line 2, column 10: f-string: empty expression not "
            "allowed]\n");
  // Python's own complaints, as Python words them, for conversions, nested specs, % and tuples.
  EXPECT_EQ(
      printed("x = Value(1.0)\nprint(f'{x!z}')\n"),
      "[verigrad: print(...) on line 2 skipped: line 2, column 11: f-string: invalid conversion character: "
      "expected 's', 'r', or 'a']\n");
  EXPECT_EQ(
      printed("x = 1.0\nw = 3\nprint(f'{x:{w}}')\n"),
      "[verigrad: print(...) on line 3 skipped: line 3, column 12: f-string: nested fields in a format spec "
      "are not supported]\n");
  EXPECT_EQ(
      printed("x = 1.0\nprint('%d' % 'x')\n"),
      "[verigrad: print(...) on line 2 skipped: line 2, column 12: %d format: a real number is required, "
      "not str]\n");
  EXPECT_EQ(
      printed("x = 2.0\nprint('%s %s' % (x x))\n"),
      "[verigrad: print(...) on line 2 skipped: line 2, column 20: expected ',' or ')' to close the '(' at "
      "line 2, column 17, found 'x']\n");
}

TEST(ExprStatements, DrawDotRecordsTheGraphToDraw) {
  const Program p =
      parse_program("a = Value(1.0)\nb = a * 2\ndraw_dot(b, format='svg', rankdir='TB')\nc = b + 1\n");
  ASSERT_TRUE(p.drawn.has_value());
  EXPECT_TRUE(p.drawn->same_node(p.names.at("b")));
  EXPECT_EQ(p.output, "c");
  EXPECT_FALSE(parse_program("a = Value(1.0)\n").drawn.has_value());
}

TEST(ExprStatements, ImportsMagicsPassAndExpressionStatementsAreSkipped) {
  const Program p = parse_program(
      "%matplotlib inline\n!pip install micrograd\nimport math\nimport numpy as np\n"
      "from micrograd.engine import Value\npass\n"
      "a = Value(2.0)\nb = a * 2\nb\na*b + 1\n(a * 3).relu()\n");
  EXPECT_EQ(p.output, "b");  // expression statements bind nothing
  EXPECT_EQ(p.named_nodes.size(), 2U);
}

TEST(ExprStatements, FunctionsRunWhenCalledWithTheirOwnNames) {
  EXPECT_EQ(printed("a = Value(5.0)\n"
                    "def f():\n"
                    "  b = Value(1.0)   # local\n"
                    "\n"
                    "  print(b.data, a.data)  # a: the top level's\n"
                    "f()\nf()\nprint(a.data)\n"),
            "1.0 5.0\n1.0 5.0\n5.0\n");
  // The lecture's cell: everything inside lol(), called once; its last Value is the output.
  const Program p = parse_program(
      "def lol():\n  h = 0.001\n  a = Value(2.0, label='a')\n  L = a * 3.0; L.label = 'L'\n  L1 = L.data\n"
      "  a = Value(2.0 + h, label='a')\n  L = a * 3.0; L.label = 'L'\n  L2 = L.data\n  print((L2 - L1)/h)\n"
      "\nlol()\n");
  EXPECT_EQ(p.output, "L");
  EXPECT_EQ(p.root.data(), 6.003);
  EXPECT_TRUE(p.names.empty());  // lol's names were local
  EXPECT_EQ(names_of(p.leaves), (Names{"a"}));
  EXPECT_EQ(names_of(p.unused_leaves), (Names{"a (line 3)"}));
  // Nested definitions, calls before and after, and a body ending the text.
  EXPECT_EQ(printed("def outer():\n  def inner():\n    print('in')\n  inner()\n  print('out')\nouter()\n"
                    "a = Value(1.0)\nouter()"),
            "in\nout\nin\nout\n");
}

TEST(ExprStatements, UnusedLeavesAndDeadStatements) {
  Program p = parse_program("a = Value(2.0)\nz = Value(1.0)\nt3 = a.tanh().exp()\ny = a * 2\n");
  EXPECT_EQ(names_of(p.leaves), (Names{"a"}));
  EXPECT_EQ(names_of(p.unused_leaves), (Names{"z"}));
  // Named numbers: a leaf when the output uses it, when a bound node was computed from it, or when it
  // is never read; a number used only as a number (h) is not a leaf.
  p = parse_program("x = 1.0; z = 2.0; y = x * 2");
  EXPECT_EQ(names_of(p.leaves), (Names{"x"}));
  EXPECT_EQ(names_of(p.unused_leaves), (Names{"z"}));
  p = parse_program("h = 0.001\na = Value(2.0 + h)\na.data += h\ny = a * 2\nprint(h)\n");
  EXPECT_EQ(names_of(p.leaves), (Names{"a"}));
  EXPECT_TRUE(p.unused_leaves.empty());
  EXPECT_EQ(p.leaves[0].second.data(), 2.002);
  p = parse_program("k = 2.0\nw = k * 3\ny = Value(1.0) * 2\n");
  EXPECT_EQ(names_of(p.unused_leaves), (Names{"k"}));
}

TEST(ExprStatements, OutputIsTheLastNameBoundToAValue) {
  EXPECT_EQ(parse_program("a = Value(1.0)\nb = a * 2\nk = b.data\nx = 3.0\n").output, "b");
  EXPECT_EQ(parse_program("x = 3.0\ny = x * x\n").output, "y");  // no Value at all: the last node
  EXPECT_EQ(parse_program("a = Value(1.0)\nb = a * 2\nb = b.data\n").output, "b");
  EXPECT_EQ(parse_program("a = Value(1.0)\nb = a * 2\nb = b.data\n").root.data(), 2.0);
  // A chosen output is the name's final top-level binding, not a function's local of the same name.
  const char* scoped = "a = Value(1.0)\ndef f():\n  a = Value(2.0)\n  b = a * 3\nf()\n";
  EXPECT_EQ(parse_program(scoped, std::string("a")).root.data(), 1.0);
  EXPECT_EQ(parse_program(scoped, std::string("b")).root.data(), 6.0);  // else its last binding
}

TEST(ExprStatements, DataChangedBeforeTheGraphIsRebuilt) {
  // The lecture's update step: nudge the leaves along their gradients, rebuild, print the new loss.
  const Program p = parse_program(
      "a = Value(2.0, label='a'); b = Value(-3.0, label='b'); c = Value(10.0, label='c')\n"
      "f = Value(-2.0, label='f')\ne = a*b\nd = e + c\nL = d * f\nL.backward()\n"
      "a.data += 0.01 * a.grad\nb.data += 0.01 * b.grad\nc.data += 0.01 * c.grad\nf.data += 0.01 * f.grad\n"
      "e = a * b\nd = e + c\nL = d * f\nprint(L.data)\n");
  EXPECT_EQ(p.printed, "-7.286496\n");  // as CPython prints it
  const double a = p.leaves[0].second.data(), b = p.leaves[1].second.data();
  const double c = p.leaves[2].second.data(), f = p.leaves[3].second.data();
  EXPECT_EQ(a, 2.0 + 0.01 * 6.0);  // the gradients backward() left: dL/da = b * f = 6
  EXPECT_EQ(f, -2.0 + 0.01 * 4.0);
  EXPECT_EQ(p.root.data(), (a * b + c) * f);  // the rebuilt graph computes from the new data
}

}  // namespace
}  // namespace verigrad::verify
