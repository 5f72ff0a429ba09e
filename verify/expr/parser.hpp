// The expression language: a small Python subset, so micrograd snippets paste as they are.
//
//   from micrograd.engine import Value     # import/from lines are ignored
//   a = Value(-4.0)                        # a leaf called 'a' (so is `a = -4.0`)
//   b = 2.0; w = 1e-3                      # statements split by newlines or ';'
//   c = a * b + b**3 + (a - w).relu()      # + - * / ** unary -/+, ( ), .relu() .tanh() ... methods
//   c += c + 1                             # rebinds c to a new node, as micrograd does
//   g = pow(c, 2) / tanh(b)                # relu tanh exp log sigmoid abs (1 arg), pow (2 args)
//   print(f'{g.data:.4f}')                 # print(...) statements are skipped
//   g.backward()                           # recorded in Program::backward_calls, not run
//
// Rules where Python alone does not decide:
//  * Precedence and associativity are Python's: `-x**2` is -(x**2), `2**3**2` is 512, `2**-1` is 0.5.
//  * Constant-only subexpressions (numbers joined by + - * / ** unary -/+ and parentheses) are folded
//    to one double, in double arithmetic, as Python computes them before micrograd ever sees them:
//    `a * (1 + 2)` is a*3 with a single constant leaf 3. Folding that divides by zero, raises 0 to a
//    negative power, a negative number to a fractional one, or overflows is an error.
//  * A number used in an expression with Values becomes an unnamed constant leaf, operands in written
//    order (`1 + c` is Add(1, c)). `x ** k` with a constant exponent k is PowConst (Value::pow(double));
//    a Value exponent gives Op::Pow; `2 ** x` is Pow(2, x). `-x` is Op::Neg, `+x` is x itself.
//    Functions and methods on a constant apply to a constant leaf: `relu(2)` is Relu(Value(2)).
//  * `name = <constant expression>` and `name = Value(<constant>)` (optionally `label='s'`, which sets
//    the Value's label; the leaf is still reported under `name`) define a leaf. Leaves are the named
//    inputs; every one must be used by the output.
//  * A leaf is defined once: any later `a = ...` or `a += ...` on a leaf's name is an error, and a
//    leaf cannot take a name that is already bound. (micrograd would silently rebind the name and the
//    leaf's gradient could no longer be reported under it.) Other names may be rebound freely.
//  * Nodes bound by an assignment get the name as their label when they have none (for pictures).
//  * The output is the last name assigned, or the caller's choice.
//  * No implicit line joining inside parentheses; `\` at the end of a line continues it. Leading
//    indentation is ignored. Only ASCII outside comments and strings; strings only in print(...) and
//    in Value(..., label='...'). Columns count bytes from 1.
//  * Nesting (parentheses, call arguments, unary signs, right operands of **) is limited to
//    kMaxNesting levels, so hostile input gives an error instead of a stack overflow.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/value.hpp"

namespace verigrad::verify {

inline constexpr std::size_t kMaxNesting = 200;

// what() is the full "error: line L, column C: message"; line and column are 1-based.
class ParseError : public std::runtime_error {
 public:
  ParseError(std::size_t line, std::size_t column, const std::string& message);
  std::size_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::size_t line_;
  std::size_t column_;
  std::string message_;
};

struct Program {
  std::vector<std::pair<std::string, Value>> leaves;       // the named inputs, in order of definition
  std::string output;                                      // the name whose value is the result
  Value root;                                              // names.at(output)
  std::map<std::string, Value> names;                      // the final binding of every name
  std::vector<std::pair<std::string, Value>> named_nodes;  // every assignment, in program order
  std::vector<std::string> backward_calls;                 // `x.backward()` statements, not run
};

// Parses source into a graph. output: the name to treat as the result (default: the last assigned).
// Throws ParseError on any problem; never crashes or recurses without bound.
Program parse_program(std::string_view source, std::optional<std::string> output = {});

}  // namespace verigrad::verify
