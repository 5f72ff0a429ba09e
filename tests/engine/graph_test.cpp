// Graph utilities: counting, topological order, DOT pictures and the program printer.
#include <gtest/gtest.h>

#include <algorithm>
#include <unordered_map>

#include "engine/graph.hpp"
#include "engine/value.hpp"

namespace verigrad {
namespace {

TEST(Graph, NodeCountCountsSharedNodesOnce) {
  Value a(1.0, "a");
  EXPECT_EQ(node_count(a), 1U);
  Value s = a + a;
  EXPECT_EQ(node_count(s), 2U);
  Value t = s * s + a;
  EXPECT_EQ(node_count(t), 4U);  // a, s, s*s, t
}

TEST(Graph, TopologicalOrderPutsOperandsFirst) {
  Value a(1.0), b(2.0);
  Value c = a * b;
  Value d = c + a;
  Value e = d.tanh() * c;
  const std::vector<Value> order = topological_order(e);
  ASSERT_EQ(order.size(), 6U);
  std::unordered_map<const void*, std::size_t> position;
  for (std::size_t i = 0; i < order.size(); ++i) position[order[i].id()] = i;
  for (const Value& v : order) {
    for (std::size_t i = 0; i < v.arity(); ++i) EXPECT_LT(position.at(v.child(i).id()), position.at(v.id()));
  }
  EXPECT_TRUE(order.back().same_node(e));
}

TEST(Graph, DotHasARecordPerValueAndAnOpNodePerResult) {
  Value a(2.0, "a"), b(-3.0, "b");
  Value c = a * b;
  c.set_label("c");
  c.backward();
  const std::string dot = to_dot(c);
  EXPECT_NE(dot.find("digraph"), std::string::npos);
  EXPECT_NE(dot.find("rankdir=LR"), std::string::npos);
  EXPECT_NE(dot.find("{ a | data 2.0000 | grad -3.0000 }"), std::string::npos);
  EXPECT_NE(dot.find("{ c | data -6.0000 | grad 1.0000 }"), std::string::npos);
  EXPECT_EQ(std::count(dot.begin(), dot.end(), '\n'), 3 + 3 + 2 + 2 + 1);  // header, records, op, edges
  EXPECT_NE(dot.find("[label=\"*\", shape=ellipse]"), std::string::npos);
}

TEST(Graph, DotEscapesRecordCharactersAndMarksHighlights) {
  Value a(1.0, "x|{y}");
  Value r = a.pow(2.0);
  DotOptions options;
  options.extra_fields = [](const Value& v) {
    return std::vector<std::string>{"torch " + format_double(v.data())};
  };
  options.highlight = [](const Value& v) { return v.is_leaf(); };
  const std::string dot = to_dot(r, options);
  EXPECT_NE(dot.find("x\\|\\{y\\}"), std::string::npos);
  EXPECT_NE(dot.find("| torch 1.0 }"), std::string::npos);
  EXPECT_NE(dot.find("**2.0"), std::string::npos);
  EXPECT_NE(dot.find("color=red"), std::string::npos);
}

// One statement per node, in the order the nodes were created (named temporaries: C++ leaves the order
// in which an operator's operands are evaluated unspecified).
TEST(Graph, ProgramListsOneAssignmentPerNode) {
  Value a(-4.0, "a"), b(2.0, "b");
  const Value ab = a * b;
  const Value b3 = b.pow(3);
  const Value t = (ab + b3).tanh();
  const Value half = a / 2.0;
  Value g = t - half;
  EXPECT_EQ(to_program(g),
            "a = -4.0\n"
            "b = 2.0\n"
            "t1 = a * b\n"
            "t2 = b ** 3.0\n"
            "t3 = t1 + t2\n"
            "t4 = t3.tanh()\n"
            "x1 = 2.0\n"
            "t5 = a / x1\n"
            "t6 = t4 - t5\n");
}

TEST(Graph, ProgramNamesAreUniqueEvenWhenLabelsClash) {
  Value a(1.0, "t1"), b(2.0, "t1"), c(3.0, "not a name");
  const std::string program = to_program(a + b + c);
  EXPECT_EQ(program, "t1 = 1.0\nx1 = 2.0\nx2 = 3.0\nt2 = t1 + x1\nt3 = t2 + x2\n");
}

// c = a * b: records n0 (a), n1 (b), n2 (c); the op node n2_op; edges a -> op, b -> op, op -> c.
TEST(Graph, DotEdgesRunFromOperandsThroughTheOpToTheResult) {
  Value a(2.0, "a"), b(-3.0, "b");
  const std::string dot = to_dot(a * b);
  for (const char* edge : {"  n0 -> n2_op;\n", "  n1 -> n2_op;\n", "  n2_op -> n2;\n"})
    EXPECT_NE(dot.find(edge), std::string::npos) << edge << dot;
  EXPECT_EQ(dot.find("n2_op -> n0"), std::string::npos) << dot;
}

// The leaf keeps its label as its name; an inner node with the same label gets a fresh name.
TEST(Graph, LeavesKeepTheirLabelsBeforeInnerNodes) {
  Value x(2.0, "x");
  Value t = (x * 3.0).set_label("x");
  EXPECT_EQ(to_program(t), "x = 2.0\nx1 = 3.0\nt1 = x * x1\n");
  Value y = (x * 3.0).set_label("y");
  EXPECT_EQ(to_program(y), "x = 2.0\nx1 = 3.0\ny = x * x1\n");  // a free label names an inner node
}

TEST(Graph, LabelsThatAreNotIdentifiersAreNotNames) {
  Value a(1.0, "2b"), b(2.0, "_ok"), c(3.0, "a-b");
  EXPECT_EQ(to_program(a + b + c), "x1 = 1.0\n_ok = 2.0\nx2 = 3.0\nt1 = x1 + _ok\nt2 = t1 + x2\n");
}

TEST(Graph, FormatDoubleRoundTripsWithFewestDigits) {
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(2.0), "2.0");
  EXPECT_EQ(format_double(-1e-300), "-1e-300");
  EXPECT_EQ(format_double(1.0 / 3.0), "0.3333333333333333");  // as Python repr
  EXPECT_EQ(format_double(5e-324), "5e-324");
  EXPECT_EQ(format_double(std::nan("")), "nan");
  EXPECT_EQ(format_double(-1.0 / 0.0), "-inf");
}

}  // namespace
}  // namespace verigrad
