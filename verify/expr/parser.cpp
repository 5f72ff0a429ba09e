// The expression language's interpreter: a recursive-descent parser that runs each statement as it
// reads it, building the graph. The grammar is Python's:
//
//   program    := (statement? (';' | NEWLINE))*
//   statement  := NAME ('=' | '+=' | '-=' | '*=' | '/=') expr
//              |  NAME '.' NAME ('=' | '+=' | '-=' | '*=' | '/=') expr     # x.data, x.grad, x.label
//              |  NAME '.' ('backward' | '_backward') '(' ')'
//              |  'print' '(' args ')'  |  'draw_dot' '(' expr ')'  |  NAME '(' ')'   # a def'd function
//              |  'def' NAME '(' ')' ':' NEWLINE indented-block
//              |  ('import' | 'from') ...  |  ('%' | '!') ...  |  'pass'  |  expr
//   expr       := term (('+' | '-') term)*
//   term       := factor (('*' | '/' | '%') factor)*           # '%' formats strings, in print only
//   factor     := ('-' | '+') factor | power
//   power      := postfix ['**' factor]
//   postfix    := primary ('.' NAME ['(' ')'])*
//   primary    := NUMBER | STRING | NAME | NAME '(' args ')' | '(' expr ')'
//
// Binary operators loop; only parentheses, call arguments, unary signs, the right operand of `**`,
// f-string fields and function calls recurse, and each of those counts against kMaxNesting.
#include "verify/expr/parser.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "engine/graph.hpp"
#include "engine/ops.hpp"
#include "verify/expr/lexer.hpp"
#include "verify/expr/micrograd.hpp"
#include "verify/expr/pyformat.hpp"

namespace verigrad::verify {

namespace {

std::string where(std::size_t line, std::size_t column) {
  return "error: line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
}

}  // namespace

ParseError::ParseError(std::size_t line, std::size_t column, const std::string& message)
    : std::runtime_error(where(line, column) + message), line_(line), column_(column), message_(message) {}

namespace {

using detail::Kind;
using detail::Lexer;
using detail::Position;
using detail::Span;
using detail::Token;

// ---- error messages ------------------------------------------------------------------------------

// Pieces of an error message, assembled by fail() below.
struct Q {  // 's', quoted
  std::string_view s;
};
struct Found {  // how the message names an unexpected token
  const Token& t;
};
struct At {  // "line L, column C"
  std::size_t line;
  std::size_t column;
};
At at(const Token& t) { return At{t.line, t.column}; }
At at(const Position& p) { return At{p.line, p.column}; }
Position position(const Token& t) { return Position{t.line, t.column}; }

void append(std::string& m, std::string_view s) { m += s; }
void append(std::string& m, Q q) {
  m += "'";
  m += q.s;
  m += "'";
}
void append(std::string& m, Found f) { m += detail::describe(f.t); }
void append(std::string& m, At a) {
  m += "line " + std::to_string(a.line) + ", column " + std::to_string(a.column);
}
void append(std::string& m, std::size_t n) { m += std::to_string(n); }

// Builds the message out of line, so that the recursive parsing functions keep small stack frames
// (message temporaries in them would cost stack on every nesting level).
template <typename... Parts>
[[noreturn]] [[gnu::noinline]] [[gnu::cold]] void fail_at(Position p, const Parts&... parts) {
  std::string message;
  (append(message, parts), ...);
  throw ParseError(p.line, p.column, message);
}
template <typename... Parts>
[[noreturn]] void fail(const Token& t, const Parts&... parts) {
  fail_at(position(t), parts...);
}

// ---- values --------------------------------------------------------------------------------------

// Python's type of an expression's result.
enum class Type { Number, Value, String };

struct Operand {
  Type type = Type::Number;
  double number = 0.0;        // Type::Number: Python's number
  bool is_int = false;        // a Python int (it prints without '.0')
  bool literal = false;       // a number written with literals only (`name = literal` makes a leaf)
  std::optional<Value> node;  // Type::Value; also a number computed from named numbers (x * x)
  bool fresh_leaf = false;    // made by Value(...) and not yet used
  std::string text;           // Type::String
};

Operand of_number(double x, bool is_int = false) {
  Operand o;
  o.number = x;
  o.is_int = is_int;
  return o;
}
Operand of_value(Value v) {
  Operand o;
  o.type = Type::Value;
  o.node = std::move(v);
  return o;
}
Operand of_string(std::string s) {
  Operand o;
  o.type = Type::String;
  o.text = std::move(s);
  return o;
}

const char* type_name(const Operand& x) {
  switch (x.type) {
    case Type::Number: return x.is_int ? "int" : "float";
    case Type::Value: return "Value";
    case Type::String: return "str";
  }
  return "?";
}

// A number used with Values becomes an unnamed constant leaf.
Value to_node(const Operand& x) { return x.node ? *x.node : Value(x.number); }

// micrograd's repr, with Python's float repr inside.
std::string value_repr(const Value& v) {
  return "Value(data=" + py_repr(v.data()) + ", grad=" + py_repr(v.grad()) + ")";
}

PyObject py_object(const Operand& x) {
  switch (x.type) {
    case Type::Number: return x.is_int ? PyObject::of_int(x.number) : PyObject::of_float(x.number);
    case Type::String: return PyObject::of_string(x.text);
    case Type::Value: return PyObject::of_string(value_repr(*x.node));
  }
  return {};
}

std::string str_of(const Operand& x) { return py_str(py_object(x)); }

struct Function {
  std::string_view name;
  Op op;
};
constexpr Function kUnary[] = {{"relu", Op::Relu}, {"tanh", Op::Tanh},       {"exp", Op::Exp},
                               {"log", Op::Log},   {"sigmoid", Op::Sigmoid}, {"abs", Op::Abs}};

const Function* find_unary(std::string_view name) {
  for (const Function& f : kUnary) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool is_builtin(std::string_view name) {
  return find_unary(name) != nullptr || name == "pow" || name == "Value" || name == "print" ||
         name == "draw_dot";
}

bool is_assign_op(const Token& t) {
  return t.is("=") || t.is("+=") || t.is("-=") || t.is("*=") || t.is("/=");
}

const char* kStringsOnlyThere =
    "string literals are only allowed in print(...), labels and Value(..., label=...)";

double checked_constant(const Token& op, double r) {
  if (std::isnan(r)) fail(op, "constant expression is not a real number");
  if (std::isinf(r)) fail(op, "constant expression overflows to infinity");
  return r;
}

// a <op> b on Python floats, for `x.data += ...` and number arithmetic; c is '+', '-', '*' or '/'.
double arithmetic(char c, double a, double b) {
  return c == '+' ? a + b : c == '-' ? a - b : c == '*' ? a * b : a / b;
}

Op binary_op(char c) { return c == '+' ? Op::Add : c == '-' ? Op::Sub : c == '*' ? Op::Mul : Op::Div; }

// The text of a plain string literal's token, escapes applied (an f-string's pieces use this too).
std::string unescape(std::string_view body, bool raw) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (!raw && body[i] == '\\' && i + 1 < body.size()) {
      const char e = body[++i];
      if (e == 'n') {
        out += '\n';
      } else if (e == 't') {
        out += '\t';
      } else if (e == '\\' || e == '\'' || e == '"') {
        out += e;
      } else {  // not an escape Python knows here: kept as written
        out += '\\';
        out += e;
      }
    } else {
      out += body[i];
    }
  }
  return out;
}

struct StringParts {
  std::string_view prefix;  // lower or upper case, as written
  std::string_view body;    // between the quotes
  std::size_t body_offset;  // of body within the token text
  bool raw() const { return prefix.find_first_of("rR") != std::string_view::npos; }
  bool formatted() const { return prefix.find_first_of("fF") != std::string_view::npos; }
  bool bytes() const { return prefix.find_first_of("bB") != std::string_view::npos; }
};

StringParts parts_of(const Token& s) {
  const std::size_t quote = s.text.find_first_of("'\"");
  return {s.text.substr(0, quote), s.text.substr(quote + 1, s.text.size() - quote - 2), quote + 1};
}

// ---- program state -------------------------------------------------------------------------------

struct FunctionDef {
  Span body;
  Position at;
};

struct Binding {
  Operand value;  // a Number or a Value (never a string)
  std::optional<FunctionDef> function;
  bool number_leaf = false;  // `x = 3.0`: reads see the leaf's current data
};
using Scope = std::unordered_map<std::string, Binding>;

struct NodeInfo {
  std::size_t seq;  // creation order (shared with data changes)
  Position at;
};

struct DataChange {
  std::size_t seq;
  Position at;
  std::string what;  // "a.data"
};

struct LeafDef {
  std::string name;
  Value node;
  bool number;  // a named number (`x = 3.0`), not Value(...)
  bool read = false;
};

struct Bound {
  std::string name;
  Value node;
  Position at;
  Type type;
};

// Everything statements share, across function calls and f-string fields.
struct State {
  std::string_view source;
  Program program;
  Scope globals;
  std::vector<Scope> frames;  // function calls in progress; names are looked up in the last, then globals
  std::vector<Value> made;    // every node built: kept alive, so that node ids stay unique
  std::unordered_map<const void*, NodeInfo> nodes;
  std::unordered_map<const void*, DataChange> data_changes;  // the latest `x.data = ...` of each node
  std::vector<LeafDef> leaf_defs;
  std::unordered_map<const void*, std::size_t> leaf_index;  // node id -> leaf_defs index
  std::vector<Bound> bound;                                 // every assignment of a node, in order
  std::vector<std::string> uncalled;                        // functions defined and not called yet
  std::size_t seq = 0;
  std::size_t depth = 0;            // open nesting levels (kMaxNesting)
  std::size_t call_statements = 0;  // statements run inside function bodies (kMaxCallStatements)
};

// RAII count of open nesting levels; the level that would exceed the limit is the error.
class Nest {
 public:
  Nest(std::size_t& depth, const Token& at, const char* what = "expression") : depth_(depth) {
    if (depth_ >= kMaxNesting) fail(at, what, " nested too deeply (limit ", kMaxNesting, ")");
    ++depth_;
  }
  ~Nest() { --depth_; }
  Nest(const Nest&) = delete;
  Nest& operator=(const Nest&) = delete;

