// The expression language: the Python micrograd's users write, run with micrograd's semantics, so that
// lecture cells and README snippets paste as they are.
//
//   from micrograd.engine import Value        # import/from lines (and %magic lines) are skipped
//   a = Value(2.0, label='a')                 # a leaf; also Value(data=2.0), or just `a = 2.0`
//   b = Value(-3.0, label='b'); h = 0.001     # statements split by newlines or ';'
//   e = a * b; e.label = 'e'                  # + - * / ** unary -/+, ( ), .relu() .tanh() .exp() ...
//   L = (e + 10.0).tanh(); L.label = 'L'      # relu tanh exp log sigmoid abs (1 arg), pow (2 args)
//   L1 = L.data                               # .data and .grad read as plain numbers
//   print(f'{L.data:.4f}', L.grad)            # print(...) writes what Python would, into Program::printed
//   L.grad = 1.0; L._backward()               # manual backprop, micrograd's semantics (Program::manual)
//   L.backward()                              # micrograd's backward(): a.grad and b.grad are then set
//   draw_dot(L)                               # the graph to draw when --svg/--dot is given
//   def lol():                                # functions without parameters, called as statements
//     ...
//   lol()
//
// What Python alone decides is done as Python does:
//  * Precedence and associativity: `-x**2` is -(x**2), `2**3**2` is 512, `2**-1` is 0.5.
//  * Numbers are Python numbers: arithmetic on them (literals, `h`, `L.data`, `(L2 - L1) / h`) is
//    Python's, in doubles, errors included (`1 / 0`); print() writes floats as repr does ('0.1',
//    '1e-05', '100000.0') and ints as ints. Integers beyond 2**53 are approximate (doubles).
//  * Names are Python names: any name may be rebound (`a = Value(2.0 + h, label='a')` makes a second
//    leaf, and a second graph); `a += 1` rebinds a to a new node, as micrograd's Value (no __iadd__).
//    Inside a function, names are local (reads fall back to the top level).
//  * `x.data = ...`, `x.grad = ...` (and += -= *= /=) and `x.label = '...'` set the node's fields;
//    `x._backward()` and `x.backward()` run micrograd's rules from the op table (verify/expr/micrograd.hpp).
//    A grad read before any backward is 0.0.
//  * A number used with Values becomes an unnamed constant leaf, operands in written order (`1 + c` is
//    Add(1, c)). `x ** k` with a number k is PowConst (Value::pow(double)); `2 ** x` is Pow(2, x).
//    `-x` is Op::Neg, `+x` is x. Functions and methods on a number apply to a constant leaf:
//    `relu(2)` is Relu(Value(2)). Our ops are single nodes (micrograd builds a - b as a + (b * -1)).
//
// Where Python does not decide, or the engine needs more:
//  * Named numbers are leaves. `x = 3.0` (a constant expression of literals) binds a Python number
//    that is also a leaf called x: arithmetic on it builds graph nodes (`y = x * x` has dy/dx = 6) while
//    print() and Value(...) see the number. Such a leaf is reported when the output depends on it, when
//    a Value was computed from it, or when it is never read; one used only as a number (`h` in
//    Value(2.0 + h)) is just a number, as in Python.
//  * The output is the last name bound to a Value (anywhere, function bodies included); if no name
//    is bound to a Value, the last name bound to a named number or to arithmetic on them; or the
//    caller's choice (the name's final top-level binding, else its last binding).
//  * Leaves are every name bound to Value(...) or to a reported named number. Those the output does
//    not depend on are Program::unused_leaves (their gradient is 0; PyTorch's is None).
//  * Reports name a node by the name that first bound it. When one name first bound several nodes
//    (a rebound leaf), the latest keeps the plain name and the others read "a (line 3)" ("line 3,
//    column 9" if two share a line). Labels are only for pictures.
//  * Setting x.data is allowed until the output depends on a node computed from x before the change:
//    that node's data would be stale (micrograd does not recompute it), so it is an error naming the
//    change; rebuild the expressions after changing data, as the lecture's update step does. Setting
//    the data of a computed node the output depends on is an error too.
//  * Loops, conditionals, classes, functions with parameters, `return`, lists and dicts are not part
//    of the language: errors say what to write instead. A print(...) whose arguments use them is not
//    an error: Program::printed gets a note in its place, and the program goes on.
//  * Layout: statements end at a newline or ';'; inside ( ) [ ] { } lines join, as in Python; `\`
//    continues a line. Indentation matters only for `def` bodies. Only ASCII outside comments and
//    strings; strings only in print(...), labels and Value(..., label='...'). Columns count bytes
//    from 1.
//  * Nesting (parentheses, call arguments, unary signs, right operands of **, f-string fields and
//    function calls) is limited to kMaxNesting levels, and function bodies to kMaxCallTokens
//    tokens executed, so hostile input gives an error instead of a stack overflow or a hang.
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
inline constexpr std::size_t kMaxCallTokens = 1000000;

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
  std::vector<std::pair<std::string, Value>> leaves;  // leaves the output depends on, in definition order
  std::vector<std::pair<std::string, Value>> unused_leaves;  // reported leaves it does not depend on
  std::string output;                                        // the name whose value is the result
  Value root;                                                // the node the output name was bound to
  std::map<std::string, Value> names;  // the final top-level binding of every name bound to a node
  std::vector<std::pair<std::string, Value>> named_nodes;  // every assignment of a node, in execution order
  std::vector<std::pair<std::string, Value>> node_names;   // every bound node once, under its report name
  std::vector<std::string> backward_calls;                 // `x.backward()` statements run, in order
  bool manual = false;         // the program set a grad (`x.grad = ...`) or called `x._backward()`
  std::string printed;         // what the program's print(...) calls wrote
  std::optional<Value> drawn;  // the argument of the last draw_dot(...)
};

// Runs source, building the graph. output: the name to treat as the result (default: see above).
// Throws ParseError on any problem; never crashes, hangs or recurses without bound.
Program parse_program(std::string_view source, const std::optional<std::string>& output = {});

}  // namespace verigrad::verify
