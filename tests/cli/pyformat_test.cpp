// Python's number and string formatting (verify/expr/pyformat.hpp). Every expected text is what
// CPython 3.11 prints for the same value and spec: repr, format() and printf-style '%'.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "verify/expr/pyformat.hpp"

namespace verigrad::verify {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(PyFormat, ReprIsPythonsShortestRoundTrip) {
  const struct {
    double x;
    const char* text;
  } cases[] = {
      {0.1, "0.1"},
      {0.30000000000000004, "0.30000000000000004"},
      {1e+16, "1e+16"},
      {1000000000000000.0, "1000000000000000.0"},
      {9999999999999998.0, "9999999999999998.0"},
      {1e-05, "1e-05"},
      {0.0001, "0.0001"},
      {0.00012, "0.00012"},
      {100000.0, "100000.0"},
      {-1.5e-07, "-1.5e-07"},
      {123456789.0, "123456789.0"},
      {1.2345678901234567e+20, "1.2345678901234567e+20"},
      {5e-324, "5e-324"},
      {9007199254740992.0, "9007199254740992.0"},
      {1e+100, "1e+100"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {0.3333333333333333, "0.3333333333333333"},
      {2.5e-300, "2.5e-300"},
      {1.7976931348623157e+308, "1.7976931348623157e+308"},
      {-8.0, "-8.0"},
      {6.000000000000227, "6.000000000000227"},
      {0.7071067811865476, "0.7071067811865476"},
      {kInf, "inf"},
      {-kInf, "-inf"},
      {kNaN, "nan"},
  };
  for (const auto& c : cases) EXPECT_EQ(py_repr(c.x), c.text) << c.text;
}

TEST(PyFormat, FloatFormatSpecs) {
  const struct {
    double x;
    const char* spec;
    const char* text;
  } cases[] = {
      {3.14159, ".2f", "3.14"},
      {1234567.891, ",.2f", "1,234,567.89"},
      {0.25, ".1%", "25.0%"},
      {1.0, ".3", "1.0"},
      {1234.5, ".3", "1.23e+03"},
      {100.0, ".3", "1e+02"},
      {12.0, ".3", "12.0"},
      {12.0, ".2", "1.2e+01"},
      {0.00012, ".3", "0.00012"},
      {15000000000.0, ".5", "1.5e+10"},
      {2.5, "^9.2f", "  2.50   "},
      {-0.0, ".1f", "-0.0"},
      {-0.0, "z.1f", "0.0"},
      {3.0, "+.1e", "+3.0e+00"},
      {0.5, "*<8", "0.5*****"},
      {-1.5, "=+8.2f", "-   1.50"},
      {-1.5, "08.2f", "-0001.50"},
      {1e-07, "g", "1e-07"},
      {123456789.0, "_.1f", "123_456_789.0"},
      {24.70408163265306, ".4f", "24.7041"},
      {138.8338192419825, ".4f", "138.8338"},
      {-7.286496, "", "-7.286496"},
      {0.1, ">8", "     0.1"},
      {0.6666666666666666, ".10g", "0.6666666667"},
      {1e+20, ".3g", "1e+20"},
      {kInf, ".2f", "inf"},
      {kNaN, "F", "NAN"},
      {1.0, "#.3g", "1.00"},
      {0.5, ".0%", "50%"},
      {1234.5678, "10.3e", " 1.235e+03"},
      {-2.5, ".0f", "-2"},
      {1e-10, "", "1e-10"},
      {42.0, "5", " 42.0"},
      {0.1, ".20f", "0.10000000000000000555"},
      {5e-324, ".3g", "4.94e-324"},
      {1.5, "f", "1.500000"},  // six digits by default, as for e and %
      {1.5, "e", "1.500000e+00"},
      {0.125, "%", "12.500000%"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(py_format(PyObject::of_float(c.x), c.spec), c.text) << c.x << " with '" << c.spec << "'";
  }
}

TEST(PyFormat, IntFormatSpecs) {
  const struct {
    double x;
    const char* spec;
    const char* text;
  } cases[] = {
      {5.0, "03d", "005"},
      {7.0, "", "7"},
      {-7.0, "+d", "-7"},
      {3.0, "f", "3.000000"},
      {1234567.0, ",", "1,234,567"},
      {42.0, ">6", "    42"},
      {-42.0, "<6", "-42   "},
      {10.0, ".2f", "10.00"},
      {0.0, "d", "0"},
      {9007199254740994.0, "d", "9007199254740994"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(py_format(PyObject::of_int(c.x), c.spec), c.text) << c.x << " with '" << c.spec << "'";
  }
  EXPECT_EQ(py_str(PyObject::of_int(-3.0)), "-3");
  EXPECT_EQ(py_str(PyObject::of_int(-0.0)), "0");  // -0 is 0 for ints
}

TEST(PyFormat, StringFormatSpecs) {
  const struct {
    const char* s;
    const char* spec;
    const char* text;
  } cases[] = {
      {"ab", ">4", "  ab"}, {"ab", "", "ab"},      {"abc", ".2", "ab"}, {"x", "^5", "  x  "},
      {"L", "*<3", "L**"},  {"ab", "^5", " ab  "},  // the odd fill goes right, as Python puts it
  };
  for (const auto& c : cases) EXPECT_EQ(py_format(PyObject::of_string(c.s), c.spec), c.text) << c.spec;
  EXPECT_EQ(py_repr(PyObject::of_string("a\nb")), "'a\\nb'");
  EXPECT_EQ(py_repr(PyObject::of_string("it's")), "\"it's\"");  // Python picks the other quote
  EXPECT_EQ(py_repr(PyObject::of_string("it's \"q\"")), "'it\\'s \"q\"'");
}

TEST(PyFormat, PercentFormatting) {
  const struct {
    const char* format;
    std::vector<PyObject> args;
    const char* text;
  } cases[] = {
      {"%5.1f", {PyObject::of_float(3.14159)}, "  3.1"},
      {"%d", {PyObject::of_float(2.7)}, "2"},
      {"%s", {PyObject::of_float(0.1)}, "0.1"},
      {"%r", {PyObject::of_string("a")}, "'a'"},
      {"%-6s|", {PyObject::of_string("ab")}, "ab    |"},
      {"%.3d", {PyObject::of_int(5.0)}, "005"},
      {"%e", {PyObject::of_float(12345.678)}, "1.234568e+04"},
      {"%g %g", {PyObject::of_float(1e-05), PyObject::of_float(123456789.0)}, "1e-05 1.23457e+08"},
      {"%+.2f%%", {PyObject::of_float(12.5)}, "+12.50%"},
      {"%s and %s", {PyObject::of_int(1.0), PyObject::of_string("x")}, "1 and x"},
      {"%.4f", {PyObject::of_float(-7.286496)}, "-7.2865"},
      {"%i|%05.1f|% d",
       {PyObject::of_int(3.0), PyObject::of_float(2.25), PyObject::of_int(4.0)},
       "3|002.2| 4"},
      {"%s", {PyObject::of_string("it's")}, "it's"},
      {"%r", {PyObject::of_string("it's")}, "\"it's\""},
      {"%d", {PyObject::of_float(-0.5)}, "0"},
  };
  for (const auto& c : cases) EXPECT_EQ(py_percent(c.format, c.args), c.text) << c.format;
}

// Python's ValueError / TypeError, with Python's wording.
TEST(PyFormat, BadSpecsAndArgumentsThrow) {
  auto message = [](auto f) -> std::string {
    try {
      f();
    } catch (const PyFormatError& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_EQ(message([] { py_format(PyObject::of_float(1.0), "d"); }),
            "Unknown format code 'd' for object of type 'float'");
  EXPECT_EQ(message([] { py_format(PyObject::of_int(1.0), "s"); }),
            "Unknown format code 's' for object of type 'int'");
  EXPECT_EQ(message([] { py_format(PyObject::of_string("a"), "+"); }),
            "Sign not allowed in string format specifier");
  EXPECT_EQ(message([] { py_format(PyObject::of_float(1.0), ".f2"); }), "Format specifier missing precision");
  EXPECT_EQ(message([] { py_format(PyObject::of_float(1.0), "5.2fz"); }),
            "Invalid format specifier '5.2fz' for object of type 'float'");
  EXPECT_EQ(message([] { py_format(PyObject::of_int(1.0), ".2"); }),
            "Precision not allowed in integer format specifier");
  EXPECT_EQ(message([] { py_format(PyObject::of_float(1.0), "1001"); }),
            "Too many decimal digits in format string");
  EXPECT_EQ(py_format(PyObject::of_float(1.0), "1000").size(), 1000U);
  EXPECT_EQ(message([] { py_percent("%d %d", {PyObject::of_int(1.0)}); }),
            "not enough arguments for format string");
  EXPECT_EQ(message([] {
              py_percent("%d", {PyObject::of_int(1.0), PyObject::of_int(2.0)});
            }),
            "not all arguments converted during string formatting");
  EXPECT_EQ(message([] { py_percent("%d", {PyObject::of_string("x")}); }),
            "%d format: a real number is required, not str");
  EXPECT_EQ(message([] { py_percent("%x", {PyObject::of_int(1.0)}); }), "unsupported format character 'x'");
  EXPECT_EQ(message([] { py_percent("%", {}); }), "incomplete format");
}

}  // namespace
}  // namespace verigrad::verify
