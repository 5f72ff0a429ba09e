// The conform run: random cases, re-runs, shrinking with the engine in the loop, probes, the verdict.
#include "verify/conform/conform.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <tuple>

#include "verify/finite_diff.hpp"
#include "verify/generators.hpp"
#include "verify/shrink.hpp"

namespace verigrad::verify::conform {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunk = 128;      // random cases per engine.run (the crash budget is checked between)
constexpr std::size_t kKeptOutput = 20;  // engine output lines kept for the report
constexpr std::int64_t kShrinkIds = 10000000;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A random case that did not pass (passing ones are only counted, so --cases 10^7 needs no memory).
struct Failing {
  std::size_t index = 0;  // the case's number in the run
  Program program;
  Outcome outcome;
  Response response;
  bool unstable = false;         // a re-run answered differently
  std::optional<OpName> blamed;  // the op its finding is about, once shrunk
};

// Failing random cases with the same kind, blamed op and exception.
struct Group {
  Outcome first;
  std::vector<std::size_t> members;  // positions in failing_
  bool nondeterministic = false;
};

// Every number and error field of two responses, bit for bit (NaN equal to NaN); error messages are
// left out, as they may hold addresses.
bool same_response(const Response& a, const Response& b) {
  if (a.status != b.status) return false;
  if (a.status != Response::Status::reply) return true;
  const Reply& x = a.reply;
  const Reply& y = b.reply;
  if (x.type != y.type) return false;
  if (x.type == Reply::Type::error) {
    return x.kind == y.kind && x.exception == y.exception && x.node == y.node && x.phase == y.phase;
  }
  auto same = [](const Number& p, const Number& q) {
    return p.type == q.type && p.repr == q.repr &&
           (p.value == q.value || (std::isnan(p.value) && std::isnan(q.value)));
  };
  auto same_map = [&](const auto& m, const auto& n) {
    if (m.size() != n.size()) return false;
    for (std::size_t i = 0; i < m.size(); ++i) {
      if (m[i].first != n[i].first || !same(m[i].second, n[i].second)) return false;
    }
    return true;
  };
  return same(x.value, y.value) && same_map(x.grads, y.grads) && same_map(x.values, y.values);
}

class Runner {
 public:
  Runner(Engine& engine, const Options& o)
      : engine_(engine), o_(o), hello_(engine.hello()), gen_(gen::expression(engine_ops())) {}

  ConformReport run() {
    ConformReport rep;
    rep.hello = hello_;
    rep.adapter = engine_.kind();
    rep.seed = o_.seed;
    rep.strict = o_.strict;
    for (OpName op : kOpNames) {
      if (has(op)) {
        rep.tested.push_back(op);
        continue;
      }
      std::string why = "not announced by the adapter";
      for (const auto& [name, reason] : hello_.unsupported) {
        if (name == to_string(op)) why = reason;
      }
      rep.unsupported.emplace_back(op, why);
    }
    for (const std::string& line : engine_.startup_output()) keep_output(line);
    random_cases(rep);
    rerun_failures();
    std::vector<Group> groups = group_failures();
    shrink_all(groups, rep);
    per_op_stats(rep);
    if (o_.probes) {
      std::vector<OpName> suspect;
      for (const Finding& f : rep.findings) {
        if (f.kind != Kind::edge) suspect.insert(suspect.end(), f.seen_in.begin(), f.seen_in.end());
      }
      rep.probes = run_probes(engine_, o_, suspect);
    }
    for (const Probe& p : rep.probes) {
      for (const ProbeCheck& c : p.checks) count_output(c.response);
    }
    rep.engine_output = output_;
    rep.engine_output_lines = output_lines_;
    rep.notes.insert(rep.notes.begin(), hello_.notes.begin(), hello_.notes.end());
    bool ok = true;
    for (const Finding& f : rep.findings) ok = ok && f.kind == Kind::edge && !o_.strict;
    for (const Probe& p : rep.probes) ok = ok && p.ok() != std::optional<bool>(false);
    rep.conformant = ok;
    return rep;
  }

 private:
  bool has(OpName op) const {
    return std::find(hello_.ops.begin(), hello_.ops.end(), op) != hello_.ops.end();
  }

