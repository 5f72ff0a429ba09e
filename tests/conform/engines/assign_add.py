"""Broken on purpose: add's backward assigns (=) where it must accumulate (+=), so x + x gets half
its gradient, and any node used twice keeps only the last contribution."""
from correct_engine import Value as _Correct


class Value(_Correct):
    def __add__(self, other):
        other = self._wrap(other)
        out = self._node(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = out.grad  # the mistake: = instead of +=
            other.grad = out.grad

        out._backward = _backward
        return out
