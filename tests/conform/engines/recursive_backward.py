"""Broken on purpose: backward recurses into the operands instead of following a topological order.
A node reached by two paths runs its backward twice (and the first time with half its gradient), and
Python's recursion limit stops it at a depth of about a thousand."""
from correct_engine import Value as _Correct


class Value(_Correct):
    def backward(self):
        self.grad = 1.0
        self._propagate()

    def _propagate(self):
        self._backward()
        for child in self._prev:  # the mistake: no topological order, and recursion
            child._propagate()
