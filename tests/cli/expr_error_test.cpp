// The expression language's errors: exact place and wording, and no crash or hang on hostile input.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "verify/expr/parser.hpp"

namespace verigrad::verify {
namespace {

// The full error text parse_program gives, or "" when it parses.
std::string error_of(const std::string& source, std::optional<std::string> output = {}) {
  try {
    parse_program(source, std::move(output));
  } catch (const ParseError& e) {
    return e.what();
  }
  return "";
}

struct Case {
  const char* name;
  std::string source;
  std::string error;
};

// Test logs name the case instead of dumping its bytes (some sources are 100,000 characters).
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class ExprError : public ::testing::TestWithParam<Case> {};

TEST_P(ExprError, ReportsPlaceAndReason) { EXPECT_EQ(error_of(GetParam().source), GetParam().error); }

const Case kCases[] = {
    {"MissingOperand", "a = 1.0\nb = 2.0\nc = a*)",
     "error: line 3, column 7: expected an expression after '*'"},
    {"MissingOperandAtEndOfLine", "a = 1.0\ny = a +\n",
     "error: line 2, column 8: expected an expression after '+'"},
    {"MissingRightHandSide", "a =", "error: line 1, column 4: expected an expression after '='"},
    {"UnknownName", "a = 1.0\ny = a + q", "error: line 2, column 9: unknown name 'q'"},
    {"ForwardReference", "y = a * 2\na = 1.0", "error: line 1, column 5: unknown name 'a'"},
    {"UnknownNameInCompound", "q += 1", "error: line 1, column 1: unknown name 'q'"},
    {"UnknownFunction", "a = 1.0\ny = foo(a)", "error: line 2, column 5: unknown function 'foo'"},
    {"FloatIsNotAFunction", "y = float('nan')", "error: line 1, column 5: unknown function 'float'"},
    {"UnknownMethod", "a = 1.0\ny = a.softplus()", "error: line 2, column 7: unknown method 'softplus'"},
    {"UnknownAttribute", "a = Value(1.0)\ny = a.dat * 2",
     "error: line 2, column 7: unknown attribute 'dat' (a Value has data, grad and label)"},
    {"PrivateAttribute", "a = Value(1.0)\nb = a * 2\nb._prev",
     "error: line 3, column 3: unknown attribute '_prev' (a Value has data, grad and label)"},
    {"MethodWithoutCall", "a = 1.0\ny = a.relu + 1",
     "error: line 2, column 7: 'relu' is a method; call it as .relu()"},
    {"AttributeOfANumber", "a = Value(1.0)\nk = a.data\ny = k.data",
     "error: line 3, column 7: a number has no attribute 'data' (Values have data, grad and label)"},
    {"FunctionArity", "a = 1.0\ny = relu(a, a)", "error: line 2, column 5: relu() takes 1 argument, got 2"},
    {"FunctionNoArguments", "y = exp()", "error: line 1, column 5: exp() takes 1 argument, got 0"},
    {"PowArity", "a = 1.0\ny = pow(a)", "error: line 2, column 5: pow() takes 2 arguments, got 1"},
    {"MethodArity", "a = 1.0\ny = a.tanh(a)",
     "error: line 2, column 7: method tanh() takes no arguments, got 1"},
    {"KeywordArgument", "a = 1.0\ny = relu(x=a)",
     "error: line 2, column 10: relu() takes no keyword arguments"},
    {"ValueArity", "y = Value(1.0, 2.0)", "error: line 1, column 5: Value() takes 1 argument, got 2"},
    {"ValueOfAValue", "a = Value(1.0)\ny = Value(a)",
     "error: line 2, column 11: Value() takes a number, and this is a Value (use its .data)"},
    {"ValueOfAString", "y = Value('1.0')", "error: line 1, column 11: Value() takes a number, not a string"},
    {"ValueDataTwice", "y = Value(1.0, data=2.0)",
     "error: line 1, column 5: Value() takes 1 argument, got 2"},
    {"ValueLabelTwice", "y = Value(1.0, label='a', label='b')",
     "error: line 1, column 27: Value() got multiple values for 'label'"},
    {"ValueFStringLabel", "y = Value(1.0, label=f'a')",
     "error: line 1, column 16: label must be a plain string literal"},
    {"ValueBadKeyword", "y = Value(1.0, grad=2)",
     "error: line 1, column 16: Value() got an unexpected keyword argument 'grad'"},
    {"ValueLabelNotAString", "y = Value(1.0, label=2)",
     "error: line 1, column 16: label must be a string literal"},
    {"FunctionUsedAsName", "a = 1.0\ny = a * relu",
     "error: line 2, column 9: 'relu' is a function; call it as relu(...)"},
    {"EmptyProgram", "", "error: line 1, column 1: empty program (nothing is assigned)"},
    {"OnlyComments", "# nothing here\n\n   \n",
     "error: line 1, column 1: empty program (nothing is assigned)"},
    {"OnlyPrints", "import math\nprint('hi')\n",
     "error: line 1, column 1: empty program (nothing is assigned)"},
    {"FunctionNeverCalled", "def lol():\n  a = Value(1.0)\n",
     "error: line 1, column 1: empty program (nothing is assigned; lol() is defined but never called)"},
    {"NumberOutOfRange", "a = 1e999", "error: line 1, column 5: number '1e999' is out of range"},
    {"NegativeNumberOutOfRange", "a = -1e999", "error: line 1, column 6: number '1e999' is out of range"},
    {"HugeInteger", "a = 1" + std::string(400, '0'),
     "error: line 1, column 5: number '1" + std::string(400, '0') + "' is out of range"},
    {"NanIsNotALiteral", "a = nan",
     "error: line 1, column 5: 'nan' is not a number literal; only finite numbers are allowed"},
    {"InfIsNotALiteral", "a = 1.0\ny = a * -inf",
     "error: line 2, column 10: 'inf' is not a number literal; only finite numbers are allowed"},
    {"InvalidNumber", "a = 1x", "error: line 1, column 5: invalid number literal '1x'"},
    {"HexNumber", "a = 0x10", "error: line 1, column 5: invalid number literal '0x10'"},
    {"ExponentWithoutDigits", "a = 1e+", "error: line 1, column 5: invalid number literal '1e+'"},
    {"UnclosedParen", "a = 1.0\ny = (a + 1",
     "error: line 2, column 11: expected ')' to close the '(' at line 2, column 5, found end of input"},
    {"UnclosedParenJoinsLines", "a = 1.0\ny = (a + 1\nz = 2",
     "error: line 3, column 1: expected ')' to close the '(' at line 2, column 5, found 'z'"},
    {"UnclosedCall", "a = 1.0\ny = relu(a",
     "error: line 2, column 11: expected ',' or ')' after an argument of relu(), found end of input"},
    {"UnclosedPrint", "a = 1.0\nprint(a, (a)",
     "error: line 2, column 13: expected ')' to close the '(' at line 2, column 6, found end of input"},
    {"UnmatchedCloseParen", "a = 1.0\ny = a)", "error: line 2, column 6: unmatched ')'"},
    {"TrailingGarbage", "a = 1.0\ny = a a", "error: line 2, column 7: expected end of statement, found 'a'"},
    {"TrailingAfterPrint", "a = 1.0\nprint(a) a",
     "error: line 2, column 10: expected end of statement, found 'a'"},
    {"FloorDivision", "a = 1.0\ny = a // 2",
     "error: line 2, column 7: expected end of statement, found '//'"},
    {"AssignmentToAnExpression", "a = 1.0\na + 1 = 2",
     "error: line 2, column 7: chained assignment and assignment to an expression are not supported"},
    {"ChainedAssignment", "b = 1.0\na = b = 2.0",
     "error: line 2, column 7: chained assignment and assignment to an expression are not supported"},
    {"TupleAssignment", "a = 1.0\nb = 2.0\na, b = b, a",
     "error: line 3, column 2: tuples are not supported; write one assignment per statement"},
    {"PowerAssignment", "a = 1.0\nb = a * 1\nb **= 2",
     "error: line 3, column 3: expected end of statement, found '**='"},
    {"StatementStartsWithNumber", "3 = a",
     "error: line 1, column 3: chained assignment and assignment to an expression are not supported"},
    {"StatementStartsWithOperator", "* a", "error: line 1, column 1: expected a statement, found '*'"},
    {"EmptyStatement", "a = 1;;", "error: line 1, column 7: expected a statement before ';'"},
    {"Loop", "a = Value(1.0)\nfor k in range(20):\n  a = a * 2",
     "error: line 2, column 1: loops are not supported: write the steps out, one statement each (to train "
     "the "
     "lecture's MLP, use 'verigrad train --dataset toy')"},
    {"WhileLoop", "while a:",
     "error: line 1, column 1: loops are not supported: write the steps out, one statement "
     "each (to train the lecture's MLP, use 'verigrad train --dataset toy')"},
    {"Conditional", "a = Value(1.0)\nif a.data > 0:",
     "error: line 2, column 1: conditionals are not supported: keep "
     "the branch you want"},
    {"ClassDefinition", "class Value:\n  pass",
     "error: line 1, column 1: class definitions are not supported: Value is built in; paste the code that "
     "uses it"},
    {"Return", "return 1",
     "error: line 1, column 1: 'return' is not supported: functions here take no arguments "
     "and return nothing"},
    {"Keyword", "with = 1", "error: line 1, column 1: unsupported keyword 'with'"},
    {"KeywordInExpression", "a = 1.0\ny = a if a else a",
     "error: line 2, column 7: expected end of statement, found 'if'"},
    {"LambdaInExpression", "y = lambda", "error: line 1, column 5: unsupported keyword 'lambda'"},
    {"NonAsciiByte", "a = 1.0\ny = a \xC3\x97 2",
     "error: line 2, column 7: non-ASCII byte 0xC3 outside a comment or string"},
    {"NulByte", std::string("a = 1", 5) + std::string(1, '\0') + "\n",
     "error: line 1, column 6: unexpected control byte 0x00"},
    {"ControlByteInComment", "a = 1.0 # \x01\n", "error: line 1, column 11: unexpected control byte 0x01"},
    {"DelByte", "a = 1.0\x7F\n", "error: line 1, column 8: unexpected control byte 0x7F"},
    {"LowestNonAsciiByte", "a = 1.0 \x80\n",
     "error: line 1, column 9: non-ASCII byte 0x80 outside a comment or string"},
    {"TripleQuotedString", "a = Value(1.0, label='''a''')",
     "error: line 1, column 22: triple-quoted strings are not supported"},
    {"CrlfLineBreaks", "a = 1.0\r\nb = 2.0\r\nc = a*)",
     "error: line 3, column 7: expected an expression after '*'"},
    {"StringOutsidePrint", "a = 'x'",
     "error: line 1, column 5: string literals are only allowed in print(...), labels and Value(..., "
     "label=...)"},
    {"StringArgument", "y = relu('x')",
     "error: line 1, column 10: string literals are only allowed in print(...), labels and Value(..., "
     "label=...)"},
    {"UnterminatedString", "print('abc", "error: line 1, column 7: unterminated string literal"},
    {"UnterminatedFString", "x = 1.0\nprint(f\"{x}\n)",
     "error: line 2, column 7: unterminated string literal"},
    {"StrayBackslash", "a = 1.0 \\ 2",
     "error: line 1, column 9: unexpected '\\' (a line continuation must end its line)"},
    {"DivisionByZero", "y = 1 / 0", "error: line 1, column 7: division by zero"},
    {"ZeroToNegativePower", "y = 0 ** -1", "error: line 1, column 7: 0 cannot be raised to a negative power"},
    {"NegativeToFractionalPower", "y = (-8) ** (1/3)",
     "error: line 1, column 10: a negative number raised to a fractional power is not real"},
    {"ConstantOverflow", "y = 1e300 * 1e300",
     "error: line 1, column 11: constant expression overflows to infinity"},
    {"ConstantPowOverflow", "a = 1.0\ny = a * 10 ** 400",
     "error: line 2, column 12: constant expression overflows to infinity"},
    {"BackwardInsideExpression", "a = 1.0\ny = a.backward()",
     "error: line 2, column 7: backward() must be a statement of its own"},
    {"BackwardWithArguments", "a = 1.0\na.backward(2)",
     "error: line 2, column 12: backward() takes no arguments"},
    {"BackwardOfUnknownName", "a = 1.0\nq.backward()", "error: line 2, column 1: unknown name 'q'"},
    // Statement forms of micrograd's lecture, each with its error.
    {"LabelNotAString", "a = Value(1.0)\na.label = 2", "error: line 2, column 9: label must be a string"},
    {"LabelCompound", "a = Value(1.0)\na.label += 'x'", "error: line 2, column 9: a label is set with '='"},
    {"UnknownAttributeSet", "a = Value(1.0)\na._op = '+'",
     "error: line 2, column 3: a Value has data, grad and label; '_op' cannot be set here"},
    {"DataFromAValue", "a = Value(1.0)\nb = Value(2.0)\na.data = b",
     "error: line 3, column 8: a.data needs a number, and the right side is a Value (use its .data)"},
    {"GradFromAString", "a = Value(1.0)\na.grad = 'x'",
     "error: line 2, column 10: string literals are only allowed in print(...), labels and Value(..., "
     "label=...)"},
    {"DataOfANumber", "a = Value(1.0)\nk = a.data\nk.data = 2.0",
     "error: line 3, column 1: 'k' is a number, not a Value: it has no .data"},
    {"GradOfUnknownName", "q.grad = 1.0", "error: line 1, column 1: unknown name 'q'"},
    {"GradDividedByZero", "a = Value(1.0)\na.grad /= 0", "error: line 2, column 8: division by zero"},
    {"StaleData", "a = Value(2.0)\nb = Value(-3.0)\ne = a * b; e.label = 'e'\nL = e * 2\na.data += 0.01",
     "error: line 5, column 1: a.data changed after 'e' (line 3, column 7) was computed from it, and the "
     "output "
     "'L' depends on 'e': its data is now stale (micrograd does not recompute it); build the expressions "
     "again after changing data, as the lecture's update step does"},
    {"StaleOutput", "a = Value(2.0)\nL = a * 3\na.data = 1.0",
     "error: line 3, column 1: a.data changed after the output 'L' (line 2, column 7) was computed from it: "
     "its "
     "data is now stale (micrograd does not recompute it); build the expressions again after changing data, "
     "as "
     "the lecture's update step does"},
    {"DataOfAComputedNode", "a = Value(2.0)\ne = a * 3\nL = e + 1\ne.data = 5.0",
     "error: line 4, column 1: e.data is set, but it is computed by an operation, and the output 'L' depends "
     "on "
     "it: only a leaf's data can be set"},
    {"BackwardStepInsideExpression", "a = Value(1.0)\ny = a._backward()",
     "error: line 2, column 7: _backward() must be a statement of its own"},
    {"BackwardStepWithArguments", "a = Value(1.0)\nb = a * a\nb._backward(1)",
     "error: line 3, column 13: _backward() takes no arguments"},
    {"BackwardOfANumber", "a = Value(1.0)\nk = a.data\nk.backward()",
     "error: line 3, column 1: 'k' is a number, not a Value: it has no .backward"},
    {"DrawDotArity", "a = Value(1.0)\ndraw_dot()",
     "error: line 2, column 1: draw_dot() takes 1 argument, got 0"},
    {"DrawDotOfANumber", "a = Value(1.0)\ndraw_dot(a.data)",
     "error: line 2, column 10: draw_dot() takes a Value"},
    {"DrawDotInAnExpression", "a = Value(1.0)\ng = draw_dot(a)",
     "error: line 2, column 5: draw_dot(...) must be a statement of its own"},
    {"DrawDotKeyword", "a = Value(1.0)\ndraw_dot(a, color='red')",
     "error: line 2, column 13: draw_dot() got an unexpected keyword argument 'color'"},
    {"PrintInAnExpression", "a = Value(1.0)\ny = print(a)",
     "error: line 2, column 5: print(...) must be a statement of its own"},
    {"FunctionWithParameters", "def f(x):\n  return x",
     "error: line 1, column 7: functions with parameters are not supported: assign the values and paste the "
     "body"},
    {"DrawDotDefinition", "def draw_dot(root, format='svg'):\n  pass",
     "error: line 1, column 5: draw_dot is built in here: leave out the definitions of draw_dot and trace"},
    {"FunctionBodyOnTheDefLine", "def f(): a = 1.0",
     "error: line 1, column 10: put the body of f() on its own indented lines"},
    {"FunctionWithoutBody", "def f():\na = Value(1.0)",
     "error: line 2, column 1: expected an indented block after 'def f():' on line 1"},
    {"DefAfterSemicolon", "a = Value(1.0); def f():\n  pass",
     "error: line 1, column 17: 'def' must begin its line"},
    {"CallWithArguments", "def f():\n  a = Value(1.0)\nf(2)",
     "error: line 3, column 3: f() takes no arguments (functions with parameters are not supported)"},
    {"CallInAnExpression", "def f():\n  a = Value(1.0)\ny = f()",
     "error: line 3, column 5: f() returns nothing here; call it as a statement of its own"},
    {"FunctionAsAValue", "def f():\n  a = Value(1.0)\ny = f * 2",
     "error: line 3, column 5: 'f' is a function; call it as f() on its own line"},
    {"ErrorInsideAFunctionNamesItsLine", "def f():\n  a = Value(1.0)\n  b = a * q\nf()",
     "error: line 3, column 11: unknown name 'q'"},
    {"Recursion", "def f():\n  f()\nf()",
     "error: line 2, column 3: function calls nested too deeply (limit 200)"},
    {"ReturnInAFunction", "def f():\n  return\nf()",
     "error: line 2, column 3: 'return' is not supported: functions here take no arguments and return "
     "nothing"},
    {"StringArithmeticOutsidePrint", "a = Value(1.0)\na.label = 'a' + 1",
     "error: line 2, column 15: unsupported operand types for +: 'str' and 'int'"},
    {"ModuloOfNumbers", "a = 7 % 2",
     "error: line 1, column 7: '%' (remainder) is not supported; '%' formats strings in print(...)"},
    {"ListOutsidePrint", "a = [1.0, 2.0]", "error: line 1, column 5: lists are not supported"},
    {"StringAssigned", "s = 'hi'",
     "error: line 1, column 5: string literals are only allowed in print(...), labels and Value(..., "
     "label=...)"},
    {"StringPowered", "a = 2.0\nb = 'a' ** 2",
     "error: line 2, column 5: string literals are only allowed in print(...), labels and Value(..., "
     "label=...)"},
    {"DefWithoutAName", "def 1():\n  pass", "error: line 1, column 5: expected a function name after 'def'"},
    {"TabsCountAsOneColumn", "a = 1.0\n\ty =\ta *",
     "error: line 2, column 9: expected an expression after '*'"},
    {"DeepParentheses", "y = " + std::string(100000, '(') + "1" + std::string(100000, ')'),
     "error: line 1, column 205: expression nested too deeply (limit 200)"},
    {"UnclosedDeepParentheses", "y = " + std::string(100000, '('),
     "error: line 1, column 205: expression nested too deeply (limit 200)"},
    {"DeepUnaryMinus", "a = 1.0\ny = " + std::string(100000, '-') + "a",
     "error: line 2, column 205: expression nested too deeply (limit 200)"},
    {"DeepCalls",
     [] {
       std::string s = "a = 1.0\ny = ";
       for (int i = 0; i < 100000; ++i) s += "relu(";
       return s + "a";
     }(),
     "error: line 2, column 1009: expression nested too deeply (limit 200)"},
};

std::string power_chain(std::size_t n) {
  std::string s = "a = 1.0\ny = a";
  for (std::size_t i = 0; i < n; ++i) s += "**a";
  return s;
}

INSTANTIATE_TEST_SUITE_P(Cases, ExprError, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           return std::string(param.param.name);
                         });

TEST(ExprErrors, DeepPowerChain) {
  // The 201st '**' opens level 201: "y = a" then "**a" repeated, so it sits at column 6 + 3 * 200.
  EXPECT_EQ(error_of(power_chain(100000)),
            "error: line 2, column 606: expression nested too deeply (limit 200)");
}

TEST(ExprErrors, UnknownOutput) {
  EXPECT_EQ(error_of("a = 1.0\n", "q"), "error: line 2, column 1: output 'q' is not assigned by the program");
  EXPECT_EQ(error_of("a = Value(1.0)\nk = a.data\n", "k"),
            "error: line 3, column 1: output 'k' is a number, not a Value");
  EXPECT_EQ(error_of("def lol():\n  a = Value(1.0)\nlol()\n", "lol"),
            "error: line 4, column 1: output 'lol' is a function, not a Value");
  EXPECT_EQ(error_of("a = 1.0\nz = 2.0\ng = a * z\n", "a"), "");  // z is simply not used by a
}

// Calls that multiply (each level calls the one below twice) stop at the token budget, fast; so do
// long bodies called many times.
TEST(ExprErrors, FunctionCallBudget) {
  std::string source = "def f0():\n  a = Value(1.0)\n";
  for (int k = 1; k <= 30; ++k) {
    source += "def f" + std::to_string(k) + "():\n  f" + std::to_string(k - 1) + "()\n  f" +
              std::to_string(k - 1) + "()\n";
  }
  source += "f30()\n";
  std::string error = error_of(source);
  EXPECT_NE(error.find("function calls ran more than 1000000 tokens (calls repeated too often?)"),
            std::string::npos)
      << error;
  source = "x = Value(1.0)\ndef g():\n  y = x" + [] {
    std::string terms;
    for (int i = 0; i < 1000; ++i) terms += " + x";
    return terms;
  }() + "\ndef f():\n";
  for (int i = 0; i < 2000; ++i) source += "  g()\n";
  source += "f()\n";
  error = error_of(source);
  EXPECT_NE(error.find("function calls ran more than 1000000 tokens (calls repeated too often?)"),
            std::string::npos)
      << error;
}

TEST(ExprErrors, ParseErrorCarriesLineColumnAndMessage) {
  try {
    parse_program("a = 1.0\n\n   y = a * * 2\n");
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.line(), 3U);
    EXPECT_EQ(e.column(), 12U);
    EXPECT_EQ(e.message(), "expected an expression after '*'");
    EXPECT_STREQ(e.what(), "error: line 3, column 12: expected an expression after '*'");
    const std::runtime_error& base = e;
    EXPECT_STREQ(base.what(), e.what());
  }
}

