"""A micrograd-style scalar autograd engine, written for verigrad's conform tests to agree with
PyTorch wherever Python floats let it: `verigrad conform --python correct_engine.py` finds nothing
but `edge` cases (Python raising ZeroDivisionError, OverflowError or ValueError where IEEE gives inf
or nan, and complex numbers from negative ** fractional).

The deliberately broken engines beside it each subclass this one and change one thing. Nodes are
made with type(self), so a subclass's operators are used all the way down the graph.

What it takes to agree with torch, beyond the textbook rules:
  - backward() visits each node once, in reverse topological order, found without recursion;
  - inner nodes' grads are reset at the start of every backward(): the leaves accumulate across
    calls as torch's do, the inner nodes describe this call only;
  - x ** k dispatches like torch's kernel (sqrt for 0.5, x*x for 2, x*x*x for 3, ...) and its
    derivative is 0 for k = 0;
  - d(a ** b)/db is 0 where a = 0 and b >= 0 (torch masks 0 * log(0));
  - sigmoid survives exp overflow (1 / (1 + inf) = 0, as torch computes it);
  - derivatives are written in torch's floating-point order (-g * ((a / b) / b) for division).
"""

import math


def pow_number(x, k):
    """x ** k as torch's pow kernel computes it for a number exponent."""
    if k == 0.0:
        return 1.0
    if k == 1.0:
        return x
    if k == 0.5:
        return math.sqrt(x)
    if k == -0.5:
        return 1.0 / math.sqrt(x)
    if k == -1.0:
        return 1.0 / x
    if k == 2.0:
        return x * x
    if k == 3.0:
        return x * x * x
    if k == -2.0:
        return 1.0 / (x * x)
    return x ** k


def d_pow_base(a, b, g):
    """What a ** b adds to a's grad (b a Value or a number)."""
    return 0.0 if b == 0.0 else g * (b * a ** (b - 1.0))


def d_pow_exponent(a, b, out, g):
    """What a ** b adds to b's grad."""
    return 0.0 if (a == 0.0 and b >= 0.0) else g * (out * math.log(a))


class Value:
    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self.label = label
        self._backward = lambda: None

    def __repr__(self):
        return "Value(data=%r, grad=%r)" % (self.data, self.grad)

    def _wrap(self, other):
        return other if isinstance(other, Value) else type(self)(float(other))

    def _node(self, data, children, op):
        return type(self)(data, children, op)

    # ---- binary ops -------------------------------------------------------------------------

    def __add__(self, other):
        other = self._wrap(other)
        out = self._node(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __sub__(self, other):
        other = self._wrap(other)
        out = self._node(self.data - other.data, (self, other), "-")

        def _backward():
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = self._node(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += out.grad * other.data
            other.grad += out.grad * self.data

        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = self._wrap(other)
        out = self._node(self.data / other.data, (self, other), "/")

        def _backward():
            self.grad += out.grad / other.data
            other.grad += -out.grad * ((self.data / other.data) / other.data)

        out._backward = _backward
        return out

    def __pow__(self, other):
        if isinstance(other, Value):
            out = self._node(self.data ** other.data, (self, other), "**")

            def _backward():
                self.grad += d_pow_base(self.data, other.data, out.grad)
                other.grad += d_pow_exponent(self.data, other.data, out.data, out.grad)

            out._backward = _backward
            return out
        k = float(other)
        out = self._node(pow_number(self.data, k), (self,), "**%r" % k)

        def _backward_number():
            if k != 0.0:
                self.grad += out.grad * (k * pow_number(self.data, k - 1.0))

        out._backward = _backward_number
        return out

    # The reflected forms: a number on the left becomes a Value, and the operands keep their order.
    def __radd__(self, other):
        return self._wrap(other) + self

    def __rsub__(self, other):
        return self._wrap(other) - self

    def __rmul__(self, other):
        return self._wrap(other) * self

    def __rtruediv__(self, other):
        return self._wrap(other) / self

    def __rpow__(self, other):
        return self._wrap(other) ** self

    # ---- unary ops --------------------------------------------------------------------------

    def _unary(self, data, op, derivative):
        """A node whose backward adds out.grad * derivative(x, out) to x's grad."""
        out = self._node(data, (self,), op)

        def _backward():
            self.grad += derivative(out.grad, self.data, out.data)

        out._backward = _backward
        return out

    def __neg__(self):
        return self._unary(-self.data, "neg", lambda g, x, y: -g)

    def __abs__(self):
        sign = float((0.0 < self.data) - (self.data < 0.0))
        return self._unary(math.fabs(self.data), "abs", lambda g, x, y: g * sign)

    def exp(self):
        return self._unary(math.exp(self.data), "exp", lambda g, x, y: g * y)

    def log(self):
        return self._unary(math.log(self.data), "log", lambda g, x, y: g / x)

    def tanh(self):
        return self._unary(math.tanh(self.data), "tanh", lambda g, x, y: g * (1.0 - y * y))

    def relu(self):
        x = self.data
        return self._unary(0.0 if x <= 0.0 else x, "relu", lambda g, x, y: 0.0 if y <= 0.0 else g)

    def sigmoid(self):
        try:
            e = math.exp(-self.data)
        except OverflowError:
            e = math.inf
        return self._unary(1.0 / (1.0 + e), "sigmoid", lambda g, x, y: g * (1.0 - y) * y)

    # ---- backward ---------------------------------------------------------------------------

    def _topological_order(self):
        """Every node self depends on, operands first, found with an explicit stack (no depth limit)."""
        order, seen = [], {id(self)}
        stack = [(self, iter(self._prev))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, iter(child._prev)))
                    break
            else:
                stack.pop()
                order.append(node)
        return order

    def backward(self):
        order = self._topological_order()
        for node in order:
            if node._prev:
                node.grad = 0.0  # inner nodes describe this call; leaves accumulate, as torch's do
        if self._prev:
            self.grad = 1.0
        else:
            self.grad += 1.0
        for node in reversed(order):
            node._backward()
