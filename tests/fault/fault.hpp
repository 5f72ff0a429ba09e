// Test-only fault injection (built only into tests/fault's targets, never into the library or the
// shipped binary): one op of engine/ops.hpp made deliberately wrong, so the tests can show that every
// oracle and every command notices and reports it right.
//
// A fault multiplies one of an op's results by (1 + relative): its forward value, or its derivative
// contribution to operand 0 or 1. It is chosen in-process with fault::set, or for a whole process
// (the faulty verigrad binary) by the environment:
//
//   VERIGRAD_FAULT=Tanh:d0            tanh's derivative 0.1% too large
//   VERIGRAD_FAULT=Mul:d1:1e-11       d(a*b)/db off by 1e-11, relative
//   VERIGRAD_FAULT=Exp:forward        exp's value 0.1% too large
//
// Op names are engine/ops.hpp's kind names (op_kind_name). Dot's rule lives in engine/value.cpp, not
// in the table, so it cannot be faulted here.
#pragma once

#include <optional>
#include <string>

#include "engine/ops.hpp"

namespace verigrad::fault {

enum class Where { Forward, D0, D1 };

struct Fault {
  Op op = Op::Leaf;
  Where where = Where::Forward;
  double relative = 1e-3;
};

// "Tanh:d0:1e-3" -> a Fault; throws std::invalid_argument naming what is wrong.
Fault parse(const std::string& text);

void set(const Fault& fault);
void clear();
std::optional<Fault> current();

// Sets a fault for the life of a scope.
class Scoped {
 public:
  explicit Scoped(const Fault& fault) { set(fault); }
  ~Scoped() { clear(); }
  Scoped(const Scoped&) = delete;
  Scoped& operator=(const Scoped&) = delete;
};

}  // namespace verigrad::fault
