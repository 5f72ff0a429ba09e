// Agreement with LibTorch, node by node, over many random graphs from the verify generators: the
// measurement behind issue 11's "agreement with torch did not loosen" (engine changes that reorder a
// gradient sum are judged by it, before and after, with the same program).
//
//   bench_agreement [graphs] [first-seed] > nodes.tsv
//
// Graph i is verify's random expression (gen::detail::random_spec) from mt19937_64(first-seed + i) at
// size i % 101 (rapidcheck's sizes) or, for every third graph, up to 500 (more ops, more sharing). Our
// side: one backward on fresh leaves. Torch's side twice: the graph rebuilt in the order its nodes were
// created (as a user's own torch code would build it: torch's sequence numbers then follow ours) and in
// verigrad::topological_order (the operand-first DFS order). One line per node:
//   graph  node  users  value_ulps  grad_ulps_created  grad_ulps_topological
// ULP distances as verify::ulp_distance (18446744073709551615 when exactly one side is NaN); `users`
// counts the node's operand slots that refer to it (3 or more is where summation order can matter).
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "engine/graph.hpp"
#include "verify/compare.hpp"
#include "verify/generators.hpp"
#include "verify/graph_spec.hpp"
#include "verify/torch_mirror.hpp"

namespace verify = verigrad::verify;
using verigrad::Value;

int main(int argc, char** argv) {
  const long graphs = argc > 1 ? std::atol(argv[1]) : 10000;
  const unsigned long long first = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  std::printf("graph\tnode\tusers\tvalue_ulps\tgrad_ulps_created\tgrad_ulps_topological\n");
  for (long i = 0; i < graphs; ++i) {
    verify::gen::detail::Rng rng(first + static_cast<unsigned long long>(i));
    const int size = i % 3 == 2 ? static_cast<int>(100 + i % 401) : static_cast<int>(i % 101);
    const verify::GraphSpec spec = verify::gen::detail::random_spec(rng, size);
    verify::BuiltGraph g = verify::build(spec);
    g.root.backward();
    const verify::TorchNumbers created = verify::torch_mirror(g.nodes, 1.0);  // spec order = creation order
    const std::vector<Value> order = verigrad::topological_order(g.root);
    const verify::TorchNumbers topo = verify::torch_mirror(order, 1.0);
    std::unordered_map<const void*, std::size_t> at;
    for (std::size_t k = 0; k < order.size(); ++k) at.emplace(order[k].id(), k);
    std::vector<int> users(spec.nodes.size(), 0);
    for (const verify::NodeSpec& node : spec.nodes) {
      for (std::size_t operand : node.operands) ++users[operand];
    }
    for (std::size_t n = 0; n < g.nodes.size(); ++n) {
      const Value& v = g.nodes[n];
      const std::size_t t = at.at(v.id());
      std::printf("%ld\t%zu\t%d\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\n", i, n, users[n],
                  verify::ulp_distance(v.data(), created.value[n]),
                  verify::ulp_distance(v.grad(), created.grad[n]),
                  verify::ulp_distance(v.grad(), topo.grad[t]));
    }
  }
  return 0;
}
