// The expression language's lexer and recursive-descent parser. The grammar is Python's:
//
//   program    := (statement? (';' | NEWLINE))*
//   statement  := NAME ('=' | '+=' | '-=' | '*=' | '/=') expr
//              |  NAME '.' 'backward' '(' ')'   |  'print' '(' ... ')'   |  ('import' | 'from') ...
//   expr       := term (('+' | '-') term)*
//   term       := factor (('*' | '/') factor)*
//   factor     := ('-' | '+') factor | power
//   power      := postfix ['**' factor]
//   postfix    := primary ('.' NAME '(' ')')*
//   primary    := NUMBER | NAME | NAME '(' args ')' | '(' expr ')'
//
// Binary operators loop; only parentheses, call arguments, unary signs and the right operand of `**`
// recurse, and each of those counts against kMaxNesting.
#include "verify/expr/parser.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <unordered_map>

#include "engine/graph.hpp"
#include "engine/ops.hpp"

namespace verigrad::verify {

namespace {

std::string where(std::size_t line, std::size_t column) {
  return "error: line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
}

}  // namespace

ParseError::ParseError(std::size_t line, std::size_t column, const std::string& message)
    : std::runtime_error(where(line, column) + message), line_(line), column_(column), message_(message) {}

namespace {

// ---- tokens --------------------------------------------------------------------------------------

enum class Kind { Name, Number, String, Symbol, Newline, End };

struct Token {
  Kind kind = Kind::End;
  std::string_view text;
  std::size_t line = 1;
  std::size_t column = 1;

  bool is(std::string_view symbol) const { return kind == Kind::Symbol && text == symbol; }
  bool ends_statement() const { return kind == Kind::Newline || kind == Kind::End || is(";"); }
};

[[noreturn]] void fail(std::size_t line, std::size_t column, const std::string& message) {
  throw ParseError(line, column, message);
}
std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// How an error message names a token it did not expect.
std::string describe(const Token& t) {
  switch (t.kind) {
    case Kind::Newline: return "end of line";
    case Kind::End: return "end of input";
    case Kind::String: return "a string literal";
    default: return quoted(t.text);
  }
}

struct Position {
  std::size_t line;
  std::size_t column;
};

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

void append(std::string& m, std::string_view s) { m += s; }
void append(std::string& m, Q q) { m += quoted(q.s); }
void append(std::string& m, Found f) { m += describe(f.t); }
void append(std::string& m, At a) {
  m += "line " + std::to_string(a.line) + ", column " + std::to_string(a.column);
}
void append(std::string& m, std::size_t n) { m += std::to_string(n); }

// Builds the message out of line, so that the recursive parsing functions keep small stack frames
// (message temporaries in them would cost stack on every nesting level).
template <typename... Parts>
[[noreturn]] [[gnu::noinline]] [[gnu::cold]] void fail(const Token& at, const Parts&... parts) {
  std::string message;
  (append(message, parts), ...);
  throw ParseError(at.line, at.column, message);
}

std::string hex_byte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(c));
  return buf;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }
// Bytes no Python source may hold anywhere (tab, form feed and line breaks are handled before).
bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

