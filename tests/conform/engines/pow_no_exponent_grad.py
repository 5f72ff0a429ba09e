"""Broken on purpose: Value ** Value never gives the exponent its gradient (a ** b * log(a))."""
from correct_engine import Value as _Correct
from correct_engine import d_pow_base


class Value(_Correct):
    def __pow__(self, other):
        if not isinstance(other, Value):
            return super().__pow__(other)
        out = self._node(self.data ** other.data, (self, other), "**")

        def _backward():
            self.grad += d_pow_base(self.data, other.data, out.grad)
            # the mistake: nothing for other.grad

        out._backward = _backward
        return out
