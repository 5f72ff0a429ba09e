// Python's number and string formatting, written against Python 3's documented rules (repr's shortest
// round trip, the format-spec mini-language, printf-style formatting). C's printf does the digit work.
#include "verify/expr/pyformat.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace verigrad::verify {

namespace {

// snprintf into a std::string, for formats built at run time from a spec's pieces.
template <typename... Args>
std::string printf_string(const std::string& format, Args... args) {
  const int n = std::snprintf(nullptr, 0, format.c_str(), args...);
  if (n < 0) return "";
  std::string out(static_cast<std::size_t>(n) + 1, '\0');
  std::snprintf(out.data(), out.size(), format.c_str(), args...);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

const char* type_name(const PyObject& o) {
  switch (o.type) {
    case PyObject::Type::Float: return "float";
    case PyObject::Type::Int: return "int";
    case PyObject::Type::String: return "str";
  }
  return "object";
}

// Digits of an integral double (exact: every double above 2**53 is an integer).
std::string int_digits(double x) { return printf_string("%.0f", x); }

// repr of a string, as Python quotes it: 'text' (or "text" when it holds a ' and no ").
std::string string_repr(const std::string& s) {
  const char quote = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, quote);
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == quote) {
      out += std::string("\\") + c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + quote;
}

// Inserts sep every three digits of the integer part of an unsigned number's text.
std::string group_digits(const std::string& body, char sep) {
  std::size_t end = 0;
  while (end < body.size() && body[end] >= '0' && body[end] <= '9') ++end;
  std::string grouped;
  for (std::size_t i = 0; i < end; ++i) {
    if (i > 0 && (end - i) % 3 == 0) grouped += sep;
    grouped += body[i];
  }
  return grouped + body.substr(end);
}

struct Spec {
  char fill = ' ';
  char align = '\0';  // '<' '>' '^' '=' or none
  char sign = '-';
  bool alternate = false;
  bool no_negative_zero = false;  // 'z'
  std::size_t width = 0;
  char grouping = '\0';
  int precision = -1;
  char type = '\0';
};

bool is_align(char c) { return c == '<' || c == '>' || c == '^' || c == '='; }

std::size_t read_count(std::string_view s, std::size_t& i) {
  std::size_t n = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    n = n * 10 + static_cast<std::size_t>(s[i] - '0');
    if (n > 1000) throw PyFormatError("Too many decimal digits in format string");
    ++i;
  }
  return n;
}

Spec parse_spec(std::string_view s, const char* type) {
  Spec spec;
  std::size_t i = 0;
  if (s.size() >= 2 && is_align(s[1])) {
    spec.fill = s[0];
    spec.align = s[1];
    i = 2;
  } else if (!s.empty() && is_align(s[0])) {
    spec.align = s[0];
    i = 1;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) spec.sign = s[i++];
  if (i < s.size() && s[i] == 'z') {
    spec.no_negative_zero = true;
    ++i;
  }
  if (i < s.size() && s[i] == '#') {
    spec.alternate = true;
    ++i;
  }
  if (i < s.size() && s[i] == '0') {
    if (spec.align == '\0') {
      spec.fill = '0';
      spec.align = '=';
    }
    ++i;
  }
  spec.width = read_count(s, i);
  if (i < s.size() && (s[i] == ',' || s[i] == '_')) spec.grouping = s[i++];
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9') throw PyFormatError("Format specifier missing precision");
    spec.precision = static_cast<int>(read_count(s, i));
  }
  if (i < s.size()) spec.type = s[i++];
  if (i < s.size()) {
    throw PyFormatError("Invalid format specifier '" + std::string(s) + "' for object of type '" + type +
                        "'");
  }
  return spec;
}

// Pads text (sign already split off) to the spec's width.
std::string pad(const std::string& sign, const std::string& body, const Spec& spec, char default_align) {
  const std::size_t length = sign.size() + body.size();
  if (length >= spec.width) return sign + body;
  const std::string fill(spec.width - length, spec.fill);
  switch (spec.align != '\0' ? spec.align : default_align) {
    case '<': return sign + body + fill;
    case '^': {
      const std::size_t left = fill.size() / 2;
      return fill.substr(0, left) + sign + body + fill.substr(left);
    }
    case '=': return sign + fill + body;
    default: return fill + sign + body;
  }
}

