// The conform protocol, version 1 (docs/conform.md is the specification): the messages `verigrad
// conform` and an adapter exchange, as C++ types with their JSON forms. Header-only and torch-free (it
// needs nlohmann/json alone), so the C++ adapter (verify/conform/adapter.hpp) includes it as verigrad
// does: both sides read and write the same encoding.
//
// The adapter's side of the encoding lives here (decode a case, encode a hello or a reply). verigrad's
// strict reading of replies lives in verify/conform/wire.hpp.
#pragma once

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace verigrad::verify::conform {

inline constexpr int kProtocolVersion = 1;

// The op names of the protocol (a contract). pow_const is `Value ** number`, pow is `Value ** Value`.
enum class OpName : std::uint8_t {
  add,
  sub,
  mul,
  div,
  neg,
  pow_const,
  pow,
  relu,
  tanh,
  exp,
  log,
  sigmoid,
  abs
};

inline constexpr OpName kOpNames[] = {
    OpName::add,  OpName::sub,  OpName::mul, OpName::div, OpName::neg,     OpName::pow_const, OpName::pow,
    OpName::relu, OpName::tanh, OpName::exp, OpName::log, OpName::sigmoid, OpName::abs};

inline const char* to_string(OpName op) {
  switch (op) {
    case OpName::add: return "add";
    case OpName::sub: return "sub";
    case OpName::mul: return "mul";
    case OpName::div: return "div";
    case OpName::neg: return "neg";
    case OpName::pow_const: return "pow_const";
    case OpName::pow: return "pow";
    case OpName::relu: return "relu";
    case OpName::tanh: return "tanh";
    case OpName::exp: return "exp";
    case OpName::log: return "log";
    case OpName::sigmoid: return "sigmoid";
    case OpName::abs: return "abs";
  }
  return "?";
}

inline std::optional<OpName> parse_op(std::string_view name) {
  for (OpName op : kOpNames) {
    if (name == to_string(op)) return op;
  }
  return std::nullopt;
}

// Operands an instruction takes: 2 for the binary ops and for pow_const (the Value, then the exponent
// as a number), 1 for the rest.
inline int arity(OpName op) {
  switch (op) {
    case OpName::add:
    case OpName::sub:
    case OpName::mul:
    case OpName::div:
    case OpName::pow:
    case OpName::pow_const: return 2;
    default: return 1;
  }
}

// The ops that may take a plain number as the left operand (`2 - x`), if the adapter says so.
inline bool takes_constant_left(OpName op) {
  return op == OpName::add || op == OpName::sub || op == OpName::mul || op == OpName::div ||
         op == OpName::pow;
}

// How the engine is driven after building the graph (what torch does in brackets):
//   once             backward() once                                   (leaf grads = d out / d leaf)
//   twice            backward() twice on the same graph                (leaf grads accumulate: 2x)
//   zero_then_again  backward(), every leaf's grad set to 0, backward() (1x)
//   two_graphs       the ops built twice from the same leaves, backward() on each output (2x)
enum class Mode : std::uint8_t { once, twice, zero_then_again, two_graphs };

inline const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::once: return "once";
    case Mode::twice: return "twice";
    case Mode::zero_then_again: return "zero_then_again";
    case Mode::two_graphs: return "two_graphs";
  }
  return "?";
}

inline std::optional<Mode> parse_mode(std::string_view name) {
  for (Mode m : {Mode::once, Mode::twice, Mode::zero_then_again, Mode::two_graphs}) {
    if (name == to_string(m)) return m;
  }
  return std::nullopt;
}

// An operand: the name of a leaf or of an earlier instruction, or a plain number in that position.
struct Operand {
  std::string name;  // empty for a number
  double number = 0.0;
  bool is_number() const { return name.empty(); }
};

// One SSA instruction: name = op(args...). pow_const's second operand is its exponent (a number).
struct Instruction {
  std::string name;
  OpName op = OpName::add;
  std::vector<Operand> args;
};

struct Case {
  std::int64_t id = 0;
  std::vector<std::pair<std::string, double>> leaves;  // name, value: each becomes a Value
  std::vector<Instruction> ops;                        // in order; authoritative
  std::string output;                                  // the name backward() is called on
  Mode mode = Mode::once;
  std::string source;         // the same program as micrograd-style Python, for people
  bool intermediates = true;  // false: the adapter may leave out inner nodes' numbers
};

