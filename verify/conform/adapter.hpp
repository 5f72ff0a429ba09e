// A conform adapter for a C++ autograd engine: fill a small traits struct for your Value type and get a
// `main` that speaks verigrad's conform protocol (docs/conform.md), so that
//
//   verigrad conform --engine ./my_adapter
//
// generates random programs for your engine, checks every value and gradient against LibTorch, and
// shrinks any failure to a minimal program. Header-only; needs nlohmann/json (no LibTorch, no verigrad
// library). The traits:
//
//   struct MyEngine {
//     using value_type = my::Value;
//     static std::string name() { return "my engine"; }
//     static std::vector<conform::OpName> ops();            // the ops it has (see OpName)
//     static std::vector<conform::OpName> constant_left();  // ops that take a plain number on the
//                                                           // left: 2 - x, 2 / x, 2 ** x
//     static value_type leaf(double x);
//     // One op. Operands are Values or plain numbers (Arg::is_number); unary ops ignore b; pow_const's
//     // b is the exponent, always a number. Throw to report an error: verigrad shows the message.
//     static value_type apply(conform::OpName op, const conform::Arg<value_type>& a,
//                             const conform::Arg<value_type>& b);
//     static void backward(value_type& root);
//     static double data(const value_type& v);
//     static double grad(const value_type& v);
//     static void set_grad(value_type& v, double g);        // zero_then_again sets leaves to 0
//   };
//   int main() { return verigrad::verify::conform::adapter_main<MyEngine>(); }
//
// The engine's own prints go to standard error (standard output carries the protocol). A crash of the
// engine kills the adapter; verigrad restarts it and reports the case as a `crash` finding. The same
// traits also run in process, inside a GoogleTest suite: see verify/conform/gtest.hpp.
// examples/conform/ has the adapter for verigrad's own engine.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <typeinfo>
#include <unordered_map>
#include <vector>
#if defined(__GNUG__)
#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#endif

#include "verify/conform/protocol.hpp"

namespace verigrad::verify::conform {

// An operand handed to Traits::apply: a Value of the graph, or a plain number in that position.
template <typename V>
struct Arg {
  const V* value = nullptr;  // null for a number
  double number = 0.0;
  bool is_number() const { return value == nullptr; }
};

namespace detail {

inline std::string type_name(const std::type_info& type) {
#if defined(__GNUG__)
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                              std::free);
  if (status == 0 && name) return name.get();
#endif
  return type.name();
}

// The graph of one case in the engine: every named node, leaves first.
template <typename Traits>
struct Graph {
  using V = typename Traits::value_type;
  std::vector<V> nodes;
  std::vector<std::string> names;
  std::unordered_map<std::string, std::size_t> index;

  const V& at(const std::string& name) const {
    auto it = index.find(name);
    if (it == index.end()) throw std::invalid_argument("unknown name '" + name + "'");
    return nodes[it->second];
  }
  void add(const std::string& name, V v) {
    index[name] = nodes.size();
    names.push_back(name);
    nodes.push_back(std::move(v));
  }
};

// Where a case is, for the error reply if the engine throws.
struct Position {
  std::string phase = "build";
  std::string node;
  std::string op;
};

template <typename Traits>
void build_ops(const Case& c, Graph<Traits>& g, Position& at) {
  using V = typename Traits::value_type;
  for (const Instruction& ins : c.ops) {
    at.node = ins.name;
    at.op = to_string(ins.op);
    Arg<V> args[2];
    for (std::size_t i = 0; i < ins.args.size() && i < 2; ++i) {
      if (ins.args[i].is_number()) {
        args[i].number = ins.args[i].number;
      } else {
        args[i].value = &g.at(ins.args[i].name);
      }
    }
    V out = Traits::apply(ins.op, args[0], args[1]);  // before add(): args point into g.nodes
    g.add(ins.name, std::move(out));
  }
  at.node.clear();
  at.op.clear();
}

inline Number ieee(double x) { return Number{x, "", ""}; }

}  // namespace detail

template <typename Traits>
Hello hello_of() {
  Hello h;
  h.engine = Traits::name();
  h.ops = Traits::ops();
  h.constant_left = Traits::constant_left();
  h.intermediates = true;
  return h;
}

