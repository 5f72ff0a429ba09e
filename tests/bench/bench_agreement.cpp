// Agreement with LibTorch, node by node, over many random graphs from the verify generators: the
// measurement behind issue 11's "agreement with torch did not loosen" (an engine change that reorders
// a gradient sum is judged by it, before and after, with the same program and seeds).
//
//   bench_agreement [graphs] [first-seed] > nodes.tsv
//
// Graph i is verify's random expression (gen::detail::random_spec) from mt19937_64(first-seed + i) at
// size i % 101 (rapidcheck's sizes) or, for every third graph, 100 to 500 (more ops, more sharing).
// Two views of torch's numbers:
//   check  verify::check(root), as the property suite runs it: ULP distances and verdicts per node
//   user   torch_mirror over the nodes in the order the program created them: torch's numbers for the
//          same program written with torch tensors (its sequence numbers follow the creation order)
// One line per node, in topological_order (the rows of check's report):
//   graph  row  users  value_ulps  grad_ulps  value_verdict  grad_verdict  grad_ulps_user
// ULP distances as verify::ulp_distance (18446744073709551615 when exactly one side is NaN); `users`
// counts the operand slots that refer to the node (3 or more is where summation order can matter).
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "engine/graph.hpp"
#include "verify/check.hpp"
#include "verify/compare.hpp"
#include "verify/generators.hpp"
#include "verify/graph_spec.hpp"
#include "verify/torch_mirror.hpp"

namespace verify = verigrad::verify;

int main(int argc, char** argv) {
  const long graphs = argc > 1 ? std::atol(argv[1]) : 10000;
  const unsigned long long first = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  std::printf("graph\trow\tusers\tvalue_ulps\tgrad_ulps\tvalue_verdict\tgrad_verdict\tgrad_ulps_user\n");
  for (long i = 0; i < graphs; ++i) {
    verify::gen::detail::Rng rng(first + static_cast<unsigned long long>(i));
    const int size = i % 3 == 2 ? static_cast<int>(100 + i % 401) : static_cast<int>(i % 101);
    const verify::GraphSpec spec = verify::gen::detail::random_spec(rng, size);
    verify::BuiltGraph g = verify::build(spec);
    const verify::Report report = verify::check(g.root);
    g.root.backward();  // fresh leaves: the grads check() reported (it restores what it found)
    const verify::TorchNumbers user = verify::torch_mirror(g.nodes, 1.0);  // spec order = creation order
    std::unordered_map<const void*, std::size_t> spec_index;
    std::vector<int> users(spec.nodes.size(), 0);
    for (std::size_t n = 0; n < g.nodes.size(); ++n) {
      spec_index.emplace(g.nodes[n].id(), n);
      for (std::size_t operand : spec.nodes[n].operands) ++users[operand];
    }
    for (const verify::NodeRow& row : report.rows) {
      const std::size_t n = spec_index.at(row.id);
      std::printf("%ld\t%zu\t%d\t%" PRIu64 "\t%" PRIu64 "\t%s\t%s\t%" PRIu64 "\n", i, row.index, users[n],
                  row.value.comparison.ulps, row.grad.comparison.ulps, verify::to_string(row.value.verdict),
                  verify::to_string(row.grad.verdict), verify::ulp_distance(g.nodes[n].grad(), user.grad[n]));
    }
  }
  return 0;
}