// A number an engine reported. IEEE doubles have an empty `type`; anything else the engine held
// (a Python complex, None) has its type name and text.
struct Number {
  double value = 0.0;
  std::string type;
  std::string repr;
  bool ieee() const { return type.empty(); }
};

struct Reply {
  enum class Type : std::uint8_t { result, error };
  Type type = Type::result;
  std::int64_t id = 0;
  // result
  Number value;                                        // the output's value
  std::vector<std::pair<std::string, Number>> grads;   // every leaf's grad (and inner nodes', if known)
  std::vector<std::pair<std::string, Number>> values;  // inner nodes' values, if known (an error: those
                                                       // built before it, so that a wrong value upstream
                                                       // is blamed rather than the error it caused)
  // error
  std::string phase;      // "build" or "backward"
  std::string kind;       // "exception", "not_a_value", or "non_ieee" (an op's value is not a double)
  std::string node;       // the instruction being built, or whose backward raised ("" unknown)
  std::string op;         // its op name ("" unknown)
  std::string exception;  // the exception's type name
  std::string message;
  std::string returned;     // not_a_value: the type the op returned; non_ieee: the type of its value
  std::string repr;         // not_a_value, non_ieee: its text
  bool arithmetic = false;  // the language's floating-point exception (Python: ZeroDivisionError, ...)
  // either
  std::string printed;  // what the engine printed while running this case (the "stdout" key)
};

struct Hello {
  int protocol = kProtocolVersion;
  std::string engine;
  std::vector<OpName> ops;
  std::vector<OpName> constant_left;
  std::vector<std::pair<std::string, std::string>> unsupported;  // op name, why (for the report)
  std::vector<std::string> notes;
  bool intermediates = true;  // the adapter reports inner nodes' values and grads
};

// ---- JSON --------------------------------------------------------------------------------------

// A double as the protocol writes it: finite numbers as JSON numbers (nlohmann writes the shortest
// text that reads back exactly, with ".0" on integers so that every reader keeps it a float, and -0.0
// as -0.0); infinities and NaN as the strings "inf", "-inf", "nan".
inline nlohmann::json number_json(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return x;
}

// "inf", "-inf", "nan" and JSON numbers; nullopt for anything else.
inline std::optional<double> number_from_json(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s == "inf") return HUGE_VAL;
    if (s == "-inf") return -HUGE_VAL;
    if (s == "nan") return std::nan("");
  }
  return std::nullopt;
}

inline nlohmann::json number_json(const Number& n) {
  if (n.ieee()) return number_json(n.value);
  return {{"type", n.type}, {"repr", n.repr}};
}

inline nlohmann::json hello_request() { return {{"type", "hello"}, {"protocol", kProtocolVersion}}; }

inline nlohmann::json to_json(const Case& c) {
  nlohmann::json leaves = nlohmann::json::array();
  for (const auto& [name, value] : c.leaves) leaves.push_back({name, number_json(value)});
  nlohmann::json ops = nlohmann::json::array();
  for (const Instruction& ins : c.ops) {
    nlohmann::json row = {ins.name, to_string(ins.op)};
    for (const Operand& a : ins.args)
      row.push_back(a.is_number() ? number_json(a.number) : nlohmann::json(a.name));
    ops.push_back(std::move(row));
  }
  nlohmann::json j = {{"type", "case"},
                      {"id", c.id},
                      {"mode", to_string(c.mode)},
                      {"leaves", std::move(leaves)},
                      {"ops", std::move(ops)},
                      {"output", c.output},
                      {"source", c.source}};
  if (!c.intermediates) j["intermediates"] = false;
  return j;
}

