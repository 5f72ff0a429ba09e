// The checker's own failure paths, proven to fire: with one op of the table made wrong (fault.hpp),
// every oracle must disagree, blame the right node, and say so in its table and JSON.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "engine/graph.hpp"
#include "fault.hpp"
#include "verify/check.hpp"
#include "verify/finite_diff.hpp"
#include "verify/generators.hpp"
#include "verify/gtest.hpp"
#include "verify/lockstep.hpp"
#include "verify/module_mirror.hpp"
#include "verify/torch_mirror.hpp"

namespace verigrad::verify {
namespace {

using fault::Fault;
using fault::Where;

// One node of `op` on operands where its forward and every derivative are finite and far from 0, and
// a smooth tail (exp) after it, so that a fault's error must travel through another op.
struct Case {
  Value a, b, node, root;
};

Case build_case(Op op) {
  Case c{Value(0.75, "a"), Value(1.25, "b"), Value(), Value()};
  if (op_arity(op) == 1) {
    c.node = Value::unary(op, c.a, op == Op::PowConst ? 3.0 : 0.0);
    c.b = Value(0.0);  // unused
  } else {
    c.node = Value::binary(op, c.a, c.b);
  }
  c.node.set_label("t");
  c.root = op == Op::Exp ? c.node.tanh() : c.node.exp();  // a tail of another op
  return c;
}

std::vector<Op> table_ops() {
  std::vector<Op> ops;
  for (Op op : kAllOps) {
    if (op != Op::Leaf && op != Op::Dot) ops.push_back(op);
  }
  return ops;
}

std::string describe(const Fault& f) {
  return std::string(op_kind_name(f.op)) + (f.where == Where::Forward ? ":forward"
                                            : f.where == Where::D0    ? ":d0"
                                                                      : ":d1");
}

std::size_t row_of(const Report& r, const Value& v) {
  for (const NodeRow& row : r.rows) {
    if (row.id == v.id()) return row.index;
  }
  throw std::logic_error("node not in the report");
}

// Every op, every slot: the report blames the faulty op's node (a wrong forward) or the operand whose
// gradient the faulty rule computed (a wrong derivative), in the table and in the JSON.
TEST(FaultOracle, EveryOpAndSlotIsCaughtAndBlamedOnTheRightRow) {
  for (Op op : table_ops()) {
    for (Where where : {Where::Forward, Where::D0, Where::D1}) {
      if (where == Where::D1 && op_arity(op) != 2) continue;
      const Fault f{op, where, 1e-3};
      SCOPED_TRACE(describe(f));
      const fault::Scoped scoped(f);
      const Case c = build_case(op);
      const Report r = check(c.root);
      ASSERT_FALSE(r.matches()) << r;
      ASSERT_TRUE(r.first_mismatch.has_value());
      const std::size_t blamed = *r.first_mismatch;
      const NodeRow& row = r.rows[blamed];
      if (where == Where::Forward) {
        // The node's value is the mismatch; an operand before it may be blamed first when the op's
        // derivative is computed from its (wrong) output, as exp's and tanh's are.
        const NodeRow& node = r.rows[row_of(r, c.node)];
        EXPECT_EQ(node.value.verdict, Verdict::Mismatch) << r;
        EXPECT_NE(node.note.find(std::string("torch's ") + op_kind_name(op) + " on our operand values"),
                  std::string::npos)
            << r;
        EXPECT_TRUE(blamed == node.index || blamed == row_of(r, c.a) || blamed == row_of(r, c.b)) << r;
      } else {
        const Value& operand = where == Where::D0 ? c.a : c.b;
        EXPECT_EQ(blamed, row_of(r, operand)) << r;
        EXPECT_EQ(row.grad.verdict, Verdict::Mismatch) << r;
        EXPECT_NE(row.note.find("torch's chain rule on our consumer grads gives"), std::string::npos) << r;
      }
      // The first mismatch is the first row that is one, the first divergence the first row that
      // differs at all (topological order).
      for (std::size_t i = 0; i < blamed; ++i) {
        EXPECT_NE(r.rows[i].value.verdict, Verdict::Mismatch) << r;
        EXPECT_NE(r.rows[i].grad.verdict, Verdict::Mismatch) << r;
      }
      ASSERT_TRUE(r.first_divergence.has_value());
      EXPECT_LE(*r.first_divergence, blamed);
      for (std::size_t i = 0; i < *r.first_divergence; ++i) EXPECT_FALSE(r.rows[i].diverges()) << r;
      EXPECT_TRUE(r.rows[*r.first_divergence].diverges());

      const std::string table = r.to_table();
      EXPECT_NE(table.find("MISMATCH ("), std::string::npos) << table;
      EXPECT_NE(table.find("first divergence at " + r.rows[*r.first_divergence].name), std::string::npos)
          << table;
      EXPECT_NE(table.find("first mismatch: " + row.expression(r.rows)), std::string::npos) << table;
      const nlohmann::json j = r.to_json();
      EXPECT_FALSE(j.at("matches").get<bool>());
      EXPECT_FALSE(j.at("exact").get<bool>());
      EXPECT_EQ(j.at("first_mismatch"), blamed);
      EXPECT_EQ(j.at("first_divergence"), *r.first_divergence);
      const char* side = row.value.verdict == Verdict::Mismatch ? "value" : "grad";
      EXPECT_EQ(j.at("nodes").at(blamed).at(side).at("verdict"), "MISMATCH");
      EXPECT_EQ(j.at("nodes").at(blamed).at("note"), row.note);
      // The picture marks exactly the mismatching nodes red.
      const std::string dot = to_dot(c.root, dot_options(r));
      EXPECT_NE(dot.find("color=red"), std::string::npos);
    }
  }
}

// A wrong forward value upstream is inherited downstream: exp on our (wrong) operand is right, so the
// exp row is "inherited", the leaves' gradients are "inherited", and only the faulty node is a mismatch.
TEST(FaultOracle, DownstreamOfAWrongValueIsInheritedNotBlamed) {
  const fault::Scoped scoped({Op::Mul, Where::Forward, 1e-3});
  const Case c = build_case(Op::Mul);
  const Report r = check(c.root);
  EXPECT_EQ(r.count(Verdict::Mismatch), 1u) << r;
  EXPECT_EQ(r.rows[row_of(r, c.root)].value.verdict, Verdict::Inherited) << r;
  EXPECT_EQ(r.rows[row_of(r, c.a)].grad.verdict, Verdict::Inherited) << r;
  EXPECT_EQ(*r.first_divergence, row_of(r, c.a)) << r;  // the first row in topological order
  EXPECT_EQ(*r.first_mismatch, row_of(r, c.node)) << r;
  EXPECT_NE(r.summary().find("1 mismatch"), std::string::npos) << r.summary();
}

// The comparison policy at its edge: a relative error of 1e-11 is ten times the op-by-op rtol and is
// caught; one of 1e-13 is a tenth of it and is not (rounding-sized differences must pass).
TEST(FaultOracle, ToleranceEdge) {
  for (const double relative : {1e-11, 1e-13}) {
    for (Where where : {Where::Forward, Where::D0}) {
      const fault::Scoped scoped({Op::Tanh, where, relative});
      const Case c = build_case(Op::Tanh);
      const Report r = check(c.node);
      EXPECT_EQ(r.matches(), relative < 1e-12) << relative << "\n" << r;
      EXPECT_EQ(r.exact(), relative < 1e-12) << relative << "\n" << r;
    }
  }
}

// The tolerance a caller passes is the one applied: the 1e-11 fault passes at rtol 1e-10.
TEST(FaultOracle, CallersToleranceIsApplied) {
  const fault::Scoped scoped({Op::Tanh, Where::D0, 1e-11});
  const Case c = build_case(Op::Tanh);
  EXPECT_FALSE(check(c.node).matches());
  CheckOptions loose;
  loose.tolerance = {1e-10, 0.0};
  const Report r = check(c.node, loose);
  EXPECT_TRUE(r.matches()) << r;
  EXPECT_EQ(r.tolerance.rtol, 1e-10);
}

// Finite differences use the forward only, so a wrong derivative disagrees with them, and arbitrate()
// sides with torch.
TEST(FaultOracle, FiniteDifferencesCatchEveryWrongDerivative) {
  for (Op op : table_ops()) {
    for (Where where : {Where::D0, Where::D1}) {
      if (where == Where::D1 && op_arity(op) != 2) continue;
      const Fault f{op, where, 1e-2};
      SCOPED_TRACE(describe(f));
      const fault::Scoped scoped(f);
      const Case c = build_case(op);
      const FdReport fd = finite_differences(c.root);
      EXPECT_FALSE(fd.ok()) << fd.to_table();
      EXPECT_EQ(fd.count(FdVerdict::Disagree), 1u) << fd.to_table();
      EXPECT_NE(fd.to_table().find("DISAGREE"), std::string::npos);
      const Report r = check(c.root);
      const std::vector<Arbitration> verdicts = arbitrate(c.root, r);
      bool torch_won = false;
      for (const Arbitration& a : verdicts) torch_won = torch_won || a.winner == "torch";
      EXPECT_TRUE(torch_won) << r;
    }
  }
}

// Random graphs with a random fault: whenever check() reports a mismatch, it blames a node of the
// faulty op (wrong forward) or an operand of one (wrong derivative); and a wrong forward at a node
// whose true value is a normal, finite number is always caught.
RC_GTEST_PROP(FaultOracle, MismatchesAreBlamedOnTheFaultyOp, ()) {
  const GraphSpec spec = *gen::expression();
  std::vector<Op> ops = table_ops();
  const Op op = *rc::gen::elementOf(ops);
  const Where where = op_arity(op) == 2 ? *rc::gen::element(Where::Forward, Where::D0, Where::D1)
                                        : *rc::gen::element(Where::Forward, Where::D0);
  const fault::Scoped scoped({op, where, 1e-3});
  const BuiltGraph g = build(spec);
  const Report r = check(g.root);
  RC_CLASSIFY(!r.matches(), "caught");
  if (!r.matches()) {
    const NodeRow& blamed = r.rows[*r.first_mismatch];
    bool right = false;
    // A wrong forward may first show in an operand's gradient (exp's derivative is its output).
    for (const NodeRow& row : r.rows) {
      if (row.op != op) continue;
      right = right || (where == Where::Forward && row.index == blamed.index);
      for (std::size_t slot = 0; slot < row.operands.size(); ++slot) {
        const bool faulty_slot = where == Where::Forward || slot == (where == Where::D0 ? 0u : 1u);
        right = right || (faulty_slot && row.operands[slot] == blamed.index);
      }
    }
    if (!right) RC_FAIL(describe({op, where, 1e-3}) + " blamed on the wrong row:\n" + r.to_table());
  }
  if (where == Where::Forward) {
    for (const NodeRow& row : r.rows) {
      if (row.op != op) continue;
      const LocalOp truth = torch_local(topological_order(g.root)[row.index], 1.0);
      const double v = truth.value;
      if (std::isfinite(v) && std::fabs(v) > 1e-290 && std::isfinite(v * 1.001)) RC_ASSERT(!r.matches());
    }
  }
}

// The module mirror and lockstep training catch a wrong op in a network: a wrong forward shows in the
// outputs first, a wrong derivative in the gradients; lockstep diverges at step 0.
TEST(FaultOracle, ModuleMirrorAndLockstepCatchAWrongActivation) {
  nn::MLPOptions options;
  options.hidden = nn::Activation::Tanh;
  const nn::MLP model(2, {4, 1}, options);
  const Batch batch{{{0.5, -1.0}, {1.0, 2.0}}, {1.0, -1.0}, {}};
  {
    const fault::Scoped scoped({Op::Tanh, Where::Forward, 1e-3});
    const ModuleReport r = check_module(model, batch, {LossKind::Mse});
    EXPECT_FALSE(r.matches()) << r;
    EXPECT_EQ(r.first_mismatch().value_or(""), "out[0][0]") << r;
    EXPECT_NE(r.to_table().find("MISMATCH"), std::string::npos);
    EXPECT_FALSE(r.to_json().at("matches").get<bool>());
  }
  {
    const fault::Scoped scoped({Op::Tanh, Where::D0, 1e-3});
    const ModuleReport r = check_module(model, batch, {LossKind::Mse});
    EXPECT_FALSE(r.matches()) << r;
    EXPECT_EQ(r.first_mismatch().value_or("").rfind("grad layer0.", 0), 0u) << r;
    EXPECT_TRUE(r.loss.comparison.agree) << r;  // the forward is right
    const LockstepReport l = lockstep(model, batch, {LossKind::Mse}, {OptimizerKind::Sgd, 0.1}, 3);
    EXPECT_FALSE(l.matches()) << l;
    EXPECT_EQ(l.first_exceeded, 0) << l;
    EXPECT_NE(l.to_table().find("DIVERGED first at step 0"), std::string::npos) << l;
    EXPECT_EQ(l.to_json().at("first_exceeded"), 0);
  }
  EXPECT_TRUE(check_module(model, batch, {LossKind::Mse}).matches());  // and without the fault, agreement
}

// The module mirror's tolerance (rtol 1e-10) at its edge: a wrong tanh by 1e-9 is caught, by 1e-12 not.
TEST(FaultOracle, ModuleToleranceIsTenToTheMinusTen) {
  nn::MLPOptions options;
  options.hidden = nn::Activation::Tanh;
  const nn::MLP model(2, {4, 1}, options);
  const Batch batch{{{0.5, -1.0}, {1.0, 2.0}}, {1.0, -1.0}, {}};
  for (const double relative : {1e-9, 1e-12}) {
    const fault::Scoped scoped({Op::Tanh, Where::Forward, relative});
    const ModuleReport r = check_module(model, batch, {LossKind::Mse});
    EXPECT_EQ(r.matches(), relative < 1e-10) << relative << "\n" << r;
  }
}

TEST(FaultOracle, FaultSpecsParse) {
  const Fault f = fault::parse("Mul:d1:1e-11");
  EXPECT_EQ(f.op, Op::Mul);
  EXPECT_EQ(f.where, Where::D1);
  EXPECT_EQ(f.relative, 1e-11);
  EXPECT_EQ(fault::parse("Exp:forward").relative, 1e-3);
  EXPECT_THROW(fault::parse("Exp:d1"), std::invalid_argument);  // exp has one operand
  EXPECT_THROW(fault::parse("Dot:d0"), std::invalid_argument);
  EXPECT_THROW(fault::parse("Nope:d0"), std::invalid_argument);
}

// EXPECT_MATCHES_TORCH's failure message carries the report's table.
TEST(FaultOracle, GtestHelperFailsWithTheTable) {
  const fault::Scoped scoped({Op::Exp, Where::D0, 1e-3});
  Value x(0.5, "x");
  const ::testing::AssertionResult r = matches_torch("x.exp()", "1.0", x.exp(), 1.0);
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("x.exp() does not match torch:\nverify::check:"), std::string::npos)
      << r.message();
  std::ostringstream os;
  os << GraphSpec{{NodeSpec{Op::Leaf, {}, 0.5}, NodeSpec{Op::Exp, {0}, 0.0}}};
  EXPECT_EQ(os.str(), "\nx1 = 0.5\nt1 = x1.exp()\n");
}

}  // namespace
}  // namespace verigrad::verify
