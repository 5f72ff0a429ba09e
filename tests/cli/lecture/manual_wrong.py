# L = (a*b + c) * f, backpropagated by hand node by node, one gradient wrong (c).
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = Value(10.0, label='c')
e = a*b; e.label = 'e'
d = e + c; d.label = 'd'
f = Value(-2.0, label='f')
L = d * f; L.label = 'L'
L

L.grad = 1.0
f.grad = 4.0           # dL/df = d
d.grad = -2.0          # dL/dd = f
c.grad = 2.0           # the sign slipped
e.grad = -2.0
a.grad = -2.0 * -3.0   # dL/da = dL/de * b
b.grad = -2.0 * 2.0    # dL/db = dL/de * a
