// print(...) in the expression language: Python's str() of each argument, string literals and
// f-strings (each field parsed where it stands in the source), '%' formatting. Numbers are formatted by
// pyformat.hpp, as Python formats them.
#include "verify/expr/interpreter.hpp"

namespace verigrad::verify::detail {

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

// print(...): what Python would write goes to Program::printed. If an argument is outside the
// language (a list, an unknown function), a note takes the line's place and the program goes on:
// a print never changes a gradient.
void Parser::print_statement() {
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

std::string Parser::print_arguments() {
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

// 'format' % value or 'format' % (a, b, ...).
Operand Parser::percent(const Token& op, const Operand& format) {
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

Operand Parser::string_literal(const Token& s) {
  const StringParts p = parts_of(s);
  if (p.bytes()) fail(s, "bytes literals are not supported");
  if (!p.formatted()) return of_string(unescape(p.body, p.raw()));
  return fstring(s, p);
}

// f'...{expr!r:spec}...': each field is parsed from the source where it stands, so errors in it name
// their real line and column.
Operand Parser::fstring(const Token& s, const StringParts& p) {
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
          fail_at(Position{s.line, column(j)}, "f-string: nested fields in a format spec are not supported");
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

std::string Parser::format_field(const Operand& v, char conversion, std::string_view spec, Position at) {
  PyObject o = py_object(v);  // a Value is already its repr (micrograd's str and repr agree)
  if ((conversion == 'r' || conversion == 'a') && v.type != Type::Value) o = PyObject::of_string(py_repr(o));
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

}  // namespace verigrad::verify::detail
