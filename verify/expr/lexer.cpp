// The expression language's lexer.
#include "verify/expr/lexer.hpp"

#include <cstdio>

namespace verigrad::verify::detail {

void fail(std::size_t line, std::size_t column, const std::string& message) {
  throw ParseError(line, column, message);
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Kind::Newline: return "end of line";
    case Kind::End: return "end of input";
    case Kind::String: return "a string literal";
    default: return "'" + std::string(t.text) + "'";
  }
}

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

namespace {

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

// Python's string prefixes (any case): u, r, b, f and the two-letter combinations of r with b or f.
bool is_string_prefix(std::string_view s) {
  std::string lower;
  for (char c : s) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return lower == "u" || lower == "r" || lower == "b" || lower == "f" || lower == "br" || lower == "rb" ||
         lower == "fr" || lower == "rf";
}

}  // namespace

Lexer::Lexer(std::string_view source, const Span& span)
    : src_(source.substr(0, span.end)), pos_(span.begin), line_(span.line), line_start_(span.line_start) {}

Token Lexer::next() {
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
      if (brackets_ == 0) return t;  // inside brackets a line break is only whitespace, as in Python
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

Span Lexer::skip_block(std::size_t indent) {
  Span block{pos_, pos_, line_, line_start_};
  while (pos_ < src_.size()) {
    std::size_t p = pos_;
    while (p < src_.size() && (src_[p] == ' ' || src_[p] == '\t' || src_[p] == '\f')) ++p;
    const bool blank = p >= src_.size() || src_[p] == '\n' || src_[p] == '\r' || src_[p] == '#';
    if (!blank && p - pos_ <= indent) break;
    while (p < src_.size() && src_[p] != '\n' && src_[p] != '\r') ++p;
    pos_ = p;
    if (pos_ < src_.size()) consume_line_break();
    if (!blank) block.end = pos_;
  }
  if (block.end == block.begin) {  // nothing indented: rewind to the line after the header
    pos_ = block.begin;
    line_ = block.line;
    line_start_ = block.line_start;
    return block;
  }
  // Continue right after the block's last line (trailing blank lines are read again as top level).
  pos_ = block.end;
  line_ = block.line;
  line_start_ = block.line_start;
  for (std::size_t p = block.begin; p < block.end; ++p) {
    if (src_[p] == '\n' || (src_[p] == '\r' && (p + 1 >= src_.size() || src_[p + 1] != '\n'))) {
      ++line_;
      line_start_ = p + 1;
    }
  }
  return block;
}

Token Lexer::make(Kind kind, std::size_t start, std::size_t length) const {
  return Token{kind, src_.substr(start, length), line_, column_of(start)};
}

// "\n", "\r\n" or a lone "\r", as Python reads them.
void Lexer::consume_line_break() {
  if (src_[pos_] == '\r' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '\n') ++pos_;
  ++pos_;
  ++line_;
  line_start_ = pos_;
}

// Comments may hold any text (UTF-8 included) but no control bytes.
void Lexer::skip_comment() {
  while (pos_ < src_.size() && src_[pos_] != '\n' && src_[pos_] != '\r') {
    const auto byte = static_cast<unsigned char>(src_[pos_]);
    if (is_control(byte) && byte != '\t' && byte != '\f') {
      fail(line_, column(), "unexpected control byte " + hex_byte(byte));
    }
    ++pos_;
  }
}

// digits [. digits] [e [+-] digits], or . digits [...]; a letter, digit or _ right after is an error.
Token Lexer::number() {
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
    fail(line_, column_of(start),
         "invalid number literal '" + std::string(src_.substr(start, pos_ - start)) + "'");
  }
  return make(Kind::Number, start, pos_ - start);
}

// A one-line string literal, prefix included in the token text. Its contents are not interpreted
// here (an f-string's braces are just characters).
Token Lexer::string(std::size_t start) {
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

// Operators and punctuation. Python's other operators are tokens too, so that errors can name them;
// the parser rejects them where they mean nothing here.
Token Lexer::symbol() {
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
  const char c = src_[pos_];
  if (c == '(' || c == '[' || c == '{') ++brackets_;
  if ((c == ')' || c == ']' || c == '}') && brackets_ > 0) --brackets_;
  Token t = make(Kind::Symbol, pos_, 1);
  ++pos_;
  return t;
}

}  // namespace verigrad::verify::detail
