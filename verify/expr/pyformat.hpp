// Python's text for numbers and strings, so that print(...) in a pasted program writes what Python
// would: repr of a float ('0.1', '1e-05', '100000.0'), format specs in f-strings ('{x:.4f}',
// '{x:>10.3e}', '{x:+,.2f}', '{x:.1%}') and printf-style '%' formatting ('%.4f' % x, '%d %s' % (k, x)).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace verigrad::verify {

// A value as Python's formatting sees it: a float, an int (an integral double) or a string.
struct PyObject {
  enum class Type { Float, Int, String } type = Type::Float;
  double number = 0.0;
  std::string text;  // Type::String

  static PyObject of_float(double x) { return {Type::Float, x, {}}; }
  static PyObject of_int(double x) { return {Type::Int, x, {}}; }
  static PyObject of_string(std::string s) { return {Type::String, 0.0, std::move(s)}; }
};

// Python's formatting errors (ValueError, TypeError), with Python's wording where it has one.
class PyFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// repr(x) for a float: the shortest text that reads back as x; fixed notation for decimal exponents
// from -4 to 15 (always with a '.'), scientific outside ('1e+16', '1.5e-05'); 'inf', '-inf', 'nan'.
std::string py_repr(double x);

// str(o): repr for floats, the digits for ints (exact below 2**53), the text for strings.
std::string py_str(const PyObject& o);
// repr(o): as str(o), but a string is quoted as Python quotes it ('text').
std::string py_repr(const PyObject& o);

// format(o, spec): Python's format-spec mini-language,
// [[fill]align][sign][#][0][width][, or _][.precision][type], for floats (types e E f F g G n % or
// none), ints (d n, or a float type) and strings (s or none). Throws PyFormatError.
std::string py_format(const PyObject& o, std::string_view spec);

// fmt % args: conversions d i u f F e E g G s r a %, with flags - + space # 0, a width and a
// .precision. Throws PyFormatError for too few or too many arguments or an unsupported conversion.
std::string py_percent(std::string_view fmt, const std::vector<PyObject>& args);

}  // namespace verigrad::verify