// Runs one case through the engine and says what happened: the output's value, every node's value and
// grad (inner nodes' grads in mode once only), or the exception the engine threw and where.
template <typename Traits>
Reply run_case(const Case& c) {
  using V = typename Traits::value_type;
  Reply r;
  r.id = c.id;
  detail::Position at;
  detail::Graph<Traits> g;
  // An error reply carries the values built before it, so that verigrad can blame a wrong value
  // upstream rather than the error it caused.
  auto failed = [&](std::string exception, std::string message) {
    Reply e;
    e.id = c.id;
    e.type = Reply::Type::error;
    e.kind = "exception";
    e.phase = at.phase;
    e.node = at.node;
    e.op = at.op;
    e.exception = std::move(exception);
    e.message = std::move(message);
    for (std::size_t i = c.leaves.size(); i < g.nodes.size(); ++i) {
      try {
        e.values.emplace_back(g.names[i], detail::ieee(Traits::data(g.nodes[i])));
      } catch (...) {
        break;
      }
    }
    return e;
  };
  try {
    g.nodes.reserve(c.leaves.size() + c.ops.size());
    for (const auto& [name, x] : c.leaves) {
      at.node = name;
      g.add(name, Traits::leaf(x));
    }
    at.node.clear();
    detail::Graph<Traits> second = g;  // two_graphs: the same leaves, the ops built again
    detail::build_ops(c, g, at);
    if (c.mode == Mode::two_graphs) detail::build_ops(c, second, at);
    at.phase = "backward";
    V out = g.at(c.output);
    Traits::backward(out);
    if (c.mode == Mode::twice) Traits::backward(out);
    if (c.mode == Mode::zero_then_again) {
      for (std::size_t i = 0; i < c.leaves.size(); ++i) Traits::set_grad(g.nodes[i], 0.0);
      Traits::backward(out);
    }
    if (c.mode == Mode::two_graphs) {
      V out2 = second.at(c.output);
      Traits::backward(out2);
    }
    r.type = Reply::Type::result;
    r.value = detail::ieee(Traits::data(out));
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
      const bool leaf = i < c.leaves.size();
      if (leaf || c.mode == Mode::once) {
        if (leaf || c.intermediates) r.grads.emplace_back(g.names[i], detail::ieee(Traits::grad(g.nodes[i])));
      }
      if (!leaf && c.intermediates) r.values.emplace_back(g.names[i], detail::ieee(Traits::data(g.nodes[i])));
    }
  } catch (const std::exception& e) {
    return failed(detail::type_name(typeid(e)), e.what());
  } catch (...) {
    return failed("unknown", "a non-std::exception was thrown");
  }
  return r;
}

// The adapter's main loop: one JSON request per line on standard input, one reply per line on
// standard output, until standard input closes. The engine's own writes to standard output are sent
// to standard error first, so that they cannot break the protocol.
template <typename Traits>
int adapter_loop();

template <typename Traits>
int adapter_main() noexcept {
  try {
    return adapter_loop<Traits>();
  } catch (const std::exception& e) {  // out of memory, a closed standard output: verigrad sees the exit
    std::fprintf(stderr, "conform adapter: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "conform adapter: an unknown exception\n");
  }
  return 2;
}

template <typename Traits>
int adapter_loop() {
  const int protocol_fd = ::dup(STDOUT_FILENO);
  if (protocol_fd < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    std::perror("conform adapter: cannot set up standard output");
    return 2;
  }
  std::FILE* out = ::fdopen(protocol_fd, "w");
  if (out == nullptr) return 2;
  auto send = [out](const nlohmann::json& j) {
    const std::string line = to_line(j);
    std::fwrite(line.data(), 1, line.size(), out);
    std::fflush(out);
  };
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    nlohmann::json reply;
    try {
      const nlohmann::json request = nlohmann::json::parse(line);
      const std::string type = request.value("type", "");
      if (type == "hello") {
        if (request.value("protocol", 0) != kProtocolVersion) {
          reply = {{"type", "error"},
                   {"phase", "hello"},
                   {"kind", "exception"},
                   {"exception", "protocol"},
                   {"message", "this adapter speaks protocol " + std::to_string(kProtocolVersion)}};
        } else {
          reply = to_json(hello_of<Traits>());
        }
      } else if (type == "case") {
        reply = to_json(run_case<Traits>(case_from_json(request)));
      } else {
        continue;  // a request this adapter does not know: no reply
      }
    } catch (const std::exception& e) {
      reply = {{"type", "error"},
               {"phase", "protocol"},
               {"kind", "exception"},
               {"exception", "bad request"},
               {"message", e.what()}};
    }
    send(reply);
  }
  std::fclose(out);
  return 0;
}

}  // namespace verigrad::verify::conform
