// libFuzzer target: arbitrary bytes through the expression parser and, where they parse, through
// forward re-evaluation, backward and the printers. Built by scripts/fuzz with clang
// (-fsanitize=fuzzer,address,undefined); any crash, hang, leak or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/graph.hpp"
#include "verify/expr/evaluate.hpp"
#include "verify/expr/parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  try {
    verigrad::verify::Program program = verigrad::verify::parse_program(source);
    verigrad::Value& root = program.root;
    (void)verigrad::verify::evaluate_forward(root);
    root.backward();
    (void)verigrad::to_program(root);
    (void)verigrad::to_dot(root);
    (void)verigrad::node_count(root);
  } catch (const verigrad::verify::ParseError&) {
    // Rejected input is the expected outcome for most bytes.
  }
  return 0;
}
