"""Broken on purpose, and nondeterministically: add's backward assigns (=) instead of accumulating,
and the topological order follows the iteration order of a set of children, which follows memory
addresses. Whether add's assignment lands before or after another contribution then changes from
run to run, so the same program passes once and fails the next time."""
import random

from assign_add import Value as _AssignAdd

class Value(_AssignAdd):
    def _topological_order(self):
        order, seen = [], {id(self)}
        stack = [(self, iter(self._children_in_set_order()))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, iter(child._children_in_set_order())))
                    break
            else:
                stack.pop()
                order.append(node)
        return order

    def _children_in_set_order(self):
        children = list(self._prev)
        random.shuffle(children)  # what iterating set(self._prev) does, as far as the engine can tell
        return children