 private:
  std::size_t& depth_;
};

// ---- the interpreter -----------------------------------------------------------------------------

class Parser {
 public:
  Parser(State& state, Lexer lexer, std::size_t strings = 0) : s_(state), lexer_(lexer), strings_(strings) {}

  // Runs statements to the end of the text.
  void run() {
    for (;;) {
      const Token& t = peek();
      if (t.kind == Kind::End) return;
      if (t.kind == Kind::Newline) {
        take();
        continue;
      }
      if (t.is(";")) fail(t, "expected a statement before ';'");
      if (!s_.frames.empty() && ++s_.call_statements > kMaxCallStatements) {
        fail(t, "function calls ran more than ", kMaxCallStatements, " statements");
      }
      statement();
      if (block_ended_) {
        block_ended_ = false;  // a def's body ended with its last line; the next line starts afresh
      } else {
        end_of_statement();
      }
    }
  }

  // The whole text is one expression (an f-string field).
  Operand field() {
    Operand x = expression();
    if (peek().kind != Kind::End)
      fail(peek(), "expected the end of the f-string field, found ", Found{peek()});
    return x;
  }

  const Token& end_token() { return peek(); }

 private:
  struct Arg {
    Token at;  // first token of the argument (its keyword, if any)
    std::optional<std::string_view> keyword;
    std::optional<Token> string;  // a string literal argument
    Operand value;                // otherwise, the expression
  };

  const Token& peek(std::size_t k = 0) {
    while (ahead_.size() <= k) ahead_.push_back(lexer_.next());
    return ahead_[k];
  }
  Token take() {
    peek();
    last_ = ahead_.front();
    ahead_.pop_front();
    ++taken_;
    return last_;
  }

