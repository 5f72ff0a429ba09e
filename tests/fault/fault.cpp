// The fault hooks engine/ops.hpp calls in a VERIGRAD_FAULT_INJECTION build.
#include "fault.hpp"

#include <cstdlib>
#include <stdexcept>

namespace verigrad::fault {

namespace {

// Read from VERIGRAD_FAULT once, then changed only by set/clear (tests are single-threaded).
std::optional<Fault>& active() {
  static std::optional<Fault> fault = []() -> std::optional<Fault> {
    const char* env = std::getenv("VERIGRAD_FAULT");
    if (env == nullptr || *env == '\0') return std::nullopt;
    return parse(env);
  }();
  return fault;
}

bool hit(Op op, Where where) {
  const std::optional<Fault>& f = active();
  return f && f->op == op && f->where == where;
}

}  // namespace

Fault parse(const std::string& text) {
  const std::size_t first = text.find(':');
  if (first == std::string::npos) throw std::invalid_argument("VERIGRAD_FAULT: expected OP:WHERE[:RELATIVE]");
  const std::size_t second = text.find(':', first + 1);
  const std::string op = text.substr(0, first);
  const std::string where =
      text.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  Fault f;
  bool found = false;
  for (Op o : kAllOps) {
    if (op == op_kind_name(o) && o != Op::Leaf && o != Op::Dot) {
      f.op = o;
      found = true;
    }
  }
  if (!found) throw std::invalid_argument("VERIGRAD_FAULT: no op '" + op + "' in the table");
  if (where == "forward") {
    f.where = Where::Forward;
  } else if (where == "d0") {
    f.where = Where::D0;
  } else if (where == "d1" && op_arity(f.op) == 2) {
    f.where = Where::D1;
  } else {
    throw std::invalid_argument("VERIGRAD_FAULT: '" + where + "' is not forward, d0 or (binary ops) d1");
  }
  if (second != std::string::npos) f.relative = std::stod(text.substr(second + 1));
  return f;
}

void set(const Fault& fault) { active() = fault; }
void clear() { active().reset(); }
std::optional<Fault> current() { return active(); }

double forward(Op op, double value) {
  return hit(op, Where::Forward) ? value * (1.0 + active()->relative) : value;
}

double derivative(Op op, int operand, double value) {
  return hit(op, operand == 0 ? Where::D0 : Where::D1) ? value * (1.0 + active()->relative) : value;
}

}  // namespace verigrad::fault