bool is_keyword(std::string_view s) {
  static constexpr std::string_view kKeywords[] = {
      "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
      "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
      "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
      "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};
  for (std::string_view k : kKeywords) {
    if (s == k) return true;
  }
  return false;
}

// Python's string prefixes (any case): u, r, b, f and the two-letter combinations of r with b or f.
bool is_string_prefix(std::string_view s) {
  std::string lower;
  for (char c : s) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return lower == "u" || lower == "r" || lower == "b" || lower == "f" || lower == "br" || lower == "rb" ||
         lower == "fr" || lower == "rf";
}

// Produces tokens on demand, so the first error in the source is the one reported.
class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(source) {}

  Token next() {
    for (;;) {
      if (pos_ >= src_.size()) return make(Kind::End, pos_, 0);
      const char c = src_[pos_];
      const auto byte = static_cast<unsigned char>(c);
      if (c == ' ' || c == '\t' || c == '\f') {
        ++pos_;
      } else if (c == '#') {
        skip_comment();
      } else if (c == '\\') {
        const std::size_t after = pos_ + 1;
        if (after < src_.size() && (src_[after] == '\n' || src_[after] == '\r')) {
          pos_ = after;
          consume_line_break();
        } else {
          fail(line_, column(), "unexpected '\\' (a line continuation must end its line)");
        }
      } else if (c == '\n' || c == '\r') {
        Token t = make(Kind::Newline, pos_, 1);
        consume_line_break();
        return t;
      } else if (is_digit(c) || (c == '.' && pos_ + 1 < src_.size() && is_digit(src_[pos_ + 1]))) {
        return number();
      } else if (is_name_start(c)) {
        const std::size_t start = pos_;
        while (pos_ < src_.size() && is_name_char(src_[pos_])) ++pos_;
        if (pos_ < src_.size() && (src_[pos_] == '\'' || src_[pos_] == '"') &&
            is_string_prefix(src_.substr(start, pos_ - start))) {
          return string(start);
        }
        return make(Kind::Name, start, pos_ - start);
      } else if (c == '\'' || c == '"') {
        return string(pos_);
      } else if (byte >= 0x80) {
        fail(line_, column(), "non-ASCII byte " + hex_byte(byte) + " outside a comment or string");
      } else if (is_control(byte)) {
        fail(line_, column(), "unexpected control byte " + hex_byte(byte));
      } else {
        return symbol();
      }
    }
  }

 private:
  std::size_t column() const { return pos_ - line_start_ + 1; }
  std::size_t column_of(std::size_t offset) const { return offset - line_start_ + 1; }

  Token make(Kind kind, std::size_t start, std::size_t length) const {
    return Token{kind, src_.substr(start, length), line_, column_of(start)};
  }

  // "\n", "\r\n" or a lone "\r", as Python reads them.
  void consume_line_break() {
    if (src_[pos_] == '\r' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
    line_start_ = pos_;
  }

  // Comments may hold any text (UTF-8 included) but no control bytes.
  void skip_comment() {
    while (pos_ < src_.size() && src_[pos_] != '\n' && src_[pos_] != '\r') {
      const auto byte = static_cast<unsigned char>(src_[pos_]);
      if (is_control(byte) && byte != '\t' && byte != '\f') {
        fail(line_, column(), "unexpected control byte " + hex_byte(byte));
      }
      ++pos_;
    }
  }

  // digits [. digits] [e [+-] digits], or . digits [...]; a letter, digit or _ right after is an error.
  Token number() {
    const std::size_t start = pos_;
    bool ok = true;
    while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
    if (pos_ < src_.size() && src_[pos_] == '.') {
      ++pos_;
      while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < src_.size() && (src_[pos_] == '+' || src_[pos_] == '-')) ++pos_;
      if (pos_ >= src_.size() || !is_digit(src_[pos_])) ok = false;
      while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
    }
    if (pos_ < src_.size() && is_name_char(src_[pos_])) ok = false;
    if (!ok) {
      while (pos_ < src_.size() && (is_name_char(src_[pos_]) || src_[pos_] == '.')) ++pos_;
      fail(line_, column_of(start), "invalid number literal " + quoted(src_.substr(start, pos_ - start)));
    }
    return make(Kind::Number, start, pos_ - start);
  }

  // A one-line string literal, prefix included in the token text. Its contents are not interpreted
  // here (an f-string's braces are just characters).
  Token string(std::size_t start) {
    const char quote = src_[pos_];
    if (pos_ + 2 < src_.size() && src_[pos_ + 1] == quote && src_[pos_ + 2] == quote) {
      fail(line_, column_of(start), "triple-quoted strings are not supported");
    }
    ++pos_;
    for (;;) {
      if (pos_ >= src_.size() || src_[pos_] == '\n' || src_[pos_] == '\r') {
        fail(line_, column_of(start), "unterminated string literal");
      }
      const char c = src_[pos_];
      const auto byte = static_cast<unsigned char>(c);
      if (is_control(byte) && c != '\t') fail(line_, column(), "unexpected control byte " + hex_byte(byte));
      if (c == '\\') {
        ++pos_;  // the escaped character is checked (and skipped) on the next turn unless it is a quote
        if (pos_ < src_.size() && (src_[pos_] == quote || src_[pos_] == '\\')) ++pos_;
        continue;
      }
      ++pos_;
      if (c == quote) break;
    }
    return make(Kind::String, start, pos_ - start);
  }

  // Operators and punctuation. Python's other operators are tokens too, so that print(...) can hold
  // them and errors can name them; the parser rejects them anywhere else.
  Token symbol() {
    static constexpr std::string_view kLong[] = {"**=", "//=", ">>=", "<<=", "**", "+=", "-=", "*=", "/=",
                                                 "//",  "==",  "!=",  "<=",  ">=", "%=", "->", "<<", ">>"};
    const std::string_view rest = src_.substr(pos_);
    for (std::string_view op : kLong) {
      if (rest.substr(0, op.size()) == op) {
        Token t = make(Kind::Symbol, pos_, op.size());
        pos_ += op.size();
        return t;
      }
    }
    Token t = make(Kind::Symbol, pos_, 1);
    ++pos_;
    return t;
  }

  std::string_view src_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
};