  std::vector<Op> engine_ops() const {
    std::vector<Op> ops;
    for (OpName op : kOpNames) {
      if (std::find(hello_.ops.begin(), hello_.ops.end(), op) != hello_.ops.end())
        ops.push_back(engine_op(op));
    }
    if (ops.empty()) throw AdapterError("the adapter announced no ops: there is nothing to test");
    return ops;
  }

  int size_of(std::size_t i) const {
    const std::size_t n = static_cast<std::size_t>(std::max(o_.cases, 1));
    return 1 +
           static_cast<int>(static_cast<double>(i) / static_cast<double>(std::max<std::size_t>(n - 1, 1)) *
                            (std::max(o_.max_nodes, 1) - 1));
  }

  rc::Shrinkable<GraphSpec> spec_of(std::size_t i) const {
    return gen_(gen::case_random(o_.seed, i), size_of(i));
  }

  void keep_output(const std::string& line) {
    ++output_lines_;
    if (output_.size() < kKeptOutput) output_.push_back(line);
  }

  void count_output(const Response& r) {
    for (const std::string& line : r.printed) keep_output(line);
    std::size_t start = 0;
    const std::string& text = r.reply.printed;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      keep_output(text.substr(start, end - start));
      start = end + 1;
    }
  }

  void random_cases(ConformReport& rep) {
    const std::size_t n = static_cast<std::size_t>(std::max(o_.cases, 0));
    const Clock::time_point start = Clock::now();
    int crashes = 0;
    std::size_t done = 0;
    while (done < n && crashes < o_.max_crashes) {
      const std::size_t end = std::min(n, done + kChunk);
      std::vector<Program> programs;
      std::vector<Case> cases;
      for (std::size_t i = done; i < end; ++i) {
        programs.push_back(encode(spec_of(i).value(), hello_.constant_left));
        cases.push_back(programs.back().to_case(static_cast<std::int64_t>(i)));
      }
      engine_.run(
          cases,
          [&](std::size_t k, Response r) {
            count_output(r);
            const Outcome outcome = judge(programs[k], Mode::once, r).outcome;
            for (OpName op : programs[k].ops_used()) {
              ++used_[static_cast<std::size_t>(op)];
              if (outcome.passed()) ++passed_[static_cast<std::size_t>(op)];
            }
            if (outcome.passed()) return;
            if (outcome.kind == Kind::crash || outcome.kind == Kind::timeout) ++crashes;
            failing_.push_back(Failing{done + k, programs[k], outcome, std::move(r), false, std::nullopt});
          },
          RunOptions{});
      done = end;
      if (o_.progress) o_.progress(static_cast<int>(done), static_cast<int>(n));
    }
    rep.seconds = seconds_since(start);
    rep.cases = static_cast<int>(done);
    if (done < n) {
      rep.notes.push_back("stopped after " + std::to_string(crashes) +
                          " crashes and timeouts: " + std::to_string(n - done) + " of " + std::to_string(n) +
                          " random cases were not run");
    }
    for (const Failing& f : failing_) ++(f.outcome.kind == Kind::edge ? rep.edge : rep.failed);
  }

  // Every failing case once more: an engine that answers differently (a topological order that follows
  // set iteration, which follows memory addresses) is flagged as nondeterministic.
  void rerun_failures() {
    std::vector<Case> cases;
    std::vector<std::size_t> which;
    for (std::size_t k = 0; k < failing_.size(); ++k) {
      const Kind kind = failing_[k].outcome.kind;
      if (kind == Kind::crash || kind == Kind::timeout) continue;
      cases.push_back(failing_[k].program.to_case(static_cast<std::int64_t>(failing_[k].index)));
      which.push_back(k);
    }
    if (cases.empty()) return;
    engine_.run(
        cases,
        [&](std::size_t k, const Response& r) {
          Failing& f = failing_[which[k]];
          f.unstable = !same_response(f.response, r);
        },
        RunOptions{});
  }