// An adapter reading a case verigrad sent. Throws std::invalid_argument naming what is wrong.
inline Case case_from_json(const nlohmann::json& j) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("case: " + what); };
  Case c;
  if (!j.is_object() || !j.contains("id") || !j["id"].is_number_integer()) fail("no integer \"id\"");
  c.id = j["id"].get<std::int64_t>();
  const auto mode = parse_mode(j.value("mode", "once"));
  if (!mode) fail("unknown mode");
  c.mode = *mode;
  c.output = j.value("output", "");
  c.source = j.value("source", "");
  c.intermediates = j.value("intermediates", true);
  for (const nlohmann::json& leaf : j.value("leaves", nlohmann::json::array())) {
    std::optional<double> x = leaf.is_array() && leaf.size() == 2 ? number_from_json(leaf[1]) : std::nullopt;
    if (!x || !leaf[0].is_string()) fail("a leaf is not [name, number]");
    c.leaves.emplace_back(leaf[0].get<std::string>(), *x);
  }
  for (const nlohmann::json& row : j.value("ops", nlohmann::json::array())) {
    if (!row.is_array() || row.size() < 3 || !row[0].is_string() || !row[1].is_string())
      fail("bad instruction");
    Instruction ins;
    ins.name = row[0].get<std::string>();
    const auto op = parse_op(row[1].get<std::string>());
    if (!op) fail("unknown op " + row[1].get<std::string>());
    ins.op = *op;
    for (std::size_t i = 2; i < row.size(); ++i) {
      const nlohmann::json& a = row[i];
      if (const std::optional<double> x = number_from_json(a)) {
        ins.args.push_back({"", *x});  // "inf", "-inf", "nan" are numbers; names are never these
      } else if (a.is_string()) {
        ins.args.push_back({a.get<std::string>(), 0.0});
      } else {
        fail("an operand of " + ins.name + " is neither a name nor a number");
      }
    }
    if (static_cast<int>(ins.args.size()) != arity(ins.op)) fail("wrong operand count for " + ins.name);
    c.ops.push_back(std::move(ins));
  }
  if (c.output.empty()) fail("no \"output\"");
  return c;
}

inline nlohmann::json to_json(const Hello& h) {
  nlohmann::json ops = nlohmann::json::array();
  for (OpName op : h.ops) ops.push_back(to_string(op));
  nlohmann::json left = nlohmann::json::array();
  for (OpName op : h.constant_left) left.push_back(to_string(op));
  nlohmann::json j = {
      {"type", "hello"},       {"protocol", h.protocol},           {"engine", h.engine},
      {"ops", std::move(ops)}, {"constant_left", std::move(left)}, {"intermediates", h.intermediates}};
  if (!h.unsupported.empty()) {
    nlohmann::json why = nlohmann::json::object();
    for (const auto& [op, reason] : h.unsupported) why[op] = reason;
    j["unsupported"] = std::move(why);
  }
  if (!h.notes.empty()) j["notes"] = h.notes;
  return j;
}

inline nlohmann::json to_json(const Reply& r) {
  nlohmann::json j = {{"type", r.type == Reply::Type::result ? "result" : "error"}, {"id", r.id}};
  if (r.type == Reply::Type::result) {
    j["value"] = number_json(r.value);
    nlohmann::json grads = nlohmann::json::object();
    for (const auto& [name, g] : r.grads) grads[name] = number_json(g);
    j["grads"] = std::move(grads);
    if (!r.values.empty()) {
      nlohmann::json values = nlohmann::json::object();
      for (const auto& [name, v] : r.values) values[name] = number_json(v);
      j["values"] = std::move(values);
    }
  } else {
    j["phase"] = r.phase;
    j["kind"] = r.kind;
    if (!r.node.empty()) j["node"] = r.node;
    if (!r.op.empty()) j["op"] = r.op;
    if (!r.exception.empty()) j["exception"] = r.exception;
    j["message"] = r.message;
    if (!r.returned.empty()) j["returned"] = r.returned;
    if (!r.repr.empty()) j["repr"] = r.repr;
    if (r.arithmetic) j["arithmetic"] = true;
    if (!r.values.empty()) {
      nlohmann::json values = nlohmann::json::object();
      for (const auto& [name, v] : r.values) values[name] = number_json(v);
      j["values"] = std::move(values);
    }
  }
  if (!r.printed.empty()) j["stdout"] = r.printed;
  return j;
}

// One protocol line: compact JSON, invalid UTF-8 in strings replaced rather than thrown on.
inline std::string to_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace verigrad::verify::conform