std::string format_string(const std::string& s, const Spec& spec) {
  if (spec.type != '\0' && spec.type != 's')
    throw PyFormatError(std::string("Unknown format code '") + spec.type + "' for object of type 'str'");
  if (spec.sign != '-') throw PyFormatError("Sign not allowed in string format specifier");
  if (spec.align == '=') throw PyFormatError("'=' alignment not allowed in string format specifier");
  const std::string body = spec.precision >= 0 ? s.substr(0, static_cast<std::size_t>(spec.precision)) : s;
  return pad("", body, spec, '<');
}

// The none type with a precision p: like 'g', but scientific from a decimal exponent of p - 1 on, and
// fixed notation keeps one digit after the point (format(1.0, '.3') is '1.0', format(100.0, '.3') is
// '1e+02'). Without a precision, repr.
std::string general(double a, const Spec& spec) {
  if (spec.precision < 0) return py_repr(a);
  const int p = spec.precision == 0 ? 1 : spec.precision;
  const std::string sci = printf_string("%.*e", p - 1, a);  // rounded to p digits: its exponent decides
  const int exponent = std::atoi(sci.c_str() + sci.find('e') + 1);
  auto strip = [&](std::string t, std::size_t keep) {  // trailing zeros after the point, unless '#'
    if (spec.alternate || t.find('.') == std::string::npos) return t;
    while (t.size() > keep && t.back() == '0') t.pop_back();
    return t;
  };
  if (exponent >= -4 && exponent < p - 1) {
    const std::string fixed = printf_string("%.*f", p - 1 - exponent, a);
    return strip(fixed, fixed.find('.') + 2);
  }
  const std::size_t e = sci.find('e');
  std::string mantissa = sci.substr(0, e);
  if (!spec.alternate && mantissa.find('.') != std::string::npos) {
    while (mantissa.back() == '0') mantissa.pop_back();
    if (mantissa.back() == '.') mantissa.pop_back();
  }
  return mantissa + sci.substr(e);
}

// The unsigned text of |x| for a float presentation type.
std::string float_body(double x, const Spec& spec, char type) {
  const double a = std::fabs(x);
  const bool upper = type == 'E' || type == 'F' || type == 'G';
  if (std::isnan(x)) return upper ? "NAN" : "nan";
  if (std::isinf(x)) return upper ? "INF" : "inf";
  const std::string hash = spec.alternate ? "#" : "";
  switch (type) {
    case 'f':
    case 'F': return printf_string("%" + hash + ".*f", spec.precision < 0 ? 6 : spec.precision, a);
    case 'e':
    case 'E':
      return printf_string("%" + hash + (upper ? ".*E" : ".*e"), spec.precision < 0 ? 6 : spec.precision, a);
    case 'g':
    case 'G':
    case 'n':
      return printf_string("%" + hash + (upper ? ".*G" : ".*g"), spec.precision < 0 ? 6 : spec.precision, a);
    case '%':
      return printf_string("%" + hash + ".*f", spec.precision < 0 ? 6 : spec.precision, a * 100.0) + "%";
    default: return general(a, spec);
  }
}

bool is_float_type(char t) {
  return t == 'e' || t == 'E' || t == 'f' || t == 'F' || t == 'g' || t == 'G' || t == '%';
}

std::string format_number(const PyObject& o, const Spec& spec) {
  const bool as_int = o.type == PyObject::Type::Int && !is_float_type(spec.type);
  const char t = spec.type;
  if (as_int ? (t != '\0' && t != 'd' && t != 'n') : !(t == '\0' || t == 'n' || is_float_type(t))) {
    throw PyFormatError(std::string("Unknown format code '") + t + "' for object of type '" + type_name(o) +
                        "'");
  }
  if (as_int && spec.precision >= 0) throw PyFormatError("Precision not allowed in integer format specifier");
  double x = o.number;
  std::string body = as_int ? int_digits(std::fabs(x)) : float_body(x, spec, t);
  if (spec.no_negative_zero && body.find_first_not_of("0.%e+-") == std::string::npos) x = 0.0;
  if (spec.grouping != '\0') body = group_digits(body, spec.grouping);
  const bool negative = as_int ? x < 0.0 : std::signbit(x) && !std::isnan(x);
  const std::string sign = negative ? "-" : spec.sign == '-' ? "" : std::string(1, spec.sign);
  return pad(sign, body, spec, '>');
}

}  // namespace

