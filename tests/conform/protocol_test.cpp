// The conform protocol's pieces: number encoding, programs as cases and Python, strict reading.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "verify/conform/program.hpp"
#include "verify/conform/protocol.hpp"
#include "verify/conform/wire.hpp"

namespace verigrad::verify::conform {
namespace {

GraphSpec spec(std::vector<NodeSpec> nodes) { return GraphSpec{std::move(nodes)}; }
NodeSpec leaf(double x) { return {Op::Leaf, {}, x}; }
NodeSpec number(double x) { return {Op::Leaf, {}, x, true}; }
NodeSpec node(Op op, std::vector<std::size_t> in, double k = 0.0) { return {op, std::move(in), k}; }

TEST(ConformNumbers, FloatsKeepAPointAndNonFiniteAreStrings) {
  EXPECT_EQ(number_json(2.0).dump(), "2.0");
  EXPECT_EQ(number_json(-0.0).dump(), "-0.0");  // Python's json reads -0 as the integer 0
  EXPECT_EQ(number_json(0.1).dump(), "0.1");
  EXPECT_EQ(number_json(5e-324).dump(), "5e-324");
  EXPECT_EQ(number_json(1e300).dump(), "1e+300");
  EXPECT_EQ(number_json(HUGE_VAL).dump(), "\"inf\"");
  EXPECT_EQ(number_json(-HUGE_VAL).dump(), "\"-inf\"");
  EXPECT_EQ(number_json(std::nan("")).dump(), "\"nan\"");
  EXPECT_TRUE(std::isnan(*number_from_json("nan")));
  EXPECT_EQ(*number_from_json(3), 3.0);
  EXPECT_FALSE(number_from_json("Infinity"));
  EXPECT_FALSE(number_from_json(nlohmann::json::array()));
}

TEST(ConformProgram, ANumberOnTheLeftOnlyWhereTheEngineTakesIt) {
  // 3.0 - x, with x = 0.5
  const GraphSpec s = spec({leaf(0.5), number(3.0), node(Op::Sub, {1, 0})});
  const Program with = encode(s, {OpName::sub});
  EXPECT_EQ(with.statement(2), "t1 = 3.0 - x1");
  EXPECT_EQ(to_json(with.to_case(4)).at("ops").dump(), R"([["t1","sub",3.0,"x1"]])");
  const Program without = encode(s, {});
  EXPECT_EQ(without.statement(2), "t1 = x2 - x1");  // the constant became a leaf
  EXPECT_EQ(to_json(without.to_case(4)).at("leaves").dump(), R"([["x1",0.5],["x2",3.0]])");
}

TEST(ConformProgram, NumbersOnlyInNumberPositions) {
  // tanh(3.0): a Value; x ** 2.0 via Pow: a Value (a number exponent is pow_const); 2.0 + 3.0: one Value
  const GraphSpec s =
      spec({leaf(0.5), number(3.0), node(Op::Tanh, {1}), number(2.0), node(Op::Pow, {0, 3}),
            node(Op::Add, {2, 4}), number(4.0), number(5.0), node(Op::Add, {6, 7}), node(Op::Mul, {5, 8})});
  const Program p = encode(s, {OpName::add, OpName::pow});
  EXPECT_EQ(p.python(),
            "x1 = Value(0.5)\n"
            "x2 = Value(3.0)\n"
            "x3 = Value(2.0)\n"
            "x4 = Value(4.0)\n"
            "t1 = x2.tanh()\n"
            "t2 = x1 ** x3\n"
            "t3 = t1 + t2\n"
            "t4 = x4 + 5.0\n"
            "t5 = t3 * t4\n"
            "t5.backward()\n");
}

TEST(ConformProgram, PythonSourceForEveryMode) {
  const GraphSpec s = spec(
      {leaf(-2.0), number(-2.0), node(Op::Pow, {1, 0}), node(Op::PowConst, {2}, -0.5), node(Op::Abs, {3})});
  const Program p = encode(s, {OpName::pow});
  const std::string ops = "x1 = Value(-2.0)\nt1 = (-2.0) ** x1\nt2 = t1 ** -0.5\nt3 = abs(t2)\n";
  EXPECT_EQ(p.python(Mode::once), ops + "t3.backward()\n");
  EXPECT_EQ(p.python(Mode::twice), ops + "t3.backward()\nt3.backward()\n");
  EXPECT_EQ(p.python(Mode::zero_then_again), ops + "t3.backward()\nx1.grad = 0.0\nt3.backward()\n");
  EXPECT_EQ(
      p.python(Mode::two_graphs),
      ops + "t1_b = (-2.0) ** x1\nt2_b = t1_b ** -0.5\nt3_b = abs(t2_b)\nt3.backward()\nt3_b.backward()\n");
  EXPECT_EQ(to_json(p.to_case(1)).at("ops").at(1).dump(), R"(["t2","pow_const","t1",-0.5])");
}

TEST(ConformProgram, CasesReadBackAsTheAdapterReadsThem) {
  const GraphSpec s =
      spec({leaf(-0.0), leaf(1e-300), number(2.0), node(Op::Div, {2, 0}), node(Op::Mul, {3, 1})});
  const Case c = encode(s, {OpName::div}).to_case(9, Mode::zero_then_again);
  const Case back = case_from_json(nlohmann::json::parse(to_line(to_json(c))));
  EXPECT_EQ(back.id, 9);
  EXPECT_EQ(back.mode, Mode::zero_then_again);
  ASSERT_EQ(back.leaves.size(), 2U);
  EXPECT_TRUE(std::signbit(back.leaves[0].second));
  EXPECT_EQ(back.leaves[1].second, 1e-300);
  ASSERT_EQ(back.ops.size(), 2U);
  EXPECT_TRUE(back.ops[0].args[0].is_number());
  EXPECT_EQ(back.ops[0].args[0].number, 2.0);
  EXPECT_EQ(back.ops[1].args[0].name, "t1");
  EXPECT_EQ(back.output, "t2");
  EXPECT_TRUE(back.intermediates);  // asked for by default
  Case without = c;
  without.intermediates = false;  // (an engine too slow to report every inner node)
  EXPECT_FALSE(case_from_json(nlohmann::json::parse(to_line(to_json(without)))).intermediates);
  // "inf" in an operand position is a number: names are never inf, -inf or nan
  const Case inf = case_from_json(nlohmann::json::parse(
      R"({"type":"case","id":1,"leaves":[["x1",1.0]],"ops":[["t1","add","x1","-inf"]],"output":"t1"})"));
  EXPECT_TRUE(inf.ops[0].args[1].is_number());
  EXPECT_EQ(inf.ops[0].args[1].number, -HUGE_VAL);
  EXPECT_THROW(case_from_json(nlohmann::json::parse(R"({"type":"case","id":1,"ops":[["t1","frob","x1"]]})")),
               std::invalid_argument);
  // an op with the wrong number of operands is refused, not read past its end
  EXPECT_THROW(
      case_from_json(nlohmann::json::parse(
          R"({"type":"case","id":1,"leaves":[["x1",1.0]],"ops":[["t1","add","x1"]],"output":"t1"})")),
      std::invalid_argument);
  EXPECT_THROW(
      case_from_json(nlohmann::json::parse(
          R"({"type":"case","id":1,"leaves":[["x1",1.0]],"ops":[["t1","neg","x1","x1"]],"output":"t1"})")),
      std::invalid_argument);
}

// What an adapter writes with protocol.hpp (the C++ adapter does) reads back through verigrad's strict
// reader as it was: the arithmetic flag, non-IEEE numbers, and text that is not valid UTF-8 (replaced,
// not thrown on: an engine's message may hold any bytes).
TEST(ConformProgram, RepliesReadBackAsVerigradReadsThem) {
  Case c;
  c.id = 5;
  c.leaves = {{"x1", 0.0}};
  c.ops = {{"t1", OpName::log, {{"x1", 0.0}}}};
  c.output = "t1";
  Reply e;
  e.type = Reply::Type::error;
  e.id = 5;
  e.phase = "build";
  e.kind = "exception";
  e.node = "t1";
  e.op = "log";
  e.exception = "ValueError";
  e.message = "math domain error \xff";
  e.arithmetic = true;
  const Reply back = parse_reply(to_line(to_json(e)), c);
  EXPECT_TRUE(back.arithmetic);
  EXPECT_EQ(back.node, "t1");
  EXPECT_EQ(back.message, "math domain error \xEF\xBF\xBD");  // U+FFFD
  Reply r;
  r.id = 5;
  r.value = Number{0.0, "complex", "(-inf+3.14j)"};
  r.grads = {{"x1", Number{-HUGE_VAL, "", ""}}};
  const Reply result = parse_reply(to_line(to_json(r)), c);
  EXPECT_EQ(result.value.type, "complex");
  EXPECT_EQ(result.value.repr, "(-inf+3.14j)");
  ASSERT_EQ(result.grads.size(), 1U);
  EXPECT_EQ(result.grads[0].second.value, -HUGE_VAL);
}

TEST(ConformWire, ProtocolLinesStartWithABrace) {
  EXPECT_TRUE(is_protocol_line("{\"type\":\"result\"}"));
  EXPECT_FALSE(is_protocol_line(" {\"type\":\"result\"}"));
  EXPECT_FALSE(is_protocol_line("Value(data=1.0)"));
  EXPECT_FALSE(is_protocol_line(""));
}

TEST(ConformWire, QuoteEscapesWhatIsNotText) {
  EXPECT_EQ(quote("ok"), "'ok'");
  EXPECT_EQ(quote("a\xff\x01z"), "'a\\xFF\\x01z'");
  EXPECT_EQ(quote("\xc3\xa9t\xc3\xa9"), "'\xc3\xa9t\xc3\xa9'");    // valid UTF-8 stays
  EXPECT_EQ(quote("\xed\xa0\x80"), "'\\xED\\xA0\\x80'");           // a surrogate is not valid UTF-8
  EXPECT_EQ(quote("\xc0\x80"), "'\\xC0\\x80'");                    // nor an overlong NUL
  EXPECT_EQ(quote("a\x7f"), "'a\\x7F'");                           // DEL is a control character
  EXPECT_EQ(quote("\xf0\x9f\x99\x82!"), "'\xf0\x9f\x99\x82!'");    // a four-byte character stays
  EXPECT_EQ(quote("\xf0\x8f\xbf\xbf"), "'\\xF0\\x8F\\xBF\\xBF'");  // an overlong four-byte form does not
  EXPECT_EQ(quote("\xc2\xa0"), "'\xc2\xa0'");                      // the lowest two-byte character is
  EXPECT_EQ(quote(std::string(10, 'x'), 4), "'xxxx'... (10 bytes)");
}

TEST(ConformWire, HelloIsReadStrictly) {
  const Hello h = parse_hello(
      R"({"type":"hello","protocol":1,"engine":"e","ops":["add","sub"],"constant_left":["sub"],"unsupported":{"div":"no"},"x_mine":3})");
  EXPECT_EQ(h.engine, "e");
  EXPECT_EQ(h.ops.size(), 2U);
  EXPECT_EQ(h.constant_left, std::vector<OpName>{OpName::sub});
  EXPECT_EQ(h.unsupported.at(0).second, "no");
  EXPECT_TRUE(h.intermediates);  // by default
  const Hello lean = parse_hello(
      R"({"type":"hello","protocol":1,"engine":"e","ops":["add","sub","add"],"intermediates":false})");
  EXPECT_FALSE(lean.intermediates);
  EXPECT_EQ(lean.ops, (std::vector<OpName>{OpName::add, OpName::sub}));  // an op named twice is one op
  for (const char* bad : {
           R"({"type":"hello","protocol":1,"engine":"e","ops":["add"],"extra":1})",
           R"({"type":"hello","protocol":1,"engine":"e","ops":["add"],"my_x_key":1})",  // x_ in front only
           R"({"type":"hello","protocol":1,"engine":"e","ops":["add"],"constant_left":["sub"]})",
           R"({"type":"hello","protocol":1,"engine":"e","ops":["add"],"constant_left":["neg"]})",
           R"({"type":"hello","protocol":1,"engine":"","ops":["add"]})",
           R"({"type":"hello","protocol":"1","engine":"e","ops":["add"]})",
           R"({"type":"hello","protocol":1,"engine":"e"})",
           R"({"type":"result","id":1})",
           R"([1,2])",
       }) {
    EXPECT_THROW(parse_hello(bad), AdapterError) << bad;
  }
  try {
    parse_hello(R"({"type":"error","phase":"hello","exception":"SyntaxError","message":"line 3"})");
    FAIL();
  } catch (const AdapterError& e) {
    EXPECT_NE(std::string(e.what()).find("could not load the engine: 'SyntaxError: line 3'"),
              std::string::npos);
  }
}

Case pending() {
  Case c;
  c.id = 3;
  c.leaves = {{"x1", 1.0}, {"x2", 2.0}};
  c.ops = {{"t1", OpName::mul, {{"x1", 0}, {"x2", 0}}}};
  c.output = "t1";
  return c;
}

TEST(ConformWire, RepliesAreCheckedAgainstTheirCase) {
  const Reply r = parse_reply(
      R"({"type":"result","id":3,"value":2.0,"grads":{"x1":2.0,"x2":"inf","t1":1.0},"values":{"t1":{"type":"complex","repr":"1j"}},"stdout":"hi"})",
      pending());
  EXPECT_EQ(r.value.value, 2.0);
  EXPECT_EQ(r.grads.size(), 3U);
  for (const auto& [name, g] : r.grads) {
    if (name == "x2") {
      EXPECT_TRUE(std::isinf(g.value));
    }
  }
  EXPECT_FALSE(r.values[0].second.ieee());
  EXPECT_EQ(r.printed, "hi");
  const Reply e = parse_reply(
      R"({"type":"error","id":3,"phase":"backward","kind":"exception","exception":"ZeroDivisionError","message":"m","arithmetic":true,"node":"t1","op":"mul"})",
      pending());
  EXPECT_TRUE(e.arithmetic);
  EXPECT_EQ(e.node, "t1");
  for (
      const char* bad : {
          R"({"type":"result","id":4,"value":2.0,"grads":{"x1":2.0,"x2":1.0}})",  // another id
          R"({"type":"result","id":3,"value":2.0,"grads":{"x1":2.0}})",           // a leaf's grad missing
          R"({"type":"result","id":3,"value":2.0,"grads":{"x1":2.0,"x2":1.0,"y":1}})",     // not in the case
          R"({"type":"result","id":3,"value":"Infinity","grads":{"x1":2.0,"x2":1.0}})",    // not a number
          R"({"type":"result","id":3,"value":2.0,"grads":{"x1":2.0,"x2":1.0},"more":1})",  // unknown key
          R"({"type":"result","id":3,"value":{"type":"complex"},"grads":{"x1":2.0,"x2":1.0}})",
          R"({"type":"result","id":3,"value":{"type":"complex","repr":"1j","x":1},"grads":{"x1":2.0,"x2":1.0}})",
          R"({"type":"error","id":3,"phase":"build","kind":"oops","exception":"E","message":"m"})",  // kind
          R"({"type":"error","id":3,"phase":"build","kind":"exception","exception":"E","message":"m","node":"t9"})",
          R"({"type":"error","id":3,"phase":"forward","kind":"exception","exception":"E","message":"m"})",
          R"({"type":"error","id":3,"phase":"build","kind":"exception","message":"m"})",  // no exception
          R"({"type":"error","id":3,"phase":"build","kind":"exception","exception":"E","message":"m","op":"matmul"})",
          R"({"type":"error","id":3,"phase":"build","kind":"not_a_value","message":"m"})",  // no returned
          R"({"type":"hello","protocol":1})",
          R"({"type":"result","id":3,"value":2.0,"grads":{"x1":2.0,"x2":1.0})",  // cut short
          "{\"type\":\"result\",\"id\":3,\"value\":2.0,\"grads\":{\"x1\":\"\xff\"}}",
      }) {
    EXPECT_THROW(parse_reply(bad, pending()), AdapterError) << bad;
  }
  // The adapter saying it could not read the case is fatal, with its own words.
  try {
    parse_reply(
        R"({"type":"error","id":3,"phase":"protocol","kind":"exception","exception":"E","message":"m"})",
        pending());
    FAIL();
  } catch (const AdapterError& err) {
    EXPECT_EQ(std::string(err.what()).rfind("the adapter could not read case 3: ", 0), 0U) << err.what();
  }
  try {
    parse_reply(R"({"type":"result","id":3,"value":2.0,"grads":{"x1":2.0}})", pending());
    FAIL();
  } catch (const AdapterError& err) {
    EXPECT_NE(std::string(err.what()).find("no grad for leaf \"x2\"): '{\"type\":\"result\""),
              std::string::npos)
        << err.what();
  }
}

}  // namespace
}  // namespace verigrad::verify::conform