// ---- operands ------------------------------------------------------------------------------------

// An expression's result: a constant (still foldable) or a Value.
struct Operand {
  std::optional<Value> value;  // empty: a constant
  double constant = 0.0;
  bool fresh_leaf = false;  // made by Value(...) and not yet used in an operation

  bool is_constant() const { return !value.has_value(); }
  static Operand of(double c) {
    Operand o;
    o.constant = c;
    return o;
  }
  static Operand of(Value v) {
    Operand o;
    o.value = std::move(v);
    return o;
  }
};

// A constant used with Values becomes an unnamed constant leaf.
Value to_value(const Operand& x) { return x.is_constant() ? Value(x.constant) : *x.value; }

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

bool is_function(std::string_view name) {
  return find_unary(name) != nullptr || name == "pow" || name == "Value";
}

const char* kStringsOnlyThere = "string literals are only allowed in print(...) and Value(..., label=...)";

double checked_constant(const Token& op, double r) {
  if (std::isnan(r)) fail(op, "constant expression is not a real number");
  if (std::isinf(r)) fail(op, "constant expression overflows to infinity");
  return r;
}

// ---- parser --------------------------------------------------------------------------------------

class Parser {
 public:
  explicit Parser(std::string_view source) : lexer_(source) {}

  Program parse(std::optional<std::string> output) {
    for (;;) {
      const Token& t = peek();
      if (t.kind == Kind::End) break;
      if (t.kind == Kind::Newline) {
        take();
        continue;
      }
      if (t.is(";")) fail(t, "expected a statement before ';'");
      statement();
      const Token& end = peek();
      if (end.is(";") || end.kind == Kind::Newline) {
        take();
      } else if (end.kind != Kind::End) {
        if (end.is(")")) fail(end, "unmatched ')'");
        fail(end, "expected end of statement, found ", Found{end});
      }
    }
    const Token end = peek();
    if (program_.names.empty()) fail(1, 1, "empty program (nothing is assigned)");

    program_.output = output ? *output : last_assigned_;
    const auto it = program_.names.find(program_.output);
    if (it == program_.names.end())
      fail(end, "output ", Q{program_.output}, " is not assigned by the program");
    program_.root = it->second;

    std::unordered_map<const void*, bool> used;
    for (const Value& v : topological_order(program_.root)) used.emplace(v.id(), true);
    for (const auto& [name, leaf] : program_.leaves) {
      if (used.count(leaf.id()) == 0) {
        const Position& p = leaf_defined_.at(name);
        Token place;
        place.line = p.line;
        place.column = p.column;
        fail(place, "leaf ", Q{name}, " is never used by the output ", Q{program_.output});
      }
    }
    return std::move(program_);
  }

