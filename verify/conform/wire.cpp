// Strict reading of what an adapter writes: every reply checked against the case it answers.
#include "verify/conform/wire.hpp"

#include <cstdio>
#include <set>

namespace verigrad::verify::conform {

namespace {

using nlohmann::json;

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the bytes there are not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t n = 0;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  // Overlong forms and surrogates are not valid either.
  if (c == 0xE0 && byte(i + 1) < 0xA0) return 0;
  if (c == 0xED && byte(i + 1) >= 0xA0) return 0;
  if (c == 0xF0 && byte(i + 1) < 0x90) return 0;
  if (c == 0xF4 && byte(i + 1) >= 0x90) return 0;
  return n;
}

[[noreturn]] void bad(const std::string& what, const std::string& line) {
  throw AdapterError("the adapter wrote a line that is not the protocol (" + what + "): " + quote(line));
}

bool is_extension(const std::string& key) { return key.rfind("x_", 0) == 0; }

void only_keys(const json& j, const std::set<std::string>& allowed, const std::string& line) {
  for (const auto& item : j.items()) {
    if (allowed.count(item.key()) == 0 && !is_extension(item.key()))
      bad("unknown key \"" + item.key() + "\"", line);
  }
}

json parse_object(const std::string& line) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception& e) {
    bad(std::string("not JSON: ") + e.what(), line);
  }
  if (!j.is_object()) bad("not a JSON object", line);
  if (!j.contains("type") || !j["type"].is_string()) bad("no \"type\" string", line);
  return j;
}

std::string string_field(const json& j, const char* key, bool required, const std::string& line) {
  if (!j.contains(key)) {
    if (required) bad(std::string("no \"") + key + "\"", line);
    return "";
  }
  if (!j[key].is_string()) bad(std::string("\"") + key + "\" is not a string", line);
  return j[key].get<std::string>();
}

Number number_field(const json& j, const std::string& where, const std::string& line) {
  if (const std::optional<double> x = number_from_json(j)) return Number{*x, "", ""};
  if (j.is_object() && j.size() == 2 && j.contains("type") && j.contains("repr") && j["type"].is_string() &&
      j["repr"].is_string() && !j["type"].get<std::string>().empty()) {
    return Number{0.0, j["type"].get<std::string>(), j["repr"].get<std::string>()};
  }
  bad(where + " is not a number (a JSON number, \"inf\", \"-inf\", \"nan\" or {\"type\", \"repr\"})", line);
}

std::vector<std::pair<std::string, Number>> number_map(const json& j, const char* key,
                                                       const std::set<std::string>& names,
                                                       const std::string& line) {
  std::vector<std::pair<std::string, Number>> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_object()) bad(std::string("\"") + key + "\" is not an object", line);
  for (const auto& item : j[key].items()) {
    if (names.count(item.key()) == 0)
      bad(std::string("\"") + key + "\" names \"" + item.key() + "\", not in the case", line);
    out.emplace_back(item.key(), number_field(item.value(), std::string(key) + "." + item.key(), line));
  }
  return out;
}

std::vector<OpName> op_list(const json& j, const char* key, const std::string& line) {
  std::vector<OpName> ops;
  if (!j.contains(key)) return ops;
  if (!j[key].is_array()) bad(std::string("\"") + key + "\" is not an array", line);
  for (const json& name : j[key]) {
    const std::optional<OpName> op = name.is_string() ? parse_op(name.get<std::string>()) : std::nullopt;
    if (!op) bad(std::string("\"") + key + "\" has " + name.dump() + ", not a protocol op name", line);
    bool seen = false;
    for (OpName o : ops) seen = seen || o == *op;
    if (!seen) ops.push_back(*op);
  }
  return ops;
}

}  // namespace

std::string quote(std::string_view line, std::size_t max) {
  std::string out = "'";
  std::size_t i = 0;
  for (; i < line.size() && i < max;) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
    } else if (const std::size_t n = c >= 0x80 ? utf8_length(line, i) : 0; n > 0) {
      out.append(line.substr(i, n));
      i += n;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
      ++i;
    }
  }
  out += "'";
  if (i < line.size()) out += "... (" + std::to_string(line.size()) + " bytes)";
  return out;
}

