// The process adapter's handling of what an engine prints outside the protocol, with small limits:
// each line cut to max_print_line, at most max_kept_prints kept, every one counted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "verify/conform/process.hpp"

namespace verigrad::verify::conform {
namespace {

// tanh(2 * x1) at x1 = 0.5.
Case small_case(std::int64_t id) {
  Case c;
  c.id = id;
  c.leaves = {{"x1", 0.5}};
  c.ops = {{"t1", OpName::mul, {{"x1", 0.0}, {"", 2.0}}}, {"t2", OpName::tanh, {{"t1", 0.0}}}};
  c.output = "t2";
  return c;
}

// misbehave.py prints, before each reply: "a print from the engine", a blank line, "[1, 2, 3]" and
// "Value(data=1.0, grad=0.0)" ended by "\r\n": three lines that count.
TEST(ConformProcess, PrintLinesAreCutAndOnlyTheFirstOnesKept) {
  ProcessOptions o;
  o.argv = {"python3", "-B", std::string(CONFORM_TESTS_DIR) + "/adapters/misbehave.py", "prints"};
  o.max_print_line = 10;
  o.max_kept_prints = 4;
  ProcessEngine engine(o);
  ASSERT_EQ(engine.hello().ops.size(), 13U);
  std::vector<Response> responses;
  engine.run(
      {small_case(0), small_case(1)}, [&](std::size_t, Response r) { responses.push_back(std::move(r)); },
      RunOptions{});
  ASSERT_EQ(responses.size(), 2U);
  for (const Response& r : responses) {
    EXPECT_EQ(r.status, Response::Status::reply) << r.detail;
    EXPECT_EQ(r.reply.type, Reply::Type::result);
  }
  EXPECT_EQ(responses[0].printed,
            (std::vector<std::string>{"a print fr [cut]", "[1, 2, 3]", "Value(data [cut]"}));
  EXPECT_EQ(responses[1].printed,
            (std::vector<std::string>{"a print fr [cut]"}));  // the 4th line; 2 more counted
  EXPECT_EQ(engine.printed_lines(), 6U);
}

}  // namespace
}  // namespace verigrad::verify::conform