  Scope& scope() { return s_.frames.empty() ? s_.globals : s_.frames.back(); }

  Binding* lookup(const std::string& name) {
    if (!s_.frames.empty()) {
      const auto it = s_.frames.back().find(name);
      if (it != s_.frames.back().end()) return &it->second;
    }
    const auto it = s_.globals.find(name);
    return it == s_.globals.end() ? nullptr : &it->second;
  }

  // A node built by the program: kept alive and stamped with its creation order and place.
  Value make(Value v, const Token& at) {
    s_.nodes[v.id()] = NodeInfo{++s_.seq, position(at)};
    s_.made.push_back(v);
    return v;
  }

  // ---- statements --------------------------------------------------------------------------------

  void end_of_statement() {
    const Token& end = peek();
    if (end.is(";") || end.kind == Kind::Newline) {
      take();
    } else if (end.kind != Kind::End) {
      if (end.is(")")) fail(end, "unmatched ')'");
      if (end.is(",")) fail(end, "tuples are not supported; write one assignment per statement");
      if (end.is("=")) fail(end, "chained assignment and assignment to an expression are not supported");
      fail(end, "expected end of statement, found ", Found{end});
    }
  }

  void statement() {
    const Token& t = peek();
    if (t.is("%") || t.is("!")) return skip_statement();  // IPython magics: %matplotlib inline, !pip ...
    if (t.kind != Kind::Name && t.kind != Kind::Number && !t.is("(") && !t.is("-") && !t.is("+")) {
      fail(t, "expected a statement, found ", Found{t});
    }
    if (t.kind == Kind::Name) {
      if (t.text == "import" || t.text == "from")
        return skip_statement();  // from micrograd.engine import Value
      if (t.text == "def") return define();
      if (t.text == "pass") {
        take();
        return;
      }
      if (detail::is_keyword(t.text)) keyword_error(t);
      const Token& next = peek(1);
      if (is_assign_op(next)) return assignment();
      if (next.is(".") && peek(2).kind == Kind::Name) {
        if (is_assign_op(peek(3))) return attribute_assignment();
        if ((peek(2).text == "backward" || peek(2).text == "_backward") && peek(3).is("(")) return backward();
      }
      if (next.is("(")) {
        if (t.text == "print") return print_statement();
        if (t.text == "draw_dot") return draw_statement();
        const Binding* b = lookup(std::string(t.text));
        if (b != nullptr && b->function) return call_statement();
      }
    }
    expression();  // an expression statement (a notebook cell's last line): evaluated, ignored
  }

  void skip_statement() {
    while (!peek().ends_statement()) take();
  }

  [[noreturn]] static void keyword_error(const Token& t) {
    const std::string_view k = t.text;
    if (k == "for" || k == "while") {
      fail(t,
           "loops are not supported: write the steps out, one statement each (to train the lecture's MLP, "
           "use 'verigrad train --dataset toy')");
    }
    if (k == "if" || k == "elif" || k == "else")
      fail(t, "conditionals are not supported: keep the branch you want");
    if (k == "class")
      fail(t, "class definitions are not supported: Value is built in; paste the code that uses it");
    if (k == "return")
      fail(t, "'return' is not supported: functions here take no arguments and return nothing");
    fail(t, "unsupported keyword ", Q{k});
  }

  // def NAME(): and an indented block, run when NAME() is called.
  void define() {
    const Token def = take();
    const std::size_t line_start = lexer_.offset_of(def) - (def.column - 1);
    for (std::size_t i = line_start; i < lexer_.offset_of(def); ++i) {
      if (s_.source[i] != ' ' && s_.source[i] != '\t') fail(def, "'def' must begin its line");
    }
    const Token name = peek();
    if (name.kind != Kind::Name || detail::is_keyword(name.text))
      fail(name, "expected a function name after 'def'");
    take();
    if (!peek().is("(")) fail(peek(), "expected '(' after ", Q{name.text});
    take();
    if (!peek().is(")")) {
      if (name.text == "draw_dot" || name.text == "trace") {
        fail(name, "draw_dot is built in here: leave out the definitions of draw_dot and trace");
      }
      fail(peek(), "functions with parameters are not supported: assign the values and paste the body");
    }
    take();
    if (!peek().is(":")) fail(peek(), "expected ':' after 'def ", name.text, "()'");
    take();
    if (peek().kind != Kind::Newline)
      fail(peek(), "put the body of ", name.text, "() on its own indented lines");
    take();  // nothing was read beyond this NEWLINE, so the lexer stands at the body's first line
    const Span body = lexer_.skip_block(def.column - 1);
    if (body.begin == body.end) {
      fail_at(Position{body.line, 1}, "expected an indented block after 'def ", name.text, "():' on line ",
              def.line);
    }
    block_ended_ = true;
    Binding b;
    b.function = FunctionDef{body, position(def)};
    scope()[std::string(name.text)] = b;
    s_.uncalled.emplace_back(name.text);
  }

  // NAME(): runs the body with its own local names.
  void call_statement() {
    const Token name = take();
    take();  // '('
    if (!peek().is(")"))
      fail(peek(), name.text, "() takes no arguments (functions with parameters are not supported)");
    take();
    const FunctionDef def = *lookup(std::string(name.text))->function;
    s_.uncalled.erase(std::remove(s_.uncalled.begin(), s_.uncalled.end(), name.text), s_.uncalled.end());
    Nest nest(s_.depth, name, "function calls");
    struct Frame {
      explicit Frame(std::vector<Scope>& f) : frames(f) { frames.emplace_back(); }
      ~Frame() { frames.pop_back(); }
      Frame(const Frame&) = delete;
      Frame& operator=(const Frame&) = delete;
      std::vector<Scope>& frames;
    } frame(s_.frames);
    Parser body(s_, Lexer(s_.source, def.body));
    body.run();
  }

