a = Value(2.0, label='a'); b = Value(-3.0, label='b')
e = a*b; e.label = 'e'
d = e + Value(10.0, label='c'); d.label = 'd'
L = d * Value(-2.0, label='f'); L.label = 'L'
L.grad = 1.0
L._backward()
d._backward(); e._backward()
a.grad += 1; b.grad *= 2
print(a.grad, b.grad, e.label)
draw_dot(L)
