"""Broken on purpose: tanh's backward assigns (=) where it must accumulate (+=): in tanh(x) + x the
contribution of `+ x` is lost."""
import math

from correct_engine import Value as _Correct


class Value(_Correct):
    def tanh(self):
        t = math.tanh(self.data)
        out = self._node(t, (self,), "tanh")

        def _backward():
            self.grad = (1.0 - t * t) * out.grad  # the mistake: = instead of +=

        out._backward = _backward
        return out