  void assignment() {
    const Token name = take();
    const Token op = take();
    const std::string key(name.text);
    if (op.is("=")) {
      Operand rhs = expression();
      if (rhs.type == Type::String)
        fail(op, "a string cannot be assigned to a name here (only printed or used as a label)");
      bind_new(name, std::move(rhs));
      return;
    }
    Binding* b = lookup(key);
    if (b == nullptr) fail(name, "unknown name ", Q{key});
    const Operand left = read(name, *b);
    const Operand right = expression();
    bind(name, binary(op, left, right), false);  // a += b is a = a + b: micrograd's Value has no __iadd__
  }

  // `name = rhs`: a named number or Value(...) also defines a leaf.
  void bind_new(const Token& name, Operand rhs) {
    const std::string key(name.text);
    bool number_leaf = false;
    if (rhs.type == Type::Number && rhs.literal && !rhs.node) {
      rhs.node = make(Value(rhs.number, key), name);
      number_leaf = true;
    } else if (rhs.fresh_leaf) {
      if (rhs.node->label().empty()) rhs.node->set_label(key);
    }
    if (number_leaf || rhs.fresh_leaf) {
      s_.leaf_index[rhs.node->id()] = s_.leaf_defs.size();
      s_.leaf_defs.push_back(LeafDef{key, *rhs.node, number_leaf});
    }
    bind(name, std::move(rhs), number_leaf);
  }

  void bind(const Token& name, Operand v, bool number_leaf) {
    std::string key(name.text);
    v.fresh_leaf = false;
    v.literal = false;
    if (v.node) {
      if (!v.node->is_leaf() && v.node->label().empty()) v.node->set_label(key);
      s_.bound.push_back(Bound{key, *v.node, position(name), v.type});
    }
    Binding b;
    b.value = std::move(v);
    b.number_leaf = number_leaf;
    scope()[std::move(key)] = std::move(b);
  }

  // A name's value in an expression.
  Operand read(const Token& name, const Binding& b) {
    if (b.function) fail(name, Q{name.text}, " is a function; call it as ", name.text, "() on its own line");
    Operand x = b.value;
    if (b.number_leaf) {
      x.number = x.node->data();
      s_.leaf_defs[s_.leaf_index.at(x.node->id())].read = true;
    }
    return x;
  }

  // The node behind `name` in `name.attribute`.
  Value node_of(const Token& name, const Token& attribute) {
    Binding* b = lookup(std::string(name.text));
    if (b == nullptr) fail(name, "unknown name ", Q{name.text});
    const Operand x = read(name, *b);
    if (!x.node) fail(name, Q{name.text}, " is a number, not a Value: it has no .", attribute.text);
    return *x.node;
  }

  // x.label = '...', x.data = ..., x.grad = ... (and +=, -=, *=, /= for data and grad).
  void attribute_assignment() {
    const Token name = take();
    take();  // '.'
    const Token attribute = take();
    const Token op = take();
    Value node = node_of(name, attribute);
    if (attribute.text == "label") {
      if (!op.is("=")) fail(op, "a label is set with '='");
      ++strings_;
      const Operand rhs = expression();
      --strings_;
      if (rhs.type != Type::String) fail(op, "label must be a string");
      node.set_label(rhs.text);
      return;
    }
    if (attribute.text != "data" && attribute.text != "grad") {
      fail(attribute, "a Value has data, grad and label; ", Q{attribute.text}, " cannot be set here");
    }
    const Operand rhs = expression();
    if (rhs.type != Type::Number) {
      fail(op, name.text, ".", attribute.text, " needs a number, and the right side is a ", type_name(rhs),
           rhs.type == Type::Value ? " (use its .data)" : "");
    }
    const bool data = attribute.text == "data";
    double& field = data ? node.data() : node.grad();
    if (op.is("/=") && rhs.number == 0.0) fail(op, "division by zero");
    field = op.is("=") ? rhs.number : arithmetic(op.text[0], field, rhs.number);
    if (data) {
      s_.data_changes[node.id()] = DataChange{++s_.seq, position(name), std::string(name.text) + ".data"};
    } else {
      s_.program.manual = true;
    }
  }

  // x.backward() (micrograd's: x.grad = 1, then every node's _backward()) or x._backward().
  void backward() {
    const Token name = take();
    take();  // '.'
    const Token method = take();
    const Value node = node_of(name, method);
    take();  // '('
    if (!peek().is(")")) fail(peek(), method.text, "() takes no arguments");
    take();
    if (method.text == "backward") {
      micrograd_backward(node);
      s_.program.backward_calls.emplace_back(name.text);
    } else {
      backward_step(node);
      s_.program.manual = true;
    }
  }

  // draw_dot(x): the graph --svg/--dot draw (micrograd's format= and rankdir= are accepted).
  void draw_statement() {
    const Token name = take();
    const Token open = take();
    const std::vector<Arg> args = arguments(open, name.text);
    std::size_t positional = 0;
    for (const Arg& a : args) {
      if (!a.keyword) ++positional;
      if (a.keyword && *a.keyword != "format" && *a.keyword != "rankdir") {
        fail(a.at, "draw_dot() got an unexpected keyword argument ", Q{*a.keyword});
      }
    }
    if (positional != 1 || args[0].keyword) fail(name, "draw_dot() takes 1 argument, got ", positional);
    if (args[0].string || !args[0].value.node) fail(args[0].at, "draw_dot() takes a Value");
    s_.program.drawn = *args[0].value.node;
  }

  // print(...): what Python would write goes to Program::printed. If an argument is outside the
  // language (a list, an unknown function), a note takes the line's place and the program goes on:
  // a print never changes a gradient.
  void print_statement() {
    take();
    const Token open = take();
    std::size_t k = 0;
    for (std::size_t depth = 1;; ++k) {
      const Token& t = peek(k);
      if (t.kind == Kind::End) fail(t, "expected ')' to close the '(' at ", at(open), ", found ", Found{t});
      if (t.is("(") || t.is("[") || t.is("{")) ++depth;
      if ((t.is(")") || t.is("]") || t.is("}")) && --depth == 0) break;
    }
    const std::size_t end = taken_ + k + 1;
    const std::size_t strings = strings_;
    try {
      s_.program.printed += print_arguments();
    } catch (const ParseError& e) {
      strings_ = strings;
      while (taken_ < end) take();
      s_.program.printed += "[verigrad: print(...) on line " + std::to_string(open.line) + " skipped: line " +
                            std::to_string(e.line()) + ", column " + std::to_string(e.column()) + ": " +
                            e.message() + "]\n";
    }
  }