std::string py_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == 0.0) return std::signbit(x) ? "-0.0" : "0.0";
  char buf[40];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*e", digits - 1, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  // buf is [-]d[.ddd]e(+|-)XX: split it into sign, significant digits and decimal exponent.
  std::string text = buf;
  std::string sign;
  if (text[0] == '-') {
    sign = "-";
    text.erase(0, 1);
  }
  const std::size_t e = text.find('e');
  const int exponent = std::atoi(text.c_str() + e + 1);
  std::string digits = text.substr(0, e);
  if (digits.size() > 1) digits.erase(1, 1);  // the '.'
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (exponent < -4 || exponent >= 16) {
    std::string mantissa = digits.substr(0, 1);
    if (digits.size() > 1) mantissa += "." + digits.substr(1);
    const int magnitude = exponent < 0 ? -exponent : exponent;
    return sign + mantissa + (exponent < 0 ? "e-" : "e+") + (magnitude < 10 ? "0" : "") +
           std::to_string(magnitude);
  }
  if (exponent < 0) return sign + "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  const auto point = static_cast<std::size_t>(exponent) + 1;
  if (digits.size() <= point) return sign + digits + std::string(point - digits.size(), '0') + ".0";
  return sign + digits.substr(0, point) + "." + digits.substr(point);
}

std::string py_str(const PyObject& o) {
  switch (o.type) {
    case PyObject::Type::Float: return py_repr(o.number);
    case PyObject::Type::Int: return (o.number < 0 ? "-" : "") + int_digits(std::fabs(o.number));
    case PyObject::Type::String: return o.text;
  }
  return "";
}

std::string py_repr(const PyObject& o) {
  return o.type == PyObject::Type::String ? string_repr(o.text) : py_str(o);
}

std::string py_format(const PyObject& o, std::string_view spec_text) {
  const Spec spec = parse_spec(spec_text, type_name(o));
  if (o.type == PyObject::Type::String) return format_string(o.text, spec);
  return format_number(o, spec);
}

std::string py_percent(std::string_view fmt, const std::vector<PyObject>& args) {
  std::string out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) throw PyFormatError("incomplete format");
    if (fmt[i] == '%') {
      out += '%';
      continue;
    }
    if (fmt[i] == '(') throw PyFormatError("format requires a mapping");
    std::string flags;
    while (i < fmt.size() &&
           (fmt[i] == '-' || fmt[i] == '+' || fmt[i] == ' ' || fmt[i] == '#' || fmt[i] == '0')) {
      flags += fmt[i++];
    }
    if (i < fmt.size() && fmt[i] == '*') throw PyFormatError("'*' widths are not supported");
    const std::size_t width = read_count(fmt, i);
    int precision = -1;
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      precision = static_cast<int>(read_count(fmt, i));
    }
    while (i < fmt.size() && (fmt[i] == 'h' || fmt[i] == 'l' || fmt[i] == 'L')) ++i;
    if (i >= fmt.size()) throw PyFormatError("incomplete format");
    const char c = fmt[i];
    if (next >= args.size()) throw PyFormatError("not enough arguments for format string");
    const PyObject& arg = args[next++];
    const std::string head = "%" + flags + (width > 0 ? std::to_string(width) : "");
    const std::string prec = precision >= 0 ? "." + std::to_string(precision) : "";
    const bool numeric = arg.type != PyObject::Type::String;
    if (c == 'd' || c == 'i' || c == 'u') {
      if (!numeric) throw PyFormatError(std::string("%") + c + " format: a real number is required, not str");
      if (!std::isfinite(arg.number))
        throw PyFormatError("cannot convert float " + py_repr(arg.number) + " to integer");
      const double v = std::trunc(arg.number);
      out += std::fabs(v) < 9e18 ? printf_string(head + prec + "lld", static_cast<long long>(v))
                                 : printf_string(head + ".0f", v);
    } else if (c == 'f' || c == 'F' || c == 'e' || c == 'E' || c == 'g' || c == 'G') {
      if (!numeric) throw PyFormatError("must be real number, not str");
      out += printf_string(head + prec + c, arg.number);
    } else if (c == 's' || c == 'r' || c == 'a') {
      std::string s = c == 's' ? py_str(arg) : py_repr(arg);
      if (precision >= 0) s = s.substr(0, static_cast<std::size_t>(precision));
      if (s.size() < width) {
        const bool left = flags.find('-') != std::string::npos;
        s.insert(left ? s.size() : 0, width - s.size(), ' ');
      }
      out += s;
    } else {
      throw PyFormatError(std::string("unsupported format character '") + c + "'");
    }
  }
  if (next < args.size()) throw PyFormatError("not all arguments converted during string formatting");
  return out;
}

}  // namespace verigrad::verify
