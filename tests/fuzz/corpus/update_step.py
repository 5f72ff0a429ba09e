a = Value(2.0); b = Value(-3.0); c = Value(10.0)
L = (a*b + c) * -2.0
L.backward()
a.data += 0.01 * a.grad
b.data -= 0.01 * b.grad
e = a * b
L = (e + c) * -2.0
print(L.data)