  std::string print_arguments() {
    ++strings_;
    std::vector<std::string> parts;
    std::string sep = " ", end = "\n";
    if (!peek().is(")")) {
      for (;;) {
        if (peek().kind == Kind::Name && peek(1).is("=")) {
          const Token keyword = take();
          take();
          if (keyword.text == "flush" && (peek().is_name("True") || peek().is_name("False"))) {
            take();
          } else if (keyword.text == "sep" || keyword.text == "end") {
            const Operand v = expression();
            if (v.type != Type::String) fail(keyword, keyword.text, " must be a string");
            (keyword.text == "sep" ? sep : end) = v.text;
          } else {
            fail(keyword, "print() got an unexpected keyword argument ", Q{keyword.text});
          }
        } else {
          parts.push_back(str_of(expression()));
        }
        if (peek().is(",")) {
          take();
          if (peek().is(")")) break;
          continue;
        }
        if (peek().is(")")) break;
        fail(peek(), "expected ',' or ')' after an argument of print(), found ", Found{peek()});
      }
    }
    take();
    --strings_;
    std::string line;
    for (std::size_t i = 0; i < parts.size(); ++i) line += (i > 0 ? sep : "") + parts[i];
    return line + end;
  }

  // ---- expressions -------------------------------------------------------------------------------

  Operand expression() {
    Operand left = term();
    while (peek().is("+") || peek().is("-")) {
      const Token op = take();
      Operand right = term();
      left = binary(op, left, right);
    }
    return left;
  }

  Operand term() {
    Operand left = factor();
    while (peek().is("*") || peek().is("/") || peek().is("%")) {
      const Token op = take();
      if (op.is("%")) {
        left = percent(op, left);
        continue;
      }
      Operand right = factor();
      left = binary(op, left, right);
    }
    return left;
  }

  // 'format' % value or 'format' % (a, b, ...).
  Operand percent(const Token& op, const Operand& format) {
    if (format.type != Type::String) {
      fail(op, "'%' (remainder) is not supported; '%' formats strings in print(...)");
    }
    std::vector<PyObject> args;
    if (peek().is("(")) {
      const Token open = take();
      Nest nest(s_.depth, open);
      while (!peek().is(")")) {
        args.push_back(py_object(expression()));
        if (peek().is(",")) {
          take();
        } else if (!peek().is(")")) {
          fail(peek(), "expected ',' or ')' to close the '(' at ", at(open), ", found ", Found{peek()});
        }
      }
      take();
    } else {
      args.push_back(py_object(factor()));
    }
    try {
      return of_string(py_percent(format.text, args));
    } catch (const PyFormatError& e) {
      fail(op, e.what());
    }
  }

  Operand factor() {
    if (peek().is("-") || peek().is("+")) {
      const Token op = take();
      Nest nest(s_.depth, op);
      Operand x = factor();
      if (x.type == Type::String) fail(op, "bad operand type for unary ", op.text, ": 'str'");
      if (op.is("+")) return x;
      if (x.type == Type::Value) return of_value(make(-*x.node, op));
      x.number = -x.number;
      if (x.node) x.node = make(-*x.node, op);
      x.fresh_leaf = false;
      return x;
    }
    return power();
  }

  Operand power() {
    Operand base = postfix();
    if (!peek().is("**")) return base;
    const Token op = take();
    Nest nest(s_.depth, op);
    Operand exponent = factor();
    return raise(op, base, exponent);
  }

  Operand postfix() {
    Operand x = primary();
    while (peek().is(".")) {
      take();
      const Token name = peek();
      if (name.kind != Kind::Name) fail(name, "expected an attribute or method name after '.'");
      take();
      if (!peek().is("(")) {
        x = attribute(x, name);
        continue;
      }
      if (name.text == "backward" || name.text == "_backward") {
        fail(name, name.text, "() must be a statement of its own");
      }
      const Function* f = find_unary(name.text);
      if (f == nullptr) fail(name, "unknown method ", Q{name.text});
      const Token open = take();
      const std::vector<Arg> args = arguments(open, name.text);
      if (!args.empty()) fail(name, "method ", name.text, "() takes no arguments, got ", args.size());
      if (x.type == Type::String) fail(name, "a string has no method ", Q{name.text});
      x = of_value(make(Value::unary(f->op, to_node(x)), name));
    }
    return x;
  }

  // x.data, x.grad (numbers, read now) and x.label (a string).
  static Operand attribute(const Operand& x, const Token& name) {
    if (x.type == Type::String) fail(name, "a string has no attribute ", Q{name.text});
    if (!x.node)
      fail(name, "a number has no attribute ", Q{name.text}, " (Values have data, grad and label)");
    if (name.text == "data") return of_number(x.node->data());
    if (name.text == "grad") return of_number(x.node->grad());
    if (name.text == "label") return of_string(x.node->label());
    if (find_unary(name.text) != nullptr)
      fail(name, Q{name.text}, " is a method; call it as .", name.text, "()");
    fail(name, "unknown attribute ", Q{name.text}, " (a Value has data, grad and label)");
  }

