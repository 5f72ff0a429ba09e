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
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "engine/ops.hpp"
#include "verify/expr/interpreter.hpp"
#include "verify/expr/micrograd.hpp"

namespace verigrad::verify {

namespace {

std::string where(std::size_t line, std::size_t column) {
  return "error: line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
}

}  // namespace

ParseError::ParseError(std::size_t line, std::size_t column, const std::string& message)
    : std::runtime_error(where(line, column) + message), line_(line), column_(column), message_(message) {}

namespace detail {

namespace {

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

}  // namespace

// Runs statements to the end of the text.
void Parser::run() {
  for (;;) {
    const Token& t = peek();
    if (t.kind == Kind::End) return;
    if (t.kind == Kind::Newline) {
      take();
      continue;
    }
    if (t.is(";")) fail(t, "expected a statement before ';'");
    statement();
    if (block_ended_) {
      block_ended_ = false;  // a def's body ended with its last line; the next line starts afresh
    } else {
      end_of_statement();
    }
  }
}

// The whole text is one expression (an f-string field).
Operand Parser::field() {
  Operand x = expression();
  if (peek().kind != Kind::End) fail(peek(), "expected the end of the f-string field, found ", Found{peek()});
  return x;
}

void Parser::end_of_statement() {
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

void Parser::statement() {
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

void Parser::skip_statement() {
  while (!peek().ends_statement()) take();
}

void Parser::keyword_error(const Token& t) {
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
void Parser::define() {
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
void Parser::call_statement() {
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

void Parser::assignment() {
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
void Parser::bind_new(const Token& name, Operand rhs) {
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

void Parser::bind(const Token& name, Operand v, bool number_leaf) {
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
Operand Parser::read(const Token& name, const Binding& b) {
  if (b.function) fail(name, Q{name.text}, " is a function; call it as ", name.text, "() on its own line");
  Operand x = b.value;
  if (b.number_leaf) {
    x.number = x.node->data();
    s_.leaf_defs[s_.leaf_index.at(x.node->id())].read = true;
  }
  return x;
}

// The node behind `name` in `name.attribute`.
Value Parser::node_of(const Token& name, const Token& attribute) {
  Binding* b = lookup(std::string(name.text));
  if (b == nullptr) fail(name, "unknown name ", Q{name.text});
  const Operand x = read(name, *b);
  if (!x.node) fail(name, Q{name.text}, " is a number, not a Value: it has no .", attribute.text);
  return *x.node;
}

// x.label = '...', x.data = ..., x.grad = ... (and +=, -=, *=, /= for data and grad).
void Parser::attribute_assignment() {
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
void Parser::backward() {
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
void Parser::draw_statement() {
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

Operand Parser::expression() {
  Operand left = term();
  while (peek().is("+") || peek().is("-")) {
    const Token op = take();
    Operand right = term();
    left = binary(op, left, right);
  }
  return left;
}

Operand Parser::term() {
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

Operand Parser::factor() {
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

Operand Parser::power() {
  Operand base = postfix();
  if (!peek().is("**")) return base;
  const Token op = take();
  Nest nest(s_.depth, op);
  Operand exponent = factor();
  return raise(op, base, exponent);
}

Operand Parser::postfix() {
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
Operand Parser::attribute(const Operand& x, const Token& name) {
  if (x.type == Type::String) fail(name, "a string has no attribute ", Q{name.text});
  if (!x.node) fail(name, "a number has no attribute ", Q{name.text}, " (Values have data, grad and label)");
  if (name.text == "data") return of_number(x.node->data());
  if (name.text == "grad") return of_number(x.node->grad());
  if (name.text == "label") return of_string(x.node->label());
  if (find_unary(name.text) != nullptr)
    fail(name, Q{name.text}, " is a method; call it as .", name.text, "()");
  fail(name, "unknown attribute ", Q{name.text}, " (a Value has data, grad and label)");
}

Operand Parser::primary() {
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

double Parser::number(const Token& t) {
  const std::string text(t.text);
  const double v = std::strtod(text.c_str(), nullptr);  // underflow to 0 or a subnormal is fine
  if (std::isinf(v)) fail(t, "number ", Q{t.text}, " is out of range");
  return v;
}

// name(args): a unary function, pow, or Value.
Operand Parser::call() {
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
Operand Parser::make_value(const Token& name, const std::vector<Arg>& args) {
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
std::vector<Parser::Arg> Parser::arguments(const Token& open, std::string_view callee) {
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
Operand Parser::binary(const Token& op, const Operand& a, const Operand& b) {
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
Operand Parser::raise(const Token& op, const Operand& base, const Operand& exponent) {
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
    if (x < 0.0 && y != std::floor(y)) fail(op, "a negative number raised to a fractional power is not real");
  }
  const double r = std::pow(x, y);
  Operand o = of_number(shadow ? r : checked_constant(op, r), base.is_int && exponent.is_int && y >= 0.0);
  o.literal = base.literal && exponent.literal;
  if (shadow) o.node = node();
  return o;
}

}  // namespace detail

Program parse_program(std::string_view source, const std::optional<std::string>& output) {
  detail::State state;
  state.source = source;
  detail::Parser parser(state, detail::Lexer(source));
  parser.run();
  return detail::finish(state, parser.end_token(), output);
}

}  // namespace verigrad::verify
