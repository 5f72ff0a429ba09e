// The semantic probes: what random programs rarely reach. Backward twice, zeroing then again, two
// graphs sharing leaves, reuse, a number on either side of every binary op, and the deepest chain.
#include <algorithm>
#include <utility>

#include "verify/conform/conform.hpp"

namespace verigrad::verify::conform {

namespace {

// Hand-written programs as GraphSpecs.
class Builder {
 public:
  std::size_t leaf(double x) { return add({Op::Leaf, {}, x}); }
  std::size_t number(double x) { return add({Op::Leaf, {}, x, true}); }
  std::size_t op(Op op, std::size_t a) { return add({op, {a}}); }
  std::size_t op(Op op, std::size_t a, std::size_t b) { return add({op, {a, b}}); }
  std::size_t pow(std::size_t a, double k) { return add({Op::PowConst, {a}, k}); }
  GraphSpec spec() const { return prune(spec_); }

 private:
  std::size_t add(NodeSpec node) {
    spec_.nodes.push_back(std::move(node));
    return spec_.nodes.size() - 1;
  }
  GraphSpec spec_;
};

Probe make_probe(std::string name, std::string title) {
  Probe p;
  p.name = std::move(name);
  p.title = std::move(title);
  return p;
}

bool has(const Hello& h, OpName op) { return std::find(h.ops.begin(), h.ops.end(), op) != h.ops.end(); }
bool left(const Hello& h, OpName op) {
  return std::find(h.constant_left.begin(), h.constant_left.end(), op) != h.constant_left.end();
}

// The ops a spec needs that the engine lacks, as text ("" if none).
std::string missing_ops(const Hello& h, const GraphSpec& spec) {
  std::string missing;
  for (const NodeSpec& n : spec.nodes) {
    if (n.op == Op::Leaf) continue;
    const std::string name = to_string(protocol_op(n.op));
    if (!has(h, protocol_op(n.op)) && missing.find(name) == std::string::npos) {
      missing += (missing.empty() ? "" : ", ") + name;
    }
  }
  return missing.empty() ? "" : "needs " + missing;
}

ProbeCheck make_check(const Hello& h, std::string label, const GraphSpec& spec, Mode mode) {
  ProbeCheck c;
  c.label = std::move(label);
  c.mode = mode;
  c.program = encode(spec, h.constant_left);
  c.unsupported = missing_ops(h, spec);
  return c;
}

// Runs the supported checks of a probe (one engine round trip for all) and judges them.
void run_checks(Engine& engine, Probe& probe, const RunOptions& options = {}) {
  std::vector<Case> cases;
  std::vector<std::size_t> which;
  for (std::size_t i = 0; i < probe.checks.size(); ++i) {
    const ProbeCheck& c = probe.checks[i];
    if (!c.unsupported.empty()) continue;
    cases.push_back(c.program.to_case(static_cast<std::int64_t>(1000000 + i), c.mode));
    which.push_back(i);
  }
  engine.run(
      cases,
      [&](std::size_t k, Response r) {
        ProbeCheck& c = probe.checks[which[k]];
        c.response = std::move(r);
        c.judged = judge(c.program, c.mode, c.response);
        if (!c.judged.outcome.passed()) c.hint = find_hint(c.program, c.mode, c.response, c.judged);
      },
      options);
}

// The programs the accumulation probes run, as far as the engine has their ops.
std::vector<std::pair<std::string, GraphSpec>> accumulation_programs() {
  std::vector<std::pair<std::string, GraphSpec>> out;
  {
    Builder b;
    const std::size_t x = b.leaf(3.0);
    b.op(Op::Mul, b.op(Op::Mul, x, x), x);
    out.emplace_back("x * x * x at x = 3", b.spec());
  }
  {
    Builder b;
    const std::size_t x = b.leaf(0.5), y = b.leaf(-1.5);
    b.op(Op::Add, b.op(Op::Mul, b.op(Op::Tanh, x), y), x);
    out.emplace_back("tanh(x) * y + x", b.spec());
  }
  {
    Builder b;
    const std::size_t x = b.leaf(2.0), y = b.leaf(-3.0);
    const std::size_t t = b.op(Op::Add, x, y);
    b.op(Op::Add, b.op(Op::Add, t, x), t);
    out.emplace_back("(x + y) + x + (x + y)", b.spec());
  }
  return out;
}

Probe accumulation_probe(Engine& engine, const std::string& name, const std::string& title, Mode mode) {
  Probe p = make_probe(name, title);
  for (const auto& [label, spec] : accumulation_programs())
    p.checks.push_back(make_check(engine.hello(), label, spec, mode));
  run_checks(engine, p);
  return p;
}

Probe reuse_probe(Engine& engine) {
  Probe p = make_probe("reuse", "a node used more than once gets the sum of its contributions");
  const Hello& h = engine.hello();
  auto add = [&](const std::string& label, const Builder& b) {
    p.checks.push_back(make_check(h, label, b.spec(), Mode::once));
  };
  {
    Builder b;
    const std::size_t x = b.leaf(1.5);
    b.op(Op::Add, x, x);
    add("x + x", b);
  }
  {
    Builder b;
    const std::size_t x = b.leaf(-1.25);
    b.op(Op::Mul, x, x);
    add("x * x", b);
  }
  {
    Builder b;
    const std::size_t x = b.leaf(0.5);
    b.op(Op::Add, b.op(Op::Tanh, x), x);
    add("tanh(x) + x", b);
  }
  {
    Builder b;
    const std::size_t x = b.leaf(0.75), y = b.leaf(-2.0);
    const std::size_t t = b.op(Op::Mul, x, y);
    b.op(Op::Add, t, t);
    add("t = x * y; t + t", b);
  }
  {
    Builder b;
    const std::size_t x = b.leaf(0.3), y = b.leaf(1.7);
    const std::size_t t = b.op(Op::Mul, x, y);
    b.op(Op::Mul, b.op(Op::Tanh, t), t);
    add("t = x * y; tanh(t) * t", b);
  }
  run_checks(engine, p);
  return p;
}

// `3 OP x` for every binary op (and `x OP 3` beside it): a reflected operator must not swap its
// operands, and a number on either side must become part of the graph.
Probe constant_probe(Engine& engine) {
  Probe p = make_probe("constant_left", "a plain number on the left (and on the right) of every binary op");
  const Hello& h = engine.hello();
  const std::pair<Op, const char*> ops[] = {
      {Op::Add, " + "}, {Op::Sub, " - "}, {Op::Mul, " * "}, {Op::Div, " / "}, {Op::Pow, " ** "}};
  for (const auto& [op, sign] : ops) {
    const OpName name = protocol_op(op);
    const double c = op == Op::Pow ? 2.0 : 3.0;
    Builder b;
    const std::size_t n = b.number(c);
    b.op(op, n, b.leaf(0.5));
    ProbeCheck check = make_check(h, python_number(c) + sign + "x", b.spec(), Mode::once);
    if (check.unsupported.empty() && !left(h, name)) {
      check.unsupported = std::string("no number on the left of ") + to_string(name) +
                          " (the adapter did not list it in constant_left)";
    }
    p.checks.push_back(std::move(check));
    if (op == Op::Pow) continue;  // a number exponent is pow_const, tested everywhere
    Builder r;
    const std::size_t x = r.leaf(0.5);
    r.op(op, x, r.number(c));
    p.checks.push_back(make_check(h, std::string("x") + sign + python_number(c), r.spec(), Mode::once));
  }
  run_checks(engine, p);
  return p;
}

// The op a depth chain is made of: a unary op if the engine has one (no node is used twice, so the
// chain tests depth and nothing else), else a binary op with a fresh number on the right; one the
// random cases found nothing wrong with if possible.
std::optional<Op> chain_op(const Hello& h, const std::vector<OpName>& suspect) {
  const Op preference[] = {Op::Neg, Op::Tanh, Op::Relu, Op::Abs, Op::Sigmoid, Op::Add, Op::Mul, Op::Sub};
  for (bool avoid_suspects : {true, false}) {
    for (Op op : preference) {
      const OpName name = protocol_op(op);
      const bool is_suspect = std::find(suspect.begin(), suspect.end(), name) != suspect.end();
      if (has(h, name) && !(avoid_suspects && is_suspect)) return op;
    }
  }
  return std::nullopt;
}

GraphSpec chain(Op op, std::size_t depth) {
  Builder b;
  std::size_t t = b.leaf(0.5);
  for (std::size_t i = 0; i < depth; ++i) {
    if (op_arity(op) == 1) {
      t = b.op(op, t);
    } else {
      t = b.op(op, t, b.number(op == Op::Mul ? 1.0 : 0.001));
    }
  }
  return b.spec();
}

// One chain through the engine: passed, or how it failed.
std::pair<bool, ProbeCheck> run_chain(Engine& engine, const GraphSpec& spec, std::size_t depth) {
  ProbeCheck c;
  c.label = "a chain " + std::to_string(depth) + " ops deep";
  c.program = encode(spec, {});  // numbers on the right only
  bool done = false;
  engine.run(
      {c.program.to_case(static_cast<std::int64_t>(2000000 + depth), Mode::once, false)},
      [&](std::size_t, Response r) {
        c.response = std::move(r);
        c.judged = judge(c.program, Mode::once, c.response);
        done = true;
      },
      RunOptions{false});
  return {done && c.judged.outcome.passed(), std::move(c)};
}

Probe depth_probe(Engine& engine, std::size_t max_depth, const std::vector<OpName>& suspect) {
  Probe p = make_probe("depth",
                       "the deepest chain the engine survives (10 to " + std::to_string(max_depth) + " ops)");
  const Hello& h = engine.hello();
  const std::optional<Op> op = chain_op(h, suspect);
  if (op) p.title += ", a chain of " + std::string(to_string(protocol_op(*op)));
  if (!op) {
    ProbeCheck c;
    c.label = "a chain";
    c.unsupported = "needs one of neg, tanh, relu, abs, sigmoid, add, mul, sub";
    p.checks.push_back(std::move(c));
    return p;
  }
  std::size_t ok = 0, bad = 0;
  std::optional<ProbeCheck> failure;
  for (std::size_t depth = 10; depth <= max_depth; depth *= 10) {
    auto [passed, check] = run_chain(engine, chain(*op, depth), depth);
    if (passed) {
      ok = depth;  // passing chains are not kept: they are long
      continue;
    }
    bad = depth;
    failure = std::move(check);
    break;
  }
  // Bisect to the exact depth where it starts failing.
  for (int step = 0; bad > ok + 1 && step < 24; ++step) {
    const std::size_t mid = ok + (bad - ok) / 2;
    auto [passed, check] = run_chain(engine, chain(*op, mid), mid);
    if (passed) {
      ok = mid;
    } else {
      bad = mid;
      failure = std::move(check);
    }
  }
  p.max_depth = ok;
  if (failure) {
    p.failed_at = bad;
    const Outcome& o = failure->judged.outcome;
    p.how = std::string(to_string(o.kind)) + ": " + o.what;
    if (p.how.size() > 400) p.how = p.how.substr(0, 400) + "...";
    const bool recursion_like = o.kind == Kind::crash || o.kind == Kind::timeout ||
                                (o.kind == Kind::raises && (o.exception == "RecursionError" ||
                                                            o.what.find("recursion") != std::string::npos));
    if (recursion_like && ok >= 10) {
      const std::string how = o.kind == Kind::raises  ? o.exception + " in " + failure->response.reply.phase
                              : o.kind == Kind::crash ? "the adapter crashed: probably a stack overflow"
                                                      : "no reply within the timeout";
      p.hint = recursion_hint(bad, how);
    } else {
      p.hint = find_hint(failure->program, Mode::once, failure->response, failure->judged);
    }
    p.checks.push_back(std::move(*failure));
  }
  return p;
}

}  // namespace

std::optional<bool> Probe::ok() const {
  if (name == "depth") {
    if (!checks.empty() && !checks.front().unsupported.empty()) return std::nullopt;
    return failed_at == 0;
  }
  bool ran = false;
  for (const ProbeCheck& c : checks) {
    if (!c.unsupported.empty()) continue;
    ran = true;
    if (!c.ok()) return false;
  }
  return ran ? std::optional<bool>(true) : std::nullopt;
}

std::vector<Probe> run_probes(Engine& engine, const Options& options, const std::vector<OpName>& suspect) {
  std::vector<Probe> probes;
  probes.push_back(accumulation_probe(
      engine, "twice", "backward() twice accumulates, as torch does (x * x * x at 3: 54)", Mode::twice));
  probes.push_back(accumulation_probe(engine, "zero_then_again",
                                      "leaves zeroed, then backward() again gives the same grads",
                                      Mode::zero_then_again));
  probes.push_back(accumulation_probe(
      engine, "two_graphs", "two graphs sharing leaves: both backward() calls add up", Mode::two_graphs));
  probes.push_back(reuse_probe(engine));
  probes.push_back(constant_probe(engine));
  probes.push_back(depth_probe(engine, options.max_depth, suspect));
  return probes;
}

}  // namespace verigrad::verify::conform