 private:
  // RAII count of open nesting levels; the level that would exceed the limit is the error.
  class Nest {
   public:
    Nest(std::size_t& depth, const Token& at) : depth_(depth) {
      if (depth_ >= kMaxNesting) {
        fail(at, "expression nested too deeply (limit ", kMaxNesting, ")");
      }
      ++depth_;
    }
    ~Nest() { --depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    std::size_t& depth_;
  };

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
    return last_;
  }

  // ---- statements --------------------------------------------------------------------------------

  void statement() {
    const Token& t = peek();
    if (t.kind != Kind::Name) fail(t, "expected a statement, found ", Found{t});
    if (t.text == "import" || t.text == "from") {  // `from micrograd.engine import Value`
      while (!peek().ends_statement()) take();
      return;
    }
    if (t.text == "print" && peek(1).is("(")) return skip_print();
    if (is_keyword(t.text)) fail(t, "unsupported keyword ", Q{t.text});
    const Token& next = peek(1);
    if (next.is("=") || next.is("+=") || next.is("-=") || next.is("*=") || next.is("/=")) return assignment();
    if (next.is(".") && peek(2).kind == Kind::Name && peek(2).text == "backward") return backward();
    fail(next, "expected '=', '+=', '-=', '*=' or '/=' after ", Q{t.text}, ", found ", Found{next});
  }

  // print(...) is skipped up to its matching ')'; anything may be inside, string literals included.
  void skip_print() {
    take();
    const Token open = take();
    std::size_t depth = 1;
    while (depth > 0) {
      const Token t = take();
      if (t.kind == Kind::Newline || t.kind == Kind::End) {
        fail(t, "expected ')' to close the '(' at ", at(open), ", found ", Found{t});
      }
      if (t.is("(")) ++depth;
      if (t.is(")")) --depth;
    }
  }

  void backward() {
    const Token name = take();
    take();  // '.'
    take();  // 'backward'
    if (program_.names.count(std::string(name.text)) == 0) fail(name, "unknown name ", Q{name.text});
    if (!peek().is("(")) fail(peek(), "expected '(' after 'backward'");
    take();
    if (!peek().is(")")) fail(peek(), "backward() takes no arguments");
    take();
    program_.backward_calls.emplace_back(name.text);
  }

  void assignment() {
    const Token name_token = take();
    const Token op = take();
    const std::string name(name_token.text);
    if (const auto leaf = leaf_defined_.find(name); leaf != leaf_defined_.end()) {
      fail(name_token, "cannot reassign leaf ", Q{name}, " (defined at ", at(leaf->second), ")");
    }
    if (op.is("=")) {
      Operand rhs = expression();
      if (rhs.is_constant() || rhs.fresh_leaf) {
        if (const auto bound = first_bound_.find(name); bound != first_bound_.end()) {
          fail(name_token, Q{name}, " is already bound (", at(bound->second), "); a leaf needs a new name");
        }
        Value leaf = rhs.is_constant() ? Value(rhs.constant) : *rhs.value;
        if (leaf.label().empty()) leaf.set_label(name);
        program_.leaves.emplace_back(name, leaf);
        leaf_defined_.emplace(name, Position{name_token.line, name_token.column});
        bind(name_token, leaf);
      } else {
        bind(name_token, *rhs.value);
      }
      return;
    }
    const auto current = program_.names.find(name);
    if (current == program_.names.end()) fail(name_token, "unknown name ", Q{name});
    const Value left = current->second;
    const Value right = to_value(expression());
    const Op kind = op.is("+=") ? Op::Add : op.is("-=") ? Op::Sub : op.is("*=") ? Op::Mul : Op::Div;
    bind(name_token, Value::binary(kind, left, right));
  }