  Operand primary() {
    const Token t = peek();
    switch (t.kind) {
      case Kind::Number: {
        take();
        Operand o = of_number(number(t), t.text.find_first_of(".eE") == std::string_view::npos);
        o.literal = true;
        return o;
      }
      case Kind::String:
        if (strings_ == 0) fail(t, kStringsOnlyThere);
        take();
        return string_literal(t);
      case Kind::Name: {
        if (detail::is_keyword(t.text)) fail(t, "unsupported keyword ", Q{t.text});
        if (peek(1).is("(")) return call();
        take();
        if (const Binding* b = lookup(std::string(t.text))) return read(t, *b);
        if (t.text == "nan" || t.text == "inf" || t.text == "NaN" || t.text == "Infinity") {
          fail(t, Q{t.text}, " is not a number literal; only finite numbers are allowed");
        }
        if (is_builtin(t.text)) fail(t, Q{t.text}, " is a function; call it as ", t.text, "(...)");
        fail(t, "unknown name ", Q{t.text});
      }
      default: break;
    }
    if (t.is("(")) {
      const Token open = take();
      Nest nest(s_.depth, open);
      Operand x = expression();
      if (!peek().is(")")) {
        fail(peek(), "expected ')' to close the '(' at ", at(open), ", found ", Found{peek()});
      }
      take();
      return x;
    }
    if (t.is("[")) fail(t, "lists are not supported");
    if (t.is("{")) fail(t, "dicts and sets are not supported");
    fail(t, "expected an expression after ", Q{last_.text});
  }

  static double number(const Token& t) {
    const std::string text(t.text);
    const double v = std::strtod(text.c_str(), nullptr);  // underflow to 0 or a subnormal is fine
    if (std::isinf(v)) fail(t, "number ", Q{t.text}, " is out of range");
    return v;
  }

  Operand string_literal(const Token& s) {
    const StringParts p = parts_of(s);
    if (p.bytes()) fail(s, "bytes literals are not supported");
    if (!p.formatted()) return of_string(unescape(p.body, p.raw()));
    return fstring(s, p);
  }

  // f'...{expr!r:spec}...': each field is parsed from the source where it stands, so errors in it name
  // their real line and column.
  Operand fstring(const Token& s, const StringParts& p) {
    const std::size_t base = static_cast<std::size_t>(s.text.data() - s_.source.data()) + p.body_offset;
    const std::size_t line_start = base - p.body_offset - (s.column - 1);
    auto column = [&](std::size_t i) { return base + i - line_start + 1; };
    const std::string_view body = p.body;
    std::string out;
    std::size_t literal_start = 0;
    auto flush = [&](std::size_t end) {
      out += unescape(body.substr(literal_start, end - literal_start), p.raw());
    };
    for (std::size_t i = 0; i < body.size();) {
      const char c = body[i];
      if ((c == '{' || c == '}') && i + 1 < body.size() && body[i + 1] == c) {
        flush(i);
        out += c;
        i += 2;
        literal_start = i;
        continue;
      }
      if (c == '}') fail_at(Position{s.line, column(i)}, "f-string: single '}' is not allowed");
      if (c != '{') {
        i += (c == '\\' && i + 1 < body.size()) ? 2 : 1;
        continue;
      }
      flush(i);
      const std::size_t open = i;
      std::size_t j = i + 1;
      for (std::size_t depth = 0; j < body.size(); ++j) {
        const char d = body[j];
        if (d == '(' || d == '[' || d == '{') ++depth;
        if ((d == ')' || d == ']') && depth > 0) --depth;
        if (depth == 0 && (d == '}' || d == ':' || (d == '!' && j + 1 < body.size() && body[j + 1] != '=')))
          break;
        if (d == '}' && depth > 0) --depth;
        if (d == '\'' || d == '"')
          fail_at(Position{s.line, column(j)}, "f-string: quotes inside a field are not supported");
      }
      const std::size_t expr_end = j;
      char conversion = '\0';
      if (j < body.size() && body[j] == '!') {
        conversion = j + 1 < body.size() ? body[j + 1] : '\0';
        if (conversion != 'r' && conversion != 's' && conversion != 'a') {
          fail_at(Position{s.line, column(j)},
                  "f-string: invalid conversion character: expected 's', 'r', or 'a'");
        }
        j += 2;
      }
      std::string_view spec;
      if (j < body.size() && body[j] == ':') {
        const std::size_t spec_start = ++j;
        while (j < body.size() && body[j] != '}') {
          if (body[j] == '{')
            fail_at(Position{s.line, column(j)},
                    "f-string: nested fields in a format spec are not supported");
          ++j;
        }
        spec = body.substr(spec_start, j - spec_start);
      }
      if (j >= body.size() || body[j] != '}')
        fail_at(Position{s.line, column(open)}, "f-string: expecting '}'");
      if (body.substr(open + 1, expr_end - open - 1).find_first_not_of(" \t") == std::string_view::npos) {
        fail_at(Position{s.line, column(open)}, "f-string: empty expression not allowed");
      }
      Nest nest(s_.depth, s);
      Parser sub(s_, Lexer(s_.source, Span{base + open + 1, base + expr_end, s.line, line_start}), 1);
      const Operand v = sub.field();
      out += format_field(v, conversion, spec, Position{s.line, column(open)});
      i = j + 1;
      literal_start = i;
    }
    flush(body.size());
    return of_string(out);
  }

  static std::string format_field(const Operand& v, char conversion, std::string_view spec, Position at) {
    PyObject o = py_object(v);  // a Value is already its repr (micrograd's str and repr agree)
    if ((conversion == 'r' || conversion == 'a') && v.type != Type::Value)
      o = PyObject::of_string(py_repr(o));
    if (conversion == 's') o = PyObject::of_string(py_str(o));
    if (v.type == Type::Value && conversion == '\0' && !spec.empty()) {
      fail_at(at, "unsupported format string passed to Value.__format__ (format its .data)");
    }
    try {
      return py_format(o, spec);
    } catch (const PyFormatError& e) {
      fail_at(at, e.what());
    }
  }

