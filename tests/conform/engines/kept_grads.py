"""Broken on purpose: backward() never resets the inner nodes' grads (micrograd's own behaviour), so
a second backward() propagates the first call's gradients again: x * x * x at 3 gives 72, not 54."""
from correct_engine import Value as _Correct


class Value(_Correct):
    def backward(self):
        order = self._topological_order()
        self.grad = 1.0  # the mistake: inner nodes keep their grads from the previous call
        for node in reversed(order):
            node._backward()