  void bind(const Token& name_token, Value v) {
    std::string name(name_token.text);
    if (!v.is_leaf() && v.label().empty()) v.set_label(name);
    first_bound_.emplace(name, Position{name_token.line, name_token.column});
    program_.names.insert_or_assign(name, v);
    program_.named_nodes.emplace_back(name, v);
    last_assigned_ = std::move(name);
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
    while (peek().is("*") || peek().is("/")) {
      const Token op = take();
      Operand right = factor();
      left = binary(op, left, right);
    }
    return left;
  }

  Operand factor() {
    if (peek().is("-") || peek().is("+")) {
      const Token op = take();
      Nest nest(depth_, op);
      Operand x = factor();
      if (op.is("+")) return x;
      if (x.is_constant()) return Operand::of(-x.constant);
      return Operand::of(-*x.value);
    }
    return power();
  }

  Operand power() {
    Operand base = postfix();
    if (!peek().is("**")) return base;
    const Token op = take();
    Nest nest(depth_, op);
    Operand exponent = factor();
    return raise(op, base, exponent);
  }

  Operand postfix() {
    Operand x = primary();
    while (peek().is(".")) {
      take();
      const Token name = peek();
      if (name.kind != Kind::Name) fail(name, "expected a method name after '.'");
      take();
      if (name.text == "backward") fail(name, "backward() must be a statement of its own");
      const Function* f = find_unary(name.text);
      if (f == nullptr) fail(name, "unknown method ", Q{name.text});
      if (!peek().is("(")) fail(peek(), "expected '(' after ", Q{name.text});
      const Token open = take();
      const std::vector<Arg> args = arguments(open, name.text);
      if (!args.empty()) {
        fail(name, "method ", name.text, "() takes no arguments, got ", args.size());
      }
      x = Operand::of(Value::unary(f->op, to_value(x)));
    }
    return x;
  }

  Operand primary() {
    const Token t = peek();
    switch (t.kind) {
      case Kind::Number: take(); return Operand::of(number(t));
      case Kind::String: fail(t, kStringsOnlyThere);
      case Kind::Name: {
        if (is_keyword(t.text)) fail(t, "unsupported keyword ", Q{t.text});
        if (peek(1).is("(")) return call();
        take();
        const auto it = program_.names.find(std::string(t.text));
        if (it != program_.names.end()) return Operand::of(it->second);
        if (t.text == "nan" || t.text == "inf" || t.text == "NaN" || t.text == "Infinity") {
          fail(t, Q{t.text}, " is not a number literal; only finite numbers are allowed");
        }
        if (is_function(t.text)) fail(t, Q{t.text}, " is a function; call it as ", t.text, "(...)");
        fail(t, "unknown name ", Q{t.text});
      }
      default: break;
    }
    if (t.is("(")) {
      const Token open = take();
      Nest nest(depth_, open);
      Operand x = expression();
      if (!peek().is(")")) {
        fail(peek(), "expected ')' to close the '(' at ", at(open), ", found ", Found{peek()});
      }
      take();
      return x;
    }
    fail(t, "expected an expression after ", Q{last_.text});
  }

  static double number(const Token& t) {
    const std::string text(t.text);
    const double v = std::strtod(text.c_str(), nullptr);  // underflow to 0 or a subnormal is fine
    if (std::isinf(v)) fail(t, "number ", Q{t.text}, " is out of range");
    return v;
  }

  // name(args): a unary function, pow, or Value.
  Operand call() {
    const Token name = take();
    const Token open = take();
    const std::string_view fname = name.text;
    const Function* f = find_unary(fname);
    if (f == nullptr && fname != "pow" && fname != "Value") fail(name, "unknown function ", Q{fname});
    const std::vector<Arg> args = arguments(open, name.text);
    if (fname == "Value") return make_value(name, args);
    for (const Arg& a : args) {
      if (a.keyword) fail(a.at, fname, "() takes no keyword arguments");
      if (a.string) fail(*a.string, kStringsOnlyThere);
    }
    const std::size_t want = f != nullptr ? 1 : 2;
    if (args.size() != want) {
      fail(name, fname, "() takes ", want, want == 1 ? " argument" : " arguments", ", got ", args.size());
    }
    if (f != nullptr) return Operand::of(Value::unary(f->op, to_value(args[0].value)));
    return raise(name, args[0].value, args[1].value);
  }