  // name(args): a unary function, pow, or Value.
  Operand call() {
    const Token name = take();
    const Token open = take();
    const std::string_view fname = name.text;
    const Function* f = find_unary(fname);
    if (f == nullptr && fname != "pow" && fname != "Value") {
      if (fname == "draw_dot" || fname == "print") fail(name, fname, "(...) must be a statement of its own");
      const Binding* b = lookup(std::string(fname));
      if (b != nullptr && b->function) {
        fail(name, fname, "() returns nothing here; call it as a statement of its own");
      }
      fail(name, "unknown function ", Q{fname});
    }
    const std::vector<Arg> args = arguments(open, name.text);
    if (fname == "Value") return make_value(name, args);
    for (const Arg& a : args) {
      if (a.keyword) fail(a.at, fname, "() takes no keyword arguments");
      if (a.string) fail(*a.string, kStringsOnlyThere);
      if (a.value.type == Type::String) fail(a.at, fname, "() takes a number or a Value, not a string");
    }
    const std::size_t want = f != nullptr ? 1 : 2;
    if (args.size() != want) {
      fail(name, fname, "() takes ", want, want == 1 ? " argument" : " arguments", ", got ", args.size());
    }
    if (f != nullptr) return of_value(make(Value::unary(f->op, to_node(args[0].value)), name));
    return raise(name, args[0].value, args[1].value);
  }

  // Value(number), Value(data=number), Value(number, label='name'): a leaf.
  Operand make_value(const Token& name, const std::vector<Arg>& args) {
    std::optional<double> data;
    std::optional<std::string> label;
    std::size_t given = 0;
    for (const Arg& a : args) {
      if (!a.keyword || *a.keyword == "data") ++given;
    }
    if (given != 1) fail(name, "Value() takes 1 argument, got ", given);
    for (const Arg& a : args) {
      if (!a.keyword || *a.keyword == "data") {
        if (a.string || a.value.type == Type::String) fail(a.at, "Value() takes a number, not a string");
        if (a.value.type == Type::Value)
          fail(a.at, "Value() takes a number, and this is a Value (use its .data)");
        data = a.value.number;
      } else if (*a.keyword == "label") {
        if (label) fail(a.at, "Value() got multiple values for 'label'");
        if (a.value.type == Type::String) {
          label = a.value.text;
        } else if (a.string && !parts_of(*a.string).formatted() && !parts_of(*a.string).bytes()) {
          label = unescape(parts_of(*a.string).body, parts_of(*a.string).raw());
        } else {
          fail(a.at, a.string ? "label must be a plain string literal" : "label must be a string literal");
        }
      } else {
        fail(a.at, "Value() got an unexpected keyword argument ", Q{*a.keyword});
      }
    }
    Operand o = of_value(make(label ? Value(*data, *label) : Value(*data), name));
    o.fresh_leaf = true;
    return o;
  }

  // '(' already taken: arguments up to the matching ')', a trailing comma allowed.
  std::vector<Arg> arguments(const Token& open, std::string_view callee) {
    Nest nest(s_.depth, open);
    std::vector<Arg> args;
    if (peek().is(")")) {
      take();
      return args;
    }
    for (;;) {
      Arg arg;
      arg.at = peek();
      if (peek().kind == Kind::Name && peek(1).is("=")) {
        arg.keyword = take().text;
        take();
      }
      if (peek().kind == Kind::String && (peek(1).is(",") || peek(1).is(")")) && strings_ == 0) {
        arg.string = take();
      } else {
        arg.value = expression();
      }
      args.push_back(std::move(arg));
      if (peek().is(",")) {
        take();
        if (peek().is(")")) break;
        continue;
      }
      if (peek().is(")")) break;
      fail(peek(), "expected ',' or ')' after an argument of ", callee, "(), found ", Found{peek()});
    }
    take();
    return args;
  }

  // a + b, a - b, a * b, a / b: Python's arithmetic on numbers (a graph node too when a named number
  // is involved), a graph node when a Value is; '+' joins strings.
  Operand binary(const Token& op, const Operand& a, const Operand& b) {
    const char c = op.text[0];
    if (a.type == Type::String || b.type == Type::String) {
      if (c == '+' && a.type == Type::String && b.type == Type::String) return of_string(a.text + b.text);
      fail(op, "unsupported operand types for ", op.text.substr(0, 1), ": '", type_name(a), "' and '",
           type_name(b), "'");
    }
    if (a.type == Type::Number && b.type == Type::Number) {
      const bool shadow = a.node || b.node;
      if (c == '/' && b.number == 0.0 && !shadow) fail(op, "division by zero");
      const double r = arithmetic(c, a.number, b.number);
      Operand o = of_number(shadow ? r : checked_constant(op, r), a.is_int && b.is_int && c != '/');
      o.literal = a.literal && b.literal;
      if (shadow) o.node = make(Value::binary(binary_op(c), to_node(a), to_node(b)), op);
      return o;
    }
    return of_value(make(Value::binary(binary_op(c), to_node(a), to_node(b)), op));
  }

  // base ** exponent, also pow(base, exponent). op is where errors point. A number exponent gives
  // PowConst, a Value (or named number) exponent Op::Pow.
  Operand raise(const Token& op, const Operand& base, const Operand& exponent) {
    if (base.type == Type::String || exponent.type == Type::String) {
      fail(op, "unsupported operand types for **: '", type_name(base), "' and '", type_name(exponent), "'");
    }
    auto node = [&] {
      if (exponent.node) return make(Value::binary(Op::Pow, to_node(base), *exponent.node), op);
      return make(to_node(base).pow(exponent.number), op);
    };
    if (base.type == Type::Value || exponent.type == Type::Value) return of_value(node());
    const double x = base.number;
    const double y = exponent.number;
    const bool shadow = base.node || exponent.node;
    if (!shadow) {
      if (x == 0.0 && y < 0.0) fail(op, "0 cannot be raised to a negative power");
      if (x < 0.0 && y != std::floor(y))
        fail(op, "a negative number raised to a fractional power is not real");
    }
    const double r = std::pow(x, y);
    Operand o = of_number(shadow ? r : checked_constant(op, r), base.is_int && exponent.is_int && y >= 0.0);
    o.literal = base.literal && exponent.literal;
    if (shadow) o.node = node();
    return o;
  }