// Random bytes and random token soup: every input either parses or throws ParseError; nothing else.
TEST(ExprErrors, FuzzNeverCrashes) {
  std::mt19937 rng(12345);
  const char* pieces[] = {"a",    "b",    "x",      " = ",    " += ",       "-=",        "*",
                          "/",    "**",   "+",      "-",      "(",          ")",         ",",
                          ".",    "relu", "tanh(",  "pow(",   "Value(",     "label='q'", ".exp()",
                          "1",    "2.5",  "1e3",    "0",      "\n",         ";",         "#",
                          "'",    "\"",   "print(", "f'{a}'", "backward()", "\\\n",      "\t",
                          "\xff", "nan",  "1e999",  "import", "a = 1.0\n",  "b = -2\n"};
  std::size_t parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string source;
    const std::size_t length = rng() % 40;
    if (i % 4 == 0) {
      for (std::size_t j = 0; j < length; ++j) source += static_cast<char>(rng() % 256);
    } else {
      for (std::size_t j = 0; j < length; ++j) source += pieces[rng() % std::size(pieces)];
    }
    try {
      parse_program(source);
      ++parsed;
    } catch (const ParseError& e) {
      const std::string what = e.what();
      ASSERT_EQ(what.rfind("error: line ", 0), 0U) << what;
      ASSERT_GE(e.line(), 1U);
      ASSERT_GE(e.column(), 1U);
    }
  }
  EXPECT_GT(parsed, 0U);
}

}  // namespace
}  // namespace verigrad::verify