Hello parse_hello(const std::string& line) {
  const json j = parse_object(line);
  const std::string type = j["type"].get<std::string>();
  if (type == "error") {
    const std::string exception =
        j.contains("exception") && j["exception"].is_string() ? j["exception"].get<std::string>() + ": " : "";
    const std::string message =
        j.contains("message") && j["message"].is_string() ? j["message"].get<std::string>() : "";
    throw AdapterError("the adapter could not load the engine: " + quote(exception + message, 2000));
  }
  if (type != "hello") bad("expected the hello reply, got type \"" + type + "\"", line);
  only_keys(j,
            {"type", "protocol", "engine", "ops", "constant_left", "unsupported", "notes", "intermediates"},
            line);
  if (!j.contains("protocol") || !j["protocol"].is_number_integer()) bad("no integer \"protocol\"", line);
  Hello h;
  h.protocol = j["protocol"].get<int>();
  if (h.protocol != kProtocolVersion) {
    throw AdapterError("the adapter speaks protocol " + std::to_string(h.protocol) +
                       "; this verigrad speaks " + std::to_string(kProtocolVersion) + ": " + quote(line));
  }
  h.engine = string_field(j, "engine", true, line);
  if (h.engine.empty()) bad("empty \"engine\"", line);
  if (!j.contains("ops")) bad("no \"ops\"", line);
  h.ops = op_list(j, "ops", line);
  h.constant_left = op_list(j, "constant_left", line);
  for (OpName op : h.constant_left) {
    bool announced = false;
    for (OpName o : h.ops) announced = announced || o == op;
    if (!takes_constant_left(op) || !announced) {
      bad(std::string("\"constant_left\" has ") + to_string(op) + ", which is not one of its binary ops",
          line);
    }
  }
  if (j.contains("unsupported")) {
    if (!j["unsupported"].is_object()) bad("\"unsupported\" is not an object", line);
    for (const auto& item : j["unsupported"].items()) {
      if (!item.value().is_string()) bad("\"unsupported\"." + item.key() + " is not a string", line);
      h.unsupported.emplace_back(item.key(), item.value().get<std::string>());
    }
  }
  if (j.contains("notes")) {
    if (!j["notes"].is_array()) bad("\"notes\" is not an array", line);
    for (const json& note : j["notes"]) {
      if (!note.is_string()) bad("a note is not a string", line);
      h.notes.push_back(note.get<std::string>());
    }
  }
  if (j.contains("intermediates")) {
    if (!j["intermediates"].is_boolean()) bad("\"intermediates\" is not true or false", line);
    h.intermediates = j["intermediates"].get<bool>();
  }
  return h;
}

Reply parse_reply(const std::string& line, const Case& pending) {
  const json j = parse_object(line);
  const std::string type = j["type"].get<std::string>();
  if (type == "error" && j.contains("phase") && j["phase"] == "protocol") {
    throw AdapterError("the adapter could not read case " + std::to_string(pending.id) + ": " + quote(line));
  }
  if (type != "result" && type != "error")
    bad("expected a result or an error, got type \"" + type + "\"", line);
  if (!j.contains("id") || !j["id"].is_number_integer()) bad("no integer \"id\"", line);
  Reply r;
  r.id = j["id"].get<std::int64_t>();
  if (r.id != pending.id) {
    bad("a reply for case " + std::to_string(r.id) + " while case " + std::to_string(pending.id) +
            " was the next to answer (replies come in order)",
        line);
  }
  std::set<std::string> names, leaves;
  for (const auto& leaf : pending.leaves) {
    names.insert(leaf.first);
    leaves.insert(leaf.first);
  }
  for (const Instruction& ins : pending.ops) names.insert(ins.name);
  if (j.contains("stdout")) r.printed = string_field(j, "stdout", false, line);
  if (type == "result") {
    r.type = Reply::Type::result;
    only_keys(j, {"type", "id", "value", "grads", "values", "stdout"}, line);
    if (!j.contains("value")) bad("no \"value\"", line);
    r.value = number_field(j["value"], "\"value\"", line);
    if (!j.contains("grads")) bad("no \"grads\"", line);
    r.grads = number_map(j, "grads", names, line);
    r.values = number_map(j, "values", names, line);
    for (const std::string& leaf : leaves) {
      bool found = false;
      for (const auto& g : r.grads) found = found || g.first == leaf;
      if (!found) bad("no grad for leaf \"" + leaf + "\"", line);
    }
    return r;
  }
  r.type = Reply::Type::error;
  only_keys(j,
            {"type", "id", "phase", "kind", "node", "op", "exception", "message", "returned", "repr",
             "arithmetic", "values", "stdout"},
            line);
  r.values = number_map(j, "values", names, line);
  r.phase = string_field(j, "phase", true, line);
  if (r.phase != "build" && r.phase != "backward")
    bad("\"phase\" is neither \"build\" nor \"backward\"", line);
  r.kind = string_field(j, "kind", true, line);
  if (r.kind != "exception" && r.kind != "not_a_value" && r.kind != "non_ieee") {
    bad("\"kind\" is not \"exception\", \"not_a_value\" or \"non_ieee\"", line);
  }
  r.node = string_field(j, "node", false, line);
  if (!r.node.empty() && names.count(r.node) == 0)
    bad("\"node\" names \"" + r.node + "\", not in the case", line);
  r.op = string_field(j, "op", false, line);
  if (!r.op.empty() && !parse_op(r.op)) bad("\"op\" is \"" + r.op + "\", not a protocol op name", line);
  r.exception = string_field(j, "exception", r.kind == "exception", line);
  r.message = string_field(j, "message", true, line);
  r.returned = string_field(j, "returned", r.kind != "exception", line);
  r.repr = string_field(j, "repr", false, line);
  if (j.contains("arithmetic")) {
    if (!j["arithmetic"].is_boolean()) bad("\"arithmetic\" is not true or false", line);
    r.arithmetic = j["arithmetic"].get<bool>();
  }
  return r;
}

}  // namespace verigrad::verify::conform