  std::vector<Group> group_failures() {
    std::vector<Group> groups;
    std::map<std::tuple<Kind, std::string, std::string>, std::size_t> index;
    for (std::size_t k = 0; k < failing_.size(); ++k) {
      const Outcome& o = failing_[k].outcome;
      const auto key =
          std::make_tuple(o.kind, o.ops.empty() ? std::string() : to_string(o.ops.front()), o.exception);
      auto it = index.find(key);
      if (it == index.end()) {
        it = index.emplace(key, groups.size()).first;
        groups.push_back(Group{o, {}, false});
      }
      groups[it->second].members.push_back(k);
      groups[it->second].nondeterministic = groups[it->second].nondeterministic || failing_[k].unstable;
    }
    return groups;
  }

  // The engine's answers to a batch of programs, in order.
  std::vector<Response> ask(const std::vector<Program>& programs, Mode mode, bool retry) {
    std::vector<Case> cases;
    cases.reserve(programs.size());
    for (const Program& p : programs) cases.push_back(p.to_case(next_id_++, mode));
    std::vector<Response> responses(cases.size());
    engine_.run(
        cases, [&](std::size_t k, Response r) { responses[k] = std::move(r); }, RunOptions{retry});
    return responses;
  }

  Finding shrink(const Group& g, Clock::time_point deadline) {
    Finding f;
    const Failing& lead = failing_[g.members.front()];
    const std::size_t index = lead.index;
    f.kind = g.first.kind;
    f.exception = g.first.exception;
    f.count = static_cast<int>(g.members.size());
    f.first_case = static_cast<std::int64_t>(index);
    f.original_ops = lead.program.op_count();
    f.nondeterministic = g.nondeterministic;
    rc::Shrinkable<GraphSpec> s = spec_of(index);
    // A timeout costs --timeout per candidate and a crash a restart: fewer candidates at once.
    const std::size_t batch = f.kind == Kind::timeout ? 1 : f.kind == Kind::crash ? 4 : 16;
    const bool retry = f.kind == Kind::crash;
    f.shrink_steps = minimise(
        s, batch,
        [&](const std::vector<GraphSpec>& specs) {
          std::vector<Program> programs;
          programs.reserve(specs.size());
          for (const GraphSpec& spec : specs) programs.push_back(encode(spec, hello_.constant_left));
          const std::vector<Response> responses = ask(programs, Mode::once, retry);
          for (std::size_t k = 0; k < programs.size(); ++k) {
            if (same_problem(g.first, judge(programs[k], Mode::once, responses[k]).outcome))
              return static_cast<int>(k);
          }
          return -1;
        },
        [&] {
          if (Clock::now() < deadline) return true;
          f.shrink_stopped = true;
          return false;
        });
    f.program = encode(s.value(), hello_.constant_left);
    f.response = std::move(ask({f.program}, Mode::once, retry).front());
    f.judged = judge(f.program, Mode::once, f.response);
    if (f.judged.outcome.passed()) {  // it passed this time: keep what the random case showed
      f.nondeterministic = true;
      f.program = lead.program;
      f.response = lead.response;
      f.judged = judge(f.program, Mode::once, f.response);
    }
    f.candidates = find_hints(f.program, Mode::once, f.response, f.judged);
    if (f.kind == Kind::wrong_value || f.kind == Kind::wrong_grad) f.fd = finite_differences_of(f);
    return f;
  }

  static std::string hint_key(const Hint& h) { return h.id + "/" + (h.op ? to_string(*h.op) : ""); }

  // A small program may fit two mistakes by coincidence; the one that fits the most findings wins.
  static void choose_hints(std::vector<Finding>& findings) {
    std::map<std::string, int> fits;
    for (const Finding& f : findings) {
      for (const Hint& h : f.candidates) ++fits[hint_key(h)];
    }
    for (Finding& f : findings) {
      for (const Hint& h : f.candidates) {
        if (!f.hint || fits[hint_key(h)] > fits[hint_key(*f.hint)]) f.hint = h;
      }
      f.op = final_op(f);
    }
  }

  static std::optional<OpName> final_op(const Finding& f) {
    if (f.hint && f.hint->op) return f.hint->op;
    if (!f.judged.outcome.ops.empty()) return f.judged.outcome.ops.front();
    const std::vector<OpName> used = f.program.ops_used();
    if (used.size() == 1) return used.front();
    const NodeSpec& root = f.program.spec.nodes.back();
    if (root.op != Op::Leaf) return protocol_op(root.op);
    return std::nullopt;
  }