  // Value(number) or Value(number, label='name'): a leaf.
  static Operand make_value(const Token& name, const std::vector<Arg>& args) {
    std::optional<double> data;
    std::optional<std::string> label;
    std::size_t positional = 0;
    for (const Arg& a : args) {
      if (!a.keyword) ++positional;
    }
    if (positional != 1) fail(name, "Value() takes 1 argument, got ", positional);
    for (const Arg& a : args) {
      if (!a.keyword) {
        if (a.string) fail(*a.string, "Value() takes a number, not a string");
        if (!a.value.is_constant()) fail(a.at, "Value() takes a constant number");
        data = a.value.constant;
      } else if (*a.keyword == "label") {
        if (label) fail(a.at, "Value() got multiple values for 'label'");
        if (!a.string) fail(a.at, "label must be a string literal");
        label = string_contents(*a.string);
      } else {
        fail(a.at, "Value() got an unexpected keyword argument ", Q{*a.keyword});
      }
    }
    Operand o = Operand::of(label ? Value(*data, *label) : Value(*data));
    o.fresh_leaf = true;
    return o;
  }

  static std::string string_contents(const Token& s) {
    const std::size_t quote = s.text.find_first_of("'\"");
    const std::string_view prefix = s.text.substr(0, quote);
    const bool raw = prefix.find_first_of("rR") != std::string_view::npos;
    if (prefix.find_first_of("fFbB") != std::string_view::npos)
      fail(s, "label must be a plain string literal");
    const std::string_view body = s.text.substr(quote + 1, s.text.size() - quote - 2);
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

  // '(' already taken: arguments up to the matching ')', a trailing comma allowed.
  std::vector<Arg> arguments(const Token& open, std::string_view callee) {
    Nest nest(depth_, open);
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
      if (peek().kind == Kind::String && (peek(1).is(",") || peek(1).is(")"))) {
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

  static Operand binary(const Token& op, const Operand& a, const Operand& b) {
    const char c = op.text[0];
    if (a.is_constant() && b.is_constant()) {
      const double x = a.constant;
      const double y = b.constant;
      if (c == '/' && y == 0.0) fail(op, "division by zero");
      return Operand::of(checked_constant(op, c == '+'   ? x + y
                                              : c == '-' ? x - y
                                              : c == '*' ? x * y
                                                         : x / y));
    }
    const Op kind = c == '+' ? Op::Add : c == '-' ? Op::Sub : c == '*' ? Op::Mul : Op::Div;
    return Operand::of(Value::binary(kind, to_value(a), to_value(b)));
  }

  // base ** exponent, also pow(base, exponent). op is where errors point.
  static Operand raise(const Token& op, const Operand& base, const Operand& exponent) {
    if (base.is_constant() && exponent.is_constant()) {
      const double x = base.constant;
      const double y = exponent.constant;
      if (x == 0.0 && y < 0.0) fail(op, "0 cannot be raised to a negative power");
      if (x < 0.0 && y != std::floor(y))
        fail(op, "a negative number raised to a fractional power is not real");
      return Operand::of(checked_constant(op, std::pow(x, y)));
    }
    if (exponent.is_constant()) return Operand::of(to_value(base).pow(exponent.constant));
    return Operand::of(Value::binary(Op::Pow, to_value(base), *exponent.value));
  }

  Lexer lexer_;
  std::deque<Token> ahead_;
  Token last_;
  std::size_t depth_ = 0;
  Program program_;
  std::unordered_map<std::string, Position> leaf_defined_;
  std::unordered_map<std::string, Position> first_bound_;
  std::string last_assigned_;
};

}  // namespace

Program parse_program(std::string_view source, std::optional<std::string> output) {
  Parser parser(source);
  return parser.parse(std::move(output));
}

}  // namespace verigrad::verify
