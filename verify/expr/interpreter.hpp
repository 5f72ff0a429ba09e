// The interpreter's insides, shared by its translation units (parser.cpp: statements and expressions;
// print.cpp: print(...), f-strings and '%'; result.cpp: the program's result). Not a public header.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/value.hpp"
#include "verify/expr/lexer.hpp"
#include "verify/expr/parser.hpp"
#include "verify/expr/pyformat.hpp"

namespace verigrad::verify::detail {

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
inline At at(const Token& t) { return At{t.line, t.column}; }
inline At at(const Position& p) { return At{p.line, p.column}; }
inline Position position(const Token& t) { return Position{t.line, t.column}; }

inline void append(std::string& m, std::string_view s) { m += s; }
inline void append(std::string& m, Q q) {
  m += "'";
  m += q.s;
  m += "'";
}
inline void append(std::string& m, Found f) { m += detail::describe(f.t); }
inline void append(std::string& m, At a) {
  m += "line " + std::to_string(a.line) + ", column " + std::to_string(a.column);
}
inline void append(std::string& m, std::size_t n) { m += std::to_string(n); }

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

inline Operand of_number(double x, bool is_int = false) {
  Operand o;
  o.number = x;
  o.is_int = is_int;
  return o;
}
inline Operand of_value(Value v) {
  Operand o;
  o.type = Type::Value;
  o.node = std::move(v);
  return o;
}
inline Operand of_string(std::string s) {
  Operand o;
  o.type = Type::String;
  o.text = std::move(s);
  return o;
}

inline const char* type_name(const Operand& x) {
  switch (x.type) {
    case Type::Number: return x.is_int ? "int" : "float";
    case Type::Value: return "Value";
    case Type::String: return "str";
  }
  return "?";
}

// A number used with Values becomes an unnamed constant leaf.
inline Value to_node(const Operand& x) { return x.node ? *x.node : Value(x.number); }
// micrograd's repr of a Value, Python's objects for an operand, str() of an operand (print.cpp).
std::string value_repr(const Value& v);
PyObject py_object(const Operand& x);
std::string str_of(const Operand& x);

// The text of a plain string literal's token, escapes applied (an f-string's pieces use this too).
std::string unescape(std::string_view body, bool raw);

struct StringParts {
  std::string_view prefix;  // lower or upper case, as written
  std::string_view body;    // between the quotes
  std::size_t body_offset;  // of body within the token text
  bool raw() const { return prefix.find_first_of("rR") != std::string_view::npos; }
  bool formatted() const { return prefix.find_first_of("fF") != std::string_view::npos; }
  bool bytes() const { return prefix.find_first_of("bB") != std::string_view::npos; }
};

inline StringParts parts_of(const Token& s) {
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
  std::size_t depth = 0;        // open nesting levels (kMaxNesting)
  std::size_t call_tokens = 0;  // tokens read inside function bodies (kMaxCallTokens)
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

// Reads statements and runs each as it is read. One Parser per text: the top level, each function
// call's body and each f-string field get their own, sharing the State.
class Parser {
 public:
  // strings > 0: string values are allowed (inside print(...) arguments).
  Parser(State& state, Lexer lexer, std::size_t strings = 0) : s_(state), lexer_(lexer), strings_(strings) {}

  void run();       // runs statements to the end of the text
  Operand field();  // the whole text is one expression (an f-string field)
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
    // Every token builds at most a node or two, so this bounds the time and memory calls can take.
    if (!s_.frames.empty() && ++s_.call_tokens > kMaxCallTokens) {
      fail(last_, "function calls ran more than ", kMaxCallTokens, " tokens (calls repeated too often?)");
    }
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

  // ---- statements (parser.cpp) -------------------------------------------------------------------
  void end_of_statement();
  void statement();
  void skip_statement();
  [[noreturn]] static void keyword_error(const Token& t);
  void define();
  void call_statement();
  void assignment();
  void bind_new(const Token& name, Operand rhs);
  void bind(const Token& name, Operand v, bool number_leaf);
  Operand read(const Token& name, const Binding& b);
  Value node_of(const Token& name, const Token& attribute);
  void attribute_assignment();
  void backward();
  void draw_statement();

  // ---- expressions (parser.cpp) ------------------------------------------------------------------
  Operand expression();
  Operand term();
  Operand factor();
  Operand power();
  Operand postfix();
  static Operand attribute(const Operand& x, const Token& name);
  Operand primary();
  static double number(const Token& t);
  Operand call();
  Operand make_value(const Token& name, const std::vector<Arg>& args);
  std::vector<Arg> arguments(const Token& open, std::string_view callee);
  Operand binary(const Token& op, const Operand& a, const Operand& b);
  Operand raise(const Token& op, const Operand& base, const Operand& exponent);

  // ---- printing (print.cpp) ----------------------------------------------------------------------
  void print_statement();
  std::string print_arguments();
  Operand percent(const Token& op, const Operand& format);
  Operand string_literal(const Token& s);
  Operand fstring(const Token& s, const StringParts& p);
  static std::string format_field(const Operand& v, char conversion, std::string_view spec, Position at);

  State& s_;
  Lexer lexer_;
  std::deque<Token> ahead_;
  Token last_;
  std::size_t taken_ = 0;
  std::size_t strings_ = 0;  // > 0 inside print(...) arguments, where string values are allowed
  bool block_ended_ = false;
};

// The Program a run of the top-level parser leaves: the output, its leaves and names (result.cpp).
// end is the last token, where errors about the output point.
Program finish(State& s, const Token& end, const std::optional<std::string>& output);

}  // namespace verigrad::verify::detail
