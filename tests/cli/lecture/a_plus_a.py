# A node used twice: b = a + a. micrograd once assigned grads in _backward (a.grad = 1); accumulating
# them gives db/da = 2.
a = Value(3.0, label='a')
b = a + a; b.label = 'b'
b.backward()
print(a.grad)
