# The update step without the rebuild: L was computed from a's old data, and micrograd does not
# recompute it, so the program has no meaning to check. An error names the line that changed a.data.
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
e = a*b; e.label = 'e'
L = e * 2.0; L.label = 'L'
L.backward()
a.data += 0.01 * a.grad
print(L.data)
