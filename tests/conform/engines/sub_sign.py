"""Broken on purpose: sub's backward gives the right operand +grad instead of -grad."""
from correct_engine import Value as _Correct


class Value(_Correct):
    def __sub__(self, other):
        other = self._wrap(other)
        out = self._node(self.data - other.data, (self, other), "-")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad  # the mistake: d(a - b)/db is -1

        out._backward = _backward
        return out