  // d output / d leaf by central differences of our forward evaluation, beside the engine's gradient.
  static std::vector<FdNumber> finite_differences_of(const Finding& f) {
    std::vector<FdNumber> out;
    const BuiltGraph g = build(f.program.spec);
    for (std::size_t i = 0; i < f.program.spec.nodes.size(); ++i) {
      if (f.program.spec.nodes[i].op != Op::Leaf || f.program.is_number(i)) continue;
      const Side& side = f.judged.report.rows[i].grad;
      const double analytic =
          std::isfinite(side.ours) || !f.judged.odd_grad[i].empty() ? side.ours : side.torch;
      const FdProbe probe = probe_gradient(g.root, g.nodes[i], analytic);
      out.push_back({f.program.names[i], probe.central});
    }
    return out;
  }

  void shrink_all(std::vector<Group>& groups, ConformReport& rep) {
    const Clock::time_point deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                          std::chrono::duration<double>(o_.shrink_seconds));
    // Real findings first, then the edges; each in order of first appearance.
    std::vector<std::size_t> order(groups.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return (groups[a].first.kind == Kind::edge) < (groups[b].first.kind == Kind::edge);
    });
    std::vector<Finding> raw;
    raw.reserve(order.size());
    for (std::size_t gi : order) raw.push_back(shrink(groups[gi], deadline));
    choose_hints(raw);
    std::map<std::tuple<Kind, std::string, std::string>, std::size_t> merged;
    for (std::size_t k = 0; k < raw.size(); ++k) {
      Finding& f = raw[k];
      for (std::size_t m : groups[order[k]].members) failing_[m].blamed = f.op;  // the per-op table blames it
      // A mistake of no single op (no topological order, a missing import) is one finding, whichever
      // ops showed it.
      const bool structural = f.hint && !f.hint->op;
      const auto key = std::make_tuple(
          f.kind, structural || !f.op ? std::string() : std::string(to_string(*f.op)),
          (f.hint ? f.hint->id + ": " + (structural ? f.hint->text : "") : "") + "/" + f.exception);
      if (f.op) f.seen_in.push_back(*f.op);
      auto it = merged.find(key);
      if (it == merged.end()) {
        merged.emplace(key, rep.findings.size());
        rep.findings.push_back(std::move(f));
        continue;
      }
      // The same problem reached from another group: one finding, the smaller program, all the cases.
      Finding& kept = rep.findings[it->second];
      const int count = kept.count + f.count;
      const std::int64_t first = std::min(kept.first_case, f.first_case);
      const bool unstable = kept.nondeterministic || f.nondeterministic;
      std::vector<OpName> seen = kept.seen_in;
      for (OpName op : f.seen_in) {
        if (std::find(seen.begin(), seen.end(), op) == seen.end()) seen.push_back(op);
      }
      if (f.program.spec.nodes.size() < kept.program.spec.nodes.size()) kept = std::move(f);
      kept.count = count;
      kept.first_case = first;
      kept.nondeterministic = unstable;
      kept.seen_in = std::move(seen);
    }
    std::stable_partition(rep.findings.begin(), rep.findings.end(),
                          [](const Finding& f) { return f.kind != Kind::edge; });
  }

  void per_op_stats(ConformReport& rep) {
    for (OpName op : rep.tested) {
      const std::size_t i = static_cast<std::size_t>(op);
      rep.per_op.push_back(OpStats{op, used_[i], passed_[i]});
    }
    for (const Failing& f : failing_) {
      for (OpStats& s : rep.per_op) {
        if (!f.blamed || s.op != *f.blamed) continue;
        ++(f.outcome.kind == Kind::edge ? s.edge : s.failed);
      }
    }
  }

  Engine& engine_;
  const Options& o_;
  const Hello& hello_;
  rc::Gen<GraphSpec> gen_;
  std::vector<Failing> failing_;
  std::array<int, std::size(kOpNames)> used_{};    // random cases using each op
  std::array<int, std::size(kOpNames)> passed_{};  // of those, cases that passed
  std::vector<std::string> output_;
  std::size_t output_lines_ = 0;
  std::int64_t next_id_ = kShrinkIds;
};

}  // namespace

ConformReport run_conform(Engine& engine, const Options& options) { return Runner(engine, options).run(); }

}  // namespace verigrad::verify::conform