  State& s_;
  Lexer lexer_;
  std::deque<Token> ahead_;
  Token last_;
  std::size_t taken_ = 0;
  std::size_t strings_ = 0;  // > 0 inside print(...) arguments, where string values are allowed
  bool block_ended_ = false;
};

// ---- the program's result ------------------------------------------------------------------------

// Report names: the name that first bound each node; "a (line 3)" for all but the latest node a name
// first bound ("line 3, column 9" when two of them share a line).
std::unordered_map<const void*, std::string> report_names(const State& s, Program& p) {
  std::unordered_map<const void*, std::size_t> first;
  std::vector<std::size_t> firsts;
  for (std::size_t i = 0; i < s.bound.size(); ++i) {
    if (first.emplace(s.bound[i].node.id(), i).second) firsts.push_back(i);
  }
  std::unordered_map<std::string, std::vector<std::size_t>> by_name;
  for (std::size_t i : firsts) by_name[s.bound[i].name].push_back(i);
  std::unordered_map<const void*, std::string> names;
  for (const auto& [name, group] : by_name) {
    std::unordered_map<std::size_t, std::size_t> per_line;
    for (std::size_t i : group) ++per_line[s.bound[i].at.line];
    for (std::size_t g = 0; g < group.size(); ++g) {
      const Bound& b = s.bound[group[g]];
      std::string shown = name;
      if (g + 1 < group.size()) {
        shown += " (line " + std::to_string(b.at.line);
        if (per_line[b.at.line] > 1) shown += ", column " + std::to_string(b.at.column);
        shown += ")";
      }
      names[b.node.id()] = shown;
    }
  }
  for (std::size_t i : firsts) p.node_names.emplace_back(names.at(s.bound[i].node.id()), s.bound[i].node);
  return names;
}

// The output: the caller's choice, else the last name bound to a Value, else the last bound at all.
void choose_output(State& s, const Token& end, const std::optional<std::string>& output) {
  Program& p = s.program;
  std::optional<Value> root;
  if (output) {
    p.output = *output;
    const auto global = s.globals.find(*output);
    if (global != s.globals.end()) {
      if (global->second.function) fail(end, "output ", Q{*output}, " is a function, not a Value");
      if (!global->second.value.node) fail(end, "output ", Q{*output}, " is a number, not a Value");
      root = global->second.value.node;
    }
    for (std::size_t i = s.bound.size(); !root && i-- > 0;) {
      if (s.bound[i].name == *output) root = s.bound[i].node;
    }
    if (!root) fail(end, "output ", Q{*output}, " is not assigned by the program");
  } else {
    const Bound* chosen = &s.bound.back();
    for (std::size_t i = s.bound.size(); i-- > 0;) {
      if (s.bound[i].type == Type::Value) {
        chosen = &s.bound[i];
        break;
      }
    }
    p.output = chosen->name;
    root = chosen->node;
  }
  p.root = *root;
}

// A node the output depends on must hold the value its inputs give it now.
void check_fresh(const State& s, const std::vector<Value>& order) {
  for (const Value& v : order) {
    if (v.is_leaf()) continue;
    const auto info = s.nodes.find(v.id());
    if (info == s.nodes.end()) continue;  // every inner node is made by the program; this is a guard
    const std::size_t made_at = info->second.seq;
    if (const auto change = s.data_changes.find(v.id()); change != s.data_changes.end()) {
      fail_at(change->second.at, change->second.what,
              " is set, but it is computed by an operation, and the output ", Q{s.program.output},
              " depends on it: only a leaf's data can be set");
    }
    for (std::size_t c = 0; c < v.arity(); ++c) {
      const auto change = s.data_changes.find(v.child(c).id());
      if (change == s.data_changes.end() || change->second.seq < made_at) continue;
      const bool root = v.same_node(s.program.root);
      const std::string node = root                ? "the output '" + s.program.output + "'"
                               : v.label().empty() ? "a node"
                                                   : "'" + v.label() + "'";
      fail_at(change->second.at, change->second.what, " changed after ", node, " (", at(info->second.at),
              ") was computed from it",
              root ? "" : ", and the output '" + s.program.output + "' depends on " + node,
              ": its data is now stale (micrograd does not recompute it); build the expressions again after "
              "changing data, as the lecture's update step does");
    }
  }
}

// Nodes some bound node was computed from: a named number outside this set fed only numbers.
std::unordered_set<const void*> computed_from(const State& s) {
  std::unordered_set<const void*> seen;
  std::vector<Value> stack;
  for (const Bound& b : s.bound) {
    if (!b.node.is_leaf()) stack.push_back(b.node);
  }
  while (!stack.empty()) {
    const Value v = stack.back();
    stack.pop_back();
    if (!seen.insert(v.id()).second) continue;
    for (std::size_t c = 0; c < v.arity(); ++c) stack.push_back(v.child(c));
  }
  return seen;
}

Program finish(State& s, const Token& end, const std::optional<std::string>& output) {
  if (s.bound.empty()) {
    if (!s.uncalled.empty()) {
      fail_at(Position{}, "empty program (nothing is assigned; ", s.uncalled.front(),
              "() is defined but never called)");
    }
    fail_at(Position{}, "empty program (nothing is assigned)");
  }
  choose_output(s, end, output);
  Program& p = s.program;
  const std::vector<Value> order = topological_order(p.root);
  check_fresh(s, order);

  const std::unordered_map<const void*, std::string> names = report_names(s, p);
  std::unordered_set<const void*> used;
  for (const Value& v : order) used.insert(v.id());
  const std::unordered_set<const void*> computed = computed_from(s);
  for (const LeafDef& d : s.leaf_defs) {
    const bool in_output = used.count(d.node.id()) > 0;
    if (!in_output && d.number && d.read && computed.count(d.node.id()) == 0) continue;  // only a number
    (in_output ? p.leaves : p.unused_leaves).emplace_back(names.at(d.node.id()), d.node);
  }
  for (const Bound& b : s.bound) p.named_nodes.emplace_back(b.name, b.node);
  for (const auto& [name, binding] : s.globals) {
    if (binding.value.node) p.names.emplace(name, *binding.value.node);
  }
  return std::move(s.program);
}

}  // namespace

Program parse_program(std::string_view source, const std::optional<std::string>& output) {
  State state;
  state.source = source;
  Parser parser(state, Lexer(source));
  parser.run();
  return finish(state, parser.end_token(), output);
}

}  // namespace verigrad::verify
