// The expression language's tokens and lexer (internal to verify/expr: parser.cpp and its helpers).
//
// Python's lexical rules where they matter for pasted code: `#` comments, `\` line continuation,
// implicit line joining inside ( ) [ ] { } (a call may span lines), one-line string literals with
// Python's prefixes (f'...' included; their contents are read by the parser), "\n", "\r\n" and "\r"
// line breaks. Leading indentation is not a token: only `def` bodies look at it (skip_block).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "verify/expr/parser.hpp"

namespace verigrad::verify::detail {

enum class Kind { Name, Number, String, Symbol, Newline, End };

struct Token {
  Kind kind = Kind::End;
  std::string_view text;  // a view into the source
  std::size_t line = 1;
  std::size_t column = 1;

  bool is(std::string_view symbol) const { return kind == Kind::Symbol && text == symbol; }
  bool is_name(std::string_view name) const { return kind == Kind::Name && text == name; }
  bool ends_statement() const { return kind == Kind::Newline || kind == Kind::End || is(";"); }
};

struct Position {
  std::size_t line = 1;
  std::size_t column = 1;
};

[[noreturn]] void fail(std::size_t line, std::size_t column, const std::string& message);

// How an error message names a token it did not expect: 'x', end of line, a string literal, ...
std::string describe(const Token& t);

bool is_keyword(std::string_view s);

// A source range [begin, end) of the full text, starting at `line` whose first byte is at `line_start`.
// Offsets and columns always refer to the full text, so errors in a function body or an f-string field
// name the place in the file.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t line = 1;
  std::size_t line_start = 0;
};

// Produces tokens on demand, so the first error in the source is the one reported.
class Lexer {
 public:
  explicit Lexer(std::string_view source) : Lexer(source, Span{0, source.size(), 1, 0}) {}
  Lexer(std::string_view source, const Span& span);

  Token next();

  // After the NEWLINE that ends a `def` line indented by `indent` bytes: the lines that follow and are
  // indented further (blank and comment lines included) are the block, returned unread; the lexer
  // continues after it. The block is empty if the next line is not indented further.
  Span skip_block(std::size_t indent);

  // Offset in the full text of a token's first byte.
  std::size_t offset_of(const Token& t) const {
    return static_cast<std::size_t>(t.text.data() - src_.data());
  }

 private:
  std::size_t column() const { return pos_ - line_start_ + 1; }
  std::size_t column_of(std::size_t offset) const { return offset - line_start_ + 1; }
  Token make(Kind kind, std::size_t start, std::size_t length) const;
  void consume_line_break();
  void skip_comment();
  Token number();
  Token string(std::size_t start);
  Token symbol();

  std::string_view src_;  // the full text up to the span's end
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
  std::size_t brackets_ = 0;  // open ( [ {: line breaks inside are not NEWLINE tokens
};

}  // namespace verigrad::verify::detail
