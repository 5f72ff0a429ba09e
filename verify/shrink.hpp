// Greedy shrinking over a rapidcheck shrink tree outside a property (verigrad fuzz, verigrad conform):
// take the first simpler value that still fails, and start again from it, until none does.
#pragma once

#include <rapidcheck.h>

#include <cstddef>
#include <vector>

namespace verigrad::verify {

// `first_failing(candidates)` gets up to `batch` candidates at a time, in the tree's order, and returns
// the index of the first that still fails, or -1 (a batch lets an engine behind a pipe run several
// candidates at once). `keep_going()` is asked before each batch (a time budget); shrinking stops when
// it says no. Returns the number of steps taken.
template <typename T, typename FirstFailing, typename KeepGoing>
int minimise(rc::Shrinkable<T>& shrinkable, std::size_t batch, const FirstFailing& first_failing,
             const KeepGoing& keep_going) {
  int steps = 0;
  for (bool progress = true; progress;) {
    progress = false;
    rc::Seq<rc::Shrinkable<T>> shrinks = shrinkable.shrinks();
    for (bool more = true; more && !progress && keep_going();) {
      std::vector<rc::Shrinkable<T>> candidates;
      std::vector<T> values;
      while (candidates.size() < batch) {
        rc::Maybe<rc::Shrinkable<T>> next = shrinks.next();
        if (!next) {
          more = false;
          break;
        }
        values.push_back(next->value());
        candidates.push_back(std::move(*next));
      }
      if (values.empty()) break;
      const int hit = first_failing(values);
      if (hit >= 0) {
        shrinkable = std::move(candidates[static_cast<std::size_t>(hit)]);
        progress = true;
        ++steps;
      }
    }
  }
  return steps;
}

// One candidate at a time, no budget.
template <typename T, typename Fails>
int minimise(rc::Shrinkable<T>& shrinkable, const Fails& fails) {
  return minimise(
      shrinkable, 1, [&](const std::vector<T>& values) { return fails(values.front()) ? 0 : -1; },
      [] { return true; });
}

}  // namespace verigrad::verify
